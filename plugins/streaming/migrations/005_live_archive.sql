-- A live stream becomes a recording when it ends: its archive (written by the ingest workers) is
-- imported through the recording plugin once, by one node, claimed here.
-- archive_state: NULL (never ended live), pending (to import), importing (claimed at
-- archive_claimed_at, Unix seconds; taken again once stale), imported (recording_id is set),
-- failed (the archive stays on the ingest node's disk; see README.md).
ALTER TABLE streaming_streams ADD COLUMN archive_state TEXT;
ALTER TABLE streaming_streams ADD COLUMN archive_claimed_at BIGINT;
CREATE INDEX streaming_streams_archive ON streaming_streams (archive_state);
