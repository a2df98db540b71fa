#pragma once

#include <chrono>

namespace vtp::signalling {

// The rate limiter for one socket's chat messages or signals: a token bucket that starts full
// (`burst` tokens) and refills at `perSecond` up to `burst`. Not thread-safe (used under the plugin's mutex).
class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    // True, and one token spent, if one is left at `now`.
    bool take(double perSecond, double burst, Clock::time_point now);

private:
    double tokens_ = 0;
    Clock::time_point last_{};
};

} // namespace vtp::signalling
