#pragma once

#include "http/HttpPipeline.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vtp::kernel {

class Logger;

struct WsLimits {
    size_t maxMessageBytes = 1 << 20;      // a larger incoming message closes the connection with 1009
    size_t maxSendQueueBytes = 4 << 20;    // a consumer that lets more pile up is closed with 1008
    std::chrono::seconds idleTimeout{120}; // no traffic for this long closes the connection
    size_t maxConnections = 10000;         // open connections plus pending HTTP requests; beyond, 503
    // A plain HTTP request an endpoint's onHttp has not answered in this time gets a 504 from the kernel.
    std::chrono::milliseconds httpResponseTimeout{60000};
    // http.trusted_proxies: X-Forwarded-For from these names the client (clientAddress() in HttpPipeline).
    std::vector<AddressRange> trustedProxies;
    // Service threads, each with its own lws context and loop and its share of the connections.
    // With more than one, endpoint callbacks still run one at a time; the writes they cause do not.
    size_t threads = 1;
};

struct WsConnectionInfo {
    uint64_t id = 0;
    std::string path;
    std::string query; // raw query string without '?'
    std::string remoteAddress;
    std::map<std::string, std::string> headers; // lower-case names: cookie, user-agent, authorization, origin, x-forwarded-for
};

// A plain HTTP request (no WebSocket upgrade) on an endpoint's path, answered with WsServer::respond.
struct WsHttpRequest {
    uint64_t id = 0;
    std::string method; // "GET", "POST", "OPTIONS", ...
    std::string path;
    std::string query; // raw query string without '?'
    std::string remoteAddress;
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;                           // complete, at most the endpoint's message limit
};

enum class WsRespondResult { Ok, NotFound, Invalid };

// A plugin's socket endpoint. Callbacks run on a WebSocket service thread, one at a time: they must not block.
struct WsEndpoint {
    std::string path; // exact path match, e.g. "/socket.io/" ("/x" also matches "/x/")
    std::function<void(const WsConnectionInfo&)> onOpen;
    std::function<void(uint64_t id, std::string_view data, bool binary)> onMessage;
    std::function<void(uint64_t id, int closeCode)> onClose;
    size_t maxMessageBytes = 0; // 0: WsLimits::maxMessageBytes (also the largest HTTP body)
    // Optional: plain HTTP on the path (without it: 426). Runs on the service thread; answer with respond().
    std::function<void(const WsHttpRequest&)> onHttp;
};

// Event-driven WebSocket server on libwebsockets. Unknown paths are refused at the handshake (404).
// An endpoint with onHttp also serves plain HTTP requests on its path (Socket.IO long-polling).
class WsServer {
public:
    WsServer(std::string host, uint16_t port, WsLimits limits, Logger& log);
    ~WsServer();
    WsServer(const WsServer&) = delete;
    WsServer& operator=(const WsServer&) = delete;

    void addEndpoint(WsEndpoint endpoint); // before start()
    void start();                          // binds (port 0: a free port) and starts the service thread; throws on failure
    uint16_t port() const;                 // valid after start()

    // Thread-safe. Queue a message; false if the connection is unknown or closing.
    // If the connection's queued bytes would exceed maxSendQueueBytes it is closed (1008) and false returned.
    // Called on the service thread (from an endpoint's callback), a message to a connection that is
    // keeping up is written at once, before send() returns.
    bool send(uint64_t id, std::string_view data, bool binary);
    // Thread-safe. The same message to each connection, encoded and copied once (a broadcast);
    // returns how many took it. Each recipient is handled as send() would.
    size_t sendMany(std::span<const uint64_t> ids, std::string_view data, bool binary);
    // Thread-safe. Close with a code and reason (sent after queued messages).
    void close(uint64_t id, int code, std::string_view reason);
    // Thread-safe. Answers a WsHttpRequest once: NotFound if the client has gone or it was answered
    // already (by the kernel's 504 too), Invalid for a status outside 200..599 (still unanswered).
    // Headers with CR or LF (or ':' in the name) are dropped; Content-Length, Transfer-Encoding and
    // Connection are the server's own and dropped too.
    WsRespondResult respond(uint64_t id, int status, std::vector<std::pair<std::string, std::string>> headers, std::string body);

    void stop();                        // closes every connection (1001), joins the thread; idempotent
    size_t connectionCount() const;     // WebSocket connections
    size_t pendingHttpRequests() const; // plain HTTP requests received and not yet fully answered
    // Thread-safe. Whole messages received from clients and written to them since start().
    uint64_t messagesReceived() const;
    uint64_t messagesSent() const;
    // Thread-safe. Bytes queued for the connection and not yet handed to its socket (0 if unknown):
    // lets a producer skip work for a peer that is falling behind, before the queue limit closes it.
    size_t queuedBytes(uint64_t id) const;

private:
    struct Shared;
    struct Shard;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace vtp::kernel
