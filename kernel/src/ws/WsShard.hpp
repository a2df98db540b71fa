#pragma once

// Threading model. Debian's libwebsockets is built with LWS_MAX_SMP=1, so a context has exactly one
// service thread, and almost nothing in lws may be called from any other thread. WsServer therefore
// owns one context and one thread per shard (WsLimits::threads, 1 by default) that runs the event
// loop and every callback of its connections (handshake checks, reassembly, writes, timers,
// onOpen/onMessage/onClose). With one shard lws listens; with several, the first shard listens and
// accepts and deals the connections out in turn, each adopted by its shard's context (lws cannot
// listen with SO_REUSEPORT on Linux, and a port shared that way could be joined by another process).
// A connection id tells its shard (id % shards). Endpoint callbacks run one at a time over all shards
// (a lock), so plugins see what one thread would show them. The loop is libev on epoll (lws's evlib
// plugin, a foreign loop we own and run): lws's default poll(2) loop scans every descriptor on each
// wake-up, which at thousands of connections cost more than the traffic. Without the plugin it falls
// back to that poll loop, and more than one shard refuses to start.

#include "ws/WsServer.hpp"

#include "log/Logger.hpp"

#include <libwebsockets.h>
#if VTP_WS_LIBEV
#include <ev.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace vtp::kernel {

namespace ws {

inline constexpr std::string_view kComponent = "ws";

// A closing connection that cannot flush its queue and close frame in this time is dropped.
inline constexpr int kCloseFlushSeconds = 5;
// stop() gives peers this long to receive the close frame before the context is torn down.
inline constexpr auto kStopGrace = std::chrono::milliseconds(1000);

inline constexpr int kCloseGoingAway = 1001;
inline constexpr int kClosePolicy = 1008;
inline constexpr int kCloseTooBig = 1009;
inline constexpr int kCloseNoStatus = 1005;
inline constexpr int kCloseAbnormal = 1006;
// lws's per-connection receive buffer, and the most one send(2) of a message may carry.
inline constexpr size_t kRxBufferBytes = 1024;
inline constexpr size_t kTxPacketBytes = 64 * 1024;
// Queued messages written in one writable callback at most, so that one busy peer cannot hold the loop.
inline constexpr size_t kMaxWritesPerCallback = 64;
// Bytes of queued messages gathered into one write at most.
inline constexpr size_t kMaxGatherBytes = 64 * 1024;
// More service threads than this buys nothing on any machine VTP targets.
inline constexpr size_t kMaxThreads = 16;

using Clock = std::chrono::steady_clock;

// The largest piece of an HTTP response body handed to lws in one writable callback.
inline constexpr size_t kHttpWriteChunk = 32 * 1024;
// How long lws keeps an idle keep-alive HTTP connection (its keepalive_timeout), and what
// responses announce in Keep-Alive: clients then retire it first (Node's agent a second before)
// instead of reusing a connection vtpd is closing.
inline constexpr int kHttpKeepAliveSeconds = 5;

} // namespace ws

// What the shards share: the endpoints (fixed at start), the limits, and the lock that keeps endpoint
// callbacks one at a time when there is more than one shard.
struct WsServer::Shared {
    Shared(std::string hostIn, uint16_t portIn, WsLimits limitsIn, Logger& logIn)
        : host(std::move(hostIn)), requestedPort(portIn), limits(std::move(limitsIn)), log(logIn),
          shardCount(std::clamp<size_t>(limits.threads, 1, ws::kMaxThreads))
    {
    }

    std::string host;
    uint16_t requestedPort;
    WsLimits limits;
    Logger& log;
    size_t shardCount;
    std::map<std::string, WsEndpoint> endpoints; // by normalized path; fixed once started
    std::mutex callbackMutex;                    // held around each endpoint callback when shardCount > 1
    std::atomic<size_t> open{0};                 // connections plus HTTP exchanges, over every shard
    std::vector<Shard*> shards;                  // all of them, set before any starts
};

struct WsServer::Shard {
    // LWS_PRE bytes of headroom for lws, then the payload. Shared by every queue a broadcast reached:
    // lws_write only writes the frame header into the headroom, the same bytes for each recipient
    // (unmasked server frames of one length and opcode), and only ever on the service thread.
    using Frame = std::shared_ptr<std::vector<unsigned char>>;

    struct OutMessage {
        Frame frame;
        bool binary = false;
        size_t size() const { return frame->size() - LWS_PRE; }
    };

    struct Connection {
        uint64_t id = 0;
        lws* wsi = nullptr;
        const WsEndpoint* endpoint = nullptr;
        size_t maxMessageBytes = 0;

        // Guarded by Impl::mutex. A list: unlike a deque it allocates nothing while empty, which it
        // almost always is (most messages are written at once).
        std::list<OutMessage> queue;
        size_t queuedBytes = 0;
        bool wakeQueued = false;
        bool closeRequested = false;
        bool overflowed = false;
        int closeCode = 0;
        std::string closeReason;

        // Service thread only.
        bool closeStarted = false;
        bool closeNotified = false;
        bool deferQueued = false; // on the shard's `deferred` list
        bool peerClosing = false; // the peer sent a close frame: lws answers it, nothing more goes out
        int peerCloseCode = 0;
        std::string rx;
        bool rxBinary = false;
        ws::Clock::time_point lastActivity;
    };

    // What lws keeps per wsi (zeroed by lws): the link back to our connection once it is open.
    struct Session {
        Connection* connection;
    };

    struct HttpResponse {
        int status = 0;
        std::vector<std::pair<std::string, std::string>> headers;
        std::string body;
        bool close = false; // the kernel's refusal at shutdown: no keep-alive after it
    };

    // One plain HTTP request on an endpoint's path, from its head until its response is written or the
    // client goes. lws frees a wsi's session data at every keep-alive transaction, so exchanges are
    // found by wsi in `exchangeByWsi`, not through the Session.
    struct HttpExchange {
        uint64_t id = 0;
        lws* wsi = nullptr;
        const WsEndpoint* endpoint = nullptr;

        // Guarded by Impl::mutex.
        bool answered = false; // a response is stored (the plugin's, or the kernel's 504/503)
        HttpResponse response;
        bool wakeQueued = false;

        // Service thread only.
        WsHttpRequest request; // until onHttp has seen it
        size_t bodyLimit = 0;
        bool dispatched = false;
        ws::Clock::time_point deadline;
        bool writing = false;
        HttpResponse outgoing; // moved out of `response` when writing starts
        bool headWritten = false;
        size_t bodyWritten = 0;
        bool headOnly = false;     // a HEAD request: no body goes out
        bool clientCloses = false; // it sent Connection: close; lws closes after the response
    };

    // Standard layout, so lws's timer pointer converts back to its owner.
    struct SweepTimer {
        lws_sorted_usec_list_t sul;
        Shard* owner;
    };

    Shard(Shared& sharedIn, size_t indexIn)
        : shared(sharedIn), host(sharedIn.host), limits(sharedIn.limits), log(sharedIn.log), endpoints(sharedIn.endpoints), index(indexIn)
    {
    }

    Shared& shared;
    const std::string& host;
    const WsLimits& limits;
    Logger& log;
    const std::map<std::string, WsEndpoint>& endpoints;
    const size_t index;
    std::array<lws_protocols, 2> protocols{};
    lws_context* context = nullptr;
#if VTP_WS_LIBEV
    struct ev_loop* evLoop = nullptr; // null: lws's own poll loop
    ev_io acceptWatcher{};            // on listenFd, when the shards share the port
#endif
    int listenFd = -1;    // the first shard's, when the shards share the port
    size_t nextShard = 0; // who gets the next accepted connection
    lws_vhost* vhost = nullptr;
#if VTP_WS_LIBEV
    std::array<void*, 1> foreignLoops{};
#endif
    uint16_t boundPort = 0;
    std::thread thread;
    std::atomic<std::thread::id> serviceThreadId{};
    // Whole messages delivered to endpoints and written to sockets, for /metrics.
    std::atomic<uint64_t> messagesIn{0}, messagesOut{0};

    mutable std::mutex mutex;
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections;
    std::vector<uint64_t> pending;                                         // ids whose queue or close state changed
    std::unordered_map<uint64_t, std::unique_ptr<HttpExchange>> exchanges; // removed on the service thread only
    std::vector<uint64_t> pendingHttp;                                     // exchange ids with a response to write
    std::vector<int> toAdopt;                                              // accepted by the first shard for this one
    lws_context* wakeContext = nullptr;                                    // null once the service thread tears the context down
    bool stopping = false;
    ws::Clock::time_point stopDeadline;

    // Service thread only.
    std::vector<unsigned char> directFrame;  // the payload of messages written at once, with headroom
    std::vector<unsigned char> gatherBuffer; // several queued messages' frames, for one write
    std::vector<OutMessage> gatherBatch;     // the messages taken from a queue for that write
    std::vector<Connection*> directTargets;  // sendMany's recipients that can take it now
    std::unordered_map<lws*, HttpExchange*> exchangeByWsi;
    uint64_t nextSerial = 1;
    int callbackDepth = 0;             // endpoint callbacks under way on this thread
    std::vector<Connection*> deferred; // queued in a callback, written once it has returned

    // Ids tell their shard: id % shardCount.
    uint64_t newId()
    {
        return nextSerial++ * shared.shardCount + index;
    }
    bool full() const
    {
        return shared.open.load(std::memory_order_relaxed) >= limits.maxConnections;
    }
    SweepTimer sweepTimer{};
    std::chrono::milliseconds sweepInterval{500};

    bool onServiceThread() const
    {
        return serviceThreadId.load(std::memory_order_relaxed) == std::this_thread::get_id();
    }
    bool onThisThread() const
    {
        return serviceThreadId.load() == std::this_thread::get_id();
    }

    // What writeGathered did; Failed: the connection is being dropped.
    enum class Gathered { Nothing, Wrote, Failed };

    // ---- the send queue and broadcasts (WsSendQueue.cpp) ----
    void scheduleLocked(Connection& connection);
    static Frame makeFrame(std::string_view data);
    static bool writableNowLocked(const Connection& connection);
    bool queueLocked(Connection& connection, const Frame& frame, size_t size, bool binary, bool wake);
    void dropAfterFailedWrite(Connection& connection);
    bool writeNow(Connection& connection, unsigned char* payload, size_t size, bool binary);
    Gathered writeGathered(Connection& connection);
    size_t sendMany(const uint64_t* ids, size_t count, std::string_view data, bool binary);
    void close(uint64_t id, int code, std::string_view reason);
    void flushDeferred();
    void flushQueue(Connection& connection);
    int onWriteable(lws* wsi, Session* session);

    // ---- plain HTTP exchanges (WsHttpExchange.cpp) ----
    void scheduleHttpLocked(HttpExchange& exchange);
    bool answerLocked(HttpExchange& exchange, int status, std::string_view type, std::string_view detail, bool closeAfter);
    WsRespondResult respond(uint64_t id, int status, std::vector<std::pair<std::string, std::string>> headers, std::string body);
    int refuseHttp(lws* wsi, int status, std::string_view type, std::string_view detail);
    int onPlainHttp(lws* wsi);
    HttpExchange* exchangeOf(lws* wsi);
    int onHttpBody(lws* wsi, const char* data, size_t len);
    int onHttpBodyComplete(lws* wsi);
    void dispatchHttp(HttpExchange& exchange);
    static bool clientGone(lws* wsi);
    void forgetExchange(lws* wsi);
    int onHttpWriteable(lws* wsi);

    // ---- connections: handshake, messages, close (WsConnections.cpp) ----
    const WsEndpoint* findEndpoint(std::string_view path) const;
    int onConfirmUpgrade(lws* wsi, const char* upgrade);
    std::string remoteAddressOf(lws* wsi, const std::map<std::string, std::string>& headers) const;
    int onEstablished(lws* wsi, Session* session);
    int onReceive(lws* wsi, Session* session, const char* data, size_t len);
    void startClose(Connection& connection, bool overflowed);
    void notifyClose(Connection& connection, int code);
    void onClosed(Session* session);
    void onPeerClose(Session* session, const unsigned char* payload, size_t len);

    // ---- the loop: wake-ups, sweep, lws callback, start and stop (WsShardLoop.cpp) ----
    void onWakeUp();
    void sweep();
    void scheduleSweep();
    static void sweepCallback(lws_sorted_usec_list_t* sul);
    int dispatch(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
    static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
    void start(uint16_t port, bool share);
    void run();
    std::string listenForShards(bool anyInterface, uint16_t port);
#if VTP_WS_LIBEV
    static void onAcceptReady(struct ev_loop*, ev_io* watcher, int);
#endif
    void handOver(int fd);
    void adopt(int fd);
    void closeListener();
    void teardown();
    void destroyLoop();
    void requestStop();
    void join();

    // With several shards, endpoint callbacks run one at a time (plugins see what one thread would
    // show them); the sends they make are queued and written here once the lock is released, so that
    // the shards write in parallel.
    template <typename Fn>
    void invokeSafely(std::string_view what, uint64_t id, Fn&& fn)
    {
        std::unique_lock<std::mutex> serial;
        if (shared.shardCount > 1 && callbackDepth == 0) serial = std::unique_lock(shared.callbackMutex);
        ++callbackDepth;
        try {
            fn();
        } catch (const std::exception& e) {
            auto idText = std::to_string(id);
            log.error(ws::kComponent, "endpoint callback threw", {{"callback", what}, {"id", idText}, {"error", e.what()}});
        } catch (...) {
            auto idText = std::to_string(id);
            log.error(ws::kComponent, "endpoint callback threw", {{"callback", what}, {"id", idText}, {"error", "unknown"}});
        }
        --callbackDepth;
        if (serial.owns_lock()) {
            serial.unlock();
            flushDeferred();
        }
    }
};

} // namespace vtp::kernel
