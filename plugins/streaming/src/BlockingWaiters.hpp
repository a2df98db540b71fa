#pragma once

// Blocking playlist reloads held without a thread each: a held request is an entry here with a
// callback, fired by the writer when its target appears or by a timer when its deadline passes.
// The plugin's callback captures the SDK's vtp::http::Deferred (copyable, completable from any
// thread) and answers with the playlist rendered then. Pure C++, no SDK host needed.

#include "LlHls.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vtp::streaming {

enum class WaitOutcome {
    Ready,    // the target exists, or the stream ended: answer with the current playlist
    TimedOut, // the deadline passed first: answer with the current playlist, or 503 as the spec allows
    Cancelled // the client left or the rendition is gone: nothing to answer
};

class BlockingWaiters {
public:
    using Clock = std::chrono::steady_clock;
    // Runs exactly once per accepted waiter, outside the registry's lock, on the thread that
    // called advance(), expire(), cancel() or close(). It must not throw; if it does, the error is
    // swallowed and counted (callbackErrors()).
    using Callback = std::function<void(WaitOutcome)>;

    enum class AddStatus {
        Waiting,  // registered; the callback will run
        ReadyNow, // the target already exists (the writer got there first): answer now, the
                  // callback is dropped unrun
        Refused   // the rendition has maxPerRendition waiters: answer now (or 503); callback dropped
    };
    struct AddResult {
        AddStatus status = AddStatus::Refused;
        uint64_t id = 0; // for cancel(), when Waiting
    };

    explicit BlockingWaiters(size_t maxPerRendition = 10000) : maxPerRendition_(maxPerRendition) {}
    BlockingWaiters(const BlockingWaiters&) = delete;
    BlockingWaiters& operator=(const BlockingWaiters&) = delete;

    // Holds a request for segment `msn` (complete, without `part`) or part `part` of it. The
    // target is checked against the edge advance() last reported, so a writer that updated the
    // playlist between the caller's decision and this call is not missed.
    AddResult add(std::string_view rendition, uint64_t msn, std::optional<uint32_t> part, Clock::time_point deadline, Callback callback);
    // The writer's report after each update of `rendition`'s playlist: fires (Ready) every waiter
    // whose target `edge` now satisfies, or all of them when the stream ended. Returns how many.
    size_t advance(std::string_view rendition, const EdgeState& edge);
    // Fires (TimedOut) every waiter whose deadline is at or before `now`. Returns how many.
    size_t expire(Clock::time_point now);
    // Fires (Cancelled) one waiter; false if it had fired already.
    bool cancel(uint64_t id);
    // The rendition is gone: fires (Cancelled) its waiters and forgets its edge.
    size_t close(std::string_view rendition);

    // When expire() next has something to do, for the caller's timer.
    std::optional<Clock::time_point> nextDeadline() const;
    size_t size() const;
    size_t size(std::string_view rendition) const;
    uint64_t callbackErrors() const;

private:
    // Ordered as the stream advances: (msn, part) with a whole-segment target after its parts.
    using Target = std::pair<uint64_t, uint32_t>;
    struct Waiter {
        std::string rendition;
        Target target;
        Clock::time_point deadline;
        Callback callback;
    };
    struct Rendition {
        std::set<std::pair<Target, uint64_t>> waiting;
        std::optional<EdgeState> edge;
    };

    // Removes waiter `id` from every index; the caller runs its callback after unlocking.
    Callback takeLocked(uint64_t id);
    void run(std::vector<std::pair<Callback, WaitOutcome>>& fired);

    const size_t maxPerRendition_;
    mutable std::mutex mutex_;
    uint64_t nextId_ = 1;
    std::unordered_map<uint64_t, Waiter> waiters_;
    std::map<std::string, Rendition, std::less<>> renditions_;
    std::set<std::pair<Clock::time_point, uint64_t>> deadlines_;
    uint64_t callbackErrors_ = 0;
};

} // namespace vtp::streaming
