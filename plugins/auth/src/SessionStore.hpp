#pragma once

// Logins (sessions) and their rotating refresh tokens. A refresh token is stored only as its
// SHA-256; each use marks it used and issues the next one. A token used twice is a replay:
// its session, the family of every token descended from that login, is revoked.

#include <vtp/db.hpp>
#include <vtp/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vtp::auth {

struct NewSession {
    std::string sessionId;
    std::string refreshToken;
};

struct Rotation {
    enum class Outcome { Rotated, Unknown, Expired, Revoked, Replayed, Disabled } outcome = Outcome::Unknown;
    std::string sessionId;
    std::string userId;
    std::string refreshToken; // the next one, when Rotated
};

class SessionStore {
public:
    SessionStore(const Db& db, int64_t refreshTtlSeconds) : db_(db), refreshTtl_(refreshTtlSeconds) {}

    NewSession create(const std::string& userId, const std::string& userAgent, const std::string& address, int64_t now);
    Rotation rotate(const std::string& refreshToken, int64_t now);
    // Marks sessions revoked; returns the ids that were live.
    std::vector<std::string> revoke(const std::string& sessionId, const std::string& reason, int64_t now);
    std::vector<std::string> revokeAllOfUser(const std::string& userId, const std::string& exceptSessionId, const std::string& reason,
                                             int64_t now);
    // The user's live sessions, newest first.
    Json list(const std::string& userId, const std::string& currentSessionId, int64_t now) const;
    std::optional<std::string> ownerOf(const std::string& sessionId) const;
    void purgeExpired(int64_t now);

private:
    const Db& db_;
    int64_t refreshTtl_;
};

} // namespace vtp::auth
