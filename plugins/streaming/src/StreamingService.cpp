#include "StreamingService.hpp"

namespace vtp::streaming {

StreamingService::StreamingService(Host& host)
    : host_(host), ladder_(std::make_unique<Ladder>(host)), streams_(std::make_unique<Streams>(host)),
      analytics_(std::make_unique<Analytics>(host)), analyticsRoutes_(std::make_unique<AnalyticsRoutes>(host, *analytics_))
{
}

void StreamingService::start()
{
    ladder_->start();
    streams_->start();
    analyticsRoutes_->start();
    analytics_->start();
}

void StreamingService::stop()
{
    analytics_->stop();
    ladder_->stop();
}

} // namespace vtp::streaming
