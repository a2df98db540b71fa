#pragma once

// Ends a socket when the login behind its token ends: a revoked session (logout, a password
// change, a replayed refresh token), a disabled account, or a token that ran out and was not
// renewed. The client first gets the event `session:ended` {reason, cause?} and then the
// Socket.IO DISCONNECT packet (a stock client's `disconnect` reason "io server disconnect"). The
// client renews over the socket with `auth:renew` {token}, in every authenticated namespace.
//
// Revocations arrive as the auth plugin's events (auth.session_revoked, user.disabled), which the
// event bus carries to every node; a check of each socket's session against the verifier once a
// second backs that up should an event be lost.
//
// Threading: the event handlers take the plugin's mutex; onEvent and tick run under it.

#include "socketio/SocketServer.hpp"

#include <vtp/sdk.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace vtp::signalling {

class SessionGuard {
public:
    // Checks a token (as at CONNECT); false with a reason to refuse.
    using Verify = std::function<bool(const std::string& token, Principal& out, std::string& reason)>;
    // Whether the verifier knows the session as revoked.
    using Revoked = std::function<bool(const std::string& sessionId)>;

    // grace: how long after its token's expiry a socket may stay without renewing.
    SessionGuard(Host& host, std::recursive_mutex& mutex, SocketServer& io, std::chrono::seconds grace, Verify verify, Revoked revoked);

    // The SocketServer's event filter: handles auth:renew, passes everything else on.
    bool onEvent(Socket& s, const protocol::SocketPacket& p);
    // Under the mutex, often: ends sockets past their deadline, and revoked ones the events missed.
    void tick(Clock::time_point now);
    // Whether an event revoked the session: a CONNECT with its token is refused even before this
    // node's auth plugin has heard of it (its handler of the same event may run later than ours).
    bool revoked(const std::string& sessionId) const;

private:
    void renew(Socket& s, const protocol::SocketPacket& p);
    // Tells each socket why, then disconnects it (no recovery); `reason` is also what the
    // namespace's handlers (and a room's participant:left) see.
    void end(const std::vector<std::string>& socketIds, const std::string& reason, const std::string& cause);
    void onSessionRevoked(const Event& e);
    void onUserDisabled(const Event& e);

    Host& host_;
    std::recursive_mutex& mutex_;
    SocketServer& io_;
    std::chrono::seconds grace_;
    Verify verify_;
    Revoked revoked_;
    Clock::time_point nextCheck_{};
    // Sockets whose session the verifier reported revoked, and since when: ended a little later
    // unless the event (which carries the reason) ends them first.
    std::unordered_map<std::string, Clock::time_point> suspects_;
    // Sessions revoked by an event -> until when their tokens can still be valid (unix seconds).
    std::unordered_map<std::string, int64_t> revokedSessions_;
    Metric endedCounter_;
};

} // namespace vtp::signalling
