// Other plugins in the rooms (the service "vtp.rooms.events"): events whose names begin with a
// plugin's prefix go to that plugin with who sent them and whether they moderate the room, and the
// plugin speaks to a room's participants on every node the way room events do (the cluster
// channel, never the event bus).

#include "rooms/RoomService.hpp"

#include "rooms/RoomCommon.hpp"

#include <algorithm>
#include <cstring>

namespace vtp::signalling {

using namespace rooms;

namespace {

Json error(const std::string& code, const std::string& message)
{
    return Json{{"error", Json{{"code", code}, {"message", message}}}};
}

// Names this plugin's own events and server events begin with: no other plugin may take them.
constexpr std::string_view kReserved[] = {"room:", "chat:", "presence:", "moderate:", "auth:", "signal", "participant:", "session:"};

bool overlaps(std::string_view a, std::string_view b)
{
    return a.substr(0, std::min(a.size(), b.size())) == b.substr(0, std::min(a.size(), b.size()));
}

std::string rolesOf(const Principal& user)
{
    std::string roles;
    for (const auto& r : user.roles) roles += (roles.empty() ? "" : ",") + r;
    return roles;
}

// One JSON object argument as the array an emit carries, checked: a plugin's text goes to clients.
std::optional<std::string> objectArgs(std::string_view payloadJson)
{
    try {
        const Json j = Json::parse(payloadJson);
        if (!j.isObject()) return std::nullopt;
        return args(j);
    } catch (const JsonError&) {
        return std::nullopt;
    }
}

} // namespace

bool RoomService::addHandler(const vtp_room_event_handler* h, std::string& why)
{
    std::lock_guard lock(mutex_);
    const std::string_view prefix = h && h->prefix ? h->prefix : "";
    if (prefix.size() < 2 || prefix.size() > 64 || prefix.back() != ':' ||
        std::any_of(prefix.begin(), prefix.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F; })) {
        why = "a prefix is 2 to 64 printable characters ending with ':'";
        return false;
    }
    for (const auto r : kReserved)
        if (overlaps(prefix, r)) {
            why = "'" + std::string(prefix) + "' overlaps the signalling plugin's own events";
            return false;
        }
    for (const auto* other : handlers_)
        if (overlaps(prefix, other->prefix)) {
            why = "'" + std::string(prefix) + "' overlaps another plugin's '" + other->prefix + "'";
            return false;
        }
    handlers_.push_back(h);
    return true;
}

void RoomService::removeHandler(const vtp_room_event_handler* h)
{
    std::lock_guard lock(mutex_);
    handlers_.erase(std::remove(handlers_.begin(), handlers_.end(), h), handlers_.end());
}

const vtp_room_event_handler* RoomService::handlerFor(const std::string& event) const
{
    for (const auto* h : handlers_)
        if (event.compare(0, std::strlen(h->prefix), h->prefix) == 0) return h;
    return nullptr;
}

Json RoomService::extensionEvent(Socket& s, const vtp_room_event_handler& h, const std::string& event, const Json& body,
                                 std::optional<uint64_t> ackId, bool& deferred)
{
    if (!h.on_event) return error("unknown-event", "no event named '" + event + "'");
    const std::string room = body.stringOr("room", "");
    if (room.empty()) return error("invalid", "'room' (a room you are in) is required");
    LiveRoom* lr = live(room);
    auto self = lr ? lr->participants.find(s.id) : decltype(lr->participants.end()){};
    if (!lr || self == lr->participants.end()) return error("not-in-room", "you are not in that room");
    // Copies: the handler may call the service, which may change the room.
    const std::string roles = rolesOf(s.user), payload = body.dump(), name = lr->record.name, user = s.user.userId, id = s.id;
    const vtp_room_participant p{sizeof(vtp_room_participant),  room.c_str(), name.c_str(), id.c_str(), user.c_str(), roles.c_str(),
                                 self->second.moderator ? 1 : 0};
    deferred = true; // the handler answers, now or later
    h.on_event(h.user_data, &p, event.c_str(), payload.data(), payload.size(), ackId ? static_cast<int64_t>(*ackId) : -1);
    return Json();
}

void RoomService::notifyJoin(const Socket& s, const std::string& roomId)
{
    LiveRoom* lr = live(roomId);
    auto self = lr ? lr->participants.find(s.id) : decltype(lr->participants.end()){};
    if (!lr || self == lr->participants.end()) return;
    const std::string roles = rolesOf(s.user), name = lr->record.name, user = s.user.userId, id = s.id;
    const vtp_room_participant p{sizeof(vtp_room_participant),  roomId.c_str(), name.c_str(), id.c_str(), user.c_str(), roles.c_str(),
                                 self->second.moderator ? 1 : 0};
    // A copy: a hook may add or remove handlers.
    for (const auto* h : std::vector<const vtp_room_event_handler*>(handlers_))
        if (h->on_join) h->on_join(h->user_data, &p);
}

bool RoomService::replyEvent(const std::string& participantId, int64_t ackId, const std::string& argsJson)
{
    std::lock_guard lock(mutex_);
    if (ackId < 0 || !io_.find(participantId)) return false;
    io_.ack(participantId, static_cast<uint64_t>(ackId), argsJson);
    return true;
}

bool RoomService::refuseEvent(const std::string& participantId, int64_t ackId, const std::string& code, const std::string& message)
{
    std::lock_guard lock(mutex_);
    refusalCounter_.inc(1, {{"code", code}});
    return replyEvent(participantId, ackId, args(error(code, message)));
}

size_t RoomService::emitToRoom(const std::string& roomId, const std::string& event, std::string_view payloadJson)
{
    const auto a = objectArgs(payloadJson);
    if (!a) return 0;
    std::lock_guard lock(mutex_);
    // Sent to the other nodes even when none of the room's participants is known here.
    toRoomArgs(roomId, event, *a);
    const LiveRoom* lr = live(roomId);
    return lr ? lr->participants.size() : 0;
}

size_t RoomService::emitToUser(const std::string& roomId, const std::string& userId, const std::string& event, std::string_view payloadJson)
{
    const auto a = objectArgs(payloadJson);
    if (!a) return 0;
    std::lock_guard lock(mutex_);
    const LiveRoom* lr = live(roomId);
    if (!lr) return 0;
    size_t n = 0;
    for (const auto& [pid, p] : lr->participants) {
        if (p.user != userId) continue;
        if (p.node == node_)
            io_.emit(p.id, event, *a);
        else
            replicate(Json{{"t", "to"}, {"p", p.id}, {"event", event}, {"args", *a}});
        ++n;
    }
    return n;
}

size_t RoomService::emitToParticipant(const std::string& roomId, const std::string& participantId, const std::string& event,
                                      std::string_view payloadJson)
{
    const auto a = objectArgs(payloadJson);
    if (!a) return 0;
    std::lock_guard lock(mutex_);
    const LiveRoom* lr = live(roomId);
    const auto it = lr ? lr->participants.find(participantId) : decltype(lr->participants.end()){};
    if (!lr || it == lr->participants.end()) return 0;
    if (it->second.node == node_)
        io_.emit(participantId, event, *a);
    else
        replicate(Json{{"t", "to"}, {"p", participantId}, {"event", event}, {"args", *a}});
    return 1;
}

} // namespace vtp::signalling
