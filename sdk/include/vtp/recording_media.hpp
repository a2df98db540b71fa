#pragma once

// C++ over the "vtp.recording.media" service (vtp/services/recording_media.h): a ready
// recording's description, and media tasks (an adaptive ladder) run on it in the recording
// plugin's media worker. List "recording" in your dependencies, then in start():
//
//   media_ = vtp::RecordingMedia::find(host);   // nullptr without the recording plugin
//   auto out = media_->runTask(id, vtp::Json{{"task", "ladder"}, ...},
//                              [&] { return job.cancelled(); }, [&](double f) { job.progress(f, "ladder"); });

#include "vtp/json.hpp"
#include "vtp/plugin.hpp"
#include "vtp/services/recording_media.h"

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace vtp {

class RecordingMedia {
public:
    // The service, or nullptr if no plugin offers it.
    static std::unique_ptr<RecordingMedia> find(const Host& host)
    {
        const auto* t =
            host.find<vtp_recording_media_v1>(VTP_RECORDING_MEDIA_SERVICE, VTP_RECORDING_MEDIA_VERSION, VTP_RECORDING_MEDIA_V1_SIZE);
        return t ? std::unique_ptr<RecordingMedia>(new RecordingMedia(t)) : nullptr;
    }

    // The recording ({id, title, state, room_id, section_id, owner_id, visibility, duration_s,
    // media}); nothing if there is no such recording. Throws std::runtime_error if the recording
    // plugin could not look.
    std::optional<Json> describe(const std::string& id) const
    {
        std::string text;
        const int rc = t_->describe(t_->context, id.data(), id.size(), &collect, &text);
        if (rc == VTP_NOT_FOUND) return std::nullopt;
        if (rc != VTP_OK || text.empty()) throw std::runtime_error("the recording plugin could not describe recording " + id);
        return Json::parse(text);
    }

    struct TaskOutcome {
        enum class Status { Done, Invalid, NotFound, Cancelled, Retry } status = Status::Retry;
        Json result; // the worker's result (Done), else {"reason"} when there is one
    };
    // Runs `request` on recording `id`; blocks for the task's length (call it from a job).
    TaskOutcome runTask(const std::string& id, const Json& request, std::function<bool()> cancelled,
                        std::function<void(double)> progress) const
    {
        struct Calls {
            std::function<bool()> cancelled;
            std::function<void(double)> progress;
        } calls{std::move(cancelled), std::move(progress)};
        vtp_recording_task_callbacks cb{};
        cb.struct_size = sizeof cb;
        cb.user_data = &calls;
        cb.cancelled = [](void* ud) -> int {
            auto* c = static_cast<Calls*>(ud);
            try {
                return c->cancelled && c->cancelled() ? 1 : 0;
            } catch (...) {
                return 0;
            }
        };
        cb.progress = [](void* ud, double f) {
            auto* c = static_cast<Calls*>(ud);
            try {
                if (c->progress) c->progress(f);
            } catch (...) {
            }
        };
        const std::string body = request.dump();
        std::string text;
        const int rc = t_->run_task(t_->context, id.data(), id.size(), body.data(), body.size(), &cb, &collect, &text);
        TaskOutcome out;
        out.status = rc == VTP_OK          ? TaskOutcome::Status::Done
                     : rc == VTP_INVALID   ? TaskOutcome::Status::Invalid
                     : rc == VTP_NOT_FOUND ? TaskOutcome::Status::NotFound
                     : rc == VTP_CONFLICT  ? TaskOutcome::Status::Cancelled
                                           : TaskOutcome::Status::Retry;
        if (!text.empty()) {
            try {
                out.result = Json::parse(text);
            } catch (const std::exception&) {
                out.result = Json{{"reason", text}};
            }
        }
        return out;
    }

    // A finished recording made of local files (vtp/services/recording_media.h describes the
    // request): its id; throws std::runtime_error with the recording plugin's reason.
    std::string importRecording(const Json& request) const
    {
        const std::string body = request.dump();
        std::string text;
        const int rc = t_->import_recording(t_->context, body.data(), body.size(), &collect, &text);
        Json result = text.empty() ? Json::object() : Json::parse(text);
        if (rc != VTP_OK)
            throw std::runtime_error(result.has("reason") ? result["reason"].asString() : "the recording could not be imported");
        return result["id"].asString();
    }

    struct PlaybackAnswer {
        // Unsupported: the recording plugin is older than this entry (SDK 1.1 of the service).
        enum class Status { Ok, NotFound, NotReady, Unsupported } status = Status::Unsupported;
        Json urls; // Ok: the /playback answer, signed for the user asked about
    };
    // What GET /recordings/{id}/playback answers user `userId` (`admin`: they are one). NotFound
    // also when that user may not see the recording. Throws std::runtime_error if the recording
    // plugin could not look.
    PlaybackAnswer playback(const std::string& id, const std::string& userId, bool admin) const
    {
        PlaybackAnswer out;
        if (t_->struct_size < VTP_SIZE_THROUGH(vtp_recording_media_v1, playback) || !t_->playback) return out;
        std::string text;
        const int rc = t_->playback(t_->context, id.data(), id.size(), userId.data(), userId.size(), admin ? 1 : 0, &collect, &text);
        if (rc == VTP_NOT_FOUND) {
            out.status = PlaybackAnswer::Status::NotFound;
        } else if (rc == VTP_CONFLICT) {
            out.status = PlaybackAnswer::Status::NotReady;
        } else if (rc != VTP_OK || text.empty()) {
            throw std::runtime_error("the recording plugin could not sign playback URLs of recording " + id);
        } else {
            out.status = PlaybackAnswer::Status::Ok;
            out.urls = Json::parse(text);
        }
        return out;
    }

    // Calls `f` with every observation of a recording's media served (JSON text as
    // vtp/services/recording_media.h describes: the file, its bytes, the player's CMCD) on the
    // HTTP thread that served it, until the returned handle is destroyed; nullptr if refused.
    class Observer {
    public:
        Observer(const Observer&) = delete;
        Observer& operator=(const Observer&) = delete;
        ~Observer() { t_->unobserve(t_->context, &Observer::call, this); }

    private:
        friend class RecordingMedia;
        Observer(const vtp_recording_media_v1* t, std::function<void(std::string_view)> f) : t_(t), f_(std::move(f)) {}
        static void call(void* ud, const char* json, size_t len)
        {
            try {
                static_cast<Observer*>(ud)->f_(std::string_view(json, len));
            } catch (...) {
                // An observer's failure is its own: the file is served anyway.
            }
        }
        const vtp_recording_media_v1* t_;
        std::function<void(std::string_view)> f_;
    };
    std::unique_ptr<Observer> observe(std::function<void(std::string_view)> f) const
    {
        std::unique_ptr<Observer> o(new Observer(t_, std::move(f)));
        if (t_->observe(t_->context, &Observer::call, o.get()) != VTP_OK) return nullptr;
        return o;
    }

private:
    explicit RecordingMedia(const vtp_recording_media_v1* t) : t_(t) {}
    static void collect(void* ud, const char* json, size_t len) { static_cast<std::string*>(ud)->assign(json, len); }
    const vtp_recording_media_v1* t_;
};

} // namespace vtp
