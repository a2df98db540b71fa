#include "PlaybackProgress.hpp"

#include <algorithm>
#include <limits>

namespace vtp::streaming {

PlaybackProgress::PlaybackProgress(int64_t intervalMs, size_t maxRanges)
    : intervalMs_(intervalMs), maxRanges_(std::max<size_t>(maxRanges, 1))
{
}

bool PlaybackProgress::watched(int64_t atMs, double from, double to)
{
    if (!(from >= 0) || !(to > from)) return false; // also refuses NaN
    position_ = to;
    dirty_ = true;
    if (!since_) since_ = atMs;
    // Insert, then join what overlaps or touches (adjacent segments make one range).
    auto it = std::lower_bound(ranges_.begin(), ranges_.end(), std::make_pair(from, to));
    it = ranges_.insert(it, {from, to});
    if (it != ranges_.begin() && std::prev(it)->second >= it->first) --it;
    while (std::next(it) != ranges_.end() && std::next(it)->first <= it->second) {
        it->second = std::max(it->second, std::next(it)->second);
        ranges_.erase(std::next(it));
    }
    if (ranges_.size() > maxRanges_) {
        size_t best = 0;
        double gap = std::numeric_limits<double>::max();
        for (size_t i = 0; i + 1 < ranges_.size(); ++i)
            if (ranges_[i + 1].first - ranges_[i].second < gap) {
                gap = ranges_[i + 1].first - ranges_[i].second;
                best = i;
            }
        ranges_[best].second = ranges_[best + 1].second;
        ranges_.erase(ranges_.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    }
    return atMs - *since_ >= intervalMs_;
}

void PlaybackProgress::published(int64_t atMs)
{
    since_ = atMs;
    dirty_ = false;
}

} // namespace vtp::streaming
