-- A recording started because a class session's schedule says it is recorded: the session's id.
-- At most one recording per session, ever: however many nodes look at the schedule, and after a
-- restart, a session is never recorded twice (nor again after its instructor stopped it).
ALTER TABLE recording_recordings ADD COLUMN session_id TEXT;
CREATE UNIQUE INDEX recording_session ON recording_recordings (session_id) WHERE session_id IS NOT NULL;
