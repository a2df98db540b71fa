-- Live streams: an instructor's (or an admin's) broadcast of a course section or a live room to a
-- large audience, pushed by an encoder (OBS, ffmpeg) over RTMP or SRT with the stream's key and
-- watched through signed HLS and DASH URLs. Instants are Unix seconds (UTC).
CREATE TABLE streaming_streams (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    room_id TEXT,                   -- the live room it belongs to, or NULL
    section_id TEXT,                -- the course section it belongs to, or NULL
    owner_id TEXT NOT NULL,         -- who created it
    state TEXT NOT NULL,            -- idle | live | ended
    stream_key TEXT NOT NULL,       -- the ingest secret: 32 random bytes, base64url; never logged
    key_rotated_at BIGINT NOT NULL, -- when stream_key was made (at creation, then each rotation)
    started_at BIGINT,              -- when it last went live
    ended_at BIGINT,                -- when it ended
    recording_id TEXT,              -- the recording it became, once it has (the recording plugin's id)
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Ingest finds a stream by its key; a rotated key matches nothing at once.
CREATE UNIQUE INDEX streaming_streams_key ON streaming_streams (stream_key);
-- The list: oldest first (created_at, id) as its cursor, filtered by section, room, state or owner.
CREATE INDEX streaming_streams_created ON streaming_streams (created_at, id);
CREATE INDEX streaming_streams_section ON streaming_streams (section_id, created_at, id);
CREATE INDEX streaming_streams_room ON streaming_streams (room_id, created_at, id);
CREATE INDEX streaming_streams_owner ON streaming_streams (owner_id, created_at, id);
CREATE INDEX streaming_streams_state ON streaming_streams (state, created_at, id);

-- The key that signs live playback URLs (name 'playback'): made by the first node that starts,
-- read by every node, so that a URL signed on one node works on all. Deleting the row and
-- restarting every node makes a new key and ends every URL handed out before.
CREATE TABLE streaming_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,           -- 32 random bytes, hex
    created_at BIGINT NOT NULL
);
