#pragma once

// The streaming plugin's working parts, created in init(): the adaptive ladders of recordings
// (Ladder.cpp), the live streams' REST API (Streams.cpp), a recording's sources as one
// presentation (Presentation.cpp) and the side-by-side player page (PlayerAssets.cpp).

#include "Ladder.hpp"
#include "PlayerAssets.hpp"
#include "Presentation.hpp"
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
    std::unique_ptr<Presentation> presentation_;
    std::unique_ptr<PlayerAssets> playerAssets_;
};

} // namespace vtp::streaming
