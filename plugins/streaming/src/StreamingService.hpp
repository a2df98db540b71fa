#pragma once

// The streaming plugin's working parts, created in init(): the adaptive ladders of recordings
// (Ladder.cpp), the live streams' REST API (Streams.cpp) and stream analytics (Analytics.cpp,
// AnalyticsRoutes.cpp).

#include "Analytics.hpp"
#include "AnalyticsRoutes.hpp"
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
    // Stream analytics (for the live playlist routes: Analytics::observe with QoeKind::Stream).
    Analytics& analytics() { return *analytics_; }

private:
    Host& host_;
    std::unique_ptr<Ladder> ladder_;
    std::unique_ptr<Streams> streams_;
    std::unique_ptr<Analytics> analytics_;
    std::unique_ptr<AnalyticsRoutes> analyticsRoutes_;
};

} // namespace vtp::streaming
