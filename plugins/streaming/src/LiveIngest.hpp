#pragma once

// What the live streams' REST API (Streams) tells the live ingest (LiveStreams) and asks of it,
// as an interface so that Streams is tested without workers (the fake host has none).

#include <string>

namespace vtp::streaming {

struct IngestPorts {
    int rtmp = 0; // TCP
    int srt = 0;  // UDP
};

class LiveIngest {
public:
    virtual ~LiveIngest() = default;
    // Ports for a new stream, from the configured ranges, held until released or the stream ends.
    // Throws HttpError 503 (no-ingest-port) when a range has none free. Thread-safe.
    virtual IngestPorts reservePorts() = 0;
    virtual void releasePorts(const IngestPorts& ports) = 0;
    // After the row was written, its key replaced, or the row deleted (any stream.ended already
    // published): the ingest follows, asynchronously. Thread-safe.
    virtual void created(const std::string& streamId) = 0;
    virtual void keyRotated(const std::string& streamId) = 0;
    virtual void deleted(const std::string& streamId) = 0;
};

} // namespace vtp::streaming
