#pragma once

// The live streams' ingest and output: for every stream that has not ended, ingest workers
// (vtp-stream-worker, one per protocol: FFmpeg's listeners take one publisher at a time) listen on
// the stream's own RTMP and SRT ports with its key; the publishing worker's reports feed a
// LivePlaylist per rendition, the master playlist and the LL-DASH manifest, served from memory
// (LiveRoutes.cpp) with the media files from disk.
//
// States: idle -> live on the first publish (stream.started); when the publisher goes, a grace
// period (live.reconnect_grace_seconds) in which a publish with the key continues the same stream
// (the media sequence goes on after an EXT-X-DISCONTINUITY); after it, ended (stream.ended,
// EXT-X-ENDLIST). Workers are started at start() for the streams that have not ended, on create,
// after a refusal or an idle timeout; killed on delete, key rotation (the listening ones) and stop.
//
// The stream becomes a recording when it ends: each worker appends its publish to the stream's
// archive (DATA/streaming/archive/STREAM/, worker/ArchiveWriter.hpp), which survives restarts;
// after the grace the stream is marked archive_state 'pending', and the importer thread claims it
// in the database (one node, once), imports the archive through vtp.recording.media's
// importRecording, stores the recording's id on the row and publishes stream.ended with it. Once
// that recording is ready (recording.ready), the stream's live files and playlists are dropped.
//
// One thread (the loop) owns the workers: it polls their pipes, reaps them, restarts them, ends
// streams after their grace, deletes media that left the DVR window, and times out the held
// blocking requests. The readers' methods are thread-safe.

#include "BlockingWaiters.hpp"
#include "IngestProcess.hpp"
#include "IngestUrls.hpp"
#include "LadderSpec.hpp"
#include "LiveIngest.hpp"
#include "LiveNames.hpp"
#include "LlHls.hpp"

#include <vtp/recording_media.hpp>
#include <vtp/sdk.hpp>

#include <atomic>
#include <condition_variable>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace vtp::streaming {

struct LiveSettings {
    std::string workerPath;
    std::string rootDir;       // DATA/streaming/live: a directory per stream, one per session in it
    std::string archiveDir;    // DATA/streaming/archive: a directory per stream (kept across restarts)
    std::string listenAddress; // where the workers listen (an IPv4 address)
    std::string rtmpApp;       // the RTMP application of ingest.rtmp_url ("live")
    PortRange rtmpPorts, srtPorts;
    std::vector<Rung> rungs;
    int audioKbps = 128;
    std::string preset = "veryfast";
    int segmentMs = 2000, partMs = 500;
    double dvrWindowSeconds = 7200;
    int graceSeconds = 30;
    int stallTimeoutMs = 4000;
    int maxInputKbps = 25000;
    int idleTimeoutMs = 3600 * 1000; // a listening worker is started afresh after this
    size_t maxWaitersPerRendition = 10000;
    IngestLimits limits;
    std::chrono::seconds deleteDelay{60}; // media that left the playlists stays this long for late fetches
    // An import claimed this long ago by a node that did not finish it (it stopped) is taken again.
    std::chrono::seconds staleImport{3600};

    // Read from the plugin's config; throws PluginError on a bad range, ladder or timing.
    static LiveSettings fromConfig(const Host& host);
    LlHlsConfig playlistConfig() const;
};

class LiveStreams : public LiveIngest {
public:
    LiveStreams(Host& host, LiveSettings settings);
    ~LiveStreams() override;
    // Loads the streams that have not ended (a stream left live by a stopped vtpd gets the grace
    // period to come back), starts their workers and the loop.
    void start();
    // Kills every worker and stops the loop; held requests are left to the kernel.
    void stop();

    IngestPorts reservePorts() override;
    void releasePorts(const IngestPorts& ports) override;
    void created(const std::string& streamId) override;
    void keyRotated(const std::string& streamId) override;
    void deleted(const std::string& streamId) override;

    // For the playback routes (any thread). Nothing (404) while a stream has never been published.
    std::optional<std::string> masterPlaylist(const std::string& streamId) const;
    std::shared_ptr<LivePlaylist> playlist(const std::string& streamId, const std::string& rendition) const;
    // `utcTimingUrl`: where DASH players read the server's clock.
    std::optional<std::string> dashManifest(const std::string& streamId, const std::string& utcTimingUrl) const;

    struct MediaFile {
        std::string path; // may not exist yet: wait on the playlist's edge for (msn, part)
        std::string contentType;
        std::shared_ptr<LivePlaylist> playlist;
        uint64_t msn = 0;
        std::optional<uint32_t> part; // none: the whole segment (or the init segment)
        bool init = false;
        // For the analytics: the rendition's bitrate (kbit/s, its video alone for a video rung) and
        // the media time the file covers on the stream's numbering (MSN x segment length).
        bool audio = false;
        int64_t kbps = 0;
        std::optional<std::pair<double, double>> mediaSeconds;
    };
    // Where a rendition's media file is, or nothing (404) for a name that is not or no longer one
    // of its files (left the DVR window, a session it was not in).
    std::optional<MediaFile> media(const std::string& streamId, const std::string& rendition, const MediaName& name) const;

    // A rendition's bitrate in kbit/s (its video alone for a video rung), if the stream has it.
    std::optional<int64_t> renditionKbps(const std::string& streamId, const std::string& rendition) const;

    BlockingWaiters& waiters() { return waiters_; }
    static std::string waiterKey(const std::string& streamId, const std::string& rendition) { return streamId + "/" + rendition; }
    const LiveSettings& settings() const { return settings_; }

private:
    using Clock = std::chrono::steady_clock;
    enum class Phase { Idle, Live, Grace, Ended };

    // Loop-owned: one listening or publishing worker per protocol.
    struct Worker {
        std::unique_ptr<IngestProcess> process;
        uint32_t session = 0;
        Clock::time_point spawnedAt;
        std::optional<Clock::time_point> restartAt;
        int quickFailures = 0;
        std::string endedReason;
    };
    struct Ingest {
        std::string id, key;
        IngestPorts ports;
        Worker workers[2]; // 0: RTMP, 1: SRT
        int active = -1;   // the worker whose publisher is live
        Phase phase = Phase::Idle;
        Clock::time_point graceUntil;
        int64_t droppedAt = 0; // Unix seconds: when the publisher went
        uint32_t nextSession = 1;
    };
    // Reader-visible (under mutex_): what the routes serve.
    struct Rendition {
        std::string name;
        std::shared_ptr<LivePlaylist> playlist;
        std::vector<std::pair<uint64_t, uint32_t>> sessions; // (first MSN, session), oldest first
        bool audio = false, current = false;
        int64_t kbps = 0;
        uint64_t base = 0; // the current session's MSN 0 in the stream's numbering
        VariantStream variant;
        int sampleRate = 0;
    };
    struct Playback {
        std::map<std::string, Rendition> renditions;
        std::vector<std::string> order; // video highest first, then audio
        std::string master;
        uint32_t session = 0;
        int64_t sessionStartMs = 0; // the session's first segment's wall-clock start
        uint64_t sessionStartNumber = 0;
        int segmentMs = 0, partMs = 0;
    };
    struct Command {
        enum Kind { Create, Rekey, Delete, Retire } kind; // Retire: an ended stream's live files go
        std::string id;
    };

    void run();
    void wake();
    void handleCommands();
    void loadStream(const std::string& id);
    void spawn(Ingest& in, int which);
    void onLine(Ingest& in, int which, const std::string& line);
    void onStarted(Ingest& in, int which, const Json& report);
    void onMedia(Ingest& in, const Json& report, bool segment);
    void onWorkerExit(Ingest& in, int which);
    void endStream(Ingest& in, const std::string& reason);
    // The importer thread: claims, imports and publishes stream.ended (see the top).
    void queueImport(const std::string& id, const std::string& reason);
    void importLoop();
    void importArchive(const std::string& id, const std::string& reason);
    void publishEnded(const std::string& id, const std::string& reason, const std::optional<std::string>& recordingId);
    std::string archiveDirOf(const std::string& id) const { return settings_.archiveDir + "/" + id; }
    void dropStream(const std::string& id);
    void scheduleDeletion(const std::string& id, const std::string& rendition, const std::vector<std::string>& uris);
    std::string sessionDir(const std::string& id, uint32_t session) const;
    std::optional<std::string> pathLocked(const std::string& id, const Rendition& r, const MediaName& name) const;
    void rebuildMasterLocked(Playback& p);
    std::chrono::milliseconds nextTimeout(Clock::time_point now) const;

    Host& host_;
    const LiveSettings settings_;
    BlockingWaiters waiters_;

    mutable std::mutex mutex_; // playback_
    std::map<std::string, std::shared_ptr<Playback>> playback_;

    std::mutex portsMutex_;
    std::set<int> rtmpUsed_, srtUsed_;

    std::mutex commandsMutex_;
    std::vector<Command> commands_;
    int wakeFd_ = -1;
    std::atomic<bool> stopping_{false};
    std::thread loop_;

    std::unique_ptr<RecordingMedia> media_;
    std::mutex importMutex_;
    std::condition_variable importCv_;
    std::vector<std::pair<std::string, std::string>> imports_; // (stream, reason) to import
    std::thread importer_;
    Metric imported_, importFailures_;

    // Loop-owned.
    std::map<std::string, Ingest> ingest_;
    std::multimap<Clock::time_point, std::string> deletions_;
};

} // namespace vtp::streaming
