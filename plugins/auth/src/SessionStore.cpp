#include "SessionStore.hpp"

#include "CryptoUtil.hpp"

namespace vtp::auth {

namespace {
// Free-text columns a client controls are cut to a sane size before they are stored.
std::string clip(const std::string& s, size_t n)
{
    return s.size() <= n ? s : s.substr(0, n);
}
} // namespace

NewSession SessionStore::create(const std::string& userId, const std::string& userAgent, const std::string& address, int64_t now)
{
    NewSession s{randomUuid(), randomToken(32)};
    db_.transaction([&](Tx& tx) {
        tx.exec("INSERT INTO auth_sessions (id, user_id, created_at, last_used_at, expires_at, user_agent, address) VALUES (?, ?, ?, ?, ?, "
                "?, ?)",
                {s.sessionId, userId, now, now, now + refreshTtl_, clip(userAgent, 256), clip(address, 64)});
        tx.exec("INSERT INTO auth_refresh_tokens (token_hash, session_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
                {sha256Hex(s.refreshToken), s.sessionId, now, now + refreshTtl_});
    });
    return s;
}

Rotation SessionStore::rotate(const std::string& refreshToken, int64_t now)
{
    Rotation r;
    const std::string hash = sha256Hex(refreshToken);
    const Rows rows =
        db_.query("SELECT t.session_id, t.expires_at, t.used_at, s.user_id, s.revoked_at, s.expires_at, u.disabled "
                  "FROM auth_refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id JOIN auth_users u ON u.id = s.user_id "
                  "WHERE t.token_hash = ?",
                  {hash});
    if (rows.empty()) return r;
    const auto row = rows[0];
    r.sessionId = row[0].asString();
    r.userId = row[3].asString();
    if (!row[4].isNull()) {
        r.outcome = Rotation::Outcome::Revoked;
        return r;
    }
    if (!row[2].isNull()) {
        r.outcome = Rotation::Outcome::Replayed;
        return r;
    }
    if (row[1].asInt() < now || row[5].asInt() < now) {
        r.outcome = Rotation::Outcome::Expired;
        return r;
    }
    if (row[6].asInt() != 0) {
        r.outcome = Rotation::Outcome::Disabled;
        return r;
    }
    const std::string next = randomToken(32);
    const bool rotated = db_.transaction([&](Tx& tx) {
        // Only one of two concurrent uses of the same token can win; the loser is a replay.
        if (tx.exec("UPDATE auth_refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", {now, hash}) != 1) return false;
        tx.exec("INSERT INTO auth_refresh_tokens (token_hash, session_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
                {sha256Hex(next), r.sessionId, now, now + refreshTtl_});
        tx.exec("UPDATE auth_sessions SET last_used_at = ?, expires_at = ? WHERE id = ?", {now, now + refreshTtl_, r.sessionId});
        return true;
    });
    r.outcome = rotated ? Rotation::Outcome::Rotated : Rotation::Outcome::Replayed;
    if (rotated) r.refreshToken = next;
    return r;
}

std::vector<std::string> SessionStore::revoke(const std::string& sessionId, const std::string& reason, int64_t now)
{
    if (db_.exec("UPDATE auth_sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL",
                 {now, reason, sessionId}) == 0)
        return {};
    return {sessionId};
}

std::vector<std::string> SessionStore::revokeAllOfUser(const std::string& userId, const std::string& exceptSessionId,
                                                       const std::string& reason, int64_t now)
{
    return db_.transaction([&](Tx& tx) {
        std::vector<std::string> ids;
        for (const auto& row :
             tx.query("SELECT id FROM auth_sessions WHERE user_id = ? AND revoked_at IS NULL AND id <> ?", {userId, exceptSessionId}))
            ids.push_back(row[0].asString());
        tx.exec("UPDATE auth_sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL AND id <> ?",
                {now, reason, userId, exceptSessionId});
        return ids;
    });
}

Json SessionStore::list(const std::string& userId, const std::string& currentSessionId, int64_t now) const
{
    Json out = Json::array();
    for (const auto& row : db_.query("SELECT id, created_at, last_used_at, expires_at, user_agent, address FROM auth_sessions "
                                     "WHERE user_id = ? AND revoked_at IS NULL AND expires_at >= ? ORDER BY created_at DESC, id LIMIT 200",
                                     {userId, now})) {
        const std::string id = row[0].asString();
        out.push(Json{{"id", id},
                      {"created_at", row[1].asInt()},
                      {"last_used_at", row[2].asInt()},
                      {"expires_at", row[3].asInt()},
                      {"user_agent", row[4].isNull() ? Json() : Json(row[4].asString())},
                      {"address", row[5].isNull() ? Json() : Json(row[5].asString())},
                      {"current", id == currentSessionId}});
    }
    return out;
}

std::optional<std::string> SessionStore::ownerOf(const std::string& sessionId) const
{
    const Rows rows = db_.query("SELECT user_id FROM auth_sessions WHERE id = ? AND revoked_at IS NULL", {sessionId});
    if (rows.empty()) return std::nullopt;
    return rows[0][0].asString();
}

void SessionStore::purgeExpired(int64_t now)
{
    db_.exec("DELETE FROM auth_refresh_tokens WHERE expires_at < ?", {now});
    // Revoked sessions stay a day so that a replay is still recognised as one.
    db_.exec("DELETE FROM auth_sessions WHERE expires_at < ? OR (revoked_at IS NOT NULL AND revoked_at < ?)", {now, now - 86400});
}

} // namespace vtp::auth
