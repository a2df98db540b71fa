-- How often each name has been greeted.
CREATE TABLE hello_greetings (
    name TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    last_greeted_at TEXT NOT NULL
);
