-- Stream analytics: playback sessions of recordings and live streams, stored once idle (ended) so
-- that the QoE reports survive restarts; sessions still in memory join them in the reports.
-- Instants are Unix seconds (UTC); figures as README.md "Stream analytics" defines them.
CREATE TABLE streaming_qoe_sessions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,              -- recording | stream
    subject_id TEXT NOT NULL,        -- the recording's or stream's id
    section_id TEXT,                 -- its course section, when it has one
    course_id TEXT,                  -- that section's course, when the courses plugin said
    owner_id TEXT,                   -- who made the recording or stream (who may read its report)
    user_id TEXT NOT NULL,           -- the viewer
    sid TEXT,                        -- the player's CMCD session id, or NULL (one session per user)
    started_at BIGINT NOT NULL,      -- the first request
    ended_at BIGINT NOT NULL,        -- the last request
    startup_ms BIGINT,               -- NULL: no media played
    rebuffer_count INTEGER NOT NULL,
    rebuffer_seconds DOUBLE PRECISION NOT NULL,
    rebuffer_ratio DOUBLE PRECISION NOT NULL,
    bitrate_switches INTEGER NOT NULL,
    avg_kbps BIGINT,
    min_kbps BIGINT,
    errors INTEGER NOT NULL,
    watch_seconds DOUBLE PRECISION NOT NULL,
    requests BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    position_s DOUBLE PRECISION,     -- the end of the latest media fetched
    watched TEXT NOT NULL            -- JSON [[from, to], ...] seconds of media fetched
);
-- A subject's report and a course's, in (started_at, id) order (the pages' cursor).
CREATE INDEX streaming_qoe_sessions_subject ON streaming_qoe_sessions (kind, subject_id, started_at, id);
CREATE INDEX streaming_qoe_sessions_course ON streaming_qoe_sessions (course_id, started_at, id);
-- The retention sweep.
CREATE INDEX streaming_qoe_sessions_ended ON streaming_qoe_sessions (ended_at);

-- Requests per rung of each stored session (a rung: "720p", "audio", or "source" for the single
-- rendition; masters and MPDs belong to no rung).
CREATE TABLE streaming_qoe_rungs (
    session_id TEXT NOT NULL,
    rung TEXT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (session_id, rung)
);
