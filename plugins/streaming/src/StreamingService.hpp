#pragma once

// The streaming plugin's working parts, created in init(): the adaptive ladders of recordings
// (Ladder.cpp), the live streams' REST API (Streams.cpp), and, where this node runs the live
// ingest (ingest.enabled), the ingest workers with the playlists they feed (LiveStreams.cpp) and
// the playback routes (LiveRoutes.cpp).

#include "Ladder.hpp"
#include "LiveRoutes.hpp"
#include "LiveStreams.hpp"
#include "Streams.hpp"

#include <vtp/sdk.hpp>

#include <memory>

namespace vtp::streaming {

class StreamingService {
public:
    explicit StreamingService(Host& host);
    void start();
    void stop();
    // The live streams (for the live playlist routes: Streams::verifyPlayback).
    Streams& streams() { return *streams_; }

private:
    Host& host_;
    std::unique_ptr<Ladder> ladder_;
    std::unique_ptr<Streams> streams_;
    std::unique_ptr<LiveStreams> live_;
    std::unique_ptr<LiveRoutes> liveRoutes_;
};

} // namespace vtp::streaming
