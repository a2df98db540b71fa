#include "SessionRecorder.hpp"

#include "RecordingService.hpp"

#include <set>

namespace vtp::recording {

SessionRecorder::SessionRecorder(Host& host, RecordingService& service, const vtp_sessions_v1* sessions, std::chrono::seconds period)
    : host_(host), service_(service), sessions_(sessions), period_(period)
{
    checks_ =
        host.counter("schedule_checks_total", "Looks at the recorded class sessions in progress (each node, every schedule.poll_seconds)");
}

SessionRecorder::~SessionRecorder()
{
    stop();
}

void SessionRecorder::start()
{
    thread_ = std::thread([this] { run(); });
}

void SessionRecorder::stop()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void SessionRecorder::run()
{
    std::unique_lock lock(mutex_);
    // The first look at once: a class that began while no node was up is recorded from now.
    do {
        lock.unlock();
        try {
            check();
        } catch (const std::exception& e) {
            host_.log().warn("the recorded class sessions could not be looked at", {{"error", e.what()}});
        }
        lock.lock();
    } while (!cv_.wait_for(lock, period_, [&] { return stopping_; }));
}

void SessionRecorder::check()
{
    std::vector<Json> open;
    const int rc = sessions_->recorded_sessions(
        sessions_->context, unixNow(),
        [](void* user, const char* json, size_t len) {
            try {
                static_cast<std::vector<Json>*>(user)->push_back(Json::parse(std::string_view(json, len)));
            } catch (const JsonError&) {
            }
        },
        &open);
    // Without an answer nothing is concluded: stopping every scheduled recording on a database
    // hiccup would be worse than starting one a few seconds late.
    if (rc != VTP_OK) throw std::runtime_error("the courses plugin could not list the recorded sessions");
    std::set<std::string> inProgress;
    for (const Json& session : open) {
        const std::string id = session.stringOr("id", "");
        if (id.empty()) continue;
        inProgress.insert(id);
        if (!host_.db().query("SELECT 1 FROM recording_recordings WHERE session_id = ?", {id}).empty()) continue;
        const Json instructors = session["instructors"];
        Subject s;
        s.roomId = session.stringOr("room", "courses:" + id);
        s.sectionId = session.stringOr("section_id", "");
        s.sessionId = id;
        // The section's first instructor owns it (their lists show it); the schedule started it.
        s.ownerId = instructors.size() > 0 ? instructors.at(0).asString() : "schedule";
        try {
            const Json recording = service_.beginRecording(Caller::schedule(), s, session.stringOr("name", "Class " + id));
            std::vector<std::string> users;
            for (size_t i = 0; i < instructors.size(); ++i) users.push_back(instructors.at(i).asString());
            if (auto* rooms = service_.roomControl())
                if (const auto active = service_.activeRoomRecording(*s.roomId)) rooms->capture(*s.roomId, users, *active);
            host_.log().info("a recorded class session began: recording",
                             {{"session_id", id}, {"recording_id", recording["id"].asString()}});
        } catch (const Conflict&) {
            // Another node started it just now, or the room or section is being recorded already.
        }
    }
    // Scheduled recordings whose session is over (or no longer recorded) end, unless someone
    // stopped them first.
    for (const auto row : host_.db().query("SELECT id, session_id FROM recording_recordings WHERE state = 'recording' AND session_id IS "
                                           "NOT NULL")) {
        if (inProgress.count(row["session_id"].asString())) continue;
        try {
            service_.endRecording(Caller::schedule(), row["id"].asString());
            host_.log().info("a recorded class session ended: recording stopped",
                             {{"session_id", row["session_id"].asString()}, {"recording_id", row["id"].asString()}});
        } catch (const Conflict&) {
            // Stopped meanwhile (another node, its instructor).
        }
    }
    checks_.inc();
}

} // namespace vtp::recording
