#pragma once

// Quality of experience of the viewers of a stream or recording, from the CMCD (Cmcd.hpp) their
// players send with each request: per playback session (the stream and CMCD sid) and per stream.
// Pure C++, thread-safe, bounded in memory.
//
// Definitions (the server sees requests, not the player, so some figures are estimates):
// - startup: from the session's first request of any kind to its first media request sent without
//   su. Players set su on the requests made while starting, so that request is the first made once
//   playing (an upper bound, by up to one object's download); a player that never sets su ends its
//   startup at its first media request.
// - rebuffer: a media request with bs after startup (the player's buffer ran dry since its last
//   request). Its stall is estimated as the time since the previous request less the buffer (bl)
//   the player reported then, bounded by idleGap; rebufferRatio is stall time over watch time.
// - bitrate switch: a change of br between consecutive video requests (ot v or av, or br without ot).
// - average and lowest bitrate: over video requests (audio ones for an audio-only session), the
//   average weighted by each object's duration d when sent, else a plain mean.
// - watch time: the media duration (d) of the video objects fetched (audio for audio-only); for a
//   player that sends no d, the time between its requests with every gap capped at idleGap.
// - concurrent viewers of a stream: its sessions seen within concurrentWindow.

#include "Cmcd.hpp"

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vtp::streaming {

struct QoeConfig {
    size_t maxSessions = 20000;    // beyond, the least recently seen idle session is evicted
    size_t maxStreams = 1000;      // beyond, the least recently seen stream is evicted
    size_t maxRungsPerStream = 16; // further rung names are counted under "other"
    std::chrono::milliseconds concurrentWindow{30000};
    std::chrono::milliseconds idleGap{30000};
};

// One request served. `at` is on the caller's monotonic clock (any epoch, the same for all calls).
struct QoeObservation {
    std::chrono::milliseconds at{0};
    std::string_view stream;        // the stream or recording, as the server names it
    const CmcdData* cmcd = nullptr; // null or keyCount 0: the request carried no CMCD
    uint64_t bytes = 0;             // bytes served
    std::string_view rung;          // e.g. "720p"; empty for no rung (a master playlist)
};

struct SessionStats {
    std::string stream, sid;
    int64_t firstSeenMs = 0, lastSeenMs = 0;
    std::optional<int64_t> startupMs;
    uint32_t rebuffers = 0;
    double rebufferSeconds = 0; // estimated
    double rebufferRatio = 0;   // rebufferSeconds / watchSeconds
    uint32_t bitrateSwitches = 0;
    std::optional<int64_t> averageKbps, lowestKbps;
    uint32_t errors = 0;
    double watchSeconds = 0;
    uint64_t requests = 0, bytes = 0;
};

struct StreamStats {
    std::string stream;
    uint32_t concurrentViewers = 0;
    uint64_t egressBytes = 0;
    uint64_t requests = 0;
    uint64_t requestsWithoutSession = 0; // no CMCD sid: counted here, in no session
    uint64_t malformedCmcd = 0;
    std::map<std::string, uint64_t> requestsPerRung;
};

struct QoeSnapshot {
    std::vector<SessionStats> sessions;
    std::vector<StreamStats> streams;
    uint64_t evictedSessions = 0, refusedSessions = 0, evictedStreams = 0;
};

class QoeAggregator {
public:
    explicit QoeAggregator(QoeConfig config = {});

    void observe(const QoeObservation& o);
    // A playback error the caller saw for a session (a failed request, a player's error report).
    void recordError(std::chrono::milliseconds at, std::string_view stream, std::string_view sid);
    // A request whose CMCD did not parse (it is otherwise observed without CMCD).
    void recordMalformedCmcd(std::chrono::milliseconds at, std::string_view stream);

    QoeSnapshot snapshot(std::chrono::milliseconds now) const;
    // Removes and returns the sessions not seen for `idleFor`: finished, to be stored elsewhere.
    std::vector<SessionStats> drainIdle(std::chrono::milliseconds now, std::chrono::milliseconds idleFor);

private:
    struct Bitrate {
        double weighted = 0, weight = 0, sum = 0;
        uint64_t count = 0;
        std::optional<int64_t> lowest, last;
        uint32_t switches = 0;
        int64_t durationMs = 0;
    };
    struct Session {
        std::string key, stream, sid;
        int64_t first = 0, last = 0;
        std::optional<int64_t> startupEnd;
        uint32_t rebuffers = 0, errors = 0;
        int64_t stallMs = 0, activeMs = 0;
        std::optional<int64_t> lastBl;
        Bitrate video, audio;
        uint64_t requests = 0, bytes = 0;
    };
    struct Stream {
        StreamStats stats;
        int64_t last = 0;
    };

    Session* touchSession(int64_t at, std::string_view stream, std::string_view sid); // null when refused
    Stream& touchStream(int64_t at, std::string_view stream);
    SessionStats statsOf(const Session& s) const;

    const QoeConfig config_;
    mutable std::mutex mutex_;
    std::list<Session> lru_; // least recently seen first
    std::unordered_map<std::string, std::list<Session>::iterator> sessions_;
    std::map<std::string, Stream, std::less<>> streams_;
    uint64_t evictedSessions_ = 0, refusedSessions_ = 0, evictedStreams_ = 0;
};

} // namespace vtp::streaming
