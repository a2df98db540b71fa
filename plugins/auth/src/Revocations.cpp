#include "Revocations.hpp"

#include <mutex>

namespace vtp::auth {

void Revocations::revokeSession(const std::string& sessionId, int64_t now, int64_t expiresAt)
{
    revokeSessions({sessionId}, now, expiresAt);
}

void Revocations::revokeSessions(const std::vector<std::string>& sessionIds, int64_t now, int64_t expiresAt)
{
    for (const auto& id : sessionIds) {
        db_.exec("INSERT INTO auth_revocations (kind, subject, revoked_at, expires_at) VALUES ('session', ?, ?, ?)", {id, now, expiresAt});
        remember(id, expiresAt);
    }
}

void Revocations::remember(const std::string& sessionId, int64_t expiresAt)
{
    std::unique_lock lock(mutex_);
    auto& e = sessions_[sessionId];
    e = std::max(e, expiresAt);
}

bool Revocations::isRevoked(const std::string& sessionId) const
{
    std::shared_lock lock(mutex_);
    return sessions_.count(sessionId) != 0;
}

void Revocations::poll(int64_t since, int64_t now)
{
    const Rows rows = db_.query(
        "SELECT subject, expires_at FROM auth_revocations WHERE kind = 'session' AND revoked_at >= ? AND expires_at >= ?", {since, now});
    std::unique_lock lock(mutex_);
    for (const auto& row : rows) {
        auto& e = sessions_[row[0].asString()];
        e = std::max(e, row[1].asInt());
    }
    std::erase_if(sessions_, [now](const auto& kv) { return kv.second < now; });
}

size_t Revocations::size() const
{
    std::shared_lock lock(mutex_);
    return sessions_.size();
}

} // namespace vtp::auth
