-- The recording plugin's tables. Instants are Unix seconds (UTC) unless named *_ms (milliseconds).
-- A recording belongs to a live room or to a course section; its sources are tus uploads.
CREATE TABLE recording_recordings (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    room_id TEXT,                   -- the live room recorded (signalling's room id), or NULL
    section_id TEXT,                -- the course section recorded, or NULL
    owner_id TEXT NOT NULL,         -- who started it
    state TEXT NOT NULL,            -- recording | processing | ready | failed
    failure TEXT,                   -- why it failed, for a person to read
    visibility TEXT NOT NULL,       -- who may watch: participants | staff | link
    started_at_ms BIGINT NOT NULL,  -- the server's clock when it started
    stopped_at_ms BIGINT,           -- and when it was stopped
    duration_ms BIGINT,             -- the media's duration once known
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX recording_recordings_created ON recording_recordings (created_at, id);
CREATE INDEX recording_recordings_room ON recording_recordings (room_id);
CREATE INDEX recording_recordings_section ON recording_recordings (section_id);
CREATE INDEX recording_recordings_owner ON recording_recordings (owner_id);

-- One source of a recording (a camera, a screen, a second camera, a file filmed elsewhere): one
-- tus upload. Its bytes are in the storage directory, recordings/<recording id>/<upload id>.
CREATE TABLE recording_uploads (
    id TEXT PRIMARY KEY,
    recording_id TEXT NOT NULL REFERENCES recording_recordings (id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL,         -- who created the upload; only they (and admins) may write it
    kind TEXT NOT NULL,             -- camera | screen | audio | file | other (Upload-Metadata "source")
    filename TEXT,                  -- Upload-Metadata "filename"
    media_type TEXT,                -- Upload-Metadata "filetype"
    metadata TEXT NOT NULL,         -- the Upload-Metadata header as sent, echoed by HEAD
    upload_length BIGINT,           -- NULL while deferred (Upload-Defer-Length: 1)
    received BIGINT NOT NULL,       -- bytes acknowledged so far (the file may hold more after a crash)
    state TEXT NOT NULL,            -- uploading | complete | expired
    started_at_ms BIGINT NOT NULL,  -- the server's clock at creation: sources are aligned on it
    expires_at BIGINT NOT NULL,     -- an unfinished upload is removed after this
    completed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX recording_uploads_recording ON recording_uploads (recording_id, created_at);
CREATE INDEX recording_uploads_expiry ON recording_uploads (state, expires_at);

-- One recording at a time per room and per section: a second start is refused (409).
CREATE UNIQUE INDEX recording_active_room ON recording_recordings (room_id) WHERE state = 'recording' AND room_id IS NOT NULL;
CREATE UNIQUE INDEX recording_active_section ON recording_recordings (section_id) WHERE state = 'recording' AND section_id IS NOT NULL;
