#pragma once

// The server side of Engine.IO v4 over the kernel's socket port: sessions on HTTP long-polling
// and on WebSocket, the upgrade from one to the other, heartbeats, and the protocol's errors.
// What it sends goes through EngineOutput (the kernel, or a fake in tests); what it receives is
// handed to an EngineListener (the Socket.IO layer).
//
// Not thread-safe: the plugin serialises every call (kernel callbacks, the ticker, sends from
// other threads) under one mutex, and the listener is called with that mutex held.

#include "protocol/EngineHandshake.hpp"
#include "protocol/EnginePacket.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vtp::signalling {

using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

struct EngineOptions {
    std::chrono::milliseconds pingInterval{25000};
    std::chrono::milliseconds pingTimeout{20000};
    size_t maxPayload = 1000000;       // bytes of one packet or polling body
    size_t maxBufferedBytes = 4 << 20; // packets waiting for a polling client; beyond: closed
    size_t maxSessions = 20000;
    std::vector<std::string> corsOrigins; // polling from these origins ("*": any)
};

// A plain HTTP request on the endpoint (long-polling), as the kernel hands it over.
struct EngineHttpRequest {
    uint64_t id = 0;
    std::string method, query, remoteAddress;
    Headers headers; // lower-case names
    std::string body;
    const std::string* header(std::string_view name) const
    {
        for (const auto& [k, v] : headers)
            if (k == name) return &v;
        return nullptr;
    }
};

class EngineOutput {
public:
    virtual ~EngineOutput() = default;
    virtual bool sendFrame(uint64_t connection, std::string_view data, bool binary) = 0;
    // The same frame to several connections (a room's broadcast); how many took it. The kernel
    // copies it once; this default sends one by one.
    virtual size_t sendFrames(const std::vector<uint64_t>& connections, std::string_view data, bool binary)
    {
        size_t n = 0;
        for (uint64_t c : connections) n += sendFrame(c, data, binary) ? 1 : 0;
        return n;
    }
    virtual void closeConnection(uint64_t connection, int code, const std::string& reason) = 0;
    virtual bool respond(uint64_t request, int status, std::string_view contentType, std::string_view body, const Headers& headers) = 0;
};

struct ClientInfo {
    std::string remoteAddress;
    Headers headers;
    std::string query;
};

class EngineListener {
public:
    virtual ~EngineListener() = default;
    virtual void onEngineOpen(const std::string& sid, const ClientInfo& info) = 0;
    virtual void onEngineMessage(const std::string& sid, const protocol::EnginePacket& packet) = 0;
    // Once per session. clientInitiated: the client said goodbye (close packet), rather than
    // the transport failing or a timeout.
    virtual void onEngineClose(const std::string& sid, const std::string& reason, bool clientInitiated) = 0;
};

// 20 random URL-safe characters (120 bits): session, socket and private ids.
std::string randomId();

class EngineServer {
public:
    EngineServer(EngineOptions options, EngineOutput& out, EngineListener& listener)
        : options_(std::move(options)), out_(out), listener_(listener)
    {
    }

    // From the kernel.
    void onHttp(const EngineHttpRequest& request, Clock::time_point now);
    void onWsOpen(uint64_t connection, std::string_view query, const ClientInfo& info, Clock::time_point now);
    void onWsMessage(uint64_t connection, std::string_view data, bool binary, Clock::time_point now);
    void onWsClose(uint64_t connection);

    // From the layer above. `text` is an encoded Engine.IO text packet ("42[...]"); false if the
    // session is gone or fell too far behind. Never calls the listener (a session that falls behind
    // is closed afterwards, from an entry point or tick()), so a caller's references stay valid.
    bool sendText(const std::string& sid, std::string_view text);
    bool sendBinary(const std::string& sid, std::string_view bytes);
    // For a broadcast: the session's WebSocket connection, or 0 if it is on long-polling (it takes
    // sendText) or gone. The answer holds while transportEpoch() is unchanged, which is every
    // session's transport and existence: callers cache it per recipient and skip the lookup.
    uint64_t webSocketOf(const std::string& sid) const;
    uint64_t transportEpoch() const { return transportEpoch_; }
    // One text packet to WebSocket connections from webSocketOf(); how many took it.
    size_t sendTextFrames(const std::vector<uint64_t>& webSockets, std::string_view text)
    {
        return webSockets.empty() ? 0 : out_.sendFrames(webSockets, text, false);
    }
    // Closes a session from the server side (a close packet, then the transport); the listener
    // hears onEngineClose with `reason`.
    void close(const std::string& sid, const std::string& reason);

    // Heartbeats and timeouts: does what is due by `now`. Call it at nextTimer() (a little late is
    // fine: pings go out that much later).
    void tick(Clock::time_point now);
    // When tick() next has something to do; nullopt: nothing scheduled (no sessions).
    std::optional<Clock::time_point> nextTimer() const;

    size_t sessionCount() const { return sessions_.size(); }
    bool isWebSocket(const std::string& sid) const;
    const EngineOptions& options() const { return options_; }

private:
    enum class Transport { Polling, WebSocket };
    struct Session {
        std::string sid;
        Transport transport = Transport::Polling;
        uint64_t ws = 0;                    // the WebSocket connection, once upgraded or opened so
        uint64_t probe = 0;                 // a WebSocket connection probing for an upgrade
        bool probed = false;                // it sent 2probe and got 3probe
        std::optional<uint64_t> pendingGet; // a held long-poll
        std::string outbox;                 // polling payload waiting for the next GET
        Clock::time_point nextPing;
        std::optional<Clock::time_point> pongDeadline;
        Clock::time_point lastSeen;
        std::string origin;  // allowed CORS origin of its polling requests, or ""
        bool doomed = false; // fell too far behind: closed by reapDoomed, takes nothing
    };

    // The kernel's entry points, before reapDoomed.
    void http(const EngineHttpRequest& request, Clock::time_point now);
    void wsOpen(uint64_t connection, std::string_view query, const ClientInfo& info, Clock::time_point now);
    void wsMessage(uint64_t connection, std::string_view data, bool binary, Clock::time_point now);
    void wsClose(uint64_t connection);
    void handshakePolling(const EngineHttpRequest& r, Clock::time_point now);
    Session& create(Transport t, const ClientInfo& info, Clock::time_point now);
    void handlePacket(Session& s, const protocol::EnginePacket& p, Clock::time_point now);
    void flush(Session& s);
    bool enqueue(Session& s, std::string_view text, bool binary);
    void respondError(const EngineHttpRequest& r, protocol::EngineErrorCode code, const std::string& origin);
    void respondText(uint64_t request, int status, std::string_view contentType, std::string_view body, const std::string& origin);
    std::string allowedOrigin(const EngineHttpRequest& r) const;
    // Closes the sessions a send found too far behind. Only where no listener callback is on the
    // stack: the ends of the kernel's entry points and tick().
    void reapDoomed();
    // Removes the session and tells the listener. Does not touch the transport.
    void finish(const std::string& sid, const std::string& reason, bool clientInitiated);

    EngineOptions options_;
    EngineOutput& out_;
    EngineListener& listener_;
    std::unordered_map<std::string, Session> sessions_;
    uint64_t transportEpoch_ = 0;                            // bumped whenever a session appears, changes transport or ends
    std::unordered_map<uint64_t, std::string> byConnection_; // ws and probe connections
    std::vector<std::string> doomed_;                        // sessions for reapDoomed
    struct Timer {
        Clock::time_point at;
        std::string sid;
        bool operator>(const Timer& other) const { return at > other.at; }
    };
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_; // pings and pong deadlines
};

} // namespace vtp::signalling
