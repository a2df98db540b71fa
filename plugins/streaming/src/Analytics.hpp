#pragma once

// Stream analytics: how well people watch recordings and live streams, from the requests their
// players make and the CTA-5004 CMCD (Cmcd.hpp) hls.js and dash.js send with them.
//
// Fed with every media file served: a recording's through the recording plugin's observer
// (vtp.recording.media, registered in start(), released in stop()); a live stream's by the live
// playlist routes, with one call per file served:
//
//   ServedMedia m;                      // one per file served
//   m.kind = QoeKind::Stream;
//   m.subjectId = streamId;             // the stream's id
//   m.userId = userId;                  // Streams::verifyPlayback's answer
//   m.file = file;                      // the file's name
//   m.bytes = bytes;                    // bytes served
//   m.rung = "720p";                    // the rendition's name, and its bitrate if known
//   m.rungKbps = 2800;
//   m.mediaSeconds = {{start, end}};    // a segment's media time, if known: the position
//   const auto cmcd = req.query("CMCD"); // decoded; kept alive for the call
//   if (cmcd) m.cmcdQuery = *cmcd;
//   m.cmcdHeaders = {request, object, status, session}; // req.header("cmcd-request")... or ""
//   analytics.observe(m);               // StreamingService::analytics()
//
// It aggregates in a QoeAggregator (Qoe.hpp) per playback session (the subject, the user and the
// CMCD sid; the user alone when the player sends no sid) and per subject; a drain thread stores the
// sessions idle for analytics.session_idle_seconds in streaming_qoe_sessions, publishes their
// last playback.progress, and keeps /metrics current. Malformed CMCD is ignored (the request
// still counts as egress and a request of its rung, in no session) and counted.
//
// Thread-safe: observe() runs on HTTP threads (it takes a mutex, never the database, except once
// a minute per subject to learn its section and rungs).

#include "Cmcd.hpp"
#include "PlaybackProgress.hpp"
#include "Qoe.hpp"
#include "StreamAccess.hpp"

#include <vtp/recording_media.hpp>
#include <vtp/sdk.hpp>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vtp::streaming {

enum class QoeKind { Recording, Stream };
std::string_view kindName(QoeKind k); // "recording", "stream"

// One file served to a player. Views must outlive the call only.
struct ServedMedia {
    QoeKind kind = QoeKind::Recording;
    std::string_view subjectId;                            // the recording's or stream's id
    std::string_view userId;                               // who the signed URL was made for
    std::string_view file;                                 // the file's name (for a recording, its rung is found from it)
    uint64_t bytes = 0;                                    // bytes served; 0 for a file that was not there (counted as an error)
    std::string_view rung;                                 // the rendition's name ("720p", "audio"); empty: found from `file`, or none
    std::optional<int64_t> rungKbps;                       // its bitrate, used when the CMCD has no br
    std::optional<std::pair<double, double>> mediaSeconds; // the media time it covers, when known
    std::optional<std::string_view> cmcdQuery;             // the CMCD query argument, percent-decoded
    CmcdHeaders cmcdHeaders;                               // the four CMCD headers ("" when absent)
    std::optional<int64_t> atMs;                           // Unix ms; default: now
};

// A session as the reports show it: stored (ended) or still in memory (live).
struct QoeSessionRow {
    std::string id, kind, subjectId, userId;
    std::optional<std::string> sectionId, courseId, ownerId, sid;
    int64_t startedAt = 0, endedAt = 0; // Unix seconds
    bool live = false;
    std::optional<int64_t> startupMs, avgKbps, minKbps;
    int64_t rebufferCount = 0, bitrateSwitches = 0, errors = 0;
    double rebufferSeconds = 0, rebufferRatio = 0, watchSeconds = 0;
    uint64_t requests = 0, bytes = 0;
    std::optional<double> positionS;
    std::vector<std::pair<double, double>> watched;
    std::map<std::string, uint64_t> rungs; // requests per rung
};

class Analytics {
public:
    // Reads its config, declares its metrics (in init).
    explicit Analytics(Host& host);
    ~Analytics();
    // Observes the recording plugin's media; starts the drain thread.
    void start();
    // Stops observing; stores every session still in memory (a restart keeps them).
    void stop();

    void observe(const ServedMedia& m);

    // Hold it while reading a report (liveSessions, then the stored rows): no ended session is
    // stored meanwhile, so each is read once, either in memory or stored.
    std::shared_lock<std::shared_mutex> reportLock() const { return std::shared_lock(storeMutex_); }
    // The sessions not stored yet of a subject (kind and id), or of a course (kind empty): those
    // going on (live) and those ended but not yet written.
    std::vector<QoeSessionRow> liveSessions(std::optional<QoeKind> kind, const std::string& subjectId,
                                            const std::optional<std::string>& courseId) const;
    // Viewers seen in the last 30 s and malformed CMCD since this node started, per subject.
    uint32_t concurrentViewers(QoeKind kind, const std::string& subjectId) const;
    uint64_t malformedCmcd(QoeKind kind, const std::string& subjectId) const;
    // The same for every recording and stream of a course (their course as last looked up).
    uint64_t malformedCmcdOfCourse(const std::string& courseId);

    // The section, course and owner of a subject, and its rungs (representation -> name, kbps);
    // nothing when it does not exist. Cached a minute.
    struct RungInfo {
        std::string name;
        int64_t kbps = 0;
        bool video = true;
    };
    struct Subject {
        std::optional<std::string> sectionId, courseId;
        std::string ownerId;
        std::string visibility; // a recording's: participants, staff or link
        std::map<int, RungInfo> rungs;
        int64_t segmentSeconds = 0;
    };
    std::optional<Subject> subject(QoeKind kind, const std::string& id, bool fresh = false);

    static constexpr int64_t kProgressIntervalMs = 30000;

private:
    struct SessionState {
        std::string id; // the stored row's id
        QoeKind kind = QoeKind::Recording;
        std::string subjectId, userId;
        std::optional<std::string> sid, sectionId, courseId, ownerId;
        PlaybackProgress progress{kProgressIntervalMs};
        std::map<std::string, uint64_t> rungs;
        int64_t lastMs = 0;
    };

    void drainLoop();
    void tick(bool all);
    void persist(const std::vector<QoeSessionRow>& rows);
    bool matches(const QoeSessionRow& r, std::optional<QoeKind> kind, const std::string& subjectId,
                 const std::optional<std::string>& courseId) const;
    void publishProgress(const SessionState& s, bool ended);
    QoeSessionRow rowOf(const SessionStats& stats, const SessionState& s) const;
    std::string countedRung(std::string_view rung);

    Host& host_;
    StreamAccess access_;
    bool enabled_ = true;
    int64_t idleMs_ = 60000, retentionDays_ = 400, segmentSeconds_ = 4;
    size_t maxSessions_ = 20000;
    std::unique_ptr<QoeAggregator> qoe_;
    std::unique_ptr<RecordingMedia> media_;
    std::unique_ptr<RecordingMedia::Observer> observer_;

    mutable std::mutex mutex_;                               // sessions_ and the aggregator's sessions change together
    std::unordered_map<std::string, SessionState> sessions_; // by the aggregator's session key
    std::vector<QoeSessionRow> pending_;                     // ended, to be stored (kept while the database fails)
    mutable std::shared_mutex storeMutex_;                   // exclusive while storing pending_

    struct Cached {
        std::optional<Subject> subject;
        std::chrono::steady_clock::time_point until;
    };
    std::mutex cacheMutex_;
    std::map<std::string, Cached> subjects_;

    std::mutex rungMutex_;
    std::vector<std::string> rungLabels_;      // the rung label values /metrics has seen (bounded)
    std::map<std::string, bool> viewerSeries_; // the viewers gauge's subjects set last tick

    std::mutex loopMutex_;
    std::condition_variable loopCv_;
    bool stopping_ = false;
    std::thread loop_;

    Metric viewers_, viewersTotal_, egress_, requests_, malformed_, sessionsLive_, sessionsEnded_, progressEvents_;
};

} // namespace vtp::streaming
