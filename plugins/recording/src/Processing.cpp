// Processing: a stopped recording whose sources are all uploaded becomes a kernel job
// (recording.process) that runs the media worker (vtp-media-worker) as a process of its own, with
// limits, and ends the recording `ready` (with its measured duration) or `failed` (with a reason).
#include "RecordingService.hpp"
#include "WorkerProcess.hpp"

#include <dlfcn.h>

#include <chrono>

namespace vtp::recording {

namespace {

constexpr const char* kJobKind = "recording.process";

// The worker installed beside this plugin's module (the build tree puts it there too).
std::string workerBesidePlugin()
{
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&workerBesidePlugin), &info) == 0 || !info.dli_fname) return "vtp-media-worker";
    std::string path = info.dli_fname;
    const auto slash = path.rfind('/');
    return (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) + "/vtp-media-worker";
}

} // namespace

void RecordingService::configureProcessing()
{
    const Config& c = host_.config();
    workerPath_ = c.getString("processing.worker");
    if (workerPath_.empty()) workerPath_ = workerBesidePlugin();
    limits_.memoryBytes = static_cast<uint64_t>(c.getInt("processing.memory_mb")) * 1024 * 1024;
#ifdef VTP_SANITIZED_BUILD
    limits_.memoryBytes = 0; // AddressSanitizer reserves terabytes of address space: RLIMIT_AS would stop it at once
#endif
    limits_.cpuSeconds = static_cast<uint64_t>(c.getInt("processing.cpu_seconds"));
    limits_.wallSeconds = c.getInt("processing.timeout_seconds");
    limits_.nice = static_cast<int>(c.getInt("processing.nice"));
    workerArgs_ = {"--preset", c.getString("processing.preset")};
    auto num = [&](const char* flag, const char* key) { workerArgs_.insert(workerArgs_.end(), {flag, std::to_string(c.getInt(key))}); };
    num("--crf", "processing.crf");
    num("--threads", "processing.threads");
    num("--segment-seconds", "processing.segment_seconds");
    num("--thumbnail-seconds", "processing.thumbnail_seconds");
    num("--max-width", "processing.max_width");
    num("--max-height", "processing.max_height");
    maxProcessingAttempts_ = c.getInt("processing.max_attempts");

    processingQueue_ = host_.gauge("processing_queue", "Recordings stopped and waiting for or in processing (all nodes)");
    processingSeconds_ = host_.counter("processing_seconds_total", "Wall-clock seconds spent processing recordings on this node");
    processedMediaSeconds_ = host_.counter("processed_media_seconds_total", "Seconds of media processed on this node");
    processingRatio_ = host_.gauge("processing_seconds_per_media_second",
                                   "Processing seconds per second of media, of the last recording processed on this node");
    processingFailures_ = host_.counter("processing_failures_total", "Recordings whose processing failed");

    configureLive();
    host_.job({.kind = kJobKind,
               .summary = "Processes a stopped recording's sources into HLS and DASH (CMAF), a poster, thumbnails and an MP4",
               .maxAttempts = static_cast<uint32_t>(maxProcessingAttempts_),
               .run = [this](Job& job, const Json& params) { return runProcessing(job, params); }});
}

void RecordingService::updateProcessingQueue()
{
    const Rows rows = host_.db().query("SELECT COUNT(*) AS n FROM recording_recordings WHERE state = 'processing'");
    processingQueue_.set(static_cast<double>(rows.empty() ? 0 : rows[0]["n"].asInt()));
}

void RecordingService::settleRecording(const std::string& recordingId)
{
    // Never fails the request that changed the state (an acknowledged upload stays acknowledged):
    // a recording left unqueued is found again at the next start or sweep.
    try {
        queueIfSettled(recordingId);
    } catch (const std::exception& e) {
        host_.log().warn("could not queue a recording's processing", {{"recording_id", recordingId}, {"error", e.what()}});
    }
}

void RecordingService::queueIfSettled(const std::string& recordingId)
{
    const Rows rows =
        host_.db().query("SELECT state, job_id, owner_id, live_upload_id FROM recording_recordings WHERE id = ?", {recordingId});
    if (rows.empty() || rows[0]["state"].asString() != "processing" || rows[0]["job_id"].asOptionalString()) return;
    int64_t uploading = 0, complete = 0, expired = 0;
    for (const auto row :
         host_.db().query("SELECT state, COUNT(*) AS n FROM recording_uploads WHERE recording_id = ? GROUP BY state", {recordingId})) {
        const std::string state = row["state"].asString();
        (state == "uploading" ? uploading : state == "complete" ? complete : expired) += row["n"].asInt();
    }
    if (uploading > 0) return; // a source still coming in (it finishes or expires)
    // A source processed while it was uploaded may have made the recording already.
    if (rows[0]["live_upload_id"].asOptionalString() && settleLive(recordingId)) return;
    if (complete == 0) {
        failRecording(recordingId, expired ? "every source's upload expired unfinished: there is nothing to process"
                                           : "nothing was recorded: no source was uploaded");
        return;
    }
    // Claimed before submitted: of two uploads finishing at once, one queues the job.
    if (host_.db().exec("UPDATE recording_recordings SET job_id = 'queued', progress = 0 WHERE id = ? AND state = 'processing' AND "
                        "job_id IS NULL",
                        {recordingId}) == 0)
        return;
    const std::string jobId = host_.submitJob(kJobKind, Json{{"recording_id", recordingId}}, rows[0]["owner_id"].asString());
    host_.db().exec("UPDATE recording_recordings SET job_id = ? WHERE id = ?", {jobId, recordingId});
    host_.log().info("recording queued for processing", {{"recording_id", recordingId}, {"job_id", jobId}});
    updateProcessingQueue();
}

void RecordingService::settleAll()
{
    try {
        for (const auto row :
             host_.db().query("SELECT id FROM recording_recordings WHERE state = 'processing' AND job_id IS NULL ORDER BY created_at"))
            settleRecording(row["id"].asString());
        updateProcessingQueue();
    } catch (const std::exception& e) {
        host_.log().warn("could not look for recordings to process", {{"error", e.what()}});
    }
}

void RecordingService::failRecording(const std::string& recordingId, const std::string& reason)
{
    const int64_t now = unixNow();
    if (host_.db().exec("UPDATE recording_recordings SET state = 'failed', failure = ?, progress = NULL, updated_at = ? WHERE id = ? AND "
                        "state = 'processing'",
                        {reason, static_cast<long long>(now), recordingId}) == 0)
        return;
    processingFailures_.inc();
    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {recordingId});
    if (!rows.empty()) {
        Json payload = eventPayload(rowToRecording(rows[0]));
        payload.set("failure", reason);
        host_.publish("recording.failed", payload);
    }
    host_.log().warn("recording failed", {{"recording_id", recordingId}, {"reason", reason}});
    updateProcessingQueue();
}

Json RecordingService::runProcessing(Job& job, const Json& params)
{
    const std::string id = params["recording_id"].asString();
    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {id});
    if (rows.empty()) return Json{{"skipped", "the recording was deleted"}};
    if (rows[0]["state"].asString() != "processing") return Json{{"skipped", "the recording is " + rows[0]["state"].asString()}};
    const int64_t startMs = rows[0]["started_at_ms"].asInt();
    host_.db().exec("UPDATE recording_recordings SET attempts = attempts + 1 WHERE id = ?", {id});
    const int64_t attempt = host_.db().query("SELECT attempts FROM recording_recordings WHERE id = ?", {id})[0]["attempts"].asInt();

    // The primary source first (the master playlist, the download): a camera, else a file.
    const Rows uploads = host_.db().query(
        std::string("SELECT id, started_at_ms FROM recording_uploads WHERE recording_id = ? AND state = 'complete' ORDER BY ") +
            kSourcesPrimaryFirst,
        {id});
    if (uploads.empty()) {
        failRecording(id, "nothing to process: no source was uploaded completely");
        return Json{{"state", "failed"}};
    }
    std::vector<std::string> argv{workerPath_, "--media-dir", store_->mediaDirectory(id), "--work-dir", store_->prepareWorkDirectory(id)};
    for (const auto u : uploads)
        argv.insert(argv.end(),
                    {"--source", store_->uploadPath(id, u["id"].asString()) + "@" + std::to_string(u["started_at_ms"].asInt() - startMs)});
    argv.insert(argv.end(), workerArgs_.begin(), workerArgs_.end());

    host_.log().info("processing recording",
                     {{"recording_id", id}, {"sources", std::to_string(uploads.size())}, {"attempt", std::to_string(attempt)}});
    const auto began = std::chrono::steady_clock::now();
    auto lastWrite = began, lastLook = began;
    bool deleted = false;
    const WorkerOutcome out = runWorker(
        argv, limits_,
        [&] {
            if (job.cancelled()) return true;
            const auto now = std::chrono::steady_clock::now();
            if (now - lastLook > std::chrono::seconds(2)) { // deleted meanwhile: stop working for nobody
                lastLook = now;
                deleted = host_.db().query("SELECT id FROM recording_recordings WHERE id = ?", {id}).empty();
            }
            return deleted;
        },
        [&](double fraction) {
            job.progress(fraction, "processing");
            const auto now = std::chrono::steady_clock::now();
            if (now - lastWrite > std::chrono::seconds(1)) {
                lastWrite = now;
                host_.db().exec("UPDATE recording_recordings SET progress = ? WHERE id = ? AND state = 'processing'", {fraction, id});
            }
        });
    store_->removeWorkDirectory(id);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    processingSeconds_.inc(elapsed);

    switch (out.kind) {
    case WorkerOutcome::Kind::Ready: {
        if (!markReady(id, out.result, elapsed)) return Json{{"skipped", "the recording changed while it was processed"}};
        return Json{{"state", "ready"}, {"duration_s", Json::parse(out.result)["duration_s"].asDouble()}, {"seconds", elapsed}};
    }
    case WorkerOutcome::Kind::Cancelled:
        if (deleted) return Json{{"skipped", "the recording was deleted"}};
        failRecording(id, "processing was cancelled");
        return Json{{"state", "failed"}, {"cancelled", true}};
    case WorkerOutcome::Kind::Retry:
        if (attempt < maxProcessingAttempts_) throw std::runtime_error(out.reason); // the kernel retries with backoff
        [[fallthrough]];
    case WorkerOutcome::Kind::Failed: failRecording(id, out.reason); return Json{{"state", "failed"}, {"failure", out.reason}};
    }
    return Json();
}

bool RecordingService::markReady(const std::string& id, const std::string& resultText, double elapsed)
{
    const Json result = Json::parse(resultText);
    const double duration = result["duration_s"].asDouble();
    const auto durationMs = static_cast<long long>(duration * 1000.0 + 0.5);
    // The output counts towards the course's and the store's usage (and so their quotas).
    const auto mediaBytes = static_cast<long long>(store_->mediaBytes(id));
    if (host_.db().exec("UPDATE recording_recordings SET state = 'ready', failure = NULL, progress = NULL, duration_ms = ?, media = ?, "
                        "media_bytes = ?, updated_at = ? WHERE id = ? AND state = 'processing'",
                        {durationMs, resultText, mediaBytes, static_cast<long long>(unixNow()), id}) == 0)
        return false;
    usageChanged();
    processedMediaSeconds_.inc(duration);
    if (duration > 0 && elapsed > 0) processingRatio_.set(elapsed / duration);
    const Rows now = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {id});
    if (!now.empty()) {
        Json payload = eventPayload(rowToRecording(now[0]));
        payload.set("duration_s", static_cast<double>(durationMs) / 1000.0);
        host_.publish("recording.ready", payload);
    }
    host_.log().info("recording ready",
                     {{"recording_id", id}, {"duration_s", std::to_string(duration)}, {"seconds", std::to_string(elapsed)}});
    updateProcessingQueue();
    return true;
}

Response RecordingService::reprocessRecording(const Request& req)
{
    const RecordingRow r = loadRecording(req.param("id"));
    access_.requireManager(req, r.subject);
    reprocess(r, std::string(req.subject()));
    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {r.id});
    return Response::json(recordingJson(rows[0]));
}

void RecordingService::reprocess(const RecordingRow& r, const std::string& by)
{
    if (host_.db().exec(
            "UPDATE recording_recordings SET state = 'processing', failure = NULL, job_id = NULL, attempts = 0, progress = NULL, "
            "live_upload_id = NULL, updated_at = ? WHERE id = ? AND state IN ('ready', 'failed')",
            {static_cast<long long>(unixNow()), r.id}) == 0)
        throw Conflict("only a ready or failed recording is processed again (it is " + r.state + ")", "not-processed");
    host_.log().info("recording to be processed again", {{"recording_id", r.id}, {"user_id", by}});
    settleRecording(r.id);
}

} // namespace vtp::recording
