#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace vtp::kernel {

class Logger;

struct WsLimits {
    size_t maxMessageBytes = 1 << 20;       // a larger incoming message closes the connection with 1009
    size_t maxSendQueueBytes = 4 << 20;     // a consumer that lets more pile up is closed with 1008
    std::chrono::seconds idleTimeout{120};  // no traffic for this long closes the connection
    size_t maxConnections = 10000;          // handshakes beyond this are refused with 503
};

struct WsConnectionInfo {
    uint64_t id = 0;
    std::string path;
    std::string query;                       // raw query string without '?'
    std::string remoteAddress;
    std::map<std::string, std::string> headers; // lower-case names: cookie, user-agent, authorization, origin, x-forwarded-for
};

// A plugin's socket endpoint. Callbacks run on the WebSocket service thread: they must not block.
struct WsEndpoint {
    std::string path;                        // exact path match, e.g. "/socket.io/" ("/x" also matches "/x/")
    std::function<void(const WsConnectionInfo&)> onOpen;
    std::function<void(uint64_t id, std::string_view data, bool binary)> onMessage;
    std::function<void(uint64_t id, int closeCode)> onClose;
    size_t maxMessageBytes = 0;              // 0: WsLimits::maxMessageBytes
};

// Event-driven WebSocket server on libwebsockets. Unknown paths are refused at the handshake (404).
class WsServer {
public:
    WsServer(std::string host, uint16_t port, WsLimits limits, Logger& log);
    ~WsServer();
    WsServer(const WsServer&) = delete;
    WsServer& operator=(const WsServer&) = delete;

    void addEndpoint(WsEndpoint endpoint);   // before start()
    void start();                            // binds (port 0: a free port) and starts the service thread; throws on failure
    uint16_t port() const;                   // valid after start()

    // Thread-safe. Queue a message; false if the connection is unknown or closing.
    // If the connection's queued bytes would exceed maxSendQueueBytes it is closed (1008) and false returned.
    bool send(uint64_t id, std::string_view data, bool binary);
    // Thread-safe. Close with a code and reason (sent after queued messages).
    void close(uint64_t id, int code, std::string_view reason);

    void stop();                             // closes every connection (1001), joins the thread; idempotent
    size_t connectionCount() const;
    // Thread-safe. Whole messages received from clients and written to them since start().
    uint64_t messagesReceived() const;
    uint64_t messagesSent() const;
    // Thread-safe. Bytes queued for the connection and not yet handed to its socket (0 if unknown):
    // lets a producer skip work for a peer that is falling behind, before the queue limit closes it.
    size_t queuedBytes(uint64_t id) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace vtp::kernel
