#pragma once

// The streaming plugin's working parts, created in init(): the adaptive ladders of recordings
// (Ladder.cpp).

#include "Ladder.hpp"

#include <vtp/sdk.hpp>

#include <memory>

namespace vtp::streaming {

class StreamingService {
public:
    explicit StreamingService(Host& host);
    void start();
    void stop();

private:
    Host& host_;
    std::unique_ptr<Ladder> ladder_;
};

} // namespace vtp::streaming
