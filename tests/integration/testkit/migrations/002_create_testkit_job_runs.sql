-- One row per attempt of a testkit.count job, so tests can tell how often each job ran.
CREATE TABLE testkit_job_runs (
    tag TEXT NOT NULL,
    pid BIGINT NOT NULL
);
