-- Live processing: a live capture (a deferred-length upload) is processed while it is uploaded, by
-- a kernel job (recording.live) of its own. One source per recording is processed live: the first
-- live capture; the others wait for the whole-file pipeline.
ALTER TABLE recording_recordings ADD COLUMN live_upload_id TEXT;  -- the source processed live, or NULL
ALTER TABLE recording_uploads ADD COLUMN live_job_id TEXT;        -- its recording.live job
ALTER TABLE recording_uploads ADD COLUMN live_state TEXT;         -- queued | running | done | failed | fallback
ALTER TABLE recording_uploads ADD COLUMN live_result TEXT;        -- the worker's result (JSON) once done
ALTER TABLE recording_uploads ADD COLUMN live_failure TEXT;       -- why it failed (or why the whole-file pipeline took over)
ALTER TABLE recording_uploads ADD COLUMN live_heartbeat_at BIGINT; -- last sign of life of its runner (Unix seconds)
