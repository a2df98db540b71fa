#include "BlockingWaiters.hpp"

#include "HlsParams.hpp"

#include <limits>
#include <vector>

namespace vtp::streaming {

namespace {

constexpr uint32_t kWholeSegment = std::numeric_limits<uint32_t>::max();

} // namespace

BlockingWaiters::AddResult BlockingWaiters::add(std::string_view rendition, uint64_t msn, std::optional<uint32_t> part,
                                                Clock::time_point deadline, Callback callback)
{
    std::lock_guard lock(mutex_);
    auto it = renditions_.find(rendition);
    if (it != renditions_.end() && it->second.edge && targetReached(*it->second.edge, msn, part)) return {AddStatus::ReadyNow, 0};
    if (it != renditions_.end() && it->second.edge && it->second.edge->ended) return {AddStatus::ReadyNow, 0};
    if (it != renditions_.end() && it->second.waiting.size() >= maxPerRendition_) return {AddStatus::Refused, 0};
    if (it == renditions_.end()) it = renditions_.emplace(std::string(rendition), Rendition{}).first;
    const uint64_t id = nextId_++;
    const Target target{msn, part ? *part : kWholeSegment};
    waiters_.emplace(id, Waiter{it->first, target, deadline, std::move(callback)});
    it->second.waiting.emplace(target, id);
    deadlines_.emplace(deadline, id);
    return {AddStatus::Waiting, id};
}

BlockingWaiters::Callback BlockingWaiters::takeLocked(uint64_t id)
{
    const auto w = waiters_.find(id);
    if (w == waiters_.end()) return {};
    Callback cb = std::move(w->second.callback);
    deadlines_.erase({w->second.deadline, id});
    if (const auto r = renditions_.find(w->second.rendition); r != renditions_.end()) {
        r->second.waiting.erase({w->second.target, id});
        // A rendition the writer never reported keeps no entry once its waiters are gone.
        if (r->second.waiting.empty() && !r->second.edge) renditions_.erase(r);
    }
    waiters_.erase(w);
    return cb;
}

void BlockingWaiters::run(std::vector<std::pair<Callback, WaitOutcome>>& fired)
{
    uint64_t errors = 0;
    for (auto& [cb, outcome] : fired) {
        try {
            if (cb) cb(outcome);
        } catch (...) {
            ++errors; // one viewer's failed answer must not stop the others'
        }
    }
    if (errors) {
        std::lock_guard lock(mutex_);
        callbackErrors_ += errors;
    }
}

size_t BlockingWaiters::advance(std::string_view rendition, const EdgeState& edge)
{
    std::vector<std::pair<Callback, WaitOutcome>> fired;
    {
        std::lock_guard lock(mutex_);
        auto it = renditions_.find(rendition);
        if (it == renditions_.end()) it = renditions_.emplace(std::string(rendition), Rendition{}).first;
        it->second.edge = edge;
        auto& waiting = it->second.waiting;
        // Reached targets are exactly those before (nextMsn, partsInProgress): a prefix of the set.
        const auto end = edge.ended ? waiting.end() : waiting.lower_bound({Target{edge.nextMsn, edge.partsInProgress}, 0});
        std::vector<uint64_t> ids;
        for (auto w = waiting.begin(); w != end; ++w) ids.push_back(w->second);
        for (const uint64_t id : ids) fired.emplace_back(takeLocked(id), WaitOutcome::Ready);
    }
    run(fired);
    return fired.size();
}

size_t BlockingWaiters::expire(Clock::time_point now)
{
    std::vector<std::pair<Callback, WaitOutcome>> fired;
    {
        std::lock_guard lock(mutex_);
        std::vector<uint64_t> ids;
        for (auto d = deadlines_.begin(); d != deadlines_.end() && d->first <= now; ++d) ids.push_back(d->second);
        for (const uint64_t id : ids) fired.emplace_back(takeLocked(id), WaitOutcome::TimedOut);
    }
    run(fired);
    return fired.size();
}

bool BlockingWaiters::cancel(uint64_t id)
{
    std::vector<std::pair<Callback, WaitOutcome>> fired;
    {
        std::lock_guard lock(mutex_);
        if (!waiters_.count(id)) return false;
        fired.emplace_back(takeLocked(id), WaitOutcome::Cancelled);
    }
    run(fired);
    return true;
}

size_t BlockingWaiters::close(std::string_view rendition)
{
    std::vector<std::pair<Callback, WaitOutcome>> fired;
    {
        std::lock_guard lock(mutex_);
        const auto it = renditions_.find(rendition);
        if (it == renditions_.end()) return 0;
        std::vector<uint64_t> ids;
        for (const auto& w : it->second.waiting) ids.push_back(w.second);
        for (const uint64_t id : ids) fired.emplace_back(takeLocked(id), WaitOutcome::Cancelled);
        // takeLocked may have erased it already (a rendition without an edge).
        if (const auto again = renditions_.find(rendition); again != renditions_.end()) renditions_.erase(again);
    }
    run(fired);
    return fired.size();
}

std::optional<BlockingWaiters::Clock::time_point> BlockingWaiters::nextDeadline() const
{
    std::lock_guard lock(mutex_);
    if (deadlines_.empty()) return std::nullopt;
    return deadlines_.begin()->first;
}

size_t BlockingWaiters::size() const
{
    std::lock_guard lock(mutex_);
    return waiters_.size();
}

size_t BlockingWaiters::size(std::string_view rendition) const
{
    std::lock_guard lock(mutex_);
    const auto it = renditions_.find(rendition);
    return it == renditions_.end() ? 0 : it->second.waiting.size();
}

uint64_t BlockingWaiters::callbackErrors() const
{
    std::lock_guard lock(mutex_);
    return callbackErrors_;
}

} // namespace vtp::streaming
