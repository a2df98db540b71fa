-- The adaptive ladder of each ready recording: made by a streaming.ladder job after every
-- recording.ready (a reprocessed recording gets a new one). ready_event names the recording's
-- generation that asked for it, so that several nodes hearing the same event queue one job.
CREATE TABLE streaming_ladders (
    recording_id TEXT PRIMARY KEY,
    ready_event TEXT NOT NULL,
    state TEXT NOT NULL,        -- queued, ready, failed
    job_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    failure TEXT,
    result TEXT,                -- the worker's result (JSON) once ready
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
