-- Whether a class is recorded (the recording plugin starts recording its live room when it begins
-- and stops at its end): set on a weekly meeting pattern, copied to the sessions it expands into,
-- and changeable on one session.
ALTER TABLE courses_meeting_patterns ADD COLUMN recorded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE courses_sessions ADD COLUMN recorded INTEGER NOT NULL DEFAULT 0;
-- The recorded sessions around now, asked for every few seconds by the recording plugin.
CREATE INDEX courses_sessions_recorded ON courses_sessions (recorded, starts_at);
