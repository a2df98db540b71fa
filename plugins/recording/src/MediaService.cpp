#include "MediaService.hpp"

#include "RecordingService.hpp"
#include "WorkerProcess.hpp"

#include <chrono>
#include <filesystem>
#include <stdexcept>

namespace vtp::recording {

namespace {

// What a caller's callbacks table holds, read by its writer's size.
bool callbacksHave(const vtp_recording_task_callbacks* cb, size_t through)
{
    return cb && cb->struct_size >= through;
}

int64_t integerIn(const Json& o, const char* key, int64_t lo, int64_t hi, int64_t def)
{
    if (!o.has(key)) return def;
    const Json& v = o[key];
    if (!v.isNumber()) throw std::invalid_argument(std::string(key) + " is not a number");
    const double d = v.asDouble();
    if (d != static_cast<double>(static_cast<int64_t>(d)) || d < static_cast<double>(lo) || d > static_cast<double>(hi))
        throw std::invalid_argument(std::string(key) + " is not an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    return static_cast<int64_t>(d);
}

std::string oneOf(const Json& o, const char* key, std::initializer_list<const char*> allowed, const char* def)
{
    if (!o.has(key)) return def;
    if (!o[key].isString()) throw std::invalid_argument(std::string(key) + " is not a string");
    const std::string v = o[key].asString();
    for (const char* a : allowed)
        if (v == a) return v;
    throw std::invalid_argument(std::string(key) + " \"" + v + "\" is not one of the accepted values");
}

} // namespace

MediaService::MediaService(Host& host, RecordingService& service) : host_(host), service_(service)
{
    table_.struct_size = sizeof table_;
    table_.context = this;
    table_.describe = [](void* ctx, const char* id, size_t len, vtp_recording_json_visitor each, void* ud) -> int {
        std::string out;
        int rc = VTP_ERROR;
        try {
            rc = static_cast<MediaService*>(ctx)->describe(std::string(id, len), out);
        } catch (const std::exception& e) {
            static_cast<MediaService*>(ctx)->host_.log().warn("could not describe a recording", {{"error", e.what()}});
            return VTP_ERROR;
        }
        if (rc == VTP_OK) each(ud, out.c_str(), out.size());
        return rc;
    };
    table_.observe = [](void* ctx, vtp_recording_json_visitor observer, void* ud) -> int {
        auto* self = static_cast<MediaService*>(ctx);
        if (!observer) return VTP_INVALID;
        std::unique_lock lock(self->observersMutex_);
        if (self->observers_.size() >= 16) return VTP_NO_MEMORY;
        self->observers_.emplace_back(observer, ud);
        self->observerCount_ = self->observers_.size();
        return VTP_OK;
    };
    table_.unobserve = [](void* ctx, vtp_recording_json_visitor observer, void* ud) -> int {
        auto* self = static_cast<MediaService*>(ctx);
        std::unique_lock lock(self->observersMutex_);
        std::erase(self->observers_, std::make_pair(observer, ud));
        self->observerCount_ = self->observers_.size();
        return VTP_OK;
    };
    table_.import_recording = [](void* ctx, const char* req, size_t len, vtp_recording_json_visitor result, void* ud) -> int {
        std::string out;
        int rc = VTP_ERROR;
        try {
            rc = static_cast<MediaService*>(ctx)->importRecording(std::string(req, len), out);
        } catch (const std::exception& e) {
            out = Json{{"reason", std::string("the recording could not be imported: ") + e.what()}}.dump();
            rc = VTP_ERROR;
        }
        if (!out.empty() && result) result(ud, out.c_str(), out.size());
        return rc;
    };
    table_.playback = [](void* ctx, const char* id, size_t len, const char* user, size_t userLen, int admin,
                         vtp_recording_json_visitor each, void* ud) -> int {
        auto* self = static_cast<MediaService*>(ctx);
        if (!id || !user || !each) return VTP_INVALID;
        Json out;
        int rc = VTP_ERROR;
        try {
            rc = self->service_.playback_->answerFor(std::string(id, len), std::string(user, userLen), admin != 0, out);
            if (rc != VTP_OK) return rc;
            const std::string text = out.dump();
            each(ud, text.c_str(), text.size());
        } catch (const std::exception& e) {
            self->host_.log().warn("could not sign a recording's playback URLs", {{"error", e.what()}});
            return VTP_ERROR;
        }
        return rc;
    };
    table_.run_task = [](void* ctx, const char* id, size_t len, const char* req, size_t reqLen, const vtp_recording_task_callbacks* cb,
                         vtp_recording_json_visitor result, void* ud) -> int {
        std::string out;
        int rc = VTP_ERROR;
        try {
            rc = static_cast<MediaService*>(ctx)->runTask(std::string(id, len), std::string(req, reqLen), cb, out);
        } catch (const std::exception& e) {
            out = Json{{"reason", std::string("the media task could not run: ") + e.what()}}.dump();
            rc = VTP_ERROR;
        }
        if (!out.empty() && result) result(ud, out.c_str(), out.size());
        return rc;
    };
}

std::vector<std::string> MediaService::taskArguments(const Json& request)
{
    if (!request.isObject()) throw std::invalid_argument("the request is not an object");
    if (!request.has("task") || request["task"].asString() != "ladder") throw std::invalid_argument("the only task is \"ladder\"");
    std::vector<std::string> args{"--task", "ladder"};
    const Json& rungs = request["rungs"];
    if (!rungs.isArray() || rungs.size() == 0 || rungs.size() > 8) throw std::invalid_argument("rungs: 1 to 8 are needed");
    for (size_t i = 0; i < rungs.size(); ++i) {
        const Json& r = rungs.at(i);
        if (!r.isObject()) throw std::invalid_argument("a rung is not an object");
        const int64_t height = integerIn(r, "height", 144, 4320, 0), kbps = integerIn(r, "video_kbps", 50, 100000, 0);
        if (height == 0 || kbps == 0) throw std::invalid_argument("a rung needs height and video_kbps");
        args.insert(args.end(), {"--rung", std::to_string(height) + ":" + std::to_string(kbps)});
    }
    args.insert(args.end(), {"--audio-kbps", std::to_string(integerIn(request, "audio_kbps", 32, 512, 128))});
    args.insert(
        args.end(),
        {"--preset", oneOf(request, "preset",
                           {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"}, "veryfast")});
    const int64_t segment = integerIn(request, "segment_seconds", 1, 30, 4), key = integerIn(request, "keyframe_seconds", 1, 30, 2);
    if (segment % key != 0) throw std::invalid_argument("keyframe_seconds must divide segment_seconds");
    args.insert(args.end(), {"--segment-seconds", std::to_string(segment), "--keyframe-seconds", std::to_string(key)});
    const Json screen = request.has("screen") ? request["screen"] : Json::object();
    if (!screen.isObject()) throw std::invalid_argument("screen is not an object");
    args.insert(args.end(), {"--screen-tune", oneOf(screen, "tune", {"stillimage", "animation", "film", "none"}, "stillimage"),
                             "--screen-max-fps", std::to_string(integerIn(screen, "max_fps", 1, 60, 15))});
    const Json composed = request.has("composed") ? request["composed"] : Json::object();
    if (!composed.isObject()) throw std::invalid_argument("composed is not an object");
    args.insert(args.end(),
                {"--compose-camera-percent", std::to_string(integerIn(composed, "camera_percent", 0, 50, 25)), "--compose-corner",
                 oneOf(composed, "corner", {"top-left", "top-right", "bottom-left", "bottom-right"}, "bottom-right")});
    return args;
}

int MediaService::importRecording(const std::string& requestText, std::string& out)
{
    const auto invalid = [&](const std::string& why) {
        out = Json{{"reason", why}}.dump();
        return VTP_INVALID;
    };
    if (!service_.store_) return invalid("the recording plugin has not started");
    Json r;
    try {
        r = Json::parse(requestText);
    } catch (const std::exception&) {
        return invalid("the request is not JSON");
    }
    if (!r.isObject()) return invalid("the request is not an object");
    RecordingService::ImportSpec spec;
    spec.title = r["title"].asString();
    if (spec.title.empty() || spec.title.size() > service_.maxTitleChars())
        return invalid("title: 1 to " + std::to_string(service_.maxTitleChars()) + " bytes");
    if (r.has("section_id") == r.has("room_id")) return invalid("one of section_id and room_id is needed");
    if (r.has("section_id")) {
        spec.sectionId = r["section_id"].asString();
        const auto about = service_.access_.describeSection(*spec.sectionId);
        if (!about) return invalid("no section " + *spec.sectionId);
        spec.courseId = (*about)["course_id"].asString();
    } else {
        spec.roomId = r["room_id"].asString();
        if (spec.roomId->empty() || spec.roomId->size() > 200) return invalid("room_id: 1 to 200 bytes");
    }
    spec.ownerId = r["owner_id"].asString();
    spec.visibility = r.has("visibility") ? r["visibility"].asString() : "participants";
    if (spec.visibility != "participants" && spec.visibility != "staff" && spec.visibility != "link")
        return invalid("visibility is participants, staff or link");
    spec.startedAtMs = static_cast<int64_t>(r["started_at_ms"].asDouble());
    spec.stoppedAtMs = static_cast<int64_t>(r["stopped_at_ms"].asDouble());
    if (spec.startedAtMs <= 0 || spec.stoppedAtMs < spec.startedAtMs)
        return invalid("started_at_ms and stopped_at_ms are needed, in order");
    const Json& sources = r["sources"];
    if (!sources.isArray() || sources.size() == 0 || sources.size() > 8) return invalid("sources: 1 to 8 are needed");
    uint64_t total = 0;
    for (size_t i = 0; i < sources.size(); ++i) {
        const Json& s = sources.at(i);
        RecordingService::ImportSpec::Source src{s["path"].asString(), s["kind"].asString(),
                                                 static_cast<int64_t>(s["started_at_ms"].asDouble())};
        std::error_code ec;
        if (src.path.empty() || src.path.front() != '/' || !std::filesystem::is_regular_file(src.path, ec))
            return invalid("a source's path is not an absolute path to a file");
        if (src.kind != "camera" && src.kind != "screen" && src.kind != "audio" && src.kind != "file" && src.kind != "other")
            return invalid("a source's kind is camera, screen, audio, file or other");
        if (src.startedAtMs <= 0) src.startedAtMs = spec.startedAtMs;
        total += std::filesystem::file_size(src.path, ec);
        spec.sources.push_back(std::move(src));
    }
    try {
        service_.requireRoom(service_.roomLeft(spec.courseId), total);
    } catch (const HttpError& e) {
        out = Json{{"reason", e.detail()}}.dump();
        return VTP_CONFLICT;
    }
    out = Json{{"id", service_.importRecording(spec)}}.dump();
    return VTP_OK;
}

void MediaService::served(const std::string& observation)
{
    std::shared_lock lock(observersMutex_);
    for (const auto& [observer, ud] : observers_) observer(ud, observation.data(), observation.size());
}

int MediaService::describe(const std::string& id, std::string& out) const
{
    if (id.empty() || id.size() > 64) return VTP_NOT_FOUND;
    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {id});
    if (rows.empty()) return VTP_NOT_FOUND;
    Json j = service_.recordingJson(rows[0]);
    j.set("updated_at", rows[0]["updated_at"].asInt()); // a new value after each processing: the ladder's generation
    out = j.dump();
    return VTP_OK;
}

int MediaService::runTask(const std::string& id, const std::string& requestText, const vtp_recording_task_callbacks* cb, std::string& out)
{
    const auto reason = [&](const std::string& why) { out = Json{{"reason", why}}.dump(); };
    std::vector<std::string> taskArgs;
    try {
        taskArgs = taskArguments(Json::parse(requestText));
    } catch (const std::exception& e) {
        reason(std::string("the task request is wrong: ") + e.what());
        return VTP_INVALID;
    }
    if (id.empty() || id.size() > 64) return VTP_NOT_FOUND;
    if (!service_.store_) {
        reason("the recording plugin has not started");
        return VTP_ERROR;
    }
    const Rows rows = host_.db().query("SELECT state, started_at_ms FROM recording_recordings WHERE id = ?", {id});
    if (rows.empty() || rows[0]["state"].asString() != "ready") {
        reason("the recording is gone or not ready");
        return VTP_NOT_FOUND;
    }
    const int64_t startMs = rows[0]["started_at_ms"].asInt();
    const Rows uploads = host_.db().query(std::string("SELECT id, kind, started_at_ms FROM recording_uploads WHERE recording_id = ? AND "
                                                      "state = 'complete' ORDER BY ") +
                                              kSourcesPrimaryFirst,
                                          {id});
    if (uploads.empty()) {
        reason("the recording has no complete source");
        return VTP_NOT_FOUND;
    }
    MediaStore& store = service_.store();
    std::vector<std::string> argv{service_.workerPath_, "--media-dir", store.mediaDirectory(id), "--work-dir",
                                  store.prepareTaskDirectory(id, "ladder")};
    for (const auto u : uploads)
        argv.insert(argv.end(),
                    {"--source", store.uploadPath(id, u["id"].asString()) + "@" + std::to_string(u["started_at_ms"].asInt() - startMs),
                     "--kind", u["kind"].asString()});
    argv.insert(argv.end(), service_.workerArgs_.begin(), service_.workerArgs_.end()); // the task's own settings follow, and win
    argv.insert(argv.end(), taskArgs.begin(), taskArgs.end());

    host_.log().info("media task", {{"recording_id", id}, {"task", "ladder"}, {"sources", std::to_string(uploads.size())}});
    auto lastLook = std::chrono::steady_clock::now();
    bool gone = false;
    const WorkerOutcome o = runWorker(
        argv, service_.limits_,
        [&] {
            if (callbacksHave(cb, VTP_SIZE_THROUGH(vtp_recording_task_callbacks, cancelled)) && cb->cancelled &&
                cb->cancelled(cb->user_data) != 0)
                return true;
            const auto now = std::chrono::steady_clock::now();
            if (now - lastLook > std::chrono::seconds(2)) { // deleted or reprocessed meanwhile: stop working for nothing
                lastLook = now;
                const Rows r = host_.db().query("SELECT state FROM recording_recordings WHERE id = ?", {id});
                gone = r.empty() || r[0]["state"].asString() != "ready";
            }
            return gone;
        },
        [&](double f) {
            if (callbacksHave(cb, VTP_SIZE_THROUGH(vtp_recording_task_callbacks, progress)) && cb->progress) cb->progress(cb->user_data, f);
        });
    store.removeTaskDirectory(id, "ladder");
    switch (o.kind) {
    case WorkerOutcome::Kind::Ready:
        // The ladder's bytes count towards the course's and the store's usage like the rest.
        host_.db().exec("UPDATE recording_recordings SET media_bytes = ? WHERE id = ?", {static_cast<long long>(store.mediaBytes(id)), id});
        service_.usageChanged();
        out = o.result;
        return VTP_OK;
    case WorkerOutcome::Kind::Cancelled:
        reason(gone ? "the recording was deleted or is being processed again" : "cancelled");
        return gone ? VTP_NOT_FOUND : VTP_CONFLICT;
    case WorkerOutcome::Kind::Retry: reason(o.reason); return VTP_ERROR;
    case WorkerOutcome::Kind::Failed: reason(o.reason); return VTP_INVALID;
    }
    return VTP_ERROR;
}

} // namespace vtp::recording
