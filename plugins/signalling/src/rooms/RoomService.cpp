#include "rooms/RoomService.hpp"

#include "protocol/JsonWriter.hpp"

#include <vtp/services/room_provider.h>

#include <algorithm>
#include <chrono>

namespace vtp::signalling {

namespace {

constexpr const char* kSync = "signalling.sync";
constexpr const char* kRoomColumns = "id, name, created_by, max_participants, locked, access, created_at, ended_at";

int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
int64_t nowSeconds() { return nowMs() / 1000; }

Json error(const std::string& code, const std::string& message) { return Json{{"error", Json{{"code", code}, {"message", message}}}}; }

std::string args(const Json& single)
{
    Json a = Json::array();
    a.push(single);
    return a.dump();
}

size_t codePoints(std::string_view s)
{
    size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

// A chat message id that sorts by time: the millisecond clock in 7 characters of an alphabet in ASCII
// order, then 13 random ones (78 bits). New rows then go to the end of the primary-key index; fully
// random ids put each one on a random page of it, which the store had to read and rewrite per message.
std::string chatId(int64_t ms)
{
    static constexpr char sorted[] = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    std::string id(7, '-');
    auto t = static_cast<uint64_t>(ms);
    for (int i = 6; i >= 0; --i, t >>= 6) id[static_cast<size_t>(i)] = sorted[t & 63];
    return id + randomId().substr(0, 13);
}

// Appends "key":"value" to an object being written, after a comma unless it is the first member.
void appendStringMember(std::string& out, std::string_view key, std::string_view value)
{
    if (out.back() != '{') out += ',';
    out += '"';
    out += key;
    out += "\":";
    protocol::JsonWriter::appendString(out, value);
}

std::string roomKey(const std::string& id) { return "room:" + id; }

bool validRoomId(const std::string& id)
{
    if (id.empty() || id.size() > 200) return false;
    for (char c : id)
        if (static_cast<unsigned char>(c) < 0x21 || c == 0x7F) return false;
    return true;
}

} // namespace

bool RoomService::Bucket::take(double perSecond, double burst, Clock::time_point now)
{
    if (last == Clock::time_point{}) tokens = burst;
    else tokens = std::min(burst, tokens + std::chrono::duration<double>(now - last).count() * perSecond);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
}

RoomService::RoomService(Host& host, std::recursive_mutex& mutex, SocketServer& io, RoomOptions options, IceOptions ice, std::string nodeId)
    : host_(host), mutex_(mutex), io_(io), options_(std::move(options)), ice_(std::move(ice)), node_(std::move(nodeId))
{
    chat_ = std::make_unique<ChatStore>(host.db(), host.log(), 100000,
                                        [this](std::vector<ChatMessage>&& batch, bool stored) { onChatCommitted(std::move(batch), stored); });
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

RoomService::~RoomService() { stop(); }

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

// ------------------------------------------------------------------ socket events

void RoomService::onEvent(Socket& s, const protocol::SocketPacket& p)
{
    const std::string socketId = s.id;
    auto reply = [&](const Json& j) {
        if (p.id) io_.ack(socketId, *p.id, args(j));
        if (j.has("error")) refusalCounter_.inc(1, {{"code", j["error"]["code"].asString()}});
    };
    Json body;
    try {
        const Json all = Json::parse(p.payload);
        body = all.at(1);
    } catch (const JsonError&) {
        reply(error("invalid", "the event's payload is not JSON"));
        return;
    }
    if (!body.isObject()) {
        reply(error("invalid", "the event takes one object argument"));
        return;
    }
    try {
        const std::string& name = p.eventName;
        if (name == "room:join") reply(join(s, body));
        else if (name == "room:leave") reply(leave(s, body));
        else if (name == "signal") reply(signal(s, body));
        else if (name == "chat:send") {
            bool deferred = false;
            Json r = chat(s, body, p.id, deferred);
            if (!deferred) reply(r);
        } else if (name == "presence:update") reply(presence(s, body));
        else if (name == "moderate:mute" || name == "moderate:kick" || name == "moderate:lock" || name == "room:end")
            reply(moderate(s, name, body));
        else reply(error("unknown-event", "no event named '" + name + "'"));
    } catch (const JsonError& e) {
        reply(error("invalid", e.what()));
    } catch (const DbError& e) {
        host_.log().error("signalling database error", {{"error", e.what()}});
        reply(error("internal", "the server could not do that now"));
    }
}

void RoomService::onDisconnect(Socket& s, const std::string& reason)
{
    auto it = roomsOfSocket_.find(s.id);
    if (it != roomsOfSocket_.end()) {
        for (const auto& room : std::set<std::string>(it->second)) removeParticipant(room, s.id, reason, true);
        roomsOfSocket_.erase(s.id);
    }
    chatBuckets_.erase(s.id);
    signalBuckets_.erase(s.id);
}

Json RoomService::join(Socket& s, const Json& body)
{
    const std::string room = body.stringOr("room", "");
    if (!validRoomId(room)) return error("invalid", "'room' must be a room id");
    if (auto mine = roomsOfSocket_.find(s.id); mine != roomsOfSocket_.end() && mine->second.count(room)) {
        LiveRoom& lr = rooms_.at(room);
        return Json{{"participant", participantJson(lr.participants.at(s.id))}, {"participants", participantsJson(lr)},
                    {"ice_servers", ice_.forUser(s.user.userId, nowSeconds())}};
    }
    std::string why;
    auto record = loadRoom(room, why);
    if (!record) return error("not-found", why.empty() ? "no such room" : why);
    if (record->endedAt) return error("room-ended", "the room has ended");
    bool moderator = false;
    if (auto refusal = mayJoin(*record, s.user, moderator)) return error(refusal->code, refusal->message);
    LiveRoom& lr = rooms_[room];
    if (lr.record.id.empty()) lr.record = *record;
    if (lr.record.locked && !moderator) return error("room-locked", "the room is locked; a moderator can let you in");
    if (static_cast<int64_t>(lr.participants.size()) >= lr.record.maxParticipants)
        return error("room-full", "the room is full (" + std::to_string(lr.record.maxParticipants) + " participants)");
    Participant p{s.id, s.user.userId, node_, moderator, {}, nowMs()};
    lr.participants[p.id] = p;
    roomsOfSocket_[s.id].insert(room);
    io_.join(s.id, roomKey(room));
    const Json pj = participantJson(p);
    io_.broadcast(options_.nsp, roomKey(room), "participant:joined", args(Json{{"room", room}, {"participant", pj}}), s.id);
    replicate(Json{{"t", "joined"}, {"room", room}, {"p", pj}});
    participantsGauge_.inc(1);
    host_.publish("participant.joined", Json{{"room", room}, {"participant", p.id}, {"user_id", p.user}});
    return Json{{"participant", pj}, {"participants", participantsJson(lr)}, {"ice_servers", ice_.forUser(s.user.userId, nowSeconds())}};
}

Json RoomService::leave(Socket& s, const Json& body)
{
    const std::string room = body.stringOr("room", "");
    auto mine = roomsOfSocket_.find(s.id);
    if (mine == roomsOfSocket_.end() || !mine->second.count(room)) return error("not-in-room", "you are not in that room");
    removeParticipant(room, s.id, "left", true);
    return Json{{"left", room}};
}

Json RoomService::signal(Socket& s, const Json& body)
{
    const std::string to = body.stringOr("to", "");
    if (to.empty() || !body.has("data")) return error("invalid", "'to' (a participant id) and 'data' are required");
    if (!signalBuckets_[s.id].take(options_.signalPerSecond, options_.signalBurst, Clock::now()))
        return error("rate-limited", "too many signals; slow down");
    const std::string data = body["data"].dump();
    if (data.size() > options_.maxSignalBytes) return error("too-large", "signal data over " + std::to_string(options_.maxSignalBytes) + " bytes");
    auto mine = roomsOfSocket_.find(s.id);
    if (mine != roomsOfSocket_.end()) {
        for (const auto& room : mine->second) {
            LiveRoom* lr = live(room);
            auto target = lr ? lr->participants.find(to) : decltype(lr->participants.end()){};
            if (lr && target != lr->participants.end() && to != s.id) {
                toParticipant(target->second, "signal", Json{{"from", s.id}, {"data", body["data"]}});
                return Json{{"ok", true}};
            }
        }
    }
    return error("not-in-room", "that participant is not in a room with you");
}

Json RoomService::chat(Socket& s, const Json& body, std::optional<uint64_t> ackId, bool& deferred)
{
    const std::string room = body.stringOr("room", "");
    auto mine = roomsOfSocket_.find(s.id);
    if (mine == roomsOfSocket_.end() || !mine->second.count(room)) return error("not-in-room", "join the room before chatting in it");
    if (!body["text"].isString()) return error("invalid", "'text' must be a string");
    const std::string text = body["text"].asString();
    const size_t length = codePoints(text);
    if (length == 0) return error("invalid", "'text' is empty");
    if (length > options_.chatMaxLength || text.size() > options_.chatMaxLength * 4)
        return error("too-long", "chat messages have at most " + std::to_string(options_.chatMaxLength) + " characters");
    LiveRoom& lr = rooms_.at(room);
    std::string toUser;
    const std::string to = body.stringOr("to", "");
    if (!to.empty()) {
        auto target = lr.participants.find(to);
        if (target == lr.participants.end()) return error("not-in-room", "'to' is not a participant of this room");
        toUser = target->second.user;
    }
    if (!chatBuckets_[s.id].take(options_.chatPerSecond, options_.chatBurst, Clock::now()))
        return error("rate-limited", "too many messages; slow down");
    const int64_t ts = nowMs();
    ChatMessage m{chatId(ts), room, s.user.userId, s.id, toUser, to, text, ts, ackId};
    if (!chat_->submit(m)) return error("busy", "the server is busy; try again");
    deliverChat(m);
    deferred = true;
    return Json();
}

// Delivered at once, stored by the writer thread; the sender's acknowledgement waits for the
// commit, so an acknowledged message is never lost while the room does not wait for the disk.
void RoomService::deliverChat(const ChatMessage& m)
{
    if (!m.recipientParticipant.empty()) {
        Json message{{"id", m.id}, {"room", m.roomId}, {"from", m.senderParticipant}, {"user", m.senderUser}, {"text", m.text}, {"ts", m.ts}};
        message.set("to", m.recipientParticipant);
        LiveRoom* lr = live(m.roomId);
        if (lr) {
            auto target = lr->participants.find(m.recipientParticipant);
            if (target != lr->participants.end()) toParticipant(target->second, "chat:message", message);
        }
        io_.emit(m.senderParticipant, "chat:message", args(message));
    } else {
        // The room's message written directly: this is every chat message's path, and building
        // and stringifying a Json tree was most of it.
        std::string a = "[{";
        appendStringMember(a, "id", m.id);
        appendStringMember(a, "room", m.roomId);
        appendStringMember(a, "from", m.senderParticipant);
        appendStringMember(a, "user", m.senderUser);
        appendStringMember(a, "text", m.text);
        a += ",\"ts\":" + std::to_string(m.ts) + "}]";
        toRoomArgs(m.roomId, "chat:message", a);
    }
}

void RoomService::onChatCommitted(std::vector<ChatMessage>&& batch, bool stored)
{
    // A few messages per hold of the lock: a batch can hold hundreds, and every socket callback
    // waits for this lock.
    constexpr size_t kPerHold = 16;
    std::unique_lock lock(mutex_);
    size_t held = 0;
    for (const auto& m : batch) {
        if (++held > kPerHold) {
            lock.unlock();
            lock.lock();
            held = 1;
        }
        if (!stored) {
            if (m.ackId) io_.ack(m.senderParticipant, *m.ackId, args(error("internal", "the message could not be stored")));
            continue;
        }
        // Written directly rather than through Json trees: this runs for every chat message, and the
        // trees' stringification was a fifth of the writer thread.
        const std::string ts = std::to_string(m.ts);
        if (m.ackId) {
            std::string ack = "[{";
            appendStringMember(ack, "id", m.id);
            ack += ",\"ts\":" + ts + "}]";
            io_.ack(m.senderParticipant, *m.ackId, ack);
        }
        chatCounter_.inc(1);
        std::string event = "{";
        appendStringMember(event, "room", m.roomId);
        appendStringMember(event, "id", m.id);
        appendStringMember(event, "user_id", m.senderUser);
        event += ",\"ts\":" + ts + ",\"private\":" + (m.recipientParticipant.empty() ? "false" : "true") +
                 ",\"length\":" + std::to_string(codePoints(m.text)) + "}";
        host_.publishJson("chat.message", event);
    }
}

Json RoomService::presence(Socket& s, const Json& body)
{
    auto mine = roomsOfSocket_.find(s.id);
    if (mine == roomsOfSocket_.end() || mine->second.empty()) return error("not-in-room", "join a room first");
    for (const char* key : {"audio", "video", "hand", "screen"})
        if (body.has(key) && !body[key].isBool()) return error("invalid", std::string("'") + key + "' must be a boolean");
    Json last;
    for (const auto& room : mine->second) {
        LiveRoom* lr = live(room);
        if (!lr) continue;
        Participant& p = lr->participants.at(s.id);
        p.presence.audio = body.boolOr("audio", p.presence.audio);
        p.presence.video = body.boolOr("video", p.presence.video);
        p.presence.hand = body.boolOr("hand", p.presence.hand);
        p.presence.screen = body.boolOr("screen", p.presence.screen);
        last = participantJson(p);
        io_.broadcast(options_.nsp, roomKey(room), "participant:updated", args(Json{{"room", room}, {"participant", last}}));
        replicate(Json{{"t", "updated"}, {"room", room}, {"p", last}});
    }
    return Json{{"participant", last}};
}

Json RoomService::moderate(Socket& s, const std::string& action, const Json& body)
{
    const std::string room = body.stringOr("room", "");
    LiveRoom* lr = live(room);
    auto self = lr ? lr->participants.find(s.id) : decltype(lr->participants.end()){};
    if (!lr || self == lr->participants.end()) return error("not-in-room", "you are not in that room");
    if (!self->second.moderator) return error("forbidden", "only the room's moderators may do that");
    if (action == "room:end") {
        endRoom(room, true);
        return Json{{"ended", room}};
    }
    if (action == "moderate:lock") {
        if (!body["locked"].isBool()) return error("invalid", "'locked' must be a boolean");
        lr->record.locked = body["locked"].asBool();
        if (!lr->record.provided) host_.db().exec("UPDATE signalling_rooms SET locked = ? WHERE id = ?", {lr->record.locked ? 1 : 0, room});
        const Json update{{"room", room}, {"locked", lr->record.locked}};
        io_.broadcast(options_.nsp, roomKey(room), "room:updated", args(update));
        replicate(Json{{"t", "lock"}, {"room", room}, {"locked", lr->record.locked}});
        return update;
    }
    const std::string target = body.stringOr("participant", "");
    auto it = lr->participants.find(target);
    if (it == lr->participants.end()) return error("not-found", "no such participant in this room");
    if (action == "moderate:mute") {
        it->second.presence.audio = false;
        toParticipant(it->second, "moderate:mute", Json{{"room", room}, {"by", s.id}});
        const Json pj = participantJson(it->second);
        io_.broadcast(options_.nsp, roomKey(room), "participant:updated", args(Json{{"room", room}, {"participant", pj}}));
        replicate(Json{{"t", "updated"}, {"room", room}, {"p", pj}});
        return Json{{"muted", target}};
    }
    // moderate:kick
    toParticipant(it->second, "participant:left", Json{{"room", room}, {"participant", target}, {"reason", "kicked"}});
    removeParticipant(room, target, "kicked", true);
    return Json{{"kicked", target}};
}

// ------------------------------------------------------------------ rooms

RoomService::LiveRoom* RoomService::live(const std::string& id)
{
    auto it = rooms_.find(id);
    return it == rooms_.end() ? nullptr : &it->second;
}

std::optional<RoomService::RoomRecord> RoomService::loadRoom(const std::string& id, std::string& why)
{
    if (LiveRoom* lr = live(id); lr && !lr->record.id.empty()) return lr->record;
    const auto colon = id.find(':');
    if (colon != std::string::npos) {
        // Another plugin's room: "courses:KEY" asks vtp.rooms.provider.courses.
        const std::string provider = id.substr(0, colon), key = id.substr(colon + 1);
        const auto* table = host_.find<vtp_room_provider_v1>(VTP_ROOM_PROVIDER_PREFIX + provider, VTP_ROOM_PROVIDER_VERSION);
        if (!table || !table->describe) {
            why = "no plugin provides rooms named '" + provider + ":...'";
            return std::nullopt;
        }
        char out[4096];
        if (table->describe(table->context, key.c_str(), out, sizeof out) != VTP_OK) return std::nullopt;
        const Json d = Json::parse(out);
        RoomRecord r;
        r.id = id;
        r.name = d.stringOr("name", id);
        r.createdBy = "";
        r.maxParticipants = d.intOr("max_participants", options_.defaultMaxParticipants);
        r.provided = true;
        r.opensAt = d.intOr("opens_at", 0);
        r.closesAt = d.intOr("closes_at", 0);
        r.access = Json{{"type", "provider"}, {"provider", provider}};
        return r;
    }
    const Rows rows = host_.db().query(std::string("SELECT ") + kRoomColumns + " FROM signalling_rooms WHERE id = ?", {id});
    if (rows.empty()) return std::nullopt;
    return recordFromRow(rows, 0);
}

RoomService::RoomRecord RoomService::recordFromRow(const Rows& rows, size_t i)
{
    const auto row = rows[i];
    RoomRecord r;
    r.id = row[0].asString();
    r.name = row[1].asString();
    r.createdBy = row[2].asString();
    r.maxParticipants = row[3].asInt();
    r.locked = row[4].asInt() != 0;
    r.access = Json::parse(row[5].asString());
    r.createdAt = row[6].asInt();
    r.endedAt = row[7].asOptionalInt();
    return r;
}

std::optional<RoomService::Refusal> RoomService::mayJoin(const RoomRecord& r, const Principal& user, bool& moderator)
{
    moderator = user.hasRole("admin") || (!r.createdBy.empty() && r.createdBy == user.userId);
    if (r.provided) {
        const std::string provider = r.access["provider"].asString();
        const auto* table = host_.find<vtp_room_provider_v1>(VTP_ROOM_PROVIDER_PREFIX + provider, VTP_ROOM_PROVIDER_VERSION);
        if (!table || !table->authorize) return Refusal{"not-found", "the room's provider is not running"};
        std::string roles;
        for (const auto& role : user.roles) roles += (roles.empty() ? "" : ",") + role;
        int mod = 0;
        char reason[256] = {0};
        const std::string key = r.id.substr(r.id.find(':') + 1);
        const int rc = table->authorize(table->context, key.c_str(), user.userId.c_str(), roles.c_str(), nowSeconds(), &mod, reason, sizeof reason);
        if (rc == VTP_NOT_FOUND) return Refusal{"not-found", "no such room"};
        if (rc != VTP_OK) return Refusal{"forbidden", reason[0] ? reason : "you may not join this room"};
        moderator = moderator || mod != 0;
        return std::nullopt;
    }
    if (moderator) return std::nullopt;
    if (r.access["type"].isString() && r.access["type"].asString() == "users") {
        const Json users = r.access["users"];
        for (size_t i = 0; i < users.size(); ++i)
            if (users.at(i).isString() && users.at(i).asString() == user.userId) return std::nullopt;
        return Refusal{"forbidden", "this room is for invited participants only"};
    }
    return std::nullopt;
}

void RoomService::removeParticipant(const std::string& roomId, const std::string& participantId, const std::string& reason, bool replicateIt)
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

void RoomService::recheckAccess(const std::string& userId)
{
    std::lock_guard lock(mutex_);
    struct Gone {
        std::string room, participant, user, why;
    };
    std::vector<Gone> gone;
    for (const auto& [roomId, lr] : rooms_) {
        if (!lr.record.provided) continue;
        for (const auto& [pid, p] : lr.participants) {
            if ((!userId.empty() && p.user != userId) || p.node != node_) continue;
            const Socket* s = io_.find(pid);
            if (!s) continue;
            bool moderator = false;
            if (auto refusal = mayJoin(lr.record, s->user, moderator)) gone.push_back({roomId, pid, p.user, refusal->message});
        }
    }
    for (const auto& g : gone) {
        io_.emit(g.participant, "participant:left",
                 args(Json{{"room", g.room}, {"participant", g.participant}, {"user", g.user}, {"reason", "access-revoked"}, {"message", g.why}}));
        removeParticipant(g.room, g.participant, "access-revoked", true);
    }
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
                {"presence", Json{{"audio", p.presence.audio}, {"video", p.presence.video}, {"hand", p.presence.hand}, {"screen", p.presence.screen}}},
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
    return Json{{"id", r.id},
                {"name", r.name},
                {"created_by", r.createdBy},
                {"max_participants", r.maxParticipants},
                {"locked", r.locked},
                {"access", r.access},
                {"created_at", r.createdAt},
                {"ended_at", r.endedAt ? Json(*r.endedAt) : Json()}};
}

void RoomService::toParticipant(const Participant& p, std::string_view event, const Json& payload)
{
    if (p.node == node_) io_.emit(p.id, event, args(payload));
    else replicate(Json{{"t", "to"}, {"p", p.id}, {"event", std::string(event)}, {"args", args(payload)}});
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

// ------------------------------------------------------------------ between nodes

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

// ------------------------------------------------------------------ REST

void RoomService::registerRoutes()
{
    auto route = [this](Route r, Response (RoomService::*fn)(const Request&)) {
        if (r.body == Body::Json && r.maxBodyBytes == 0) r.maxBodyBytes = 64 * 1024;
        host_.route(r, [this, fn](const Request& req) { return (this->*fn)(req); });
    };
    const std::string roomProperties =
        R"("id":{"type":"string"},"name":{"type":"string"},"created_by":{"type":"string"},"max_participants":{"type":"integer"},)"
        R"("locked":{"type":"boolean"},"access":{"type":"object","required":["type"],"properties":{"type":{"enum":["authenticated","users"]},)"
        R"("users":{"type":"array","items":{"type":"string"}}}},"created_at":{"type":"integer"},"ended_at":{"type":["integer","null"]})";
    const std::string roomRequired = R"("id","name","created_by","max_participants","locked","access","created_at","ended_at")";
    const std::string roomSchema = R"({"type":"object","required":[)" + roomRequired + R"(],"properties":{)" + roomProperties + "}}";
    const std::string participantSchema =
        R"({"type":"object","required":["id","user"],"properties":{"id":{"type":"string"},"user":{"type":"string"},)"
        R"("moderator":{"type":"boolean"},"presence":{"type":"object"},"joined_at":{"type":"integer"}}})";
    route({.method = "POST", .path = "/api/v1/rooms", .role = "instructor",
           .summary = "Creates a live room (instructors and admins); its creator moderates it", .body = Body::Json,
           .requestSchema = R"({"type":"object","additionalProperties":false,"properties":{"name":{"type":"string","minLength":1,"maxLength":200},"max_participants":{"type":"integer","minimum":1},"locked":{"type":"boolean"},"access":{"oneOf":[{"type":"string","enum":["authenticated"]},{"type":"object","required":["users"],"properties":{"users":{"type":"array","maxItems":10000,"items":{"type":"string"}}}}]}},"required":["name"]})",
           .responseSchema = roomSchema, .successStatus = 201,
           .errors = {{400, "invalid-body"}, {422, "invalid-field"}, {422, "invalid-name"}}},
          &RoomService::createRoom);
    route({.method = "GET", .path = "/api/v1/rooms", .role = Role::Authenticated,
           .summary = "Rooms, newest first (?state=active|ended|all, ?mine=true, ?limit, ?cursor)",
           .responseSchema = R"({"type":"object","required":["rooms","next_cursor"],"properties":{"rooms":{"type":"array","items":{"type":"object","required":[)" +
                             roomRequired + R"(,"participant_count"],"properties":{)" + roomProperties +
                             R"(,"participant_count":{"type":"integer"}}}},"next_cursor":{"type":["string","null"]}}})",
           .errors = {{400, "invalid-parameter"}}},
          &RoomService::listRooms);
    route({.method = "GET", .path = "/api/v1/rooms/{id}", .role = Role::Authenticated,
           .summary = "A room with its live participants",
           .responseSchema = R"({"type":"object","required":[)" + roomRequired + R"(,"participants"],"properties":{)" + roomProperties +
                             R"(,"participants":{"type":"array","items":)" + participantSchema + "}}}",
           .errors = {{404, "not-found"}}},
          &RoomService::getRoom);
    route({.method = "DELETE", .path = "/api/v1/rooms/{id}", .role = Role::Authenticated,
           .summary = "Ends a room for everyone (its creator or an admin)", .successStatus = 204,
           .errors = {{403, "forbidden"}, {404, "not-found"}, {409, "provided-room"}}},
          &RoomService::deleteRoom);
    route({.method = "GET", .path = "/api/v1/rooms/{id}/chat", .role = Role::Authenticated,
           .summary = "A room's chat history, newest first (?limit, ?cursor); private messages only to their two ends",
           .responseSchema = R"({"type":"object","required":["messages","next_cursor"],"properties":{"messages":{"type":"array","items":{"type":"object","required":["id","room","from","user","text","ts"],"properties":{"id":{"type":"string"},"room":{"type":"string"},"from":{"type":"string"},"user":{"type":"string"},"to":{"type":"string"},"text":{"type":"string"},"ts":{"type":"integer"}}}},"next_cursor":{"type":["string","null"]}}})",
           .errors = {{400, "invalid-parameter"}, {403, "forbidden"}, {404, "not-found"}}},
          &RoomService::chatHistory);
}

RoomService::RoomRecord RoomService::requireRoom(const std::string& id)
{
    std::string why;
    auto r = loadRoom(id, why);
    if (!r) throw NotFound(why.empty() ? "no such room" : why);
    return *r;
}

Response RoomService::createRoom(const Request& req)
{
    const Json body = req.json();
    if (!body.isObject()) throw BadRequest("the body must be a JSON object", "invalid-body");
    for (const auto& k : body.keys())
        if (k != "name" && k != "max_participants" && k != "locked" && k != "access") throw Unprocessable("unknown field '" + k + "'", "invalid-field");
    RoomRecord r;
    const Json name = body["name"];
    if (!name.isString() || codePoints(name.asString()) < 1 || codePoints(name.asString()) > 200)
        throw Unprocessable("'name' must be a string of 1 to 200 characters", "invalid-name");
    r.name = name.asString();
    r.maxParticipants = options_.defaultMaxParticipants;
    if (body.has("max_participants")) r.maxParticipants = body.intField("max_participants", 1, options_.maxParticipantsLimit);
    if (body.has("locked")) {
        if (!body["locked"].isBool()) throw Unprocessable("'locked' must be a boolean", "invalid-field");
        r.locked = body["locked"].asBool();
    }
    r.access = Json{{"type", "authenticated"}};
    if (body.has("access")) {
        const Json a = body["access"];
        if (a.isString() && a.asString() == "authenticated") {
        } else if (a.isObject() && a["users"].isArray() && a["users"].size() <= 10000) {
            Json users = Json::array();
            for (size_t i = 0; i < a["users"].size(); ++i) {
                if (!a["users"].at(i).isString()) throw Unprocessable("'access.users' must list user ids", "invalid-field");
                users.push(a["users"].at(i));
            }
            r.access = Json{{"type", "users"}, {"users", users}};
        } else {
            throw Unprocessable("'access' must be \"authenticated\" or {\"users\": [user ids]}", "invalid-field");
        }
    }
    r.id = randomId();
    r.createdBy = std::string(req.subject());
    r.createdAt = nowSeconds();
    host_.db().exec("INSERT INTO signalling_rooms (id, name, created_by, max_participants, locked, access, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    {r.id, r.name, r.createdBy, r.maxParticipants, r.locked ? 1 : 0, r.access.dump(), r.createdAt});
    host_.publish("room.created", Json{{"room", r.id}, {"created_by", r.createdBy}});
    return Response::created(roomJson(r), "/api/v1/rooms/" + r.id);
}

Response RoomService::listRooms(const Request& req)
{
    const int64_t limit = req.queryInt("limit", 50, 1, 200);
    const std::string state = req.query("state").value_or("active");
    if (state != "active" && state != "ended" && state != "all") throw BadRequest("'state' must be active, ended or all", "invalid-parameter");
    std::string sql = std::string("SELECT ") + kRoomColumns + " FROM signalling_rooms WHERE 1 = 1";
    std::vector<std::string> keep;
    keep.reserve(4);
    if (state == "active") sql += " AND ended_at IS NULL";
    if (state == "ended") sql += " AND ended_at IS NOT NULL";
    if (req.query("mine").value_or("") == "true") {
        keep.push_back(std::string(req.subject()));
        sql += " AND created_by = ?";
    }
    std::vector<Param> params(keep.begin(), keep.end());
    int64_t beforeTs = 0;
    std::string beforeId;
    if (const auto cursor = req.query("cursor"); cursor && !cursor->empty()) {
        const auto sep = cursor->find('_');
        try {
            if (sep == std::string::npos) throw std::invalid_argument("cursor");
            beforeTs = std::stoll(cursor->substr(0, sep));
            beforeId = cursor->substr(sep + 1);
        } catch (const std::exception&) {
            throw BadRequest("invalid cursor; pass next_cursor unchanged", "invalid-parameter");
        }
        sql += " AND (created_at < ? OR (created_at = ? AND id < ?))";
        params.emplace_back(beforeTs);
        params.emplace_back(beforeTs);
        params.emplace_back(beforeId);
    }
    sql += " ORDER BY created_at DESC, id DESC LIMIT " + std::to_string(limit + 1);
    const Rows rows = host_.db().query(sql, params);
    Json list = Json::array();
    const size_t n = std::min<size_t>(rows.size(), static_cast<size_t>(limit));
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < n; ++i) {
        const RoomRecord r = recordFromRow(rows, i);
        Json j = roomJson(r);
        const LiveRoom* lr = live(r.id);
        j.set("participant_count", static_cast<int64_t>(lr ? lr->participants.size() : 0));
        list.push(j);
    }
    Json next;
    if (rows.size() > n && n > 0) next = std::to_string(rows[n - 1][6].asInt()) + "_" + rows[n - 1][0].asString();
    return Response::json(Json{{"rooms", list}, {"next_cursor", next}});
}

Response RoomService::getRoom(const Request& req)
{
    std::lock_guard lock(mutex_);
    const RoomRecord r = requireRoom(req.param("id"));
    Json j = roomJson(r);
    const LiveRoom* lr = live(r.id);
    j.set("participants", lr ? participantsJson(*lr) : Json::array());
    return Response::json(j);
}

Response RoomService::deleteRoom(const Request& req)
{
    std::lock_guard lock(mutex_);
    const RoomRecord r = requireRoom(req.param("id"));
    if (r.provided) throw Conflict("this room belongs to another plugin; end it there", "provided-room");
    if (r.createdBy != req.subject() && !req.hasRole("admin")) throw Forbidden("only the room's creator or an admin may end it");
    if (r.endedAt) return Response::noContent();
    endRoom(r.id, true);
    return Response::noContent();
}

Response RoomService::chatHistory(const Request& req)
{
    const int64_t limit = req.queryInt("limit", 50, 1, 200);
    Principal user;
    user.userId = std::string(req.subject());
    user.roles = req.roles();
    {
        std::lock_guard lock(mutex_);
        const RoomRecord r = requireRoom(req.param("id"));
        bool moderator = false;
        if (auto refusal = mayJoin(r, user, moderator)) throw Forbidden(refusal->message);
    }
    return Response::json(chat_->history(req.param("id"), user.userId, limit, req.query("cursor").value_or("")));
}

} // namespace vtp::signalling
