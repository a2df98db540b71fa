-- The key that signs playback URLs (name 'playback'): made by the first node that starts, read
-- by every node, so that a URL signed on one node works on all. Deleting the row and restarting
-- every node makes a new key and ends every URL handed out before.
CREATE TABLE recording_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,           -- 32 random bytes, hex
    created_at BIGINT NOT NULL
);
