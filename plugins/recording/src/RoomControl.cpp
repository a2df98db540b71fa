#include "RoomControl.hpp"

#include "RecordingService.hpp"
#include "RequestFields.hpp"

#include <ctime>

namespace vtp::recording {

namespace {

// "2025-09-01 09:15 UTC", for a title nobody typed.
std::string utcMinute(int64_t seconds)
{
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

Json captureOf(const Json& announcement)
{
    return Json{{"recording_id", announcement["id"]},
                {"room", announcement["room"]},
                {"title", announcement["title"]},
                {"upload_url", announcement["upload_url"]}};
}

// At most 1000 waiting events: a flood is refused rather than queued without bound.
constexpr size_t kMaxQueued = 1000;

} // namespace

RoomControl::RoomControl(Host& host, RecordingService& service, std::unique_ptr<RoomEvents> rooms)
    : host_(host), service_(service), rooms_(std::move(rooms))
{
}

RoomControl::~RoomControl()
{
    stop();
}

void RoomControl::start()
{
    worker_ = std::thread([this] { run(); });
    rooms_->handle("recording:", {.onEvent = [this](const RoomParticipant& p, const RoomEvent& e) { onEvent(p, e); },
                                  .onJoin = [this](const RoomParticipant& p) { onJoin(p); }});
}

void RoomControl::stop()
{
    // Events that still arrive are refused (post() fails); the handler is removed with rooms_, when
    // this object is destroyed after every plugin's stop().
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

bool RoomControl::post(std::function<void()> task)
{
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || tasks_.size() >= kMaxQueued) return false;
        tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
}

void RoomControl::run()
{
    std::unique_lock lock(mutex_);
    for (;;) {
        cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
        if (stopping_) return;
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        try {
            task();
        } catch (const std::exception& e) {
            host_.log().warn("a room's recording event failed", {{"error", e.what()}});
        }
        lock.lock();
    }
}

void RoomControl::onEvent(const RoomParticipant& p, const RoomEvent& e)
{
    // Runs under the signalling plugin's lock: only queued here.
    auto task = [this, p, e] {
        try {
            if (e.name == "recording:start")
                startFromRoom(p, e);
            else if (e.name == "recording:stop")
                stopFromRoom(p, e);
            else
                rooms_->refuse(p.participantId, e.ackId, "unknown-event", "no event named '" + e.name + "'");
        } catch (const HttpError& x) {
            // The REST API's refusal, with its problem type as the code (forbidden, recording-in-progress, ...).
            rooms_->refuse(p.participantId, e.ackId, x.type(), x.detail().empty() ? x.title() : x.detail());
        } catch (const std::exception& x) {
            host_.log().error("a room's recording event failed", {{"event", e.name}, {"room", p.room}, {"error", x.what()}});
            rooms_->refuse(p.participantId, e.ackId, "internal", "the server could not do that now");
        }
    };
    if (!post(std::move(task))) rooms_->refuse(p.participantId, e.ackId, "busy", "the server is busy; try again");
}

void RoomControl::startFromRoom(const RoomParticipant& p, const RoomEvent& e)
{
    allowOnlyKeys(e.payload, {"room", "title", "visibility"});
    Subject s;
    s.roomId = p.room;
    s.ownerId = p.userId;
    s.visibility = optionalChoice(e.payload, "visibility", {"participants", "staff", "link"}).value_or("participants");
    const std::string title = optionalString(e.payload, "title", 1, service_.maxTitleChars())
                                  .value_or((p.roomName.empty() ? p.room : p.roomName) + " " + utcMinute(unixNow()));
    // The same rules as POST /recordings: a class room's moderators and admins.
    const Json recording = service_.beginRecording(Caller{p.userId, p.roles}, s, title);
    rooms_->reply(p.participantId, e.ackId, recording);
}

void RoomControl::stopFromRoom(const RoomParticipant& p, const RoomEvent& e)
{
    allowOnlyKeys(e.payload, {"room", "id"});
    const auto id = optionalString(e.payload, "id", 1, 128);
    const auto active = service_.activeRoomRecording(p.room);
    if (!active || (id && (*active)["id"].asString() != *id))
        throw Conflict("this room is not being recorded" + std::string(id ? " by that recording" : ""), "not-recording");
    rooms_->reply(p.participantId, e.ackId, service_.endRecording(Caller{p.userId, p.roles}, (*active)["id"].asString()));
}

void RoomControl::onJoin(const RoomParticipant& p)
{
    post([this, p] {
        // A late joiner shows the indicator too.
        const auto active = service_.activeRoomRecording(p.room);
        if (!active) return;
        rooms_->toParticipant(p.room, p.participantId, "recording:started", *active);
        // A scheduled recording started without its instructor: they capture once they are in.
        if ((*active)["session_id"].isString() && (*active)["section_id"].isString() &&
            service_.teachesSection((*active)["section_id"].asString(), p.userId))
            rooms_->toParticipant(p.room, p.participantId, "recording:capture", captureOf(*active));
    });
}

void RoomControl::started(const std::string& room, const Json& announcement)
{
    rooms_->broadcast(room, "recording:started", announcement);
}

void RoomControl::capture(const std::string& room, const std::vector<std::string>& userIds, const Json& announcement)
{
    for (const auto& user : userIds) rooms_->toUser(room, user, "recording:capture", captureOf(announcement));
}

void RoomControl::stopped(const std::string& room, const Json& announcement)
{
    rooms_->broadcast(room, "recording:stopped", announcement);
}

} // namespace vtp::recording
