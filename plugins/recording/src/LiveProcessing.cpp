// Live processing: a recording's live captures (deferred-length uploads: a camera, a screen shared
// later) are processed while the class goes on, by one kernel job per recording (recording.live,
// long-running) that runs the media worker on the growing uploads; the worker publishes segments
// into media/ as they complete and, once every upload is complete, writes the rest (ENDLIST, the
// MPD, the masters, poster, thumbnails, recording.mp4), so that at stop only the tail is left. A
// source that joins (or leaves: terminated, expired) restarts the worker with the new set, from
// the sources' first bytes. The whole-file pipeline (Processing.cpp) stays for everything else and
// takes over when the live worker cannot finish.
#include "RecordingService.hpp"
#include "WorkerProcess.hpp"

#include <chrono>
#include <set>

namespace vtp::recording {

namespace {

constexpr const char* kLiveKind = "recording.live";
// Live sources whose runner has shown no sign of life this long after their uploads ended (its
// node died, its job is waiting for a thread or was given up) are processed whole instead.
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
        const auto now = static_cast<long long>(unixNow());
        host_.db().exec("UPDATE recording_uploads SET live_state = 'queued', live_heartbeat_at = ? WHERE id = ? AND live_state IS NULL",
                        {now, uploadId});
        // One live job per recording, anchored at recordings.live_upload_id: the first live
        // capture claims it (atomically: of two created at once, one starts the job and the other
        // joins it); a later one joins while the anchor's run goes on, or takes over from a run
        // that has ended.
        const Rows rec =
            host_.db().query("SELECT live_upload_id FROM recording_recordings WHERE id = ? AND state = 'recording'", {recordingId});
        if (rec.empty()) return;
        const auto anchor = rec[0]["live_upload_id"].asOptionalString();
        if (anchor) {
            const Rows a = host_.db().query("SELECT live_state FROM recording_uploads WHERE id = ?", {*anchor});
            const std::string state = a.empty() ? "" : a[0]["live_state"].asOptionalString().value_or("");
            if (state == "queued" || state == "running") {
                host_.log().info("live capture joins the recording's live processing",
                                 {{"recording_id", recordingId}, {"upload_id", uploadId}});
                return;
            }
        }
        const int claimed = anchor ? host_.db().exec("UPDATE recording_recordings SET live_upload_id = ? WHERE id = ? AND state = "
                                                     "'recording' AND live_upload_id = ?",
                                                     {uploadId, recordingId, *anchor})
                                   : host_.db().exec("UPDATE recording_recordings SET live_upload_id = ? WHERE id = ? AND state = "
                                                     "'recording' AND live_upload_id IS NULL",
                                                     {uploadId, recordingId});
        if (claimed == 0) return; // another capture created at the same moment started the job: it takes this one in
        // Sources an earlier live run finished (a capture that ended while the class goes on, a
        // browser reloaded) are taken in again, so that one run's result covers every source.
        host_.db().exec("UPDATE recording_uploads SET live_state = 'queued', live_result = NULL, live_heartbeat_at = ? WHERE "
                        "recording_id = ? AND live_state = 'done'",
                        {now, recordingId});
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

bool RecordingService::settleLive(const std::string& recordingId)
{
    const Rows rows = host_.db().query(
        "SELECT id, state, live_state, live_result, live_failure, live_heartbeat_at FROM recording_uploads WHERE recording_id = ?",
        {recordingId});
    const int64_t now = unixNow();
    bool pending = false, finishing = true;
    for (const auto& u : rows) {
        const std::string live = u["live_state"].asOptionalString().value_or("");
        if (live != "queued" && live != "running") continue;
        pending = true;
        if (u["state"].asString() != "complete" || u["live_heartbeat_at"].asOptionalInt().value_or(0) < now - kLiveStallSeconds)
            finishing = false;
    }
    if (pending) {
        if (finishing) return true; // its runner is finishing the tail and settles the recording when done
        // Conditional on staleness, so that a runner that just spoke goes on.
        if (host_.db().exec("UPDATE recording_uploads SET live_state = 'fallback', live_failure = ? WHERE recording_id = ? AND "
                            "live_state IN ('queued', 'running') AND (state <> 'complete' OR live_heartbeat_at IS NULL OR "
                            "live_heartbeat_at < ?)",
                            {std::string("the live worker stopped answering: processed whole instead"), recordingId,
                             static_cast<long long>(now - kLiveStallSeconds)}) == 0)
            return true;
        host_.db().exec("UPDATE recording_uploads SET live_state = 'fallback', live_failure = ? WHERE recording_id = ? AND live_state IN "
                        "('queued', 'running')",
                        {std::string("processed whole with the other sources"), recordingId});
        host_.log().warn("live processing given up: the whole-file pipeline takes over", {{"recording_id", recordingId}});
        return false;
    }
    // The live result stands when every complete source was in the run that made it.
    std::optional<std::string> result;
    for (const auto& u : rows) {
        if (u["state"].asString() != "complete") continue;
        const std::string live = u["live_state"].asOptionalString().value_or("");
        if (live == "failed") {
            failRecording(recordingId, u["live_failure"].asOptionalString().value_or("live processing failed"));
            return true;
        }
        const auto mine = u["live_result"].asOptionalString();
        if (live != "done" || !mine || (result && *result != *mine)) return false; // processed whole
        result = mine;
    }
    if (!result) return false;
    markReady(recordingId, *result, 0);
    return true;
}

std::vector<std::string> RecordingService::liveSources(const std::string& recordingId)
{
    std::vector<std::string> ids;
    for (const auto row : host_.db().query(std::string("SELECT id FROM recording_uploads WHERE recording_id = ? AND live_state IN "
                                                       "('queued', 'running') AND state <> 'expired' ORDER BY ") +
                                               kSourcesPrimaryFirst,
                                           {recordingId}))
        ids.push_back(row["id"].asString());
    return ids;
}

Json RecordingService::runLive(Job& job, const Json& params)
{
    const std::string id = params["recording_id"].asString();
    const Rows rec = host_.db().query("SELECT started_at_ms FROM recording_recordings WHERE id = ?", {id});
    if (rec.empty()) return Json{{"skipped", "the recording was deleted"}};
    const int64_t startMs = rec[0]["started_at_ms"].asInt();
    auto beat = [&] {
        host_.db().exec("UPDATE recording_uploads SET live_heartbeat_at = ? WHERE recording_id = ? AND live_state = 'running'",
                        {static_cast<long long>(unixNow()), id});
    };
    // Every run makes every file again from the sources' first bytes (a retry after a restart, a
    // source joining or leaving).
    for (int run = 1;; ++run) {
        const std::vector<std::string> sources = liveSources(id);
        if (sources.empty()) return Json{{"skipped", "no live source is left: the whole-file pipeline took over"}};
        for (const auto& u : sources)
            host_.db().exec("UPDATE recording_uploads SET live_state = 'running', live_heartbeat_at = ? WHERE id = ? AND live_state IN "
                            "('queued', 'running')",
                            {static_cast<long long>(unixNow()), u});
        auto setLive = [&](const std::string& state, const std::optional<std::string>& failure, const std::optional<std::string>& result) {
            for (const auto& u : sources)
                host_.db().exec("UPDATE recording_uploads SET live_state = ?, live_failure = ?, live_result = ? WHERE id = ? AND "
                                "live_state = 'running'",
                                {state, failure ? Param(*failure) : Param(nullptr), result ? Param(*result) : Param(nullptr), u});
        };
        std::set<std::string> marked;
        auto markComplete = [&] {
            for (const auto row : host_.db().query("SELECT id, received FROM recording_uploads WHERE recording_id = ? AND state = "
                                                   "'complete' AND live_state = 'running'",
                                                   {id}))
                if (marked.insert(row["id"].asString()).second)
                    store_->markUploadComplete(id, row["id"].asString(), static_cast<uint64_t>(row["received"].asInt()));
        };
        markComplete(); // completed while no node ran this (a restart)

        std::vector<std::string> argv{workerPath_, "--media-dir", store_->mediaDirectory(id), "--work-dir",
                                      store_->prepareLiveDirectory(id)};
        for (const auto& u : sources) {
            const Rows up = host_.db().query("SELECT started_at_ms FROM recording_uploads WHERE id = ?", {u});
            const int64_t offset = up.empty() ? 0 : up[0]["started_at_ms"].asInt() - startMs;
            argv.insert(argv.end(), {"--source", store_->uploadPath(id, u) + "@" + std::to_string(offset), "--live-complete",
                                     store_->completionPath(id, u)});
        }
        argv.insert(argv.end(), workerArgs_.begin(), workerArgs_.end());
        host_.log().info("live processing",
                         {{"recording_id", id}, {"sources", std::to_string(sources.size())}, {"run", std::to_string(run)}});

        const auto began = std::chrono::steady_clock::now();
        auto lastLook = began, lastBeat = began, lastWrite = began;
        std::string stopReason; // why the runner stopped the worker (not the user's cancel)
        bool restart = false;
        const WorkerOutcome out = runWorker(
            argv, limits_,
            [&] {
                if (job.cancelled()) return true;
                const auto now = std::chrono::steady_clock::now();
                if (now - lastLook < std::chrono::seconds(1)) return false;
                lastLook = now;
                if (host_.db().query("SELECT id FROM recording_recordings WHERE id = ?", {id}).empty()) {
                    stopReason = "the recording was deleted";
                    return true;
                }
                // A source joined, or one left (terminated, expired, handed to the whole-file pipeline).
                if (liveSources(id) != sources) {
                    restart = true;
                    return true;
                }
                markComplete();
                if (now - lastBeat >= std::chrono::seconds(2)) {
                    lastBeat = now;
                    beat();
                }
                return false;
            },
            [&](double fraction) {
                job.progress(fraction, "processing while the class is uploaded");
                const auto now = std::chrono::steady_clock::now();
                if (now - lastWrite > std::chrono::seconds(5)) {
                    lastWrite = now;
                    beat();
                }
            });
        store_->removeLiveDirectory(id);
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

        Json answer;
        switch (out.kind) {
        case WorkerOutcome::Kind::Ready:
            setLive("done", std::nullopt, out.result);
            if (!liveSources(id).empty()) {
                // A source joined as the worker finished: once more with every source.
                host_.db().exec("UPDATE recording_uploads SET live_state = 'queued', live_result = NULL WHERE recording_id = ? AND "
                                "live_state = 'done'",
                                {id});
                continue;
            }
            answer = Json{{"state", "done"}, {"sources", static_cast<int64_t>(sources.size())}, {"seconds", elapsed}};
            break;
        case WorkerOutcome::Kind::Cancelled:
            if (restart) {
                host_.log().info("the live sources changed: live processing starts again with them", {{"recording_id", id}});
                continue;
            }
            if (stopReason.empty() && job.interrupted()) {
                // vtpd is stopping: the job runs again (here after the restart, or on another
                // node) and starts from the files; the sources stay live.
                host_.log().info("live processing interrupted by shutdown; it goes on at the next start", {{"recording_id", id}});
                return Json{{"interrupted", true}};
            }
            if (!stopReason.empty()) {
                setLive("fallback", stopReason, std::nullopt);
                answer = Json{{"skipped", stopReason}};
            } else {
                setLive("failed", std::string("processing was cancelled"), std::nullopt);
                answer = Json{{"state", "failed"}, {"cancelled", true}};
            }
            break;
        case WorkerOutcome::Kind::Retry:
            // The kernel retries (from the files); once it gives up, the stale state hands the
            // sources to the whole-file pipeline.
            throw std::runtime_error(out.reason);
        case WorkerOutcome::Kind::Failed:
            if (out.reported) {
                // The worker's verdict on the streams as they came in: the whole-file pipeline
                // reads the complete files (and gives the reason if they are bad there too).
                setLive("fallback", out.reason, std::nullopt);
                answer = Json{{"state", "fallback"}, {"failure", out.reason}};
            } else {
                // Killed at a limit or crashed: reading them again whole would do the same.
                setLive("failed", out.reason, std::nullopt);
                answer = Json{{"state", "failed"}, {"failure", out.reason}};
            }
            break;
        }
        host_.log().info("live processing ended", {{"recording_id", id}, {"outcome", answer.dump()}});
        settleRecording(id);
        return answer;
    }
}

} // namespace vtp::recording
