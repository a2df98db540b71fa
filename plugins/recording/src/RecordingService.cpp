#include "RecordingService.hpp"

#include <chrono>
#include <functional>

namespace vtp::recording {

int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t unixNowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

RecordingService::RecordingService(Host& host) : host_(host), access_(host)
{
    const Config& c = host.config();
    storageDir_ = c.getString("storage_dir");
    if (storageDir_.empty()) storageDir_ = host.dataDir() + "/recordings";
    while (storageDir_.size() > 1 && storageDir_.back() == '/') storageDir_.pop_back();
    maxUploadBytes_ = static_cast<uint64_t>(c.getInt("uploads.max_bytes"));
    uploadExpirySeconds_ = c.getInt("uploads.expire_seconds");
    sweepSeconds_ = c.getInt("uploads.sweep_seconds");
    maxTitleChars_ = static_cast<size_t>(c.getInt("max_title_chars"));
    schedulePollSeconds_ = c.getInt("schedule.poll_seconds");

    uploadsInFlight_ = host.gauge("uploads_in_flight", "tus PATCH and creation-with-upload bodies being received on this node");
    bytesReceived_ = host.counter("upload_bytes_total", "Upload bytes written to the store and acknowledged");
    recordingsStarted_ = host.counter("recordings_started_total", "Recordings started");
    uploadsExpired_ = host.counter("uploads_expired_total", "Unfinished uploads removed after their expiry");

    registerControlRoutes();
    registerTusRoutes();
    configureProcessing();
    configureStorage();
    registerCommands();
    playback_ = std::make_unique<Playback>(host, access_);
    mediaService_ = std::make_unique<MediaService>(host, *this);
    playback_->observed = [this] { return mediaService_->observed(); };
    playback_->served = [this](const std::string& o) { mediaService_->served(o); };
    host.offer(VTP_RECORDING_MEDIA_SERVICE, VTP_RECORDING_MEDIA_VERSION, mediaService_->table());
}

void RecordingService::start()
{
    store_ = std::make_unique<DirectoryStore>(storageDir_);
    access_.start();
    playback_->start(*store_);
    sweep_ = std::thread([this] { sweepLoop(); });
    // The room's recording:* events, when the signalling plugin runs (it starts first).
    if (auto rooms = RoomEvents::find(host_)) {
        roomControl_ = std::make_unique<RoomControl>(host_, *this, std::move(rooms));
        roomControl_->start();
    }
    // Recorded class sessions, when the courses plugin runs (it starts first).
    if (const auto* sessions = host_.find<vtp_sessions_v1>(VTP_SESSIONS_SERVICE, VTP_SESSIONS_VERSION, VTP_SESSIONS_V1_SIZE)) {
        sessionRecorder_ = std::make_unique<SessionRecorder>(host_, *this, sessions, std::chrono::seconds(schedulePollSeconds_));
        sessionRecorder_->start();
    }
    // Recordings stopped while no node could queue their processing (a crash in between).
    settleAll();
    host_.log().info("recording started", {{"storage_dir", storageDir_}});
}

void RecordingService::stop()
{
    {
        std::lock_guard lock(sweepMutex_);
        stopping_ = true;
    }
    sweepCv_.notify_all();
    if (sweep_.joinable()) sweep_.join();
    if (sessionRecorder_) sessionRecorder_->stop();
    if (roomControl_) roomControl_->stop();
    // Another node takes the retention sweep over at once instead of when the lease runs out.
    try {
        if (store_) host_.db().exec("UPDATE recording_leases SET expires_at = 0 WHERE holder = ?", {leaseHolder_});
    } catch (const std::exception&) {
    }
}

void RecordingService::sweepLoop()
{
    // One thread for the periodic work, woken every second: expired uploads every
    // uploads.sweep_seconds, retention every retention.sweep_seconds (first at start), the usage
    // gauges soon after a change here and every 15 s for other nodes' changes.
    using Clock = std::chrono::steady_clock;
    auto nextUploads = Clock::now() + std::chrono::seconds(sweepSeconds_);
    auto nextRetention = Clock::now(), nextMetrics = Clock::now();
    auto guarded = [this](const char* what, const std::function<void()>& work) {
        try {
            work();
        } catch (const std::exception& e) {
            host_.log().warn(what, {{"error", e.what()}});
        }
    };
    std::unique_lock lock(sweepMutex_);
    while (!stopping_) {
        lock.unlock();
        const auto now = Clock::now();
        if (now >= nextUploads) {
            nextUploads = now + std::chrono::seconds(sweepSeconds_);
            guarded("expired upload sweep failed", [this] { sweepExpiredUploads(); });
        }
        if (now >= nextRetention) {
            nextRetention = now + std::chrono::seconds(retentionSweepSeconds_);
            guarded("retention sweep failed", [this] { sweepRetention(); });
        }
        if (usageDirty_.exchange(false) || now >= nextMetrics) {
            nextMetrics = now + std::chrono::seconds(15);
            guarded("storage metrics failed", [this] { refreshStorageMetrics(); });
        }
        settleAll(); // a live worker that stopped answering hands its recording to the whole-file pipeline
        lock.lock();
        sweepCv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
    }
}

int64_t RecordingService::sweepExpiredUploads()
{
    const Rows rows =
        host_.db().query("SELECT id, recording_id FROM recording_uploads WHERE state = 'uploading' AND expires_at <= ?", {unixNow()});
    int64_t removed = 0;
    for (const auto row : rows) {
        const std::string id = row["id"].asString(), recordingId = row["recording_id"].asString();
        const auto busy = lockUpload(id); // a body being received now is not swept from under it
        if (!busy) continue;
        // Marked first: a PATCH that began before the sweep finds the row expired and answers 410.
        if (host_.db().exec("UPDATE recording_uploads SET state = 'expired' WHERE id = ? AND state = 'uploading' AND expires_at <= ?",
                            {id, unixNow()}) == 0)
            continue;
        store_->removeUpload(recordingId, id);
        ++removed;
        host_.log().info("expired upload removed", {{"upload_id", id}, {"recording_id", recordingId}});
    }
    if (removed) uploadsExpired_.inc(static_cast<double>(removed));
    if (removed) usageChanged();
    if (removed) settleAll(); // a recording waiting only for those sources goes on without them
    return removed;
}

std::unique_ptr<RecordingService::UploadLock> RecordingService::lockUpload(const std::string& uploadId)
{
    std::lock_guard lock(locksMutex_);
    if (!lockedUploads_.insert(uploadId).second) return nullptr;
    return std::make_unique<UploadLock>(*this, uploadId);
}

RecordingService::UploadLock::~UploadLock()
{
    std::lock_guard lock(s_->locksMutex_);
    s_->lockedUploads_.erase(id_);
}

void RecordingService::inFlight(int delta)
{
    std::lock_guard lock(locksMutex_);
    inFlight_ += delta;
    uploadsInFlight_.set(inFlight_);
}

} // namespace vtp::recording
