#pragma once

// The recording plugin's working parts, created in init(): the control REST API
// (ControlRoutes.cpp), the tus 1.0 upload server (TusRoutes.cpp), the media store, usage, quotas
// and retention (Storage.cpp), vtpctl's `recording` commands (Commands.cpp) and the sweeps that
// remove expired uploads and expired recordings.

#include "Access.hpp"
#include "MediaService.hpp"
#include "MediaStore.hpp"
#include "WorkerProcess.hpp"
#include "Playback.hpp"
#include "RoomControl.hpp"
#include "SessionRecorder.hpp"

#include <vtp/sdk.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace vtp::recording {

// The order of a recording's sources, the primary first (it makes master.m3u8 and the download):
// a camera, else a file, else the first captured.
inline constexpr const char* kSourcesPrimaryFirst = "CASE kind WHEN 'camera' THEN 0 WHEN 'file' THEN 1 ELSE 2 END, created_at, id";

int64_t unixNow();
int64_t unixNowMs();

// One recording row as the routes use it.
struct RecordingRow {
    std::string id, title, state, visibility;
    Subject subject;
};

class RecordingService {
    friend class Playback;     // reads rows as the control routes do
    friend class MediaService; // runs the worker as processing does
public:
    explicit RecordingService(Host& host);
    void start();
    void stop();

    // Removes expired unfinished uploads' bytes and marks them expired; returns how many.
    int64_t sweepExpiredUploads();

    // Queues a stopped recording's processing once none of its sources is still uploading (or
    // fails it when none was uploaded). Called whenever a source or the recording changes state.
    void settleRecording(const std::string& recordingId);
    // An upload's last byte was acknowledged: its live worker (if any) may finish. Never throws.
    void uploadCompleted(const std::string& recordingId, const std::string& uploadId, int64_t length);

    // Deletes ready and failed recordings older than retention.days, and those of sections whose
    // term ended retention.end_of_term_days ago (with retention.end_of_term), when this node holds
    // the retention lease; returns how many.
    int64_t sweepRetention();

    // Room left under the quotas of `courseId` (if any) and of the whole store, counting the bytes
    // stored, the processed output and what uploads of known length will still bring.
    struct Room {
        std::optional<uint64_t> bytes; // nothing: no quota applies
        std::string scope;             // the tighter quota: "course" or "store"
        uint64_t quota = 0;
    };
    Room roomLeft(const std::optional<std::string>& courseId) const;
    // Throws 507 quota-exceeded (with Tus-Resumable, for the tus routes) when `more` bytes do not fit.
    void requireRoom(const Room& room, uint64_t more);
    // The course of a recording, as stored.
    std::optional<std::string> courseOf(const std::string& recordingId) const;
    // The usage gauges are refreshed soon (a change of the bytes stored on this node).
    void usageChanged() { usageDirty_ = true; }

    // Starts recording a room or section as `caller` (who must be allowed to: Access), publishes
    // recording.started and tells a room's participants; the recording as GET answers it. Throws
    // the REST API's problems (403, 409 recording-in-progress, 422). POST /recordings, a
    // moderator's recording:start in the room and a recorded class session all come here.
    Json beginRecording(const Caller& caller, const Subject& s, const std::string& title);
    // Stops recording `id` as `caller` (a manager of it): state processing, recording.stopped,
    // the room told. Throws 403, 404, 409 not-recording.
    Json endRecording(const Caller& caller, const std::string& id);
    // The recording of `roomId` in progress, if any, as its participants are told of it
    // (recording:started: {id, title, room, section_id, owner_id, started_at_ms, upload_url}).
    std::optional<Json> activeRoomRecording(const std::string& roomId) const;
    size_t maxTitleChars() const { return maxTitleChars_; }
    // Whether `userId` is one of section `sectionId`'s instructors (false without courses).
    bool teachesSection(const std::string& sectionId, const std::string& userId) const
    {
        return access_.sectionRelation(sectionId, userId) == std::optional<std::string>("instructor");
    }
    RoomControl* roomControl() { return roomControl_.get(); }

    // A finished recording made of local files (vtpctl recording import, a live stream that ended):
    // each copied in durably as a complete source, the recording stopped and queued for processing.
    // The caller checked who may do it and that the quota allows it. Returns its id; throws
    // std::runtime_error when a file cannot be copied.
    struct ImportSpec {
        struct Source {
            std::string path, kind; // kind: camera, screen, audio, file, other
            int64_t startedAtMs = 0;
        };
        std::string title;
        std::optional<std::string> sectionId, roomId, courseId;
        std::string ownerId, visibility = "participants";
        int64_t startedAtMs = 0, stoppedAtMs = 0;
        std::vector<Source> sources;
    };
    std::string importRecording(const ImportSpec& spec);

private:
    // ---- control (ControlRoutes.cpp)
    void registerControlRoutes();
    Response createRecording(const Request&);
    Response stopRecording(const Request&);
    Response listRecordings(const Request&);
    Response listSectionRecordings(const Request&);
    Response getRecording(const Request&);
    Response updateRecording(const Request&);
    Response deleteRecording(const Request&);
    Response reprocessRecording(const Request&);
    // What DELETE, vtpctl and retention share: rows, then files; publishes recording.deleted.
    void removeRecording(const RecordingRow& r, const std::string& by, const std::string& reason);
    // What POST /reprocess and vtpctl share: 409 not-processed unless ready or failed.
    void reprocess(const RecordingRow& r, const std::string& by);
    Json list(const Request& req, std::optional<std::string> sectionFilter);
    Json recordingJson(const Rows::Row& row) const;
    Json sourcesJson(const std::string& recordingId, int64_t recordingStartMs) const;
    Json eventPayload(const RecordingRow& r) const;
    Json announcement(const Rows::Row& row) const;
    // The recording, or 404.
    RecordingRow loadRecording(const std::string& id) const;
    static RecordingRow rowToRecording(const Rows::Row& row);

    // ---- storage (Storage.cpp)
    void configureStorage();
    Response usage(const Request&);
    Response listQuotas(const Request&);
    Response putQuota(const Request&);
    Response deleteQuota(const Request&);
    Json usageOf(const std::optional<std::string>& courseId) const;
    uint64_t quotaOf(const std::string& courseId) const;
    bool holdRetentionLease();
    void refreshStorageMetrics();

    // ---- vtpctl (Commands.cpp)
    void registerCommands();
    void prepareCli(); // what start() does that the commands need: the store and the services
    int listCommand(const std::vector<std::string>& args);
    int importCommand(const std::vector<std::string>& args);
    int reprocessCommand(const std::vector<std::string>& args);
    int deleteCommand(const std::vector<std::string>& args);

    // ---- processing (Processing.cpp)
    void configureProcessing();
    void settleAll();
    void queueIfSettled(const std::string& recordingId);
    void failRecording(const std::string& recordingId, const std::string& reason);
    void updateProcessingQueue();
    Json runProcessing(Job& job, const Json& params);
    // Sets a processing recording ready with the worker's result (its JSON line); false if it was
    // not processing any more.
    bool markReady(const std::string& recordingId, const std::string& result, double elapsedSeconds);

    // ---- live processing (LiveProcessing.cpp)
    void configureLive();
    // A live capture (deferred-length upload) was created: every live capture of the recording (a
    // camera and a screen) is processed while it is uploaded, by one live job per recording that
    // takes in a source joining later. Never throws.
    void startLive(const std::string& recordingId, const std::string& uploadId, const std::string& ownerId);
    // Called by queueIfSettled once no source is uploading: true when the live sources decided the
    // recording (ready or failed) or are still being finished; false: the whole-file pipeline goes on.
    bool settleLive(const std::string& recordingId);
    Json runLive(Job& job, const Json& params);
    // The live sources the live job of a recording processes now (upload ids, the primary first).
    std::vector<std::string> liveSources(const std::string& recordingId);

    // ---- tus (TusRoutes.cpp)
    void registerTusRoutes();
    std::unique_ptr<BodySink> createUpload(const Request&);
    std::unique_ptr<BodySink> patchUpload(const Request&);
    Response headUpload(const Request&);
    Response terminateUpload(const Request&);

public:
    // Serialises writers of one upload (a second PATCH while one runs is answered 423); held by
    // the sink for its lifetime. In-process: a deployment of several nodes sends an upload's
    // requests to one node (sticky by path) or accepts that the offset check catches a race.
    class UploadLock {
    public:
        UploadLock(RecordingService& s, std::string id) : s_(&s), id_(std::move(id)) {}
        UploadLock(const UploadLock&) = delete;
        UploadLock& operator=(const UploadLock&) = delete;
        ~UploadLock();

    private:
        RecordingService* s_;
        std::string id_;
    };
    std::unique_ptr<UploadLock> lockUpload(const std::string& uploadId);

    Host& host() { return host_; }
    MediaStore& store() { return *store_; }
    uint64_t maxUploadBytes() const { return maxUploadBytes_; }
    int64_t uploadExpirySeconds() const { return uploadExpirySeconds_; }
    Metric& uploadsInFlight() { return uploadsInFlight_; }
    Metric& bytesReceived() { return bytesReceived_; }
    // Upload bytes acknowledged on this node while in flight (for the gauge).
    void inFlight(int delta);

private:
    void sweepLoop();

    Host& host_;
    Access access_;
    std::unique_ptr<MediaStore> store_;
    std::unique_ptr<Playback> playback_;
    std::unique_ptr<MediaService> mediaService_;       // the service vtp.recording.media
    std::unique_ptr<RoomControl> roomControl_;         // null until start(), and without the signalling plugin
    std::unique_ptr<SessionRecorder> sessionRecorder_; // null without the courses plugin
    std::string storageDir_;
    uint64_t maxUploadBytes_ = 0;
    int64_t uploadExpirySeconds_ = 0, sweepSeconds_ = 60;
    size_t maxTitleChars_ = 200;
    int64_t schedulePollSeconds_ = 10;
    Metric uploadsInFlight_, bytesReceived_, recordingsStarted_, uploadsExpired_;

    std::string workerPath_;
    std::vector<std::string> workerArgs_;
    WorkerLimits limits_;
    int64_t maxProcessingAttempts_ = 3;
    bool liveEnabled_ = true;
    Metric processingQueue_, processingSeconds_, processedMediaSeconds_, processingRatio_, processingFailures_;

    std::mutex locksMutex_;
    std::set<std::string> lockedUploads_;
    int inFlight_ = 0;

    uint64_t quotaTotal_ = 0, quotaCourse_ = 0; // 0: no limit
    int64_t retentionDays_ = 0, retentionTermDays_ = 30, retentionSweepSeconds_ = 3600;
    bool retentionEndOfTerm_ = false;
    std::string leaseHolder_; // this process, for the retention lease
    Metric storageUsed_, storageFree_, recordingsByState_, retentionDeleted_, quotaRefusals_;
    std::atomic<bool> usageDirty_{true};

    std::mutex sweepMutex_;
    std::condition_variable sweepCv_;
    bool stopping_ = false;
    std::thread sweep_;
};

} // namespace vtp::recording
