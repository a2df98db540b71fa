-- Processing (the media worker run as a kernel job): its job, progress and result.
ALTER TABLE recording_recordings ADD COLUMN job_id TEXT;                 -- the kernel job processing it; NULL until queued
ALTER TABLE recording_recordings ADD COLUMN progress DOUBLE PRECISION;   -- the fraction processed, while processing
ALTER TABLE recording_recordings ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0; -- processing attempts made
ALTER TABLE recording_recordings ADD COLUMN media TEXT;                  -- what processing made (the worker's result, JSON)
