#pragma once

// The streaming plugin's working parts, created in init(): the adaptive ladders of recordings
// (Ladder.cpp), the live streams' REST API (Streams.cpp), stream analytics (Analytics.cpp,
// AnalyticsRoutes.cpp), a recording's sources as one presentation (Presentation.cpp), the
// side-by-side player page (PlayerAssets.cpp) and, where this node runs the live ingest
// (ingest.enabled), the ingest workers with the playlists they feed (LiveStreams.cpp) and the
// playback routes (LiveRoutes.cpp).

#include "Analytics.hpp"
#include "AnalyticsRoutes.hpp"
#include "Ladder.hpp"
#include "LiveRoutes.hpp"
#include "LiveStreams.hpp"
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
    // Stream analytics (for the live playlist routes: Analytics::observe with QoeKind::Stream).
    Analytics& analytics() { return *analytics_; }

private:
    Host& host_;
    std::unique_ptr<Ladder> ladder_;
    std::unique_ptr<Streams> streams_;
    std::unique_ptr<LiveStreams> live_;
    std::unique_ptr<LiveRoutes> liveRoutes_;
    std::unique_ptr<Analytics> analytics_;
    std::unique_ptr<AnalyticsRoutes> analyticsRoutes_;
    std::unique_ptr<Presentation> presentation_;
    std::unique_ptr<PlayerAssets> playerAssets_;
};

} // namespace vtp::streaming
