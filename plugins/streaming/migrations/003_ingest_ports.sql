-- Each stream's ingest worker listens on ports of its own (FFmpeg's listeners take one publisher
-- at a time): chosen from ingest.rtmp_ports and ingest.srt_ports when the stream is created, kept
-- for its life so that an encoder's saved settings keep working. NULL: made before this column.
ALTER TABLE streaming_streams ADD COLUMN rtmp_port INTEGER;
ALTER TABLE streaming_streams ADD COLUMN srt_port INTEGER;
