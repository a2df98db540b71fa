#include "StreamingService.hpp"

namespace vtp::streaming {

StreamingService::StreamingService(Host& host)
    : host_(host), ladder_(std::make_unique<Ladder>(host)), streams_(std::make_unique<Streams>(host)),
      analytics_(std::make_unique<Analytics>(host)), analyticsRoutes_(std::make_unique<AnalyticsRoutes>(host, *analytics_)),
      presentation_(std::make_unique<Presentation>(host)), playerAssets_(std::make_unique<PlayerAssets>(host))
{
    if (host.config().getBool("ingest.enabled")) {
        live_ = std::make_unique<LiveStreams>(host, LiveSettings::fromConfig(host));
        liveRoutes_ = std::make_unique<LiveRoutes>(host, *streams_, *live_, *analytics_);
        streams_->setIngest(live_.get());
    }
}

void StreamingService::start()
{
    ladder_->start();
    streams_->start();
    analyticsRoutes_->start();
    analytics_->start();
    if (live_) live_->start();
    presentation_->start();
}

void StreamingService::stop()
{
    analytics_->stop();
    if (live_) live_->stop();
    ladder_->stop();
    presentation_->stop();
}

} // namespace vtp::streaming
