#include "rooms/TokenBucket.hpp"

#include <algorithm>

namespace vtp::signalling {

bool TokenBucket::take(double perSecond, double burst, Clock::time_point now)
{
    if (last_ == Clock::time_point{})
        tokens_ = burst;
    else
        tokens_ = std::min(burst, tokens_ + std::chrono::duration<double>(now - last_).count() * perSecond);
    last_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
}

} // namespace vtp::signalling
