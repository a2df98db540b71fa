#include "StreamingService.hpp"

namespace vtp::streaming {

StreamingService::StreamingService(Host& host)
    : host_(host), ladder_(std::make_unique<Ladder>(host)), streams_(std::make_unique<Streams>(host)),
      presentation_(std::make_unique<Presentation>(host)), playerAssets_(std::make_unique<PlayerAssets>(host))
{
}

void StreamingService::start()
{
    ladder_->start();
    streams_->start();
    presentation_->start();
}

void StreamingService::stop()
{
    ladder_->stop();
    presentation_->stop();
}

} // namespace vtp::streaming
