#pragma once

// The streaming plugin's working parts, created in init(): the adaptive ladders of recordings
// (Ladder.cpp) and the live streams' REST API (Streams.cpp).

#include "Ladder.hpp"
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
};

} // namespace vtp::streaming
