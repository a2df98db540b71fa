// Between nodes: what this node tells the others over the cluster channel, what it applies from
// theirs, and the tick that greets new nodes and drops the participants of nodes gone.

#include "rooms/RoomService.hpp"

#include "rooms/RoomCommon.hpp"

namespace vtp::signalling {

using namespace rooms;

void RoomService::replicate(const Json& message)
{
    // A single node has nobody to tell (the kernel would send nothing either; this skips the dump).
    if (nodes_.empty()) return;
    try {
        host_.clusterSend(kSync, message.dump());
    } catch (const PluginError& e) {
        // Over the kernel's 1 MiB message limit (a snapshot of very large rooms): the others learn
        // those participants from their later updates.
        host_.log().warn("a replication message was not sent", {{"type", message.stringOr("t", "")}, {"error", e.what()}});
    }
}

void RoomService::onSync(const ClusterMessage& message)
{
    const std::string& origin = message.fromNode;
    if (origin.empty() || origin == node_) return;
    const Json m = Json::parse(message.data);
    std::lock_guard lock(mutex_);
    const bool known = nodes_.count(origin) != 0;
    nodes_.insert(origin);
    const std::string t = m.stringOr("t", "");
    // A node we did not know: ask what it has, even when its message is its own hello. Our tick
    // greets only nodes it has not seen, and this message has just made the sender seen.
    if (!known) replicate(Json{{"t", "hello"}});
    applySync(m, origin);
}

void RoomService::applySync(const Json& m, const std::string& origin)
{
    const std::string t = m.stringOr("t", "");
    const std::string room = m.stringOr("room", "");
    auto participantFrom = [&](const Json& pj) {
        Participant p;
        p.id = pj.stringOr("id", "");
        p.user = pj.stringOr("user", "");
        p.node = origin;
        p.moderator = pj.boolOr("moderator", false);
        const Json pr = pj["presence"];
        p.presence = Presence{pr.boolOr("audio", false), pr.boolOr("video", false), pr.boolOr("hand", false), pr.boolOr("screen", false)};
        p.joinedAt = pj.intOr("joined_at", 0);
        return p;
    };
    auto ensureRoom = [&]() -> LiveRoom* {
        if (LiveRoom* lr = live(room)) return lr;
        std::string why;
        auto record = loadRoom(room, why);
        if (!record) return nullptr;
        LiveRoom& lr = rooms_[room];
        lr.record = *record;
        return &lr;
    };
    if (t == "hello") {
        Json snapshot = Json::object();
        for (const auto& [id, lr] : rooms_) {
            Json list = Json::array();
            for (const auto& [pid, p] : lr.participants)
                if (p.node == node_) list.push(participantJson(p));
            if (list.size()) snapshot.set(id, list);
        }
        replicate(Json{{"t", "snapshot"}, {"for", origin}, {"rooms", snapshot}});
    } else if (t == "snapshot") {
        if (m.stringOr("for", "") != node_) return;
        const Json rooms = m["rooms"];
        for (const auto& id : rooms.keys()) {
            LiveRoom* lr = live(id);
            if (!lr) {
                std::string why;
                auto record = loadRoom(id, why);
                if (!record) continue;
                lr = &rooms_[id];
                lr->record = *record;
            }
            const Json list = rooms[id];
            for (size_t i = 0; i < list.size(); ++i) {
                Participant p = participantFrom(list.at(i));
                lr->participants[p.id] = p;
            }
        }
    } else if (t == "joined" || t == "updated") {
        LiveRoom* lr = ensureRoom();
        if (!lr) return;
        Participant p = participantFrom(m["p"]);
        // An update may come from a moderator's node (mute): the participant stays where it is
        // connected, or a kick would leave it in the room and that node's loss would drop it.
        if (auto known = lr->participants.find(p.id); t == "updated" && known != lr->participants.end()) p.node = known->second.node;
        lr->participants[p.id] = p;
        io_.broadcast(options_.nsp, roomKey(room), t == "joined" ? "participant:joined" : "participant:updated",
                      args(Json{{"room", room}, {"participant", participantJson(p)}}));
    } else if (t == "left") {
        const std::string pid = m.stringOr("p", "");
        LiveRoom* lr = live(room);
        if (!lr) return;
        auto it = lr->participants.find(pid);
        if (it != lr->participants.end() && it->second.node == node_) {
            // Ours, removed by a moderator on another node.
            removeParticipant(room, pid, m.stringOr("reason", "left"), false);
            return;
        }
        // The same fields as its own node sends (removeParticipant), user included.
        std::string user = m.stringOr("user", "");
        if (it != lr->participants.end()) {
            if (user.empty()) user = it->second.user;
            lr->participants.erase(it);
        }
        io_.broadcast(options_.nsp, roomKey(room), "participant:left",
                      args(Json{{"room", room}, {"participant", pid}, {"user", user}, {"reason", m.stringOr("reason", "left")}}));
        if (lr->participants.empty()) rooms_.erase(room);
    } else if (t == "emit") {
        io_.broadcast(options_.nsp, roomKey(room), m.stringOr("event", ""), m.stringOr("args", "[]"), m.stringOr("except", ""));
    } else if (t == "to") {
        io_.emit(m.stringOr("p", ""), m.stringOr("event", ""), m.stringOr("args", "[]"));
    } else if (t == "lock") {
        if (LiveRoom* lr = live(room)) lr->record.locked = m.boolOr("locked", false);
        io_.broadcast(options_.nsp, roomKey(room), "room:updated", args(Json{{"room", room}, {"locked", m.boolOr("locked", false)}}));
    } else if (t == "ended") {
        endRoom(room, false);
    }
}

void RoomService::tick(Clock::time_point)
{
    // The kernel says which nodes are there (their presence in Redis); no heartbeats of our own.
    std::vector<std::string> peers = host_.clusterPeers();
    const std::set<std::string> now(peers.begin(), peers.end());
    bool appeared = false;
    for (const auto& node : now) appeared |= nodes_.insert(node).second;
    // A node that appeared gets our participants (it answers "hello" with its own).
    if (appeared) replicate(Json{{"t", "hello"}});
    std::vector<std::string> lost;
    for (const auto& node : nodes_)
        if (!now.count(node)) lost.push_back(node);
    for (const auto& node : lost) {
        nodes_.erase(node);
        host_.log().warn("a signalling node stopped answering: its participants leave their rooms", {{"node", node}});
        std::vector<std::pair<std::string, std::string>> gone;
        for (const auto& [room, lr] : rooms_)
            for (const auto& [pid, p] : lr.participants)
                if (p.node == node) gone.emplace_back(room, pid);
        for (const auto& [room, pid] : gone) removeParticipant(room, pid, "node lost", false);
    }
}

} // namespace vtp::signalling
