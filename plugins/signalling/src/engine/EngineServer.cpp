#include "engine/EngineServer.hpp"

#include "protocol/PollingPayload.hpp"

#include <vtp/random.hpp>

#include <algorithm>

namespace vtp::signalling {

using protocol::EngineErrorCode;
using protocol::EngineHandshake;
using protocol::EngineHttpError;
using protocol::EnginePacket;
using protocol::EnginePacketType;
using protocol::PollingPayload;

namespace {

constexpr int kWsProtocolError = 1002;
constexpr int kWsGoingAway = 1001;
constexpr int kWsNormal = 1000;

} // namespace

std::string randomId()
{
    return vtp::randomUrlSafeId(20);
}

std::string EngineServer::allowedOrigin(const EngineHttpRequest& r) const
{
    const std::string* origin = r.header("origin");
    if (!origin || origin->empty()) return {};
    for (const auto& allowed : options_.corsOrigins)
        if (allowed == "*" || allowed == *origin) return *origin;
    return {};
}

void EngineServer::respondText(uint64_t request, int status, std::string_view contentType, std::string_view body, const std::string& origin)
{
    Headers headers{{"Cache-Control", "no-store"}};
    if (!origin.empty()) {
        headers.emplace_back("Access-Control-Allow-Origin", origin);
        headers.emplace_back("Access-Control-Allow-Credentials", "true");
        headers.emplace_back("Vary", "Origin");
    }
    out_.respond(request, status, contentType, body, headers);
}

void EngineServer::respondError(const EngineHttpRequest& r, EngineErrorCode code, const std::string& origin)
{
    const EngineHttpError e{code};
    respondText(r.id, e.httpStatus(), "application/json", e.body(), origin);
}

EngineServer::Session& EngineServer::create(Transport t, const ClientInfo& info, Clock::time_point now)
{
    std::string sid = randomId();
    while (sessions_.count(sid)) sid = randomId();
    Session& s = sessions_[sid];
    ++transportEpoch_;
    s.sid = sid;
    s.transport = t;
    s.nextPing = now + options_.pingInterval;
    s.lastSeen = now;
    timers_.push({s.nextPing, sid});
    listener_.onEngineOpen(sid, info);
    return s;
}

void EngineServer::onHttp(const EngineHttpRequest& r, Clock::time_point now)
{
    http(r, now);
    reapDoomed();
}

void EngineServer::http(const EngineHttpRequest& r, Clock::time_point now)
{
    const std::string origin = allowedOrigin(r);
    if (r.method == "OPTIONS") {
        // CORS preflight for polling from a page on another origin.
        Headers h{{"Access-Control-Allow-Methods", "GET, POST"},
                  {"Access-Control-Allow-Headers", "content-type"},
                  {"Access-Control-Max-Age", "600"}};
        if (!origin.empty()) {
            h.emplace_back("Access-Control-Allow-Origin", origin);
            h.emplace_back("Access-Control-Allow-Credentials", "true");
            h.emplace_back("Vary", "Origin");
        }
        out_.respond(r.id, origin.empty() ? 403 : 204, "text/plain", "", h);
        return;
    }
    if (r.header("origin") && origin.empty() && !options_.corsOrigins.empty()) {
        respondError(r, EngineErrorCode::Forbidden, origin);
        return;
    }
    auto checked = EngineHandshake::checkRequest(r.method, r.query);
    if (!checked) {
        respondError(r, checked.error().code, origin);
        return;
    }
    const protocol::EngineRequest& req = *checked;
    if (req.transport != protocol::EngineTransport::Polling) {
        // A WebSocket request without the upgrade headers.
        respondError(r, EngineErrorCode::BadRequest, origin);
        return;
    }
    if (req.isHandshake()) {
        handshakePolling(r, now);
        return;
    }
    auto it = sessions_.find(req.sid);
    if (it == sessions_.end()) {
        respondError(r, EngineErrorCode::UnknownSid, origin);
        return;
    }
    Session& s = it->second;
    if (s.transport != Transport::Polling) {
        respondError(r, EngineErrorCode::BadRequest, origin); // upgraded: polling is over
        return;
    }
    s.lastSeen = now;
    s.origin = origin;
    if (r.method == "GET") {
        if (s.pendingGet) {
            // Two long-polls at once: engine.io treats it as a broken client and closes.
            respondError(r, EngineErrorCode::BadRequest, origin);
            const uint64_t held = *s.pendingGet;
            s.pendingGet.reset();
            respondText(held, 200, "text/plain; charset=UTF-8", "1", origin);
            finish(s.sid, "overlapping poll", false);
            return;
        }
        s.pendingGet = r.id;
        if (!s.outbox.empty())
            flush(s);
        else if (s.probed) {
            // Upgrading: the client is pausing polling and waits for this poll to return.
            respondText(r.id, 200, "text/plain; charset=UTF-8", "6", origin);
            s.pendingGet.reset();
        }
        return;
    }
    // POST: one or more packets from the client.
    auto packets = PollingPayload::decode(r.body, options_.maxPayload);
    if (!packets) {
        respondError(r, EngineErrorCode::BadRequest, origin);
        const std::string sid = s.sid;
        if (s.pendingGet) {
            respondText(*s.pendingGet, 200, "text/plain; charset=UTF-8", "1", origin);
            s.pendingGet.reset();
        }
        finish(sid, "parse error", false);
        return;
    }
    respondText(r.id, 200, "text/html", "ok", origin);
    const std::string sid = s.sid;
    for (const auto& p : *packets) {
        auto again = sessions_.find(sid);
        if (again == sessions_.end()) break; // closed by an earlier packet
        handlePacket(again->second, p, now);
    }
}

void EngineServer::handshakePolling(const EngineHttpRequest& r, Clock::time_point now)
{
    const std::string origin = allowedOrigin(r);
    if (sessions_.size() >= options_.maxSessions) {
        respondText(r.id, 503, "application/json", R"({"code":3,"message":"Server at capacity"})", origin);
        return;
    }
    ClientInfo info{r.remoteAddress, r.headers, r.query};
    Session& s = create(Transport::Polling, info, now);
    s.origin = origin;
    protocol::EngineOpenOptions o;
    o.sid = s.sid;
    o.pingInterval = static_cast<uint32_t>(options_.pingInterval.count());
    o.pingTimeout = static_cast<uint32_t>(options_.pingTimeout.count());
    o.maxPayload = options_.maxPayload;
    // The open packet goes in this response; anything the listener queued follows on the next GET.
    respondText(r.id, 200, "text/plain; charset=UTF-8", EngineHandshake::openPacket(o), origin);
}

void EngineServer::onWsOpen(uint64_t connection, std::string_view query, const ClientInfo& info, Clock::time_point now)
{
    wsOpen(connection, query, info, now);
    reapDoomed();
}

void EngineServer::wsOpen(uint64_t connection, std::string_view query, const ClientInfo& info, Clock::time_point now)
{
    auto checked = EngineHandshake::checkRequest("GET", query);
    if (!checked || checked->transport != protocol::EngineTransport::WebSocket) {
        const EngineHttpError e{checked ? EngineErrorCode::BadRequest : checked.error().code};
        out_.closeConnection(connection, kWsProtocolError, std::string(e.message()));
        return;
    }
    if (checked->isHandshake()) {
        if (sessions_.size() >= options_.maxSessions) {
            out_.closeConnection(connection, 1013, "server at capacity");
            return;
        }
        // Register the connection before the listener can send on the session.
        std::string sid = randomId();
        while (sessions_.count(sid)) sid = randomId();
        Session& s = sessions_[sid];
        ++transportEpoch_;
        s.sid = sid;
        s.transport = Transport::WebSocket;
        s.ws = connection;
        s.nextPing = now + options_.pingInterval;
        s.lastSeen = now;
        timers_.push({s.nextPing, sid});
        byConnection_[connection] = sid;
        protocol::EngineOpenOptions o;
        o.sid = sid;
        o.upgrades = {};
        o.pingInterval = static_cast<uint32_t>(options_.pingInterval.count());
        o.pingTimeout = static_cast<uint32_t>(options_.pingTimeout.count());
        o.maxPayload = options_.maxPayload;
        out_.sendFrame(connection, EngineHandshake::openPacket(o), false);
        listener_.onEngineOpen(sid, info);
        return;
    }
    // An upgrade of a polling session.
    auto it = sessions_.find(checked->sid);
    if (it == sessions_.end() || it->second.transport != Transport::Polling || it->second.probe != 0) {
        out_.closeConnection(connection, kWsProtocolError, it == sessions_.end() ? "Session ID unknown" : "Bad request");
        return;
    }
    it->second.probe = connection;
    it->second.probed = false;
    byConnection_[connection] = it->first;
}

void EngineServer::onWsMessage(uint64_t connection, std::string_view data, bool binary, Clock::time_point now)
{
    wsMessage(connection, data, binary, now);
    reapDoomed();
}

void EngineServer::wsMessage(uint64_t connection, std::string_view data, bool binary, Clock::time_point now)
{
    auto c = byConnection_.find(connection);
    if (c == byConnection_.end()) return;
    auto it = sessions_.find(c->second);
    if (it == sessions_.end()) return;
    Session& s = it->second;
    auto packet = binary ? EnginePacket::decodeBinary(data, options_.maxPayload) : EnginePacket::decodeText(data, options_.maxPayload);
    if (!packet) {
        const std::string sid = s.sid;
        const bool wasProbe = s.probe == connection;
        out_.closeConnection(connection, kWsProtocolError, std::string(protocol::toString(packet.error().code)));
        byConnection_.erase(connection);
        if (wasProbe)
            s.probe = 0;
        else
            finish(sid, "parse error", false);
        return;
    }
    if (s.probe == connection) {
        // The upgrade dance: 2probe -> 3probe, then 5 switches transports.
        if (packet->isProbePing()) {
            out_.sendFrame(connection, EnginePacket::probePong().encode(), false);
            s.probed = true;
            // Let the client's pending poll return so that it can pause polling.
            if (s.pendingGet) {
                respondText(*s.pendingGet, 200, "text/plain; charset=UTF-8", s.outbox.empty() ? "6" : s.outbox, s.origin);
                s.pendingGet.reset();
                s.outbox.clear();
            }
            return;
        }
        if (packet->type == EnginePacketType::Upgrade && s.probed) {
            s.transport = Transport::WebSocket;
            s.ws = connection;
            ++transportEpoch_;
            s.probe = 0;
            s.lastSeen = now;
            if (s.pendingGet) {
                respondText(*s.pendingGet, 200, "text/plain; charset=UTF-8", "6", s.origin);
                s.pendingGet.reset();
            }
            // What waited for a poll now goes over the WebSocket, packet by packet.
            if (!s.outbox.empty()) {
                auto queued = PollingPayload::decode(s.outbox, s.outbox.size() + 1);
                s.outbox.clear();
                if (queued)
                    for (const auto& p : *queued) out_.sendFrame(s.ws, p.encode(), p.binary);
            }
            return;
        }
        out_.closeConnection(connection, kWsProtocolError, "Bad request");
        byConnection_.erase(connection);
        s.probe = 0;
        return;
    }
    s.lastSeen = now;
    handlePacket(s, *packet, now);
}

void EngineServer::onWsClose(uint64_t connection)
{
    wsClose(connection);
    reapDoomed();
}

void EngineServer::wsClose(uint64_t connection)
{
    auto c = byConnection_.find(connection);
    if (c == byConnection_.end()) return;
    const std::string sid = c->second;
    byConnection_.erase(c);
    auto it = sessions_.find(sid);
    if (it == sessions_.end()) return;
    if (it->second.probe == connection) {
        it->second.probe = 0; // a failed upgrade: polling goes on
        return;
    }
    if (it->second.ws == connection) finish(sid, "transport close", false);
}

void EngineServer::handlePacket(Session& s, const EnginePacket& p, Clock::time_point now)
{
    switch (p.type) {
    case EnginePacketType::Pong:
        // As engine.io: the next ping goes a ping interval after the pong.
        if (s.pongDeadline) {
            s.pongDeadline.reset();
            s.nextPing = now + options_.pingInterval;
            timers_.push({s.nextPing, s.sid});
        }
        return;
    case EnginePacketType::Ping: enqueue(s, EnginePacket::of(EnginePacketType::Pong, p.data).encode(), false); return;
    case EnginePacketType::Message: {
        // A copy: the listener may close the session, which frees s.sid while it still reads its argument.
        const std::string sid = s.sid;
        listener_.onEngineMessage(sid, p);
        return;
    }
    case EnginePacketType::Close: {
        const std::string sid = s.sid;
        if (s.transport == Transport::WebSocket) {
            byConnection_.erase(s.ws);
            out_.closeConnection(s.ws, kWsNormal, "");
        } else if (s.pendingGet) {
            respondText(*s.pendingGet, 200, "text/plain; charset=UTF-8", "6", s.origin);
            s.pendingGet.reset();
        }
        finish(sid, "transport close", true);
        return;
    }
    case EnginePacketType::Noop: return;
    case EnginePacketType::Open:
    case EnginePacketType::Upgrade: break;
    }
    (void)now;
    close(s.sid, "parse error");
}

bool EngineServer::enqueue(Session& s, std::string_view text, bool binary)
{
    if (s.doomed) return false;
    if (s.transport == Transport::WebSocket) return out_.sendFrame(s.ws, text, binary);
    if (binary)
        PollingPayload::appendBinary(s.outbox, text);
    else if (!PollingPayload::appendText(s.outbox, text))
        return false;
    if (s.outbox.size() > options_.maxBufferedBytes) {
        // Closed later (reapDoomed), never from inside a send: closing tells the listener, whose
        // handlers would then run inside whatever was sending (a broadcast, a room handler holding
        // references to the very socket or room the close removes).
        s.outbox.clear();
        s.doomed = true;
        doomed_.push_back(s.sid);
        return false;
    }
    if (s.pendingGet) flush(s);
    return true;
}

void EngineServer::flush(Session& s)
{
    if (!s.pendingGet || s.outbox.empty()) return;
    respondText(*s.pendingGet, 200, "text/plain; charset=UTF-8", s.outbox, s.origin);
    s.pendingGet.reset();
    s.outbox.clear();
}

bool EngineServer::sendText(const std::string& sid, std::string_view text)
{
    auto it = sessions_.find(sid);
    return it != sessions_.end() && enqueue(it->second, text, false);
}

bool EngineServer::sendBinary(const std::string& sid, std::string_view bytes)
{
    auto it = sessions_.find(sid);
    return it != sessions_.end() && enqueue(it->second, bytes, true);
}

uint64_t EngineServer::webSocketOf(const std::string& sid) const
{
    auto it = sessions_.find(sid);
    return it != sessions_.end() && it->second.transport == Transport::WebSocket ? it->second.ws : 0;
}

bool EngineServer::isWebSocket(const std::string& sid) const
{
    auto it = sessions_.find(sid);
    return it != sessions_.end() && it->second.transport == Transport::WebSocket;
}

void EngineServer::close(const std::string& sidRef, const std::string& reason)
{
    // Callers pass ids that live in what this erases (a Session's sid, a Socket's): copied first.
    const std::string sid = sidRef;
    auto it = sessions_.find(sid);
    if (it == sessions_.end()) return;
    Session& s = it->second;
    if (s.transport == Transport::WebSocket) {
        out_.sendFrame(s.ws, "1", false);
        byConnection_.erase(s.ws);
        out_.closeConnection(s.ws, kWsGoingAway, reason);
    } else {
        PollingPayload::appendText(s.outbox, "1");
        flush(s);
    }
    if (s.probe) {
        byConnection_.erase(s.probe);
        out_.closeConnection(s.probe, kWsGoingAway, reason);
    }
    finish(sid, reason, false);
}

void EngineServer::finish(const std::string& sidRef, const std::string& reason, bool clientInitiated)
{
    const std::string sid = sidRef; // it may be the erased session's own sid
    auto it = sessions_.find(sid);
    if (it == sessions_.end()) return;
    if (it->second.probe) byConnection_.erase(it->second.probe);
    if (it->second.ws) byConnection_.erase(it->second.ws);
    if (it->second.pendingGet) {
        respondText(*it->second.pendingGet, 200, "text/plain; charset=UTF-8", "1", it->second.origin);
    }
    sessions_.erase(it);
    ++transportEpoch_;
    listener_.onEngineClose(sid, reason, clientInitiated);
}

void EngineServer::reapDoomed()
{
    while (!doomed_.empty()) {
        std::vector<std::string> doomed;
        doomed.swap(doomed_);
        for (const auto& sid : doomed) close(sid, "slow consumer");
    }
}

void EngineServer::tick(Clock::time_point now)
{
    reapDoomed();
    // Only what is due: a session has one live timer (its next ping, or the deadline of the pong it
    // awaits), so an idle session costs two heap operations per ping interval whatever the tick rate.
    // Entries of ended sessions, or overtaken by a pong, are skipped when they come up.
    while (!timers_.empty() && timers_.top().at <= now) {
        const std::string sid = timers_.top().sid;
        timers_.pop();
        auto it = sessions_.find(sid);
        if (it == sessions_.end()) continue;
        Session& s = it->second;
        if (s.pongDeadline) {
            if (now >= *s.pongDeadline) close(sid, "ping timeout");
            continue;
        }
        if (now < s.nextPing) continue;
        s.pongDeadline = now + options_.pingTimeout;
        timers_.push({*s.pongDeadline, sid});
        enqueue(s, "2", false);
    }
    reapDoomed();
}

std::optional<Clock::time_point> EngineServer::nextTimer() const
{
    if (!doomed_.empty()) return Clock::time_point{};
    if (timers_.empty()) return std::nullopt;
    return timers_.top().at;
}

} // namespace vtp::signalling
