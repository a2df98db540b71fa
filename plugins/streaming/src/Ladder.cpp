#include "Ladder.hpp"

#include <chrono>
#include <stdexcept>

namespace vtp::streaming {

namespace {

constexpr const char* kJobKind = "streaming.ladder";

int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace

Ladder::Ladder(Host& host) : host_(host)
{
    const Config& c = host.config();
    enabled_ = c.getBool("ladder.enabled");
    try {
        rungs_ = parseLadder(c.getStringArray("ladder.rungs"));
    } catch (const std::invalid_argument& e) {
        throw PluginError(std::string("plugins.streaming.ladder.rungs: ") + e.what());
    }
    audioKbps_ = c.getInt("ladder.audio_kbps");
    preset_ = c.getString("ladder.preset");
    segmentSeconds_ = c.getInt("ladder.segment_seconds");
    keyframeSeconds_ = c.getInt("ladder.keyframe_seconds");
    if (segmentSeconds_ % keyframeSeconds_ != 0)
        throw PluginError("plugins.streaming.ladder.keyframe_seconds must divide ladder.segment_seconds, so that every segment "
                          "starts on a keyframe at the same instant on every rung");
    screenTune_ = c.getString("ladder.screen_tune");
    screenMaxFps_ = c.getInt("ladder.screen_max_fps");
    maxAttempts_ = c.getInt("ladder.max_attempts");
    composedCameraPercent_ = c.getBool("composed.enabled") ? c.getInt("composed.camera_percent") : 0;
    composedCorner_ = c.getString("composed.corner");

    made_ = host.counter("ladders_made_total", "Adaptive ladders of recordings made on this node");
    failed_ = host.counter("ladders_failed_total", "Adaptive ladders that failed (the media, or attempts exhausted)");
    seconds_ = host.counter("ladder_seconds_total", "Wall-clock seconds spent encoding ladders on this node");

    host.job({.kind = kJobKind,
              .summary = "Encodes a processed recording's adaptive ladder (HLS and DASH renditions) in the media worker",
              .maxAttempts = static_cast<uint32_t>(maxAttempts_),
              .run = [this](Job& job, const Json& params) { return run(job, params); }});
    // A recording processed (again): its ladder is made (again). Every node hears the event; the
    // claim in queue() on the recording's generation keeps it to one job.
    host.subscribe("recording.ready", [this](const Event& e) {
        if (!enabled_ || !media_) return;
        try {
            const std::string id = e.payload["id"].asString();
            const auto rec = media_->describe(id);
            if (!rec || (*rec)["state"].asString() != "ready") return;
            queue(id, "ready@" + std::to_string((*rec)["updated_at"].asInt()));
        } catch (const std::exception& ex) {
            host_.log().warn("could not queue a recording's ladder", {{"recording_id", e.payload["id"].asString()}, {"error", ex.what()}});
        }
    });
}

void Ladder::start()
{
    media_ = RecordingMedia::find(host_);
    if (!media_) host_.log().warn("the recording plugin offers no vtp.recording.media service: no ladders are made");
}

void Ladder::stop()
{
    media_.reset();
}

Json Ladder::request() const
{
    Json rungs = Json::array();
    for (const auto& r : rungs_) rungs.push(Json{{"name", r.name}, {"height", r.height}, {"video_kbps", r.videoKbps}});
    return Json{{"task", "ladder"},
                {"rungs", rungs},
                {"audio_kbps", audioKbps_},
                {"preset", preset_},
                {"segment_seconds", segmentSeconds_},
                {"keyframe_seconds", keyframeSeconds_},
                {"screen", Json{{"tune", screenTune_}, {"max_fps", screenMaxFps_}}},
                {"composed", Json{{"camera_percent", composedCameraPercent_}, {"corner", composedCorner_}}}};
}

bool Ladder::queue(const std::string& recordingId, const std::string& generation)
{
    const auto now = static_cast<long long>(unixNow());
    // A row per recording: inserted, or queued again for a new generation of the recording (its
    // processing again); a second node hearing the same event changes nothing.
    const int64_t claimed = host_.db().exec(
        "INSERT INTO streaming_ladders (recording_id, ready_event, state, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?) "
        "ON CONFLICT (recording_id) DO UPDATE SET state = 'queued', ready_event = excluded.ready_event, job_id = NULL, failure = NULL, "
        "attempts = 0, updated_at = excluded.updated_at WHERE streaming_ladders.ready_event <> excluded.ready_event",
        {recordingId, generation, now, now});
    if (claimed == 0) return false;
    const std::string jobId = host_.submitJob(kJobKind, Json{{"recording_id", recordingId}, {"generation", generation}});
    host_.db().exec("UPDATE streaming_ladders SET job_id = ? WHERE recording_id = ?", {jobId, recordingId});
    host_.log().info("ladder queued", {{"recording_id", recordingId}, {"job_id", jobId}, {"generation", generation}});
    return true;
}

void Ladder::finish(const std::string& recordingId, const std::string& state, const std::string& failure, const std::string& result)
{
    host_.db().exec("UPDATE streaming_ladders SET state = ?, failure = ?, result = ?, updated_at = ? WHERE recording_id = ?",
                    {state, failure.empty() ? Param(nullptr) : Param(failure), result.empty() ? Param(nullptr) : Param(result),
                     static_cast<long long>(unixNow()), recordingId});
}

Json Ladder::run(Job& job, const Json& params)
{
    const std::string id = params["recording_id"].asString();
    if (!media_) throw std::runtime_error("the recording plugin's media service is not available");
    // A job of an earlier generation (the recording was processed again since): the newer runs.
    const Rows current = host_.db().query("SELECT ready_event FROM streaming_ladders WHERE recording_id = ?", {id});
    if (current.empty() || current[0]["ready_event"].asString() != params["generation"].asString())
        return Json{{"skipped", "a newer ladder of this recording is queued"}};
    const auto began = std::chrono::steady_clock::now();
    host_.db().exec("UPDATE streaming_ladders SET attempts = attempts + 1 WHERE recording_id = ?", {id});
    const Rows rows = host_.db().query("SELECT attempts FROM streaming_ladders WHERE recording_id = ?", {id});
    const int64_t attempt = rows.empty() ? 1 : rows[0]["attempts"].asInt();
    host_.log().info("making ladder", {{"recording_id", id}, {"attempt", std::to_string(attempt)}});
    const auto out = media_->runTask(
        id, request(), [&] { return job.cancelled(); }, [&](double f) { job.progress(f, "encoding the ladder"); });
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    seconds_.inc(elapsed);
    using S = RecordingMedia::TaskOutcome::Status;
    switch (out.status) {
    case S::Done:
        finish(id, "ready", "", out.result.dump());
        made_.inc();
        host_.log().info("ladder made", {{"recording_id", id}, {"seconds", std::to_string(elapsed)}});
        return Json{{"state", "ready"}, {"seconds", elapsed}};
    case S::NotFound:
        finish(id, "failed", "the recording is gone or not ready", "");
        return Json{{"skipped", "the recording is gone or not ready"}};
    case S::Cancelled: finish(id, "failed", "cancelled", ""); return Json{{"state", "failed"}, {"cancelled", true}};
    case S::Retry:
        if (attempt < maxAttempts_) throw std::runtime_error(out.result["reason"].asString());
        [[fallthrough]];
    case S::Invalid: {
        const std::string reason = out.result["reason"].asString();
        finish(id, "failed", reason, "");
        failed_.inc();
        host_.log().warn("ladder failed", {{"recording_id", id}, {"reason", reason}});
        return Json{{"state", "failed"}, {"failure", reason}};
    }
    }
    return Json();
}

} // namespace vtp::streaming
