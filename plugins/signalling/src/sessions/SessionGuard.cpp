#include "sessions/SessionGuard.hpp"

#include <chrono>

namespace vtp::signalling {

namespace {

constexpr auto kCheckEvery = std::chrono::seconds(1);
// How long a revocation the verifier knows may wait for its event before the check ends the socket.
constexpr auto kEventGrace = std::chrono::seconds(2);

int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string args(const Json& single)
{
    Json a = Json::array();
    a.push(single);
    return a.dump();
}

Json error(const std::string& code, const std::string& message)
{
    return Json{{"error", Json{{"code", code}, {"message", message}}}};
}

} // namespace

SessionGuard::SessionGuard(Host& host, std::recursive_mutex& mutex, SocketServer& io, std::chrono::seconds grace, Verify verify,
                           Revoked revoked)
    : host_(host), mutex_(mutex), io_(io), grace_(grace), verify_(std::move(verify)), revoked_(std::move(revoked))
{
    endedCounter_ = host.counter("sessions_ended_total", "Sockets ended because their login ended, by reason");
    host.subscribe("auth.session_revoked", [this](const Event& e) { onSessionRevoked(e); });
    host.subscribe("user.disabled", [this](const Event& e) { onUserDisabled(e); });
}

void SessionGuard::onSessionRevoked(const Event& e)
{
    const std::string sessionId = e.payload.stringOr("session_id", "");
    if (sessionId.empty()) return;
    const std::string cause = e.payload.stringOr("reason", "");
    std::lock_guard lock(mutex_);
    revokedSessions_[sessionId] = e.payload.intOr("expires_at", unixNow() + 86400);
    const auto ids = io_.socketsWhere([&](const Socket& s) { return s.user.sessionId == sessionId; });
    end(ids, cause == "account-disabled" ? "account-disabled" : "session-revoked", cause);
}

void SessionGuard::onUserDisabled(const Event& e)
{
    const std::string userId = e.payload.stringOr("user_id", "");
    if (userId.empty()) return;
    std::lock_guard lock(mutex_);
    end(io_.socketsWhere([&](const Socket& s) { return s.user.userId == userId; }), "account-disabled", "account-disabled");
}

void SessionGuard::end(const std::vector<std::string>& socketIds, const std::string& reason, const std::string& cause)
{
    for (const auto& id : socketIds) {
        Socket* s = io_.find(id);
        if (!s) continue;
        if (s->connected) {
            Json why{{"reason", reason}};
            if (!cause.empty() && cause != reason) why.set("cause", cause);
            io_.emit(id, "session:ended", args(why));
        }
        suspects_.erase(id);
        io_.disconnect(id, reason);
        endedCounter_.inc(1, {{"reason", reason}});
    }
}

bool SessionGuard::onEvent(Socket& s, const protocol::SocketPacket& p)
{
    if (p.eventName != "auth:renew") return false;
    renew(s, p);
    return true;
}

void SessionGuard::renew(Socket& s, const protocol::SocketPacket& p)
{
    const std::string socketId = s.id;
    auto reply = [&](const Json& j) {
        if (p.id) io_.ack(socketId, *p.id, args(j));
    };
    if (s.user.userId.empty()) {
        reply(error("invalid", "this namespace has no login to renew"));
        return;
    }
    std::string token;
    try {
        const Json body = Json::parse(p.payload).at(1);
        if (body.isObject() && body["token"].isString()) token = body["token"].asString();
    } catch (const JsonError&) {
    }
    if (token.empty()) {
        reply(error("invalid", "auth:renew takes {token: a fresh access token}"));
        return;
    }
    Principal fresh;
    std::string reason;
    if (!verify_(token, fresh, reason)) {
        reply(error("unauthorized", reason.empty() ? "invalid token" : reason));
        return;
    }
    if (fresh.userId != s.user.userId) {
        reply(error("forbidden", "the token is for another user"));
        return;
    }
    // The new token's roles, session and expiry from now on (a fresh login is another session).
    s.user = std::move(fresh);
    suspects_.erase(socketId);
    reply(Json{{"expires_at", s.user.expiresAt}});
}

bool SessionGuard::revoked(const std::string& sessionId) const
{
    return !sessionId.empty() && revokedSessions_.count(sessionId) != 0;
}

void SessionGuard::tick(Clock::time_point now)
{
    if (now < nextCheck_) return;
    nextCheck_ = now + kCheckEvery;
    const int64_t unix = unixNow();
    std::erase_if(revokedSessions_, [unix](const auto& kv) { return kv.second < unix; });
    const int64_t grace = grace_.count();
    std::vector<std::string> expired, revoked;
    std::unordered_map<std::string, Clock::time_point> suspects;
    for (const auto& id : io_.socketsWhere([](const Socket& s) { return !s.user.userId.empty(); })) {
        const Socket* s = io_.find(id);
        if (s->user.expiresAt > 0 && unix > s->user.expiresAt + grace) {
            expired.push_back(id);
        } else if (!s->user.sessionId.empty() && revoked_ && revoked_(s->user.sessionId)) {
            auto seen = suspects_.find(id);
            const auto since = seen == suspects_.end() ? now : seen->second;
            if (now - since >= kEventGrace)
                revoked.push_back(id);
            else
                suspects.emplace(id, since);
        }
    }
    suspects_ = std::move(suspects);
    end(expired, "token-expired", "");
    if (!revoked.empty())
        host_.log().warn("sockets of revoked sessions ended by the check, not by their event", {{"count", std::to_string(revoked.size())}});
    end(revoked, "session-revoked", "");
}

} // namespace vtp::signalling
