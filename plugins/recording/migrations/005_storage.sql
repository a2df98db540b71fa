-- Storage: usage per course, quotas and retention (src/Storage.cpp).
ALTER TABLE recording_recordings ADD COLUMN course_id TEXT;   -- the section's course (vtp.courses.sections describe), NULL for a room's recording
ALTER TABLE recording_recordings ADD COLUMN media_bytes BIGINT NOT NULL DEFAULT 0; -- bytes of the processed output (media/)
CREATE INDEX recording_recordings_course ON recording_recordings (course_id);

-- An admin's quota for one course, in place of quota.course_bytes (0: no limit).
CREATE TABLE recording_quotas (
    course_id TEXT PRIMARY KEY,
    max_bytes BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Work that one node at a time does (the retention sweep): whoever holds the lease until
-- expires_at (Unix seconds); another node takes it over once it has run out.
CREATE TABLE recording_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
INSERT INTO recording_leases (name, holder, expires_at) VALUES ('retention', '', 0);
