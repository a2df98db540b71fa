// Socket events from participants: join, leave, WebRTC signals, chat (delivered at once, stored
// by the chat writer), presence and moderation.

#include "rooms/RoomService.hpp"

#include "protocol/JsonWriter.hpp"
#include "rooms/RoomCommon.hpp"

#include <algorithm>

namespace vtp::signalling {

using namespace rooms;

namespace {

Json error(const std::string& code, const std::string& message)
{
    return Json{{"error", Json{{"code", code}, {"message", message}}}};
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

bool validRoomId(const std::string& id)
{
    if (id.empty() || id.size() > 200) return false;
    for (char c : id)
        if (static_cast<unsigned char>(c) < 0x21 || c == 0x7F) return false;
    return true;
}

} // namespace

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
        if (name == "room:join") {
            const std::string room = body.stringOr("room", "");
            const auto mine = roomsOfSocket_.find(s.id);
            const bool wasIn = mine != roomsOfSocket_.end() && mine->second.count(room);
            const Json r = join(s, body);
            reply(r);
            if (!wasIn && !r.has("error")) notifyJoin(s, room);
        } else if (name == "room:leave")
            reply(leave(s, body));
        else if (name == "signal")
            reply(signal(s, body));
        else if (name == "chat:send") {
            bool deferred = false;
            Json r = chat(s, body, p.id, deferred);
            if (!deferred) reply(r);
        } else if (name == "presence:update")
            reply(presence(s, body));
        else if (name == "moderate:mute" || name == "moderate:kick" || name == "moderate:lock" || name == "room:end")
            reply(moderate(s, name, body));
        else if (const auto* h = handlerFor(name)) {
            bool deferred = false;
            Json r = extensionEvent(s, *h, name, body, p.id, deferred);
            if (!deferred) reply(r);
        } else
            reply(error("unknown-event", "no event named '" + name + "'"));
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
        return Json{{"participant", participantJson(lr.participants.at(s.id))},
                    {"participants", participantsJson(lr)},
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
    if (data.size() > options_.maxSignalBytes)
        return error("too-large", "signal data over " + std::to_string(options_.maxSignalBytes) + " bytes");
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
        Json message{{"id", m.id},           {"room", m.roomId}, {"from", m.senderParticipant},
                     {"user", m.senderUser}, {"text", m.text},   {"ts", m.ts}};
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

} // namespace vtp::signalling
