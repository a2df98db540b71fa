#pragma once

// Sessions whose access tokens must be refused before they expire (logout, a replayed refresh
// token, a password change, a disabled account). Every node keeps the set in memory so that
// verifying a token never touches the database; the table auth_revocations is the shared truth,
// read at start and polled, and an event carries each revocation to the other nodes at once.

#include <vtp/db.hpp>

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace vtp::auth {

class Revocations {
public:
    explicit Revocations(const Db& db) : db_(db) {}

    // Records the revocation in the database and in memory; `expiresAt`: when no access token
    // of the session can still be valid.
    void revokeSession(const std::string& sessionId, int64_t now, int64_t expiresAt);
    void revokeSessions(const std::vector<std::string>& sessionIds, int64_t now, int64_t expiresAt);
    // Memory only: what another node announced.
    void remember(const std::string& sessionId, int64_t expiresAt);
    bool isRevoked(const std::string& sessionId) const;

    // Loads revocations recorded since `since` (all live ones at start) and forgets expired ones.
    void poll(int64_t since, int64_t now);
    size_t size() const;

private:
    const Db& db_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, int64_t> sessions_; // session id -> expiry
};

} // namespace vtp::auth
