#pragma once

// What one playback session watched, for the playback.progress event: the ranges of media time
// fetched (merged), the position (the end of the latest media fetched) and when the next event
// is due. Pure C++, not thread-safe (its owner locks).
//
// Positions come from the segments requested: segment number N of a rendition with S-second
// segments covers [(N-1)*S, N*S). A player fetches ahead of its playhead by its buffer (tens of
// seconds), so the position is where the player has media up to, not the frame on screen.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace vtp::streaming {

class PlaybackProgress {
public:
    // `intervalMs`: the least time between two events of a session; `maxRanges`: beyond, the two
    // closest ranges are joined (a viewer who seeks everywhere still costs bounded memory).
    explicit PlaybackProgress(int64_t intervalMs = 30000, size_t maxRanges = 32);

    // Media [from, to) seconds fetched at atMs (any clock, the same for every call). True when an
    // event is due: intervalMs since the session's first media or its last event.
    bool watched(int64_t atMs, double from, double to);
    // Call once the event is sent.
    void published(int64_t atMs);

    const std::vector<std::pair<double, double>>& ranges() const { return ranges_; }
    std::optional<double> position() const { return position_; }
    bool anyWatched() const { return !ranges_.empty(); }
    // Something was watched since the last event.
    bool unpublished() const { return dirty_; }

private:
    int64_t intervalMs_;
    size_t maxRanges_;
    std::vector<std::pair<double, double>> ranges_; // sorted, disjoint
    std::optional<double> position_;
    std::optional<int64_t> since_; // the first media, then the last event
    bool dirty_ = false;
};

} // namespace vtp::streaming
