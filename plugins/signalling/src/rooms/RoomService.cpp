#include "rooms/RoomService.hpp"

#include "rooms/RoomCommon.hpp"

#include <algorithm>

namespace vtp::signalling {

using namespace rooms;

RoomService::RoomService(Host& host, std::recursive_mutex& mutex, SocketServer& io, RoomOptions options, IceOptions ice, std::string nodeId)
    : host_(host), mutex_(mutex), io_(io), options_(std::move(options)), ice_(std::move(ice)), node_(std::move(nodeId))
{
    chat_ = std::make_unique<ChatStore>(host.db(), host.log(), 100000, [this](std::vector<ChatMessage>&& batch, bool stored) {
        onChatCommitted(std::move(batch), stored);
    });
    participantsGauge_ = host.gauge("participants", "Participants in live rooms connected to this node");
    chatCounter_ = host.counter("chat_messages_total", "Chat messages stored and delivered");
    refusalCounter_ = host.counter("refusals_total", "Socket requests refused, by code");
    // Node-to-node traffic: a cluster channel, which no event subscriber or webhook sees, and on
    // which nothing is sent while this is the only node.
    host.clusterSubscribe(kSync, [this](const ClusterMessage& m) { onSync(m); });
    // The courses plugin's roster changes (published on the node that made them, carried to every
    // node by the bus): a student dropped or removed from a section leaves its live rooms at once.
    host.subscribe("enrollment.changed", [this](const Event& e) {
        if (const auto user = e.payload.stringOr("user_id", ""); !user.empty()) recheckAccess(user);
    });
    // Staff changed or the section is gone: whom that concerns is the provider's to say, so every
    // participant of a provided room is asked about again (rare events; one call per participant).
    host.subscribe("section.staff_changed", [this](const Event&) { recheckAccess({}); });
    host.subscribe("section.deleted", [this](const Event&) { recheckAccess({}); });
}

RoomService::~RoomService()
{
    stop();
}

void RoomService::start()
{
    chat_->start();
    // The other nodes, if any, are greeted by the first tick that sees them.
}

void RoomService::stop()
{
    if (chat_) chat_->stop();
}

void RoomService::registerNamespace()
{
    Namespace ns;
    ns.name = options_.nsp;
    ns.requireAuth = true;
    ns.onEvent = [this](Socket& s, const protocol::SocketPacket& p) { onEvent(s, p); };
    ns.onDisconnect = [this](Socket& s, const std::string& reason) { onDisconnect(s, reason); };
    io_.addNamespace(std::move(ns));
}

// ------------------------------------------------------------------ rooms

RoomService::LiveRoom* RoomService::live(const std::string& id)
{
    auto it = rooms_.find(id);
    return it == rooms_.end() ? nullptr : &it->second;
}

void RoomService::removeParticipant(const std::string& roomId, const std::string& participantId, const std::string& reason,
                                    bool replicateIt)
{
    LiveRoom* lr = live(roomId);
    if (!lr) return;
    auto it = lr->participants.find(participantId);
    if (it == lr->participants.end()) return;
    const Participant p = it->second;
    lr->participants.erase(it);
    if (p.node == node_) {
        roomsOfSocket_[participantId].erase(roomId);
        io_.leave(participantId, roomKey(roomId));
        participantsGauge_.inc(-1);
        host_.publish("participant.left", Json{{"room", roomId}, {"participant", participantId}, {"user_id", p.user}, {"reason", reason}});
    }
    io_.broadcast(options_.nsp, roomKey(roomId), "participant:left",
                  args(Json{{"room", roomId}, {"participant", participantId}, {"user", p.user}, {"reason", reason}}));
    if (replicateIt) replicate(Json{{"t", "left"}, {"room", roomId}, {"p", participantId}, {"user", p.user}, {"reason", reason}});
    if (lr->participants.empty()) rooms_.erase(roomId); // reloaded from its record on the next join
}

void RoomService::endRoom(const std::string& roomId, bool replicateIt)
{
    if (replicateIt && roomId.find(':') == std::string::npos)
        host_.db().exec("UPDATE signalling_rooms SET ended_at = ? WHERE id = ? AND ended_at IS NULL", {nowSeconds(), roomId});
    io_.broadcast(options_.nsp, roomKey(roomId), "room:ended", args(Json{{"room", roomId}}));
    if (LiveRoom* lr = live(roomId)) {
        for (const auto& [pid, p] : lr->participants) {
            if (p.node != node_) continue;
            roomsOfSocket_[pid].erase(roomId);
            io_.leave(pid, roomKey(roomId));
            participantsGauge_.inc(-1);
        }
        rooms_.erase(roomId);
    }
    if (replicateIt) {
        replicate(Json{{"t", "ended"}, {"room", roomId}});
        host_.publish("room.ended", Json{{"room", roomId}});
    }
}

Json RoomService::participantJson(const Participant& p)
{
    return Json{{"id", p.id},
                {"user", p.user},
                {"moderator", p.moderator},
                {"presence",
                 Json{{"audio", p.presence.audio}, {"video", p.presence.video}, {"hand", p.presence.hand}, {"screen", p.presence.screen}}},
                {"joined_at", p.joinedAt}};
}

Json RoomService::participantsJson(const LiveRoom& room) const
{
    Json list = Json::array();
    for (const auto& [id, p] : room.participants) list.push(participantJson(p));
    return list;
}

Json RoomService::roomJson(const RoomRecord& r)
{
    return Json{
        {"id", r.id},         {"name", r.name},     {"created_by", r.createdBy}, {"max_participants", r.maxParticipants},
        {"locked", r.locked}, {"access", r.access}, {"created_at", r.createdAt}, {"ended_at", r.endedAt ? Json(*r.endedAt) : Json()}};
}

void RoomService::toParticipant(const Participant& p, std::string_view event, const Json& payload)
{
    if (p.node == node_)
        io_.emit(p.id, event, args(payload));
    else
        replicate(Json{{"t", "to"}, {"p", p.id}, {"event", std::string(event)}, {"args", args(payload)}});
}

void RoomService::toRoom(const std::string& roomId, std::string_view event, const Json& payload, const std::string& except)
{
    toRoomArgs(roomId, event, args(payload), except);
}

void RoomService::toRoomArgs(const std::string& roomId, std::string_view event, const std::string& a, const std::string& except)
{
    io_.broadcast(options_.nsp, roomKey(roomId), event, a, except);
    if (!nodes_.empty()) // (replicate() would drop it, but only after building it on every chat message)
        replicate(Json{{"t", "emit"}, {"room", roomId}, {"event", std::string(event)}, {"args", a}, {"except", except}});
}

} // namespace vtp::signalling
