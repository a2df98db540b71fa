// Live processing: a live capture (a deferred-length tus upload) is processed while the class goes
// on, by a kernel job (recording.live) that runs the media worker on the growing upload; the
// worker publishes segments into media/ as they complete and, once the upload is complete, writes
// the rest (ENDLIST, the MPD, the master, poster, thumbnails, recording.mp4), so that at stop only
// the tail is left. The whole-file pipeline (Processing.cpp) stays for everything else and takes
// over when a live worker cannot finish.
#include "RecordingService.hpp"
#include "WorkerProcess.hpp"

#include <chrono>

namespace vtp::recording {

namespace {

constexpr const char* kLiveKind = "recording.live";
// A live source whose runner has shown no sign of life this long after its upload ended (its node
// died, its job is waiting for a worker thread or was given up) is processed by the whole-file
// pipeline instead.
constexpr int64_t kLiveStallSeconds = 30;

} // namespace

void RecordingService::configureLive()
{
    liveEnabled_ = host_.config().getBool("processing.live");
    host_.job({.kind = kLiveKind,
               .summary = "Processes a live capture while it is uploaded, so that its recording is playable seconds after it ends",
               .maxAttempts = static_cast<uint32_t>(maxProcessingAttempts_),
               // It lasts as long as the class: a thread of its own, never one of jobs.workers.
               .longRunning = true,
               .run = [this](Job& job, const Json& params) { return runLive(job, params); }});
}

void RecordingService::startLive(const std::string& recordingId, const std::string& uploadId, const std::string& ownerId)
{
    if (!liveEnabled_) return;
    try {
        // One live source per recording: every live worker writes media/ (the others wait for the
        // whole-file pipeline at the end).
        if (host_.db().exec("UPDATE recording_recordings SET live_upload_id = ? WHERE id = ? AND live_upload_id IS NULL AND "
                            "state = 'recording'",
                            {uploadId, recordingId}) == 0)
            return;
        host_.db().exec("UPDATE recording_uploads SET live_state = 'queued', live_heartbeat_at = ? WHERE id = ?",
                        {static_cast<long long>(unixNow()), uploadId});
        const std::string jobId = host_.submitJob(kLiveKind, Json{{"recording_id", recordingId}, {"upload_id", uploadId}}, ownerId);
        host_.db().exec("UPDATE recording_uploads SET live_job_id = ? WHERE id = ?", {jobId, uploadId});
        host_.log().info("live capture processed as it comes", {{"recording_id", recordingId}, {"upload_id", uploadId}, {"job_id", jobId}});
    } catch (const std::exception& e) {
        // The upload goes on; the whole-file pipeline processes it after stop (a stale 'queued').
        host_.log().warn("could not start live processing", {{"recording_id", recordingId}, {"upload_id", uploadId}, {"error", e.what()}});
    }
}

void RecordingService::uploadCompleted(const std::string& recordingId, const std::string& uploadId, int64_t length)
{
    try {
        store_->markUploadComplete(recordingId, uploadId, static_cast<uint64_t>(length));
    } catch (const std::exception& e) {
        // The live job's runner writes it again from the upload's row.
        host_.log().warn("could not mark an upload complete for its live worker", {{"upload_id", uploadId}, {"error", e.what()}});
    }
}

bool RecordingService::settleLive(const std::string& recordingId, const std::string& uploadId, int64_t completeSources)
{
    const Rows rows = host_.db().query(
        "SELECT state, live_state, live_result, live_failure, live_heartbeat_at FROM recording_uploads WHERE id = ? AND recording_id = ?",
        {uploadId, recordingId});
    if (rows.empty()) return false; // terminated: the other sources are processed whole
    const auto& u = rows[0];
    const std::string live = u["live_state"].asOptionalString().value_or("");
    if (live == "queued" || live == "running") {
        const int64_t now = unixNow();
        if (u["state"].asString() == "complete" && u["live_heartbeat_at"].asOptionalInt().value_or(0) >= now - kLiveStallSeconds)
            return true; // it is finishing the tail; its runner settles the recording when done
        if (host_.db().exec("UPDATE recording_uploads SET live_state = 'fallback', live_failure = ? WHERE id = ? AND live_state IN "
                            "('queued', 'running') AND (state <> 'complete' OR live_heartbeat_at IS NULL OR live_heartbeat_at < ?)",
                            {std::string("the live worker stopped answering: processed whole instead"), uploadId,
                             static_cast<long long>(now - kLiveStallSeconds)}) == 0)
            return true; // its runner just spoke: it goes on
        host_.log().warn("live processing given up: the whole-file pipeline takes over",
                         {{"recording_id", recordingId}, {"upload_id", uploadId}});
        return false;
    }
    if (live == "failed") {
        failRecording(recordingId, u["live_failure"].asOptionalString().value_or("live processing failed"));
        return true;
    }
    if (live == "done" && completeSources == 1 && u["state"].asString() == "complete") {
        markReady(recordingId, u["live_result"].asString(), 0);
        return true;
    }
    return false; // several sources, or the whole-file pipeline took over
}

Json RecordingService::runLive(Job& job, const Json& params)
{
    const std::string id = params["recording_id"].asString(), uploadId = params["upload_id"].asString();
    const Rows rows = host_.db().query("SELECT u.state, u.live_state FROM recording_uploads u JOIN recording_recordings r ON r.id = "
                                       "u.recording_id WHERE u.id = ? AND u.recording_id = ?",
                                       {uploadId, id});
    if (rows.empty()) return Json{{"skipped", "the recording or its upload was deleted"}};
    const std::string liveState = rows[0]["live_state"].asOptionalString().value_or("");
    if (liveState != "queued" && liveState != "running") return Json{{"skipped", "the whole-file pipeline took over"}};
    // Claimed (again, after a restart: a retry starts from the file).
    if (host_.db().exec("UPDATE recording_uploads SET live_state = 'running', live_heartbeat_at = ? WHERE id = ? AND live_state IN "
                        "('queued', 'running')",
                        {static_cast<long long>(unixNow()), uploadId}) == 0)
        return Json{{"skipped", "the whole-file pipeline took over"}};
    auto setLive = [&](const std::string& state, const std::optional<std::string>& failure, const std::optional<std::string>& result) {
        host_.db().exec("UPDATE recording_uploads SET live_state = ?, live_failure = ?, live_result = ? WHERE id = ? AND live_state = "
                        "'running'",
                        {state, failure ? Param(*failure) : Param(nullptr), result ? Param(*result) : Param(nullptr), uploadId});
    };
    bool marked = false;
    auto markIfComplete = [&] {
        const Rows u = host_.db().query("SELECT state, received FROM recording_uploads WHERE id = ?", {uploadId});
        if (!marked && !u.empty() && u[0]["state"].asString() == "complete") {
            store_->markUploadComplete(id, uploadId, static_cast<uint64_t>(u[0]["received"].asInt()));
            marked = true;
        }
    };
    markIfComplete(); // completed while no node ran this (a restart)

    std::vector<std::string> argv{workerPath_,
                                  "--media-dir",
                                  store_->mediaDirectory(id),
                                  "--work-dir",
                                  store_->prepareLiveDirectory(id),
                                  "--source",
                                  store_->uploadPath(id, uploadId),
                                  "--live-complete",
                                  store_->completionPath(id, uploadId)};
    argv.insert(argv.end(), workerArgs_.begin(), workerArgs_.end());
    host_.log().info("live processing", {{"recording_id", id}, {"upload_id", uploadId}});

    const auto began = std::chrono::steady_clock::now();
    auto lastLook = began, lastBeat = began, lastWrite = began;
    std::string stopReason; // why the runner stopped the worker (not the user's cancel)
    const WorkerOutcome out = runWorker(
        argv, limits_,
        [&] {
            if (job.cancelled()) return true;
            const auto now = std::chrono::steady_clock::now();
            if (now - lastLook < std::chrono::seconds(1)) return false;
            lastLook = now;
            const Rows u = host_.db().query("SELECT u.state, u.live_state FROM recording_uploads u JOIN recording_recordings r ON r.id = "
                                            "u.recording_id WHERE u.id = ?",
                                            {uploadId});
            if (u.empty())
                stopReason = "the recording or its upload was deleted";
            else if (u[0]["state"].asString() == "expired")
                stopReason = "the upload expired unfinished";
            else if (u[0]["live_state"].asOptionalString().value_or("") != "running")
                stopReason = "the whole-file pipeline took over";
            if (!stopReason.empty()) return true;
            markIfComplete();
            if (now - lastBeat >= std::chrono::seconds(2)) {
                lastBeat = now;
                host_.db().exec("UPDATE recording_uploads SET live_heartbeat_at = ? WHERE id = ? AND live_state = 'running'",
                                {static_cast<long long>(unixNow()), uploadId});
            }
            return false;
        },
        [&](double fraction) {
            job.progress(fraction, "processing while the class is uploaded");
            const auto now = std::chrono::steady_clock::now();
            if (now - lastWrite > std::chrono::seconds(5)) {
                lastWrite = now;
                host_.db().exec("UPDATE recording_uploads SET live_heartbeat_at = ? WHERE id = ? AND live_state = 'running'",
                                {static_cast<long long>(unixNow()), uploadId});
            }
        });
    store_->removeLiveDirectory(id);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

    Json answer;
    switch (out.kind) {
    case WorkerOutcome::Kind::Ready:
        setLive("done", std::nullopt, out.result);
        answer = Json{{"state", "done"}, {"seconds", elapsed}};
        break;
    case WorkerOutcome::Kind::Cancelled:
        if (stopReason.empty() && job.interrupted()) {
            // vtpd is stopping: the job runs again (here after the restart, or on another node)
            // and starts from the file; the source stays live.
            host_.log().info("live processing interrupted by shutdown; it goes on at the next start",
                             {{"recording_id", id}, {"upload_id", uploadId}});
            return Json{{"interrupted", true}};
        }
        if (!stopReason.empty()) {
            // Nothing of it is used: the rest (if anything) is processed whole.
            setLive("fallback", stopReason, std::nullopt);
            answer = Json{{"skipped", stopReason}};
        } else {
            setLive("failed", std::string("processing was cancelled"), std::nullopt);
            answer = Json{{"state", "failed"}, {"cancelled", true}};
        }
        break;
    case WorkerOutcome::Kind::Retry:
        // The kernel retries (from the file); once it gives up, the stale state hands the source
        // to the whole-file pipeline.
        throw std::runtime_error(out.reason);
    case WorkerOutcome::Kind::Failed:
        if (out.reported) {
            // The worker's verdict on the stream as it came in: the whole-file pipeline reads the
            // complete file (and gives the reason if it is bad there too).
            setLive("fallback", out.reason, std::nullopt);
            answer = Json{{"state", "fallback"}, {"failure", out.reason}};
        } else {
            // Killed at a limit or crashed: reading it again whole would do the same.
            setLive("failed", out.reason, std::nullopt);
            answer = Json{{"state", "failed"}, {"failure", out.reason}};
        }
        break;
    }
    host_.log().info("live processing ended", {{"recording_id", id}, {"upload_id", uploadId}, {"outcome", answer.dump()}});
    settleRecording(id);
    return answer;
}

} // namespace vtp::recording
