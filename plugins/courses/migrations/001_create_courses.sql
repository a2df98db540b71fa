-- The courses plugin's tables. Dates are 'YYYY-MM-DD' and times 'HH:MM', local wall-clock in the
-- term's time zone; instants (starts_at, created_at, ...) are Unix seconds (UTC).
CREATE TABLE courses_terms (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    holidays TEXT NOT NULL,        -- JSON array of dates
    teaching_days TEXT NOT NULL,   -- JSON array of ISO weekdays the timetabler uses (1 = Monday)
    periods TEXT NOT NULL,         -- JSON array of {"start": "HH:MM", "end": "HH:MM"}: the timetabler's slots
    created_at BIGINT NOT NULL
);

CREATE TABLE courses_rooms (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,            -- virtual | physical
    capacity INTEGER NOT NULL,
    features TEXT NOT NULL,        -- JSON array of strings
    created_at BIGINT NOT NULL
);

CREATE TABLE courses_courses (
    id TEXT PRIMARY KEY,
    term_id TEXT NOT NULL REFERENCES courses_terms (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    credits INTEGER NOT NULL,
    department TEXT NOT NULL,
    lectures_per_week INTEGER NOT NULL,
    min_working_days INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (term_id, code)
);

-- Periods in which the timetabler must not place a course (day and period index into the
-- term's teaching_days and periods).
CREATE TABLE courses_unavailability (
    course_id TEXT NOT NULL REFERENCES courses_courses (id) ON DELETE CASCADE,
    day_index INTEGER NOT NULL,
    period_index INTEGER NOT NULL,
    PRIMARY KEY (course_id, day_index, period_index)
);

CREATE TABLE courses_sections (
    id TEXT PRIMARY KEY,
    course_id TEXT NOT NULL REFERENCES courses_courses (id) ON DELETE CASCADE,
    term_id TEXT NOT NULL REFERENCES courses_terms (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    waitlist_capacity INTEGER NOT NULL,
    enrollment_opens TEXT,
    enrollment_closes TEXT,
    drop_deadline TEXT,
    teacher_key TEXT,              -- who teaches it for the timetabler when no instructor is set (.ctt import)
    next_seq BIGINT NOT NULL DEFAULT 0, -- order in which the section accepted requests
    created_at BIGINT NOT NULL,
    UNIQUE (course_id, name)
);
CREATE INDEX courses_sections_term ON courses_sections (term_id);

CREATE TABLE courses_section_staff (
    section_id TEXT NOT NULL REFERENCES courses_sections (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,            -- instructor | assistant
    PRIMARY KEY (section_id, user_id)
);
CREATE INDEX courses_section_staff_user ON courses_section_staff (user_id);

CREATE TABLE courses_enrollments (
    section_id TEXT NOT NULL REFERENCES courses_sections (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,          -- enrolled | waitlisted
    seq BIGINT NOT NULL,           -- the section's acceptance order; the waitlist is served by it
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (section_id, user_id)
);
CREATE INDEX courses_enrollments_status ON courses_enrollments (section_id, status, seq);
CREATE INDEX courses_enrollments_user ON courses_enrollments (user_id);

CREATE TABLE courses_curricula (
    id TEXT PRIMARY KEY,
    term_id TEXT NOT NULL REFERENCES courses_terms (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (term_id, name)
);

CREATE TABLE courses_curriculum_courses (
    curriculum_id TEXT NOT NULL REFERENCES courses_curricula (id) ON DELETE CASCADE,
    course_id TEXT NOT NULL REFERENCES courses_courses (id) ON DELETE CASCADE,
    PRIMARY KEY (curriculum_id, course_id)
);

CREATE TABLE courses_meeting_patterns (
    id TEXT PRIMARY KEY,
    section_id TEXT NOT NULL REFERENCES courses_sections (id) ON DELETE CASCADE,
    weekday INTEGER NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    room_id TEXT REFERENCES courses_rooms (id) ON DELETE SET NULL
);
CREATE INDEX courses_meeting_patterns_section ON courses_meeting_patterns (section_id);

CREATE TABLE courses_sessions (
    id TEXT PRIMARY KEY,
    section_id TEXT NOT NULL REFERENCES courses_sections (id) ON DELETE CASCADE,
    pattern_id TEXT,
    session_date TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    room_id TEXT REFERENCES courses_rooms (id) ON DELETE SET NULL,
    status TEXT NOT NULL,          -- scheduled | cancelled
    sequence INTEGER NOT NULL DEFAULT 0,
    note TEXT
);
CREATE INDEX courses_sessions_section ON courses_sessions (section_id, starts_at);
CREATE INDEX courses_sessions_time ON courses_sessions (starts_at);

-- The secret of each user's calendar feed URL, stored only as a SHA-256 hash.
CREATE TABLE courses_calendar_tokens (
    user_id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

-- Timetables proposed by the solver (a courses.timetable job), applied when an admin accepts one.
CREATE TABLE courses_timetables (
    id TEXT PRIMARY KEY,
    term_id TEXT NOT NULL REFERENCES courses_terms (id) ON DELETE CASCADE,
    job_id TEXT,
    state TEXT NOT NULL,           -- queued | running | proposed | infeasible | cancelled | failed | accepted
    instance TEXT NOT NULL,        -- the .ctt text solved (ids are section and room ids)
    grid TEXT NOT NULL,            -- JSON {"days": [weekday...], "periods": [{"start","end"}...]}
    solution TEXT,                 -- the .sol text of the best timetable
    hard_violations INTEGER,
    soft_cost INTEGER,
    cost_detail TEXT,              -- JSON: soft cost by component
    time_limit_seconds INTEGER NOT NULL,
    seed BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    accepted_at BIGINT
);
CREATE INDEX courses_timetables_term ON courses_timetables (term_id, created_at);
