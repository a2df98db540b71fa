#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>

namespace vtp::kernel {

// What waits for Redis (the event bridge's envelopes, the cluster channels' messages), bounded,
// under its owner's mutex. A full queue drops the newcomer and counts it; the owner logs drops at
// most every 10 s, so a Redis outage under load does not flood the log.
template <class T>
class SendQueue {
public:
    enum class Push { Queued, Dropped, DroppedLogNow };

    explicit SendQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

    Push push(T item)
    {
        if (items_.size() < capacity_) {
            items_.push_back(std::move(item));
            return Push::Queued;
        }
        ++dropped_;
        const auto now = std::chrono::steady_clock::now();
        if (now - lastWarn_ < kWarnInterval) return Push::Dropped;
        lastWarn_ = now;
        return Push::DroppedLogNow;
    }
    bool empty() const { return items_.empty(); }
    size_t size() const { return items_.size(); }
    const T& front() const { return items_.front(); }
    // After the front was sent; a no-op if stop() cleared the queue meanwhile.
    void popFront()
    {
        if (!items_.empty()) items_.pop_front();
    }
    // At stop: what was never sent counts as dropped. Returns how many.
    size_t dropAll()
    {
        const size_t n = items_.size();
        dropped_ += n;
        items_.clear();
        return n;
    }
    uint64_t dropped() const { return dropped_.load(); } // any thread

private:
    static constexpr auto kWarnInterval = std::chrono::seconds(10);
    std::deque<T> items_;
    size_t capacity_;
    std::atomic<uint64_t> dropped_{0};
    std::chrono::steady_clock::time_point lastWarn_{};
};

} // namespace vtp::kernel
