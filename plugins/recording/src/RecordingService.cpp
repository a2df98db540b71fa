#include "RecordingService.hpp"

#include <chrono>

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

    uploadsInFlight_ = host.gauge("uploads_in_flight", "tus PATCH and creation-with-upload bodies being received on this node");
    bytesReceived_ = host.counter("upload_bytes_total", "Upload bytes written to the store and acknowledged");
    recordingsStarted_ = host.counter("recordings_started_total", "Recordings started");
    uploadsExpired_ = host.counter("uploads_expired_total", "Unfinished uploads removed after their expiry");

    registerControlRoutes();
    registerTusRoutes();
    configureProcessing();
    playback_ = std::make_unique<Playback>(host, access_);
}

void RecordingService::start()
{
    store_ = std::make_unique<DirectoryStore>(storageDir_);
    access_.start();
    playback_->start(*store_);
    sweep_ = std::thread([this] { sweepLoop(); });
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
}

void RecordingService::sweepLoop()
{
    std::unique_lock lock(sweepMutex_);
    while (!sweepCv_.wait_for(lock, std::chrono::seconds(sweepSeconds_), [&] { return stopping_; })) {
        lock.unlock();
        try {
            sweepExpiredUploads();
        } catch (const std::exception& e) {
            host_.log().warn("expired upload sweep failed", {{"error", e.what()}});
        }
        settleAll(); // a live worker that stopped answering hands its recording to the whole-file pipeline
        lock.lock();
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
