#pragma once

// When each CMAF part appeared on disk: the ingest worker writes a part under a temporary name and
// renames it into place (part-MSN-K.m4s), and that rename is the moment the origin could first
// serve it. Watched with inotify on the rendition's directory, so that both origins measured
// (vtpd, nginx) are timed from the same instant, which neither of them reports. Thread-safe.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace vtp::bench {

using PartId = std::pair<uint64_t, uint32_t>; // (media sequence number, part index)

// Nanoseconds of CLOCK_MONOTONIC.
int64_t monotonicNs();

class PartClock {
public:
    // Throws std::runtime_error if `dir` cannot be watched.
    explicit PartClock(const std::string& dir);
    ~PartClock();
    PartClock(const PartClock&) = delete;
    PartClock& operator=(const PartClock&) = delete;

    // Parts that appeared in [fromNs, toNs), with their instants.
    std::map<PartId, int64_t> between(int64_t fromNs, int64_t toNs) const;
    size_t size() const;

private:
    void run();

    int fd_ = -1;
    int stopFd_ = -1;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::map<PartId, int64_t> seen_;
    std::thread thread_;
};

// "part-12-3.m4s" (or any path ending so) -> (12, 3).
bool parsePartName(const std::string& name, PartId& out);

} // namespace vtp::bench
