-- Rooms made through the REST API. Rooms named "PROVIDER:KEY" belong to another plugin and have
-- no row here. access is JSON: {"type":"authenticated"} or {"type":"users","users":[ids]}.
CREATE TABLE signalling_rooms (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    max_participants INTEGER NOT NULL,
    locked INTEGER NOT NULL DEFAULT 0,
    access TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX signalling_rooms_created ON signalling_rooms (created_at, id);

-- Chat history. ts is Unix milliseconds. recipient_user is set for a private message.
CREATE TABLE signalling_chat (
    id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    sender_user TEXT NOT NULL,
    sender_participant TEXT NOT NULL,
    recipient_user TEXT,
    recipient_participant TEXT,
    text TEXT NOT NULL,
    ts BIGINT NOT NULL
);
CREATE INDEX signalling_chat_room ON signalling_chat (room_id, ts, id);
