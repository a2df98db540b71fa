#include "StreamingService.hpp"

namespace vtp::streaming {

StreamingService::StreamingService(Host& host)
    : host_(host), ladder_(std::make_unique<Ladder>(host)), streams_(std::make_unique<Streams>(host))
{
}

void StreamingService::start()
{
    ladder_->start();
    streams_->start();
}

void StreamingService::stop()
{
    ladder_->stop();
}

} // namespace vtp::streaming
