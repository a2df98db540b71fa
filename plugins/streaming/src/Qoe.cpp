#include "Qoe.hpp"

#include <algorithm>
#include <stdexcept>

namespace vtp::streaming {

namespace {

// Bounds that keep the sums finite whatever a client claims: 100 Gbit/s, an hour-long object.
constexpr int64_t kMaxKbps = 100000000;
constexpr int64_t kMaxObjectMs = 3600000;

std::string sessionKey(std::string_view stream, std::string_view sid)
{
    std::string k;
    k.reserve(stream.size() + sid.size() + 1);
    k += stream;
    k += '\0'; // neither a stream name nor a sid (printable ASCII) holds it
    k += sid;
    return k;
}

} // namespace

QoeAggregator::QoeAggregator(QoeConfig config) : config_(config)
{
    if (config_.maxSessions == 0 || config_.maxStreams == 0) throw std::invalid_argument("QoE limits must be positive");
}

QoeAggregator::Stream& QoeAggregator::touchStream(int64_t at, std::string_view stream)
{
    auto it = streams_.find(stream);
    if (it == streams_.end()) {
        if (streams_.size() >= config_.maxStreams) {
            const auto oldest = std::min_element(streams_.begin(), streams_.end(),
                                                 [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
            streams_.erase(oldest);
            ++evictedStreams_;
        }
        it = streams_.emplace(std::string(stream), Stream{}).first;
        it->second.stats.stream = std::string(stream);
    }
    it->second.last = std::max(it->second.last, at);
    return it->second;
}

QoeAggregator::Session* QoeAggregator::touchSession(int64_t at, std::string_view stream, std::string_view sid)
{
    const std::string key = sessionKey(stream, sid);
    if (const auto it = sessions_.find(key); it != sessions_.end()) {
        lru_.splice(lru_.end(), lru_, it->second); // now the most recently seen
        return &*it->second;
    }
    if (sessions_.size() >= config_.maxSessions) {
        // Only an idle session makes room: a flood of new sids must not push out real viewers.
        if (lru_.front().last > at - config_.concurrentWindow.count()) {
            ++refusedSessions_;
            return nullptr;
        }
        sessions_.erase(lru_.front().key);
        lru_.pop_front();
        ++evictedSessions_;
    }
    Session s;
    s.key = key;
    s.stream = std::string(stream);
    s.sid = std::string(sid);
    s.first = s.last = at;
    lru_.push_back(std::move(s));
    sessions_.emplace(key, std::prev(lru_.end()));
    return &lru_.back();
}

void QoeAggregator::observe(const QoeObservation& o)
{
    const int64_t at = o.at.count();
    const CmcdData* c = o.cmcd && o.cmcd->keyCount > 0 ? o.cmcd : nullptr;
    std::lock_guard lock(mutex_);
    auto& stream = touchStream(at, o.stream);
    auto& st = stream.stats;
    st.egressBytes += o.bytes;
    ++st.requests;
    if (!o.rung.empty()) {
        auto r = st.requestsPerRung.find(std::string(o.rung));
        if (r == st.requestsPerRung.end() && st.requestsPerRung.size() >= config_.maxRungsPerStream)
            r = st.requestsPerRung.try_emplace("other", 0).first;
        else if (r == st.requestsPerRung.end())
            r = st.requestsPerRung.emplace(std::string(o.rung), 0).first;
        ++r->second;
    }
    if (!c || !c->sid || c->sid->empty()) {
        ++st.requestsWithoutSession;
        return;
    }
    Session* s = touchSession(at, o.stream, *c->sid);
    if (!s) return;

    const int64_t gap = std::clamp<int64_t>(at - s->last, 0, config_.idleGap.count());
    if (s->requests > 0) s->activeMs += gap;
    ++s->requests;
    s->bytes += o.bytes;

    if (c->isMedia()) {
        if (!s->startupEnd && !c->startup())
            s->startupEnd = at;
        else if (s->startupEnd && c->starved() && s->requests > 1) {
            ++s->rebuffers;
            s->stallMs += std::max<int64_t>(0, gap - std::clamp<int64_t>(s->lastBl.value_or(0), 0, gap));
        }
        const bool audio = c->ot == CmcdObjectType::Audio;
        if (c->isVideo() || audio) {
            auto& b = audio ? s->audio : s->video;
            const int64_t d = std::clamp<int64_t>(c->d.value_or(0), 0, kMaxObjectMs);
            b.durationMs += d;
            if (c->br) {
                const int64_t br = std::clamp<int64_t>(*c->br, 0, kMaxKbps);
                if (b.last && *b.last != br) ++b.switches;
                b.last = br;
                b.lowest = b.lowest ? std::min(*b.lowest, br) : br;
                b.sum += static_cast<double>(br);
                ++b.count;
                if (d > 0) {
                    b.weighted += static_cast<double>(br) * static_cast<double>(d);
                    b.weight += static_cast<double>(d);
                }
            }
        }
    }
    if (c->bl) s->lastBl = *c->bl;
    s->last = std::max(s->last, at);
}

void QoeAggregator::recordError(std::chrono::milliseconds at, std::string_view stream, std::string_view sid)
{
    std::lock_guard lock(mutex_);
    touchStream(at.count(), stream);
    if (sid.empty()) return;
    if (Session* s = touchSession(at.count(), stream, sid)) {
        ++s->errors;
        s->last = std::max(s->last, at.count());
    }
}

void QoeAggregator::recordMalformedCmcd(std::chrono::milliseconds at, std::string_view stream)
{
    std::lock_guard lock(mutex_);
    ++touchStream(at.count(), stream).stats.malformedCmcd;
}

SessionStats QoeAggregator::statsOf(const Session& s) const
{
    SessionStats out;
    out.stream = s.stream;
    out.sid = s.sid;
    out.firstSeenMs = s.first;
    out.lastSeenMs = s.last;
    if (s.startupEnd) out.startupMs = *s.startupEnd - s.first;
    out.rebuffers = s.rebuffers;
    out.rebufferSeconds = static_cast<double>(s.stallMs) / 1000.0;
    out.errors = s.errors;
    out.requests = s.requests;
    out.bytes = s.bytes;
    const Bitrate& b = s.video.count > 0 || s.video.durationMs > 0 ? s.video : s.audio;
    out.bitrateSwitches = b.switches;
    out.lowestKbps = b.lowest;
    if (b.weight > 0)
        out.averageKbps = static_cast<int64_t>(b.weighted / b.weight + 0.5);
    else if (b.count > 0)
        out.averageKbps = static_cast<int64_t>(b.sum / static_cast<double>(b.count) + 0.5);
    const int64_t watchMs = b.durationMs > 0 ? b.durationMs : s.activeMs;
    out.watchSeconds = static_cast<double>(watchMs) / 1000.0;
    out.rebufferRatio = watchMs > 0 ? static_cast<double>(s.stallMs) / static_cast<double>(watchMs) : 0.0;
    return out;
}

QoeSnapshot QoeAggregator::snapshot(std::chrono::milliseconds now) const
{
    std::lock_guard lock(mutex_);
    QoeSnapshot snap;
    snap.evictedSessions = evictedSessions_;
    snap.refusedSessions = refusedSessions_;
    snap.evictedStreams = evictedStreams_;
    std::map<std::string_view, uint32_t> concurrent;
    snap.sessions.reserve(lru_.size());
    for (const auto& s : lru_) {
        snap.sessions.push_back(statsOf(s));
        if (s.last > now.count() - config_.concurrentWindow.count()) ++concurrent[s.stream];
    }
    for (const auto& [name, stream] : streams_) {
        snap.streams.push_back(stream.stats);
        if (const auto c = concurrent.find(name); c != concurrent.end()) snap.streams.back().concurrentViewers = c->second;
    }
    return snap;
}

std::vector<SessionStats> QoeAggregator::drainIdle(std::chrono::milliseconds now, std::chrono::milliseconds idleFor)
{
    std::lock_guard lock(mutex_);
    std::vector<SessionStats> out;
    // The list is in order of last sight, so the idle ones are a prefix.
    while (!lru_.empty() && lru_.front().last <= now.count() - idleFor.count()) {
        out.push_back(statsOf(lru_.front()));
        sessions_.erase(lru_.front().key);
        lru_.pop_front();
    }
    return out;
}

} // namespace vtp::streaming
