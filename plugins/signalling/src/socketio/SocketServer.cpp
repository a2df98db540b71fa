#include "socketio/SocketServer.hpp"

#include "protocol/JsonWriter.hpp"

#include <Poco/JSON/Object.h>

namespace vtp::signalling {

using protocol::EncodedSocketPacket;
using protocol::SocketEncoder;
using protocol::SocketPacket;
using protocol::SocketPacketType;

namespace {

std::string quoted(std::string_view s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string stringMember(const Poco::Dynamic::Var& v, const std::string& key)
{
    try {
        if (v.type() != typeid(Poco::JSON::Object::Ptr)) return {};
        auto o = v.extract<Poco::JSON::Object::Ptr>();
        auto m = o->get(key);
        return m.isString() ? m.convert<std::string>() : std::string();
    } catch (...) {
        return {};
    }
}

} // namespace

std::string SocketServer::newId()
{
    return randomId();
}

std::string SocketServer::withOffset(std::string_view argsJson, uint64_t offset)
{
    const std::string o = quoted(std::to_string(offset));
    if (argsJson.empty() || argsJson == "[]") return "[" + o + "]";
    std::string out(argsJson);
    out.pop_back(); // the closing bracket
    return out + "," + o + "]";
}

void SocketServer::onEngineOpen(const std::string& sid, const ClientInfo&)
{
    Session s{protocol::SocketDecoder(options_.limits), {}, Clock::now() + options_.connectTimeout};
    sessions_.emplace(sid, std::move(s));
}

void SocketServer::onEngineMessage(const std::string& sid, const protocol::EnginePacket& packet)
{
    auto it = sessions_.find(sid);
    if (it == sessions_.end()) return;
    auto decoded = it->second.decoder.add(packet);
    if (!decoded) {
        // The protocol's answer to a malformed packet: close the connection.
        engine_->close(sid, std::string("parse error: ") + decoded.error().message);
        return;
    }
    if (!decoded->has_value()) return; // a binary packet waiting for attachments
    onPacket(sid, it->second, std::move(**decoded));
}

void SocketServer::onPacket(const std::string& sid, Session& session, SocketPacket&& packet)
{
    switch (packet.type) {
    case SocketPacketType::Connect: onConnect(sid, session, packet); return;
    case SocketPacketType::Disconnect: {
        auto s = session.sockets.find(packet.nsp);
        if (s == session.sockets.end()) return;
        const std::string id = s->second;
        session.sockets.erase(s);
        drop(id, "client namespace disconnect");
        return;
    }
    case SocketPacketType::Event:
    case SocketPacketType::BinaryEvent: {
        auto s = session.sockets.find(packet.nsp);
        if (s == session.sockets.end()) return; // not connected to that namespace: ignored, as socket.io does
        Socket* socket = find(s->second);
        if (socket && eventFilter_ && eventFilter_(*socket, packet)) return;
        auto ns = namespaces_.find(packet.nsp);
        if (socket && ns != namespaces_.end() && ns->second.onEvent) ns->second.onEvent(*socket, packet);
        return;
    }
    case SocketPacketType::Ack:
    case SocketPacketType::BinaryAck: {
        auto s = session.sockets.find(packet.nsp);
        if (s == session.sockets.end() || !packet.id) return;
        Socket* socket = find(s->second);
        if (!socket) return;
        auto a = socket->acks.find(*packet.id);
        if (a == socket->acks.end()) return;
        auto callback = std::move(a->second);
        socket->acks.erase(a);
        callback(packet);
        return;
    }
    case SocketPacketType::ConnectError: return; // only servers send it; socket.io ignores one from a client
    }
}

void SocketServer::onConnect(const std::string& sid, Session& session, const SocketPacket& packet)
{
    auto refuse = [&](const std::string& message, std::string_view dataJson = {}) {
        if (auto text = SocketEncoder::connectError(packet.nsp, message, dataJson)) engine_->sendText(sid, *text);
    };
    auto ns = namespaces_.find(packet.nsp);
    if (ns == namespaces_.end()) {
        refuse("Invalid namespace");
        return;
    }
    if (session.sockets.count(packet.nsp)) {
        refuse("already connected to this namespace");
        return;
    }
    Poco::Dynamic::Var auth;
    if (!packet.payload.empty()) {
        auto data = packet.data(options_.limits.maxDepth);
        if (!data || (!data->isEmpty() && data->type() != typeid(Poco::JSON::Object::Ptr))) {
            refuse("the auth payload must be an object");
            return;
        }
        auth = *data;
    }
    Principal user;
    if (ns->second.requireAuth) {
        const std::string token = stringMember(auth, "token");
        std::string reason;
        if (token.empty()) {
            refuse("authentication required: connect with auth {token}");
            return;
        }
        if (!verify_(token, user, reason)) {
            refuse(reason.empty() ? "invalid token" : reason);
            return;
        }
    }
    // The auth payload as the namespace's handlers may see it, without the token.
    std::string authJson = "{}";
    if (auth.type() == typeid(Poco::JSON::Object::Ptr)) {
        Poco::JSON::Object copy(*auth.extract<Poco::JSON::Object::Ptr>());
        copy.remove("token"); // a credential; pid, offset and the rest are the client's own
        std::ostringstream text;
        copy.stringify(text);
        authJson = text.str();
    }

    // Connection state recovery: the same private id, same user, within the window.
    const std::string pid = stringMember(auth, "pid");
    const std::string offsetText = stringMember(auth, "offset");
    if (options_.recoveryWindow.count() > 0 && !pid.empty()) {
        auto p = byPid_.find(pid);
        Socket* ghost = p == byPid_.end() ? nullptr : find(p->second);
        if (ghost && !ghost->connected && ghost->nsp == packet.nsp && ghost->user.userId == user.userId &&
            Clock::now() <= ghost->recoverUntil) {
            ghost->connected = true;
            ghost->sid = sid;
            ghost->user = user; // the new token's session and expiry from now on
            ghost->wsEpoch = UINT64_MAX;
            session.sockets[packet.nsp] = ghost->id;
            session.connectDeadline = Clock::time_point::max(); // as socket.io: cleared at the first connect
            const std::string hello = "{\"sid\":" + quoted(ghost->id) + ",\"pid\":" + quoted(ghost->pid) + "}";
            engine_->sendText(sid, "40" + (packet.nsp == "/" ? std::string() : packet.nsp + ",") + hello);
            uint64_t after = 0;
            try {
                after = offsetText.empty() ? 0 : std::stoull(offsetText);
            } catch (...) {
                after = 0;
            }
            auto missed = std::move(ghost->missed);
            ghost->missed.clear();
            ghost->missedBytes = 0;
            auto recent = std::move(ghost->recent);
            const size_t oldest = ghost->recentNext;
            ghost->recent = {};
            for (size_t i = 0; i < Socket::kRecentPackets; ++i) {
                const auto& [offset, packet] = recent[(oldest + i) % Socket::kRecentPackets];
                if (packet && offset > after) sendEncoded(sid, *packet);
            }
            for (const auto& [offset, encoded] : missed)
                if (offset > after) sendEncoded(sid, encoded);
            return;
        }
    }

    auto owned = std::make_unique<Socket>();
    Socket& socket = *owned;
    socket.id = newId();
    socket.sid = sid;
    socket.nsp = packet.nsp;
    socket.user = user;
    socket.authJson = authJson;
    if (options_.recoveryWindow.count() > 0) socket.pid = newId();
    const std::string id = socket.id;
    // Registered before the namespace's check so that the check may already join rooms; the
    // CONNECT answer goes out after it, so nothing may be emitted to the socket from there.
    sockets_[id] = std::move(owned);
    if (ns->second.onConnect) {
        std::optional<ConnectRefusal> refusal;
        try {
            refusal = ns->second.onConnect(socket, auth);
        } catch (const std::exception& e) {
            refusal = ConnectRefusal{e.what(), {}};
        }
        if (refusal) {
            Socket* left = find(id);
            if (left)
                for (const auto& room : std::set<std::string>(left->rooms)) leave(id, room);
            sockets_.erase(id);
            refuse(refusal->message, refusal->dataJson);
            return;
        }
    }
    Socket* s = find(id);
    if (!s) return;
    // The handler may have ended the session (and with it `session`): then the socket goes too.
    auto still = sessions_.find(sid);
    if (still == sessions_.end()) {
        drop(id, "transport close");
        return;
    }
    const std::string hello = "{\"sid\":" + quoted(id) + (s->pid.empty() ? "" : ",\"pid\":" + quoted(s->pid)) + "}";
    if (!s->pid.empty()) byPid_[s->pid] = id;
    still->second.sockets[packet.nsp] = id;
    // As socket.io, the connect timeout ends with the first namespace connected: a session whose
    // sockets all leave later stays open (the client may connect another namespace).
    still->second.connectDeadline = Clock::time_point::max();
    engine_->sendText(sid, "40" + (packet.nsp == "/" ? std::string() : packet.nsp + ",") + hello);
}

bool SocketServer::sendEncoded(const std::string& sid, const EncodedSocketPacket& encoded)
{
    if (!engine_->sendText(sid, encoded.text)) return false;
    for (const auto& a : encoded.attachments)
        if (!engine_->sendBinary(sid, a)) return false;
    return true;
}

bool SocketServer::deliver(Socket& s, const EncodedSocketPacket& encoded, uint64_t offset)
{
    if (s.connected) return sendEncoded(s.sid, encoded);
    // Disconnected but recoverable: keep it for the client's return, within a bound.
    size_t bytes = encoded.text.size();
    for (const auto& a : encoded.attachments) bytes += a.size();
    if (s.missedBytes + bytes > options_.maxRecoveryBytes) {
        s.recoverUntil = Clock::time_point{}; // too much missed: the next tick lets it go
        return false;
    }
    s.missed.emplace_back(offset, encoded);
    s.missedBytes += bytes;
    return true;
}

bool SocketServer::deliverTagged(Socket& s, uint64_t offset, const std::function<SharedPacket(bool tagged)>& encode)
{
    const bool tagged = !s.pid.empty();
    SharedPacket packet = encode(tagged);
    if (!packet) return false;
    if (tagged && s.connected) s.remember(offset, packet);
    return deliver(s, *packet, offset);
}

namespace {

SocketServer::SharedPacket share(std::optional<EncodedSocketPacket> encoded)
{
    return encoded ? std::make_shared<const EncodedSocketPacket>(std::move(*encoded)) : nullptr;
}

SocketServer::SharedPacket shareText(protocol::Result<std::string> text)
{
    return text ? std::make_shared<const EncodedSocketPacket>(EncodedSocketPacket{std::move(*text), {}}) : nullptr;
}

} // namespace

bool SocketServer::emit(const std::string& socketId, std::string_view event, std::string_view argsJson)
{
    Socket* s = find(socketId);
    if (!s) return false;
    const uint64_t offset = nextOffset_++;
    return deliverTagged(*s, offset, [&](bool tagged) {
        return shareText(SocketEncoder::event(s->nsp, event, tagged ? withOffset(argsJson, offset) : std::string(argsJson)));
    });
}

bool SocketServer::emitWithAck(const std::string& socketId, std::string_view event, std::string_view argsJson,
                               std::function<void(const SocketPacket&)> onAck)
{
    Socket* s = find(socketId);
    if (!s || !s->connected) return false;
    const uint64_t id = s->nextAckId++;
    auto text = SocketEncoder::event(s->nsp, event, argsJson, id);
    if (!text) return false;
    s->acks[id] = std::move(onAck);
    return engine_->sendText(s->sid, *text);
}

void SocketServer::ack(const std::string& socketId, uint64_t ackId, std::string_view argsJson)
{
    Socket* s = find(socketId);
    if (!s || !s->connected) return;
    if (auto text = SocketEncoder::ack(s->nsp, ackId, argsJson)) engine_->sendText(s->sid, *text);
}

uint64_t SocketServer::webSocketOf(Socket& s)
{
    const uint64_t epoch = engine_->transportEpoch();
    if (s.wsEpoch != epoch) {
        s.ws = engine_->webSocketOf(s.sid);
        s.wsEpoch = epoch;
    }
    return s.ws;
}

size_t SocketServer::broadcast(const std::string& nsp, const std::string& room, std::string_view event, std::string_view argsJson,
                               const std::string& exceptSocketId)
{
    auto r = rooms_.find({nsp, room});
    if (r == rooms_.end()) return 0;
    const uint64_t offset = nextOffset_++;
    // Encoded at most twice, with and without the recovery offset (sockets without a pid get none),
    // each only if a member needs it.
    SharedPacket plain, tagged;
    auto packetFor = [&](bool withTag) -> SharedPacket {
        SharedPacket& slot = withTag ? tagged : plain;
        if (!slot) slot = shareText(SocketEncoder::event(nsp, event, withTag ? withOffset(argsJson, offset) : std::string(argsJson)));
        return slot;
    };
    // Resolved first, without side effects; then the WebSocket members get one multicast per text.
    // The rest (long-polling, or disconnected and recoverable) go one by one, by id, since any
    // single send can end a session and change the room.
    std::vector<uint64_t> plainWs, taggedWs;
    std::vector<std::string> plainPolling, taggedPolling, offline;
    taggedWs.reserve(r->second.size());
    for (const auto& [id, s] : r->second) {
        if (id == exceptSocketId) continue;
        if (!s->connected) {
            offline.push_back(id);
            continue;
        }
        const bool withTag = !s->pid.empty();
        if (!packetFor(withTag)) return 0;
        if (withTag) s->remember(offset, tagged);
        if (const uint64_t ws = webSocketOf(*s))
            (withTag ? taggedWs : plainWs).push_back(ws);
        else
            (withTag ? taggedPolling : plainPolling).push_back(s->sid);
    }
    size_t n = (plain ? engine_->sendTextFrames(plainWs, plain->text) : 0) + (tagged ? engine_->sendTextFrames(taggedWs, tagged->text) : 0);
    for (const auto& sid : plainPolling) n += engine_->sendText(sid, plain->text) ? 1 : 0;
    for (const auto& sid : taggedPolling) n += engine_->sendText(sid, tagged->text) ? 1 : 0;
    for (const auto& id : offline)
        if (Socket* s = find(id); s && deliverTagged(*s, offset, packetFor)) ++n;
    return n;
}

namespace {

// An event or ack with attachments: the payload JSON carries the placeholders.
std::optional<EncodedSocketPacket> encodeBinary(SocketPacketType type, const std::string& nsp, std::string_view event,
                                                std::string_view argsJson, const std::vector<std::string>& attachments,
                                                std::optional<uint64_t> id)
{
    SocketPacket p;
    p.type = type;
    p.nsp = nsp;
    p.id = id;
    const std::string args = argsJson.empty() ? std::string("[]") : std::string(argsJson);
    if (type == SocketPacketType::BinaryEvent) {
        std::string name;
        protocol::JsonWriter::appendString(name, event);
        p.payload = args.size() > 2 ? "[" + name + "," + args.substr(1) : "[" + name + "]";
    } else {
        p.payload = args;
    }
    p.attachments = attachments;
    auto encoded = SocketEncoder::encode(p);
    if (!encoded) return std::nullopt;
    return std::move(*encoded);
}

} // namespace

bool SocketServer::emitBinary(const std::string& socketId, std::string_view event, std::string_view argsJson,
                              const std::vector<std::string>& attachments)
{
    if (attachments.empty()) return emit(socketId, event, argsJson);
    Socket* s = find(socketId);
    if (!s) return false;
    const uint64_t offset = nextOffset_++;
    return deliverTagged(*s, offset, [&](bool tagged) {
        return share(encodeBinary(SocketPacketType::BinaryEvent, s->nsp, event,
                                  tagged ? withOffset(argsJson, offset) : std::string(argsJson), attachments, std::nullopt));
    });
}

bool SocketServer::ackBinary(const std::string& socketId, uint64_t ackId, std::string_view argsJson,
                             const std::vector<std::string>& attachments)
{
    Socket* s = find(socketId);
    if (!s || !s->connected) return false;
    if (attachments.empty()) {
        ack(socketId, ackId, argsJson);
        return true;
    }
    auto encoded = encodeBinary(SocketPacketType::BinaryAck, s->nsp, {}, argsJson, attachments, ackId);
    return encoded && sendEncoded(s->sid, *encoded);
}

std::vector<std::string> SocketServer::recipients(const std::string& nsp, const std::string& room, const std::string& except) const
{
    std::vector<std::string> ids;
    if (room.empty()) {
        for (const auto& [id, s] : sockets_)
            if (s->nsp == nsp && id != except) ids.push_back(id);
        return ids;
    }
    auto r = rooms_.find({nsp, room});
    if (r != rooms_.end())
        for (const auto& [id, s] : r->second)
            if (id != except) ids.push_back(id);
    return ids;
}

size_t SocketServer::broadcastBinary(const std::string& nsp, const std::string& room, std::string_view event, std::string_view argsJson,
                                     const std::vector<std::string>& attachments, const std::string& exceptSocketId)
{
    if (attachments.empty() && !room.empty()) return broadcast(nsp, room, event, argsJson, exceptSocketId);
    const uint64_t offset = nextOffset_++;
    // Encoded at most twice, with and without the recovery offset, whoever the recipients are.
    SharedPacket plain, tagged;
    auto encode = [&](bool withTag) {
        SharedPacket& slot = withTag ? tagged : plain;
        if (!slot) {
            const std::string args = withTag ? withOffset(argsJson, offset) : std::string(argsJson);
            slot = attachments.empty() ? shareText(SocketEncoder::event(nsp, event, args))
                                       : share(encodeBinary(SocketPacketType::BinaryEvent, nsp, event, args, attachments, std::nullopt));
        }
        return slot;
    };
    size_t n = 0;
    for (const auto& id : recipients(nsp, room, exceptSocketId))
        if (Socket* s = find(id); s && deliverTagged(*s, offset, encode)) ++n;
    return n;
}

void SocketServer::removeNamespace(const std::string& name)
{
    std::vector<std::string> ids;
    for (const auto& [id, s] : sockets_)
        if (s->nsp == name) ids.push_back(id);
    for (const auto& id : ids) disconnect(id, "server namespace removed");
    namespaces_.erase(name);
}

void SocketServer::join(const std::string& socketId, const std::string& room)
{
    Socket* s = find(socketId);
    if (!s) return;
    s->rooms.insert(room);
    rooms_[{s->nsp, room}].emplace(socketId, s);
}

void SocketServer::leave(const std::string& socketId, const std::string& room)
{
    Socket* s = find(socketId);
    if (!s) return;
    s->rooms.erase(room);
    auto r = rooms_.find({s->nsp, room});
    if (r == rooms_.end()) return;
    r->second.erase(socketId);
    if (r->second.empty()) rooms_.erase(r);
}

std::vector<std::string> SocketServer::members(const std::string& nsp, const std::string& room) const
{
    auto r = rooms_.find({nsp, room});
    if (r == rooms_.end()) return {};
    std::vector<std::string> ids;
    ids.reserve(r->second.size());
    for (const auto& [id, s] : r->second) ids.push_back(id);
    return ids;
}

std::vector<std::string> SocketServer::socketsWhere(const std::function<bool(const Socket&)>& pred) const
{
    std::vector<std::string> ids;
    for (const auto& [id, s] : sockets_)
        if (pred(*s)) ids.push_back(id);
    return ids;
}

Socket* SocketServer::find(const std::string& socketId)
{
    auto it = sockets_.find(socketId);
    return it == sockets_.end() ? nullptr : it->second.get();
}

void SocketServer::disconnect(const std::string& socketId, const std::string& reason)
{
    Socket* s = find(socketId);
    if (!s || s->dropping) return;
    if (s->connected) {
        if (auto text = SocketEncoder::disconnect(s->nsp)) engine_->sendText(s->sid, *text);
        auto session = sessions_.find(s->sid);
        if (session != sessions_.end()) session->second.sockets.erase(s->nsp);
    }
    drop(socketId, reason);
}

void SocketServer::drop(const std::string& socketIdRef, const std::string& reason)
{
    // Copied: callers pass the socket's own id, which the erase below (or a nested drop) frees.
    const std::string socketId = socketIdRef;
    Socket* s = find(socketId);
    if (!s || s->dropping) return; // a handler that disconnects the socket it is told about
    s->dropping = true;
    auto ns = namespaces_.find(s->nsp);
    if (ns != namespaces_.end() && ns->second.onDisconnect) {
        const auto handler = ns->second.onDisconnect; // the handler may remove its namespace
        handler(*s, reason);
    }
    s = find(socketId); // the handler may have changed things
    if (!s) return;
    for (const auto& room : std::set<std::string>(s->rooms)) leave(socketId, room);
    if (!s->pid.empty()) byPid_.erase(s->pid);
    sockets_.erase(socketId);
}

void SocketServer::onEngineClose(const std::string& sid, const std::string& reason, bool clientInitiated)
{
    auto it = sessions_.find(sid);
    if (it == sessions_.end()) return;
    const auto sockets = std::move(it->second.sockets);
    sessions_.erase(it);
    const auto now = Clock::now();
    // As socket.io: only a lost transport may be recovered; a parse error, a connect timeout or a
    // client too slow to keep up ends the sockets for good.
    const bool recoverable = !clientInitiated && (reason == "transport close" || reason == "transport error" || reason == "ping timeout");
    for (const auto& [nsp, id] : sockets) {
        Socket* s = find(id);
        if (!s) continue;
        if (recoverable && !s->pid.empty()) {
            // Kept (with its rooms) for the recovery window; what it misses is buffered.
            s->connected = false;
            s->sid.clear();
            s->wsEpoch = UINT64_MAX;
            s->recoverUntil = now + options_.recoveryWindow;
            s->acks.clear();
        } else {
            drop(id, reason);
        }
    }
}

void SocketServer::tick(Clock::time_point now)
{
    std::vector<std::string> expired, idle;
    for (const auto& [id, s] : sockets_)
        if (!s->connected && now > s->recoverUntil) expired.push_back(id);
    for (const auto& [sid, session] : sessions_)
        if (session.sockets.empty() && now > session.connectDeadline) idle.push_back(sid);
    for (const auto& id : expired) drop(id, "transport close");
    for (const auto& sid : idle) engine_->close(sid, "connect timeout");
}

} // namespace vtp::signalling
