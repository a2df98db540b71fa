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
//
// Sends. On the service thread (an endpoint answering or broadcasting from its onMessage), a message
// for a connection with nothing queued and nothing left in lws's own partial-write buffer is written
// at once with lws_write — no copy per recipient, no queue, no wake-up. With several shards the
// callback holds the callbacks' lock, so its sends to its own shard are queued and written right
// after it returns, and its sends to other shards go to their queues and wake them: the shards then
// write in parallel. Everything else (other threads, or a connection that is behind) goes to the
// connection's queue under `mutex`; the id goes on the `pending` list and, if that list was empty,
// lws_cancel_service() — the one lws call that is safe from any thread — wakes the loop with
// LWS_CALLBACK_EVENT_WAIT_CANCELLED, where the service thread drains `pending` and writes each queue
// while lws takes it whole (queued frames laid end to end, up to 64 KiB a write); what is left waits
// for SERVER_WRITEABLE, so a slow peer only ever holds back its own queue, and the queue is bounded
// by WsLimits::maxSendQueueBytes. A broadcast (sendMany) shares one frame among its
// recipients' queues. Callbacks must not block, and the lock is held only to move queue entries.
//
// Plain HTTP on an endpoint with onHttp (Socket.IO long-polling) is an HttpExchange: the service thread
// reads the body (HTTP_BODY chunks, bounded by the endpoint's message limit), calls onHttp, and holds the
// request open. respond() from any thread stores the response under `mutex`, queues the id on
// `pendingHttp` and wakes the loop the same way send() does; the service thread then asks for
// HTTP_WRITEABLE and writes the head and the body in chunks, one write per callback, and completes the
// transaction so that keep-alive serves the next request. The idle sweep also answers requests the plugin
// left unanswered past WsLimits::httpResponseTimeout with 504.

#include "ws/WsServer.hpp"

#include "http/HttpTypes.hpp"
#include "log/Logger.hpp"

#include <libwebsockets.h>
#if VTP_WS_LIBEV
#include <ev.h>
#endif

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vtp::kernel {

namespace {

constexpr std::string_view kComponent = "ws";

// A closing connection that cannot flush its queue and close frame in this time is dropped.
constexpr int kCloseFlushSeconds = 5;
// stop() gives peers this long to receive the close frame before the context is torn down.
constexpr auto kStopGrace = std::chrono::milliseconds(1000);

constexpr int kCloseGoingAway = 1001;
constexpr int kClosePolicy = 1008;
constexpr int kCloseTooBig = 1009;
constexpr int kCloseNoStatus = 1005;
constexpr int kCloseAbnormal = 1006;
constexpr size_t kMaxCloseReasonBytes = 123; // a control frame carries 125 bytes, 2 are the code
// lws's per-connection receive buffer, and the most one send(2) of a message may carry.
constexpr size_t kRxBufferBytes = 1024;
constexpr size_t kTxPacketBytes = 64 * 1024;
// Queued messages written in one writable callback at most, so that one busy peer cannot hold the loop.
constexpr size_t kMaxWritesPerCallback = 64;
// Bytes of queued messages gathered into one write at most.
constexpr size_t kMaxGatherBytes = 64 * 1024;
// More service threads than this buys nothing on any machine VTP targets.
constexpr size_t kMaxThreads = 16;

using Clock = std::chrono::steady_clock;

// lws has a single process-wide log hook without a user pointer, so the route to our Loggers has to be
// process state. The most recently started server's Logger receives lws's own messages.
class LwsLogRoute {
public:
    static LwsLogRoute& instance() {
        static LwsLogRoute route;
        return route;
    }

    void attach(Logger* logger) {
        std::lock_guard lock(mutex_);
        loggers_.push_back(logger);
        // No notices: lws's libev glue logs one for every change of a descriptor's events.
        lws_set_log_level(LLL_ERR | LLL_WARN, &LwsLogRoute::emit);
    }

    void detach(Logger* logger) {
        std::lock_guard lock(mutex_);
        auto it = std::find(loggers_.rbegin(), loggers_.rend(), logger);
        if (it != loggers_.rend())
            loggers_.erase(std::next(it).base());
    }

private:
    static void emit(int level, const char* line) {
        std::string_view text(line ? line : "");
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
            text.remove_suffix(1);
        LogLevel ours = level & LLL_ERR ? LogLevel::Error : level & LLL_WARN ? LogLevel::Warn : LogLevel::Debug;
        auto& route = instance();
        std::lock_guard lock(route.mutex_);
        if (!route.loggers_.empty())
            route.loggers_.back()->log(ours, "ws.lws", text);
    }

    std::mutex mutex_;
    std::vector<Logger*> loggers_;
};

std::string normalizePath(std::string_view path) {
    while (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    return std::string(path);
}

bool isUnreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

void appendPercentEncoded(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : text) {
        if (isUnreserved(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0x0f];
        }
    }
}

int sanitizeCloseCode(int code) {
    bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    return sendable ? code : 1000;
}

std::string truncateReason(std::string_view reason) {
    if (reason.size() <= kMaxCloseReasonBytes)
        return std::string(reason);
    size_t cut = kMaxCloseReasonBytes;
    // Never cut a UTF-8 sequence in half: the peer must reject an invalid close reason.
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80)
        --cut;
    return std::string(reason.substr(0, cut));
}

std::string copyHeader(lws* wsi, lws_token_indexes token) {
    int total = lws_hdr_total_length(wsi, token);
    if (total <= 0)
        return {};
    // lws_hdr_copy inserts a separator between repeated headers: room for one per byte at worst.
    std::vector<char> buffer(static_cast<size_t>(total) * 2 + 2);
    int n = lws_hdr_copy(wsi, buffer.data(), static_cast<int>(buffer.size()), token);
    return n > 0 ? std::string(buffer.data()) : std::string();
}

// lws splits the query into arguments and URL-decodes them; re-encode so callers get a query string
// that decodes to the same name/value pairs.
std::string copyQuery(lws* wsi) {
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    if (total <= 0)
        return {};
    std::vector<char> buffer(static_cast<size_t>(total) + 1);
    std::string query;
    for (int index = 0;; ++index) {
        int n = lws_hdr_copy_fragment(wsi, buffer.data(), static_cast<int>(buffer.size()), WSI_TOKEN_HTTP_URI_ARGS,
                                      index);
        if (n < 0)
            break;
        if (n == 0)
            continue;
        std::string_view argument(buffer.data(), static_cast<size_t>(n));
        if (!query.empty())
            query += '&';
        auto equals = argument.find('=');
        appendPercentEncoded(query, argument.substr(0, equals));
        if (equals != std::string_view::npos) {
            query += '=';
            appendPercentEncoded(query, argument.substr(equals + 1));
        }
    }
    return query;
}

std::map<std::string, std::string> copyHeaders(lws* wsi) {
    std::map<std::string, std::string> headers;
    for (int index = 0; index < WSI_TOKEN_COUNT; ++index) {
        auto token = static_cast<lws_token_indexes>(index);
        if (token == WSI_TOKEN_HTTP_URI_ARGS || lws_hdr_total_length(wsi, token) <= 0)
            continue;
        const auto* raw = reinterpret_cast<const char*>(lws_token_to_string(token));
        if (!raw)
            continue;
        std::string name(raw);
        // Request-line pseudo tokens ("get ", ":path") are not headers.
        if (name.size() < 2 || name.front() == ':' || name.back() != ':')
            continue;
        name.pop_back();
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
        headers[name] = copyHeader(wsi, token);
    }
    return headers;
}

std::string peerAddress(lws* wsi) {
    char buffer[128] = {};
    const char* peer = lws_get_peer_simple(wsi, buffer, sizeof(buffer));
    std::string_view address(peer ? peer : "");
    constexpr std::string_view kMappedV4 = "::ffff:";
    if (address.substr(0, kMappedV4.size()) == kMappedV4 && address.find('.') != std::string_view::npos)
        address.remove_prefix(kMappedV4.size());
    return std::string(address);
}

// lws keeps the request target under a token named for the method.
struct MethodToken {
    const char* method;
    lws_token_indexes token;
};
constexpr MethodToken kMethodTokens[] = {
    {"GET", WSI_TOKEN_GET_URI},     {"POST", WSI_TOKEN_POST_URI},     {"OPTIONS", WSI_TOKEN_OPTIONS_URI},
    {"PUT", WSI_TOKEN_PUT_URI},     {"PATCH", WSI_TOKEN_PATCH_URI},   {"DELETE", WSI_TOKEN_DELETE_URI},
    {"HEAD", WSI_TOKEN_HEAD_URI},
};

std::optional<MethodToken> requestMethod(lws* wsi) {
    for (const MethodToken& candidate : kMethodTokens)
        if (lws_hdr_total_length(wsi, candidate.token) > 0)
            return candidate;
    return std::nullopt;
}

std::string lowerCase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return out;
}

// Framing headers belong to the server: a plugin's would contradict the ones written for it.
bool isServerHeader(std::string_view lowerName) {
    return lowerName == "content-length" || lowerName == "transfer-encoding" || lowerName == "connection";
}

// The largest piece of an HTTP response body handed to lws in one writable callback.
constexpr size_t kHttpWriteChunk = 32 * 1024;
// How long lws keeps an idle keep-alive HTTP connection (its keepalive_timeout), and what
// responses announce in Keep-Alive: clients then retire it first (Node's agent a second before)
// instead of reusing a connection vtpd is closing.
constexpr int kHttpKeepAliveSeconds = 5;

// True if a Connection header value lists the "close" option (RFC 9112 section 9.6).
bool asksToClose(std::string_view value) {
    while (!value.empty()) {
        size_t comma = value.find(',');
        std::string_view option = value.substr(0, comma);
        while (!option.empty() && (option.front() == ' ' || option.front() == '\t'))
            option.remove_prefix(1);
        while (!option.empty() && (option.back() == ' ' || option.back() == '\t'))
            option.remove_suffix(1);
        if (option.size() == 5 && std::equal(option.begin(), option.end(), "close",
                                             [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
            return true;
        if (comma == std::string_view::npos)
            break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

} // namespace

// What the shards share: the endpoints (fixed at start), the limits, and the lock that keeps endpoint
// callbacks one at a time when there is more than one shard.
struct WsServer::Shared {
    Shared(std::string hostIn, uint16_t portIn, WsLimits limitsIn, Logger& logIn)
        : host(std::move(hostIn)), requestedPort(portIn), limits(std::move(limitsIn)), log(logIn),
          shardCount(std::clamp<size_t>(limits.threads, 1, kMaxThreads)) {}

    std::string host;
    uint16_t requestedPort;
    WsLimits limits;
    Logger& log;
    size_t shardCount;
    std::map<std::string, WsEndpoint> endpoints; // by normalized path; fixed once started
    std::mutex callbackMutex;                    // held around each endpoint callback when shardCount > 1
    std::atomic<size_t> open{0};                 // connections plus HTTP exchanges, over every shard
    std::vector<Shard*> shards;        // all of them, set before any starts
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
        Clock::time_point lastActivity;
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
        Clock::time_point deadline;
        bool writing = false;
        HttpResponse outgoing; // moved out of `response` when writing starts
        bool headWritten = false;
        size_t bodyWritten = 0;
        bool headOnly = false; // a HEAD request: no body goes out
        bool clientCloses = false; // it sent Connection: close; lws closes after the response
    };

    // Standard layout, so lws's timer pointer converts back to its owner.
    struct SweepTimer {
        lws_sorted_usec_list_t sul;
        Shard* owner;
    };

    Shard(Shared& sharedIn, size_t indexIn)
        : shared(sharedIn), host(sharedIn.host), limits(sharedIn.limits), log(sharedIn.log), endpoints(sharedIn.endpoints),
          index(indexIn) {}

    Shared& shared;
    const std::string& host;
    const WsLimits& limits;
    Logger& log;
    const std::map<std::string, WsEndpoint>& endpoints;
    const size_t index;
    std::array<lws_protocols, 2> protocols{};
    lws_context* context = nullptr;
#if VTP_WS_LIBEV
    struct ev_loop* evLoop = nullptr;   // null: lws's own poll loop
    ev_io acceptWatcher{};              // on listenFd, when the shards share the port
#endif
    int listenFd = -1;                  // the first shard's, when the shards share the port
    size_t nextShard = 0;               // who gets the next accepted connection
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
    std::vector<uint64_t> pending;       // ids whose queue or close state changed
    std::unordered_map<uint64_t, std::unique_ptr<HttpExchange>> exchanges; // removed on the service thread only
    std::vector<uint64_t> pendingHttp;   // exchange ids with a response to write
    std::vector<int> toAdopt;            // accepted by the first shard for this one
    lws_context* wakeContext = nullptr;  // null once the service thread tears the context down
    bool stopping = false;
    Clock::time_point stopDeadline;

    // Service thread only.
    std::vector<unsigned char> directFrame;    // the payload of messages written at once, with headroom
    std::vector<unsigned char> gatherBuffer;   // several queued messages' frames, for one write
    std::vector<OutMessage> gatherBatch;       // the messages taken from a queue for that write
    std::vector<Connection*> directTargets;    // sendMany's recipients that can take it now
    std::unordered_map<lws*, HttpExchange*> exchangeByWsi;
    uint64_t nextSerial = 1;
    int callbackDepth = 0;                      // endpoint callbacks under way on this thread
    std::vector<Connection*> deferred;          // queued in a callback, written once it has returned

    // Ids tell their shard: id % shardCount.
    uint64_t newId() { return nextSerial++ * shared.shardCount + index; }
    bool full() const { return shared.open.load(std::memory_order_relaxed) >= limits.maxConnections; }
    SweepTimer sweepTimer{};
    std::chrono::milliseconds sweepInterval{500};

    // ---- any thread ----

    void scheduleLocked(Connection& connection) {
        if (connection.wakeQueued)
            return;
        connection.wakeQueued = true;
        bool wasEmpty = pending.empty() && pendingHttp.empty() && toAdopt.empty();
        pending.push_back(connection.id);
        // A non-empty list already has a wake-up on its way that will drain this entry too.
        if (wasEmpty && wakeContext)
            lws_cancel_service(wakeContext);
    }

    static Frame makeFrame(std::string_view data) {
        auto frame = std::make_shared<std::vector<unsigned char>>(LWS_PRE + data.size());
        if (!data.empty())
            std::memcpy(frame->data() + LWS_PRE, data.data(), data.size());
        return frame;
    }

    bool onServiceThread() const { return serviceThreadId.load(std::memory_order_relaxed) == std::this_thread::get_id(); }

    // Service thread, under `mutex`: may a message skip the queue and go out now? Not if it would
    // overtake a queued one, or lws still holds part of an earlier write (the peer is behind).
    static bool writableNowLocked(const Connection& connection) {
        return connection.queue.empty() && !connection.closeStarted && !connection.closeNotified &&
               !connection.peerClosing && connection.wsi && !lws_partial_buffered(connection.wsi);
    }

    // Under `mutex`. False if the queue would exceed its bound: the connection is then being closed.
    bool queueLocked(Connection& connection, const Frame& frame, size_t size, bool binary, bool wake) {
        if (connection.queuedBytes + size > limits.maxSendQueueBytes) {
            connection.closeRequested = true;
            connection.overflowed = true;
            connection.closeCode = kClosePolicy;
            connection.closeReason = "send queue full";
            connection.queue.clear();
            connection.queuedBytes = 0;
            scheduleLocked(connection);
            return false;
        }
        connection.queuedBytes += size;
        connection.queue.push_back(OutMessage{frame, binary});
        if (wake)
            scheduleLocked(connection);
        return true;
    }

    // A failed write drops the connection asynchronously, so that no onClose runs inside the caller's send.
    void dropAfterFailedWrite(Connection& connection) {
        {
            std::lock_guard lock(mutex);
            if (!connection.closeRequested) {
                connection.closeRequested = true;
                connection.closeCode = kCloseAbnormal;
            }
        }
        connection.closeStarted = true;
        lws_set_timeout(connection.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        auto idText = std::to_string(connection.id);
        log.debug(kComponent, "write failed, dropping connection", {{"id", idText}});
    }

    // Service thread: one message to one socket now.
    bool writeNow(Connection& connection, unsigned char* payload, size_t size, bool binary) {
        int written = lws_write(connection.wsi, payload, size, binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        if (written < static_cast<int>(size)) {
            dropAfterFailedWrite(connection);
            return false;
        }
        ++messagesOut;
        connection.lastActivity = Clock::now();
        return true;
    }

    // Service thread: up to kMaxGatherBytes of queued messages in one write (frames laid end to end;
    // server frames are unmasked, so lws only has to pass the bytes on). Nothing, Wrote, or Failed
    // (the connection is then being dropped).
    enum class Gathered { Nothing, Wrote, Failed };
    Gathered writeGathered(Connection& connection) {
        std::vector<OutMessage>& batch = gatherBatch;
        batch.clear();
        size_t bytes = 0;
        {
            std::lock_guard lock(mutex);
            while (!connection.queue.empty() && (batch.empty() || bytes + connection.queue.front().size() <= kMaxGatherBytes)) {
                bytes += connection.queue.front().size();
                connection.queuedBytes -= connection.queue.front().size();
                batch.push_back(std::move(connection.queue.front()));
                connection.queue.pop_front();
            }
        }
        if (batch.empty())
            return Gathered::Nothing;
        if (batch.size() == 1) {
            const bool written = writeNow(connection, batch[0].frame->data() + LWS_PRE, batch[0].size(), batch[0].binary);
            batch.clear();
            return written ? Gathered::Wrote : Gathered::Failed;
        }
        gatherBuffer.resize(LWS_PRE);
        for (const OutMessage& message : batch) {
            const size_t size = message.size();
            unsigned char head[10];
            size_t headSize = 2;
            head[0] = static_cast<unsigned char>(0x80 | (message.binary ? 0x2 : 0x1));
            if (size < 126) {
                head[1] = static_cast<unsigned char>(size);
            } else if (size < 65536) {
                head[1] = 126;
                head[2] = static_cast<unsigned char>(size >> 8);
                head[3] = static_cast<unsigned char>(size);
                headSize = 4;
            } else {
                head[1] = 127;
                for (int i = 0; i < 8; ++i)
                    head[2 + i] = static_cast<unsigned char>(static_cast<uint64_t>(size) >> (56 - 8 * i));
                headSize = 10;
            }
            gatherBuffer.insert(gatherBuffer.end(), head, head + headSize);
            const unsigned char* payload = message.frame->data() + LWS_PRE;
            gatherBuffer.insert(gatherBuffer.end(), payload, payload + size);
        }
        const size_t total = gatherBuffer.size() - LWS_PRE;
        int written = lws_write(connection.wsi, gatherBuffer.data() + LWS_PRE, total, LWS_WRITE_RAW);
        if (gatherBuffer.capacity() > 4 * kMaxGatherBytes)
            std::vector<unsigned char>().swap(gatherBuffer);
        const size_t count = batch.size();
        batch.clear(); // drops the frames' references now
        if (written < static_cast<int>(total)) {
            dropAfterFailedWrite(connection);
            return Gathered::Failed;
        }
        messagesOut += count;
        connection.lastActivity = Clock::now();
        return Gathered::Wrote;
    }

    size_t sendMany(const uint64_t* ids, size_t count, std::string_view data, bool binary) {
        if (count == 0)
            return 0;
        const bool service = onServiceThread();
        // Inside a callback that holds the shards' callback lock nothing is written: see invokeSafely.
        const bool defer = service && callbackDepth > 0 && shared.shardCount > 1;
        Frame frame; // built once, and only if some recipient needs its message queued
        size_t sent = 0;
        std::vector<Connection*> local;
        std::vector<Connection*>& now = service ? directTargets : local;
        now.clear();
        std::vector<Connection*> queuedHere; // queued on the service thread: ask lws directly, no wake-up
        std::vector<uint64_t> overflowed;
        {
            std::lock_guard lock(mutex);
            for (size_t i = 0; i < count; ++i) {
                auto it = connections.find(ids[i]);
                if (it == connections.end() || it->second->closeRequested)
                    continue;
                Connection& connection = *it->second;
                if (service && !defer && writableNowLocked(connection)) {
                    now.push_back(&connection);
                    continue;
                }
                if (!frame)
                    frame = makeFrame(data);
                if (!queueLocked(connection, frame, data.size(), binary, !service)) {
                    overflowed.push_back(ids[i]);
                    continue;
                }
                ++sent;
                if (defer) {
                    if (!connection.deferQueued) {
                        connection.deferQueued = true;
                        deferred.push_back(&connection);
                    }
                } else if (service) {
                    queuedHere.push_back(&connection);
                }
            }
        }
        for (Connection* connection : queuedHere)
            flushQueue(*connection);
        if (!now.empty()) {
            directFrame.resize(LWS_PRE + data.size());
            if (!data.empty())
                std::memcpy(directFrame.data() + LWS_PRE, data.data(), data.size());
            for (Connection* connection : now)
                if (writeNow(*connection, directFrame.data() + LWS_PRE, data.size(), binary))
                    ++sent;
            if (directFrame.capacity() > 256 * 1024)
                std::vector<unsigned char>().swap(directFrame);
            now.clear();
        }
        for (uint64_t id : overflowed) {
            auto idText = std::to_string(id);
            log.warn(kComponent, "send queue full, closing connection", {{"id", idText}});
        }
        return sent;
    }

    void scheduleHttpLocked(HttpExchange& exchange) {
        if (exchange.wakeQueued)
            return;
        exchange.wakeQueued = true;
        bool wasEmpty = pending.empty() && pendingHttp.empty() && toAdopt.empty();
        pendingHttp.push_back(exchange.id);
        if (wasEmpty && wakeContext)
            lws_cancel_service(wakeContext);
    }

    // Stores the kernel's own answer for an exchange nobody has answered; false if one is stored already.
    bool answerLocked(HttpExchange& exchange, int status, std::string_view type, std::string_view detail,
                      bool closeAfter) {
        if (exchange.answered)
            return false;
        HttpResponseData problem = makeProblem(status, type, {}, detail);
        exchange.answered = true;
        exchange.response.status = status;
        exchange.response.headers = {{"Content-Type", problem.contentType}};
        exchange.response.body = std::move(problem.body);
        exchange.response.close = closeAfter;
        scheduleHttpLocked(exchange);
        return true;
    }

    WsRespondResult respond(uint64_t id, int status, std::vector<std::pair<std::string, std::string>> headers,
                            std::string body) {
        if (status < 200 || status > 599)
            return WsRespondResult::Invalid;
        std::vector<std::pair<std::string, std::string>> kept;
        kept.reserve(headers.size());
        for (auto& [name, value] : headers) {
            // Refuse header injection the way the HTTP port does: a CR or LF would split the response.
            bool unsafe = name.empty() || name.find_first_of("\r\n: ") != std::string::npos ||
                          value.find_first_of("\r\n") != std::string::npos;
            if (unsafe || isServerHeader(lowerCase(name))) {
                log.warn(kComponent, "dropped a response header", {{"header", unsafe ? std::string("(unsafe)") : name}});
                continue;
            }
            kept.emplace_back(std::move(name), std::move(value));
        }
        std::lock_guard lock(mutex);
        auto it = exchanges.find(id);
        if (it == exchanges.end() || it->second->answered)
            return WsRespondResult::NotFound;
        HttpExchange& exchange = *it->second;
        exchange.answered = true;
        exchange.response.status = status;
        exchange.response.headers = std::move(kept);
        exchange.response.body = std::move(body);
        scheduleHttpLocked(exchange);
        return WsRespondResult::Ok;
    }

    void close(uint64_t id, int code, std::string_view reason) {
        std::lock_guard lock(mutex);
        auto it = connections.find(id);
        if (it == connections.end() || it->second->closeRequested)
            return;
        Connection& connection = *it->second;
        connection.closeRequested = true;
        connection.closeCode = sanitizeCloseCode(code);
        connection.closeReason = truncateReason(reason);
        scheduleLocked(connection);
    }

    // ---- service thread ----

    // With several shards, endpoint callbacks run one at a time (plugins see what one thread would
    // show them); the sends they make are queued and written here once the lock is released, so that
    // the shards write in parallel.
    template <typename Fn>
    void invokeSafely(std::string_view what, uint64_t id, Fn&& fn) {
        std::unique_lock<std::mutex> serial;
        if (shared.shardCount > 1 && callbackDepth == 0)
            serial = std::unique_lock(shared.callbackMutex);
        ++callbackDepth;
        try {
            fn();
        } catch (const std::exception& e) {
            auto idText = std::to_string(id);
            log.error(kComponent, "endpoint callback threw", {{"callback", what}, {"id", idText}, {"error", e.what()}});
        } catch (...) {
            auto idText = std::to_string(id);
            log.error(kComponent, "endpoint callback threw", {{"callback", what}, {"id", idText}, {"error", "unknown"}});
        }
        --callbackDepth;
        if (serial.owns_lock()) {
            serial.unlock();
            flushDeferred();
        }
    }

    void flushDeferred() {
        // A callback of a flushed connection's close cannot add to the list: none runs from here.
        for (Connection* connection : deferred) {
            connection->deferQueued = false;
            flushQueue(*connection);
        }
        deferred.clear();
        if (deferred.capacity() > 4096)
            std::vector<Connection*>().swap(deferred);
    }

    // Service thread: writes what is queued while lws takes each message whole; what is left, and a
    // close, go through writable callbacks. Written here rather than in a writable callback, a message
    // from another thread costs no epoll_ctl to ask for POLLOUT and none to drop it again.
    void flushQueue(Connection& connection) {
        if (connection.closeStarted || connection.closeNotified || connection.peerClosing || !connection.wsi)
            return;
        for (size_t round = 0; round < kMaxWritesPerCallback && !lws_partial_buffered(connection.wsi); ++round) {
            const Gathered result = writeGathered(connection);
            if (result == Gathered::Failed)
                return;
            if (result == Gathered::Nothing)
                break;
        }
        bool more = false;
        {
            std::lock_guard lock(mutex);
            more = !connection.queue.empty() || connection.closeRequested;
        }
        if (more)
            lws_callback_on_writable(connection.wsi);
    }

    const WsEndpoint* findEndpoint(std::string_view path) const {
        auto it = endpoints.find(normalizePath(path));
        return it == endpoints.end() ? nullptr : &it->second;
    }

    int onConfirmUpgrade(lws* wsi, const char* upgrade) {
        if (!upgrade || strcasecmp(upgrade, "websocket") != 0)
            return refuseHttp(wsi, 400, "bad-upgrade", "only WebSocket upgrades are served on this port");
        std::string path = copyHeader(wsi, WSI_TOKEN_GET_URI);
        if (!findEndpoint(path)) {
            log.debug(kComponent, "refused handshake for unknown path", {{"path", path}});
            return refuseHttp(wsi, 404, "not-found", "no socket endpoint has this path");
        }
        bool full = false;
        {
            std::lock_guard lock(mutex);
            full = stopping || this->full();
        }
        if (full) {
            log.warn(kComponent, "refused handshake: connection limit reached or stopping", {{"path", path}});
            return refuseHttp(wsi, 503, "unavailable", "the socket server is at its connection limit or shutting down");
        }
        return 0;
    }

    // The client's address: the peer, or what X-Forwarded-For says behind a trusted proxy (as on the HTTP port).
    std::string remoteAddressOf(lws* wsi, const std::map<std::string, std::string>& headers) const {
        std::string peer = peerAddress(wsi);
        if (limits.trustedProxies.empty())
            return peer;
        auto forwarded = headers.find("x-forwarded-for");
        return clientAddress(peer, forwarded == headers.end() ? nullptr : &forwarded->second, limits.trustedProxies);
    }

    // Writes a small problem response from inside a callback and has lws close the connection: for
    // refused handshakes (instead of lws's bare HTML page, without the headers every answer carries)
    // and refusals before the body is read, whose unread body rules out keep-alive.
    int refuseHttp(lws* wsi, int status, std::string_view type, std::string_view detail) {
        HttpResponseData problem = makeProblem(status, type, {}, detail);
        addSecurityHeaders(problem.headers, true);
        std::vector<unsigned char> head(LWS_PRE + 1024);
        unsigned char* start = head.data() + LWS_PRE;
        unsigned char* p = start;
        unsigned char* end = head.data() + head.size();
        constexpr std::string_view kClose = "close";
        if (lws_add_http_common_headers(wsi, static_cast<unsigned int>(status), problem.contentType.c_str(),
                                        problem.body.size(), &p, end) ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, reinterpret_cast<const unsigned char*>(kClose.data()),
                                         static_cast<int>(kClose.size()), &p, end))
            return -1;
        for (const auto& [name, value] : problem.headers) {
            const std::string field = name + ":";
            if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(field.c_str()),
                                            reinterpret_cast<const unsigned char*>(value.data()), static_cast<int>(value.size()), &p, end))
                return -1;
        }
        if (lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
        std::vector<unsigned char> body(LWS_PRE + problem.body.size());
        std::memcpy(body.data() + LWS_PRE, problem.body.data(), problem.body.size());
        lws_write(wsi, body.data() + LWS_PRE, problem.body.size(), LWS_WRITE_HTTP_FINAL);
        return -1;
    }

    int onPlainHttp(lws* wsi) {
        std::optional<MethodToken> method = requestMethod(wsi);
        std::string path = method ? copyHeader(wsi, method->token) : std::string();
        const WsEndpoint* endpoint = findEndpoint(path);
        if (!endpoint || !endpoint->onHttp) {
            // A known path without the upgrade is a client mistake worth naming: 426 Upgrade Required.
            // A problem with the headers every response carries, rather than lws's bare HTML page.
            if (endpoint)
                return refuseHttp(wsi, 426, "upgrade-required", "this path takes WebSocket connections only");
            return refuseHttp(wsi, 404, "not-found", "no socket endpoint has this path");
        }
        const std::string methodName = method->method;
        size_t bodyLimit = endpoint->maxMessageBytes ? endpoint->maxMessageBytes : limits.maxMessageBytes;
        size_t contentLength = 0;
        bool hasLength = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
        if (hasLength) {
            std::string text = copyHeader(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
            auto [rest, error] = std::from_chars(text.data(), text.data() + text.size(), contentLength);
            if (error != std::errc() || rest != text.data() + text.size() || text.empty())
                return refuseHttp(wsi, 400, "bad-content-length", "Content-Length is not a number");
        }
        // lws reads a POST, PUT or PATCH body up to its Content-Length and does not decode chunked request
        // bodies, so without a length there is no way to know where the body ends.
        bool bodyMethod = methodName == "POST" || methodName == "PUT" || methodName == "PATCH";
        if (bodyMethod && !hasLength)
            return refuseHttp(wsi, 411, "length-required", "a request body needs a Content-Length (chunked bodies are not accepted here)");
        if (contentLength > bodyLimit)
            return refuseHttp(wsi, 413, "body-too-large",
                              "the body is " + std::to_string(contentLength) + " bytes; the limit is " + std::to_string(bodyLimit));

        auto exchange = std::make_unique<HttpExchange>();
        exchange->wsi = wsi;
        exchange->endpoint = endpoint;
        exchange->bodyLimit = bodyLimit;
        exchange->headOnly = methodName == "HEAD";
        WsHttpRequest& request = exchange->request;
        request.method = methodName;
        request.path = std::move(path);
        request.query = copyQuery(wsi);
        request.headers = copyHeaders(wsi);
        request.remoteAddress = remoteAddressOf(wsi, request.headers);
        request.body.reserve(contentLength);
        exchange->clientCloses = asksToClose(copyHeader(wsi, WSI_TOKEN_CONNECTION));
        HttpExchange* raw = exchange.get();
        {
            std::lock_guard lock(mutex);
            if (stopping || full()) {
                raw = nullptr;
            } else {
                uint64_t id = newId();
                exchange->id = request.id = id;
                exchanges.emplace(id, std::move(exchange));
                ++shared.open;
            }
        }
        if (!raw) {
            log.warn(kComponent, "refused HTTP request: connection limit reached or stopping", {{"path", request.path}});
            return refuseHttp(wsi, 503, "unavailable", "the socket server is at its connection limit or shutting down");
        }
        exchangeByWsi[wsi] = raw;
        // A body that stalls times out in lws (its content timeout stays set until the body is complete). A POST (even with Content-Length: 0) ends in BODY_COMPLETION; another method with no body has none.
        if (contentLength == 0 && methodName != "POST")
            dispatchHttp(*raw);
        return 0;
    }

    HttpExchange* exchangeOf(lws* wsi) {
        auto it = exchangeByWsi.find(wsi);
        return it == exchangeByWsi.end() ? nullptr : it->second;
    }

    int onHttpBody(lws* wsi, const char* data, size_t len) {
        HttpExchange* exchange = exchangeOf(wsi);
        if (!exchange || exchange->dispatched)
            return 0;
        if (exchange->request.body.size() + len > exchange->bodyLimit) // lws stops at Content-Length; defensive
            return refuseHttp(wsi, 413, "body-too-large", "the body exceeds the limit");
        exchange->request.body.append(data, len);
        return 0;
    }

    int onHttpBodyComplete(lws* wsi) {
        HttpExchange* exchange = exchangeOf(wsi);
        if (exchange && !exchange->dispatched)
            dispatchHttp(*exchange);
        return 0;
    }

    // Hands a complete request to the endpoint; its response arrives through respond(), or the sweep answers 504.
    void dispatchHttp(HttpExchange& exchange) {
        {
            std::lock_guard lock(mutex);
            if (exchange.answered) // answered by stop() while the body was still arriving
                return;
        }
        exchange.dispatched = true;
        exchange.deadline = Clock::now() + limits.httpResponseTimeout;
        // lws would drop a request held for its answer after its content timeout; ours is
        // WsLimits::httpResponseTimeout, enforced by the sweep.
        lws_set_timeout(exchange.wsi, NO_PENDING_TIMEOUT, 0);
        // lws reads nothing while a transaction is in progress, yet keeps polling for input: a client that
        // hangs up (or pipelines) would make lws_service spin. Reading is paused until the answer is
        // written; the sweep notices a hang-up by peeking at the socket (clientGone).
        lws_rx_flow_control(exchange.wsi, 0);
        WsHttpRequest request = std::move(exchange.request);
        exchange.request = WsHttpRequest{};
        const WsEndpoint* endpoint = exchange.endpoint;
        invokeSafely("onHttp", request.id, [&] { endpoint->onHttp(request); });
    }

    // True if the peer of a held request has closed or reset its connection. Pipelined bytes waiting
    // to be read mean it is still there.
    static bool clientGone(lws* wsi) {
        lws_sockfd_type fd = lws_get_socket_fd(wsi);
        if (fd == LWS_SOCK_INVALID)
            return true;
        char byte = 0;
        ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0)
            return false;
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
    }

    // Drops an exchange whose response is written or whose client is gone; respond() then finds nothing.
    void forgetExchange(lws* wsi) {
        auto it = exchangeByWsi.find(wsi);
        if (it == exchangeByWsi.end())
            return;
        uint64_t id = it->second->id;
        exchangeByWsi.erase(it);
        std::unique_ptr<HttpExchange> owned;
        std::lock_guard lock(mutex);
        auto owner = exchanges.find(id);
        if (owner != exchanges.end()) {
            owned = std::move(owner->second);
            exchanges.erase(owner);
            --shared.open;
        }
    }

    int onHttpWriteable(lws* wsi) {
        HttpExchange* exchange = exchangeOf(wsi);
        if (!exchange)
            return 0;
        if (!exchange->writing) {
            std::lock_guard lock(mutex);
            if (!exchange->answered)
                return 0;
            exchange->outgoing = std::move(exchange->response);
            exchange->writing = true;
        }
        HttpResponse& response = exchange->outgoing;
        size_t bodySize = exchange->headOnly ? 0 : response.body.size();
        if (!exchange->headWritten) {
            addSecurityHeaders(response.headers, true);
            size_t headBytes = 512;
            for (auto& [name, value] : response.headers)
                headBytes += name.size() + value.size() + 4;
            std::vector<unsigned char> head(LWS_PRE + headBytes);
            unsigned char* start = head.data() + LWS_PRE;
            unsigned char* p = start;
            unsigned char* end = head.data() + head.size();
            if (lws_add_http_common_headers(wsi, static_cast<unsigned int>(response.status), nullptr,
                                            response.body.size(), &p, end))
                return -1;
            for (auto& [name, value] : response.headers) {
                std::string field = name + ":";
                if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(field.c_str()),
                                                reinterpret_cast<const unsigned char*>(value.data()),
                                                static_cast<int>(value.size()), &p, end))
                    return -1;
            }
            // The connection ends after this response when we say so or the client asked (lws then
            // closes it): say it (RFC 9112 section 9.6), so that no client sends another request on it.
            if (response.close || exchange->clientCloses) {
                constexpr std::string_view kClose = "close";
                if (lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                                 reinterpret_cast<const unsigned char*>(kClose.data()),
                                                 static_cast<int>(kClose.size()), &p, end))
                    return -1;
            } else {
                const std::string keepAlive = "timeout=" + std::to_string(kHttpKeepAliveSeconds);
                if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("keep-alive:"),
                                                reinterpret_cast<const unsigned char*>(keepAlive.data()),
                                                static_cast<int>(keepAlive.size()), &p, end))
                    return -1;
            }
            if (lws_finalize_write_http_header(wsi, start, &p, end))
                return -1;
            exchange->headWritten = true;
            if (bodySize > 0) {
                lws_callback_on_writable(wsi);
                return 0;
            }
        } else if (exchange->bodyWritten < bodySize) {
            size_t n = std::min(kHttpWriteChunk, bodySize - exchange->bodyWritten);
            bool last = exchange->bodyWritten + n == bodySize;
            std::vector<unsigned char> chunk(LWS_PRE + n);
            std::memcpy(chunk.data() + LWS_PRE, response.body.data() + exchange->bodyWritten, n);
            if (lws_write(wsi, chunk.data() + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < static_cast<int>(n))
                return -1;
            exchange->bodyWritten += n;
            if (!last) {
                lws_callback_on_writable(wsi);
                return 0;
            }
        }
        // Closed by us rather than left to lws, which reads "keep-alive, close" as keep-alive.
        bool closeAfter = response.close || exchange->clientCloses;
        forgetExchange(wsi);
        if (closeAfter)
            return -1;
        // Keep-alive: lws flushes what is still buffered first, then reads the connection's next request.
        lws_rx_flow_control(wsi, 1);
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }

    int onEstablished(lws* wsi, Session* session) {
        if (!session)
            return -1;
        WsConnectionInfo info;
        info.path = copyHeader(wsi, WSI_TOKEN_GET_URI);
        const WsEndpoint* endpoint = findEndpoint(info.path);
        if (!endpoint)
            return -1;
        info.query = copyQuery(wsi);
        info.headers = copyHeaders(wsi);
        info.remoteAddress = remoteAddressOf(wsi, info.headers);
        info.id = newId();

        auto connection = std::make_unique<Connection>();
        connection->id = info.id;
        connection->wsi = wsi;
        connection->endpoint = endpoint;
        connection->maxMessageBytes = endpoint->maxMessageBytes ? endpoint->maxMessageBytes : limits.maxMessageBytes;
        connection->lastActivity = Clock::now();
        Connection* raw = connection.get();
        {
            std::lock_guard lock(mutex);
            if (stopping || full())
                return -1;
            connections.emplace(info.id, std::move(connection));
            ++shared.open;
        }
        session->connection = raw;
        if (endpoint->onOpen)
            invokeSafely("onOpen", info.id, [&] { endpoint->onOpen(info); });
        return 0;
    }

    int onReceive(lws* wsi, Session* session, const char* data, size_t len) {
        Connection* connection = session ? session->connection : nullptr;
        if (!connection || connection->closeNotified)
            return 0;
        connection->lastActivity = Clock::now();
        if (lws_is_first_fragment(wsi)) {
            connection->rx.clear();
            connection->rxBinary = lws_frame_is_binary(wsi) != 0;
        }
        bool complete = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
        if (connection->rx.size() + len > connection->maxMessageBytes) {
            std::string().swap(connection->rx);
            {
                std::lock_guard lock(mutex);
                connection->closeRequested = true;
                connection->closeCode = kCloseTooBig;
                connection->closeReason = "message too big";
            }
            connection->closeStarted = true;
            unsigned char reason[] = "message too big";
            lws_close_reason(wsi, static_cast<lws_close_status>(kCloseTooBig), reason, sizeof(reason) - 1);
            notifyClose(*connection, kCloseTooBig);
            return -1;
        }
        const WsEndpoint* endpoint = connection->endpoint;
        if (complete) ++messagesIn;
        if (complete && connection->rx.empty()) {
            // The whole message arrived in one piece: hand lws's buffer over without copying.
            if (endpoint->onMessage)
                invokeSafely("onMessage", connection->id,
                             [&] { endpoint->onMessage(connection->id, std::string_view(data, len), connection->rxBinary); });
            return 0;
        }
        connection->rx.append(data, len);
        if (!complete)
            return 0;
        if (endpoint->onMessage)
            invokeSafely("onMessage", connection->id,
                         [&] { endpoint->onMessage(connection->id, connection->rx, connection->rxBinary); });
        // onMessage may have closed the connection; the session pointer is still valid until CLOSED.
        if (connection->rx.capacity() > 64 * 1024)
            std::string().swap(connection->rx);
        else
            connection->rx.clear();
        return 0;
    }

    int onWriteable(lws* wsi, Session* session) {
        Connection* connection = session ? session->connection : nullptr;
        if (!connection || connection->closeNotified)
            return 0;
        // Several queued messages per callback, until lws has to keep part of one (the peer is behind):
        // with one per event-loop round a backlog drained slower than it built up. A close goes out
        // in a callback of its own, after the messages queued before it.
        for (size_t round = 0; round < kMaxWritesPerCallback; ++round) {
            bool haveMessage = false;
            bool closeNow = false;
            int code = 0;
            std::string reason;
            {
                std::lock_guard lock(mutex);
                if (!connection->queue.empty()) {
                    haveMessage = true;
                } else if (connection->closeRequested && round == 0) {
                    closeNow = true;
                    code = connection->closeCode;
                    reason = connection->closeReason;
                }
            }
            if (closeNow) {
                connection->closeStarted = true;
                lws_close_reason(wsi, static_cast<lws_close_status>(code),
                                 reinterpret_cast<unsigned char*>(reason.data()), reason.size());
                notifyClose(*connection, code);
                return -1;
            }
            if (!haveMessage)
                break;
            if (writeGathered(*connection) == Gathered::Failed)
                return -1;
            if (lws_partial_buffered(wsi))
                break;
        }
        bool more = false;
        {
            std::lock_guard lock(mutex);
            more = !connection->queue.empty() || connection->closeRequested;
        }
        if (more)
            lws_callback_on_writable(wsi);
        return 0;
    }

    // Starts a close the service thread has learned about (close(), overflow, idle, stop).
    void startClose(Connection& connection, bool overflowed) {
        if (connection.closeStarted || connection.closeNotified)
            return;
        connection.closeStarted = true;
        if (overflowed && lws_send_pipe_choked(connection.wsi)) {
            // The peer is not reading: a close frame would sit behind the unread data, so drop it now.
            int code = 0;
            {
                std::lock_guard lock(mutex);
                code = connection.closeCode;
            }
            notifyClose(connection, code);
            lws_set_timeout(connection.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            return;
        }
        lws_set_timeout(connection.wsi, PENDING_TIMEOUT_USER_OK, kCloseFlushSeconds);
        lws_callback_on_writable(connection.wsi);
    }

    void onWakeUp() {
        struct Work {
            Connection* connection;
            bool close;
            bool overflowed;
        };
        std::vector<Work> work;
        std::vector<lws*> httpWrites;
        std::vector<int> adopting;
        {
            std::lock_guard lock(mutex);
            adopting.swap(toAdopt);
            for (uint64_t id : pendingHttp) {
                auto it = exchanges.find(id);
                if (it == exchanges.end())
                    continue;
                it->second->wakeQueued = false;
                httpWrites.push_back(it->second->wsi);
            }
            pendingHttp.clear();
            work.reserve(pending.size());
            for (uint64_t id : pending) {
                auto it = connections.find(id);
                if (it == connections.end())
                    continue;
                Connection& connection = *it->second;
                connection.wakeQueued = false;
                work.push_back({&connection, connection.closeRequested, connection.overflowed});
            }
            pending.clear();
        }
        for (int fd : adopting)
            adopt(fd);
        // Exchanges are only removed on this thread, so each wsi is still the exchange's. lws delivers no
        // writable callback to an rx-flow-controlled HTTP connection: reading resumes first.
        for (lws* wsi : httpWrites) {
            lws_rx_flow_control(wsi, 1);
            lws_callback_on_writable(wsi);
        }
        for (const Work& item : work) {
            if (item.connection->closeNotified)
                continue;
            if (item.close)
                startClose(*item.connection, item.overflowed);
            else
                flushQueue(*item.connection);
        }
    }

    void notifyClose(Connection& connection, int code) {
        if (connection.closeNotified)
            return;
        connection.closeNotified = true;
        {
            std::lock_guard lock(mutex);
            connection.closeRequested = true;
            if (!connection.closeCode)
                connection.closeCode = code;
            connection.queue.clear();
            connection.queuedBytes = 0;
        }
        std::string().swap(connection.rx);
        const WsEndpoint* endpoint = connection.endpoint;
        if (endpoint->onClose)
            invokeSafely("onClose", connection.id, [&] { endpoint->onClose(connection.id, code); });
    }

    // The socket is gone: forget the connection, then report it if nobody has yet (so connectionCount()
    // already excludes it inside onClose).
    void onClosed(Session* session) {
        Connection* connection = session ? session->connection : nullptr;
        if (!connection)
            return;
        session->connection = nullptr;
        std::unique_ptr<Connection> owned;
        int code = 0;
        {
            std::lock_guard lock(mutex);
            if (connection->closeRequested)
                code = connection->closeCode;
            auto it = connections.find(connection->id);
            if (it != connections.end()) {
                owned = std::move(it->second);
                connections.erase(it);
                --shared.open;
            }
        }
        if (!code)
            code = connection->peerCloseCode ? connection->peerCloseCode : kCloseAbnormal;
        notifyClose(*connection, code);
    }

    void onPeerClose(Session* session, const unsigned char* payload, size_t len) {
        Connection* connection = session ? session->connection : nullptr;
        if (!connection)
            return;
        connection->peerCloseCode = len >= 2 ? (payload[0] << 8) | payload[1] : kCloseNoStatus;
        connection->peerClosing = true;
    }

    void sweep() {
        auto now = Clock::now();
        std::vector<Connection*> idle;
        {
            std::lock_guard lock(mutex);
            for (auto& [id, connection] : connections) {
                if (connection->closeRequested || connection->closeStarted)
                    continue;
                if (now - connection->lastActivity >= limits.idleTimeout) {
                    connection->closeRequested = true;
                    connection->closeCode = kCloseGoingAway;
                    connection->closeReason = "idle timeout";
                    idle.push_back(connection.get());
                }
            }
        }
        for (Connection* connection : idle) {
            auto idText = std::to_string(connection->id);
            log.debug(kComponent, "closing idle connection", {{"id", idText}});
            startClose(*connection, false);
        }
        std::vector<std::pair<uint64_t, std::string>> timedOut;
        std::vector<lws*> held;
        {
            std::lock_guard lock(mutex);
            for (auto& [id, exchange] : exchanges) {
                if (!exchange->dispatched || exchange->answered)
                    continue;
                if (now >= exchange->deadline &&
                    answerLocked(*exchange, 504, "no-response", "the endpoint did not answer in time", false))
                    timedOut.emplace_back(id, exchange->endpoint->path);
                else
                    held.push_back(exchange->wsi);
            }
        }
        for (lws* wsi : held) {
            if (!clientGone(wsi))
                continue;
            forgetExchange(wsi);
            lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        }
        for (auto& [id, path] : timedOut) {
            auto idText = std::to_string(id);
            log.warn(kComponent, "HTTP request unanswered, sent 504", {{"id", idText}, {"path", path}});
        }
        scheduleSweep();
    }

    void scheduleSweep() {
        auto interval = sweepInterval;
        {
            std::lock_guard lock(mutex);
            if (stopping)
                interval = std::chrono::milliseconds(50); // bounds how late the loop sees the stop deadline
        }
        lws_sul_schedule(context, 0, &sweepTimer.sul, &Shard::sweepCallback,
                         std::chrono::duration_cast<std::chrono::microseconds>(interval).count());
    }

    static void sweepCallback(lws_sorted_usec_list_t* sul) {
        auto* timer = reinterpret_cast<SweepTimer*>(sul);
        try {
            timer->owner->sweep();
        } catch (const std::exception& e) {
            timer->owner->log.error(kComponent, "idle sweep failed", {{"error", e.what()}});
            timer->owner->scheduleSweep();
        }
    }

    int dispatch(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
        auto* session = static_cast<Session*>(user);
        switch (reason) {
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return onConfirmUpgrade(wsi, static_cast<const char*>(in));
        case LWS_CALLBACK_HTTP:
            return onPlainHttp(wsi);
        case LWS_CALLBACK_HTTP_BODY:
            return onHttpBody(wsi, static_cast<const char*>(in), len);
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return onHttpBodyComplete(wsi);
        case LWS_CALLBACK_HTTP_WRITEABLE:
            if (exchangeOf(wsi))
                return onHttpWriteable(wsi);
            return lws_callback_http_dummy(wsi, reason, user, in, len);
        case LWS_CALLBACK_CLOSED_HTTP:
            forgetExchange(wsi);
            return 0;
        case LWS_CALLBACK_ESTABLISHED:
            return onEstablished(wsi, session);
        case LWS_CALLBACK_RECEIVE:
            return onReceive(wsi, session, static_cast<const char*>(in), len);
        case LWS_CALLBACK_RECEIVE_PONG:
            if (session && session->connection)
                session->connection->lastActivity = Clock::now();
            return 0;
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            onPeerClose(session, static_cast<const unsigned char*>(in), len);
            return 0;
        case LWS_CALLBACK_SERVER_WRITEABLE:
            return onWriteable(wsi, session);
        case LWS_CALLBACK_CLOSED:
            onClosed(session);
            return 0;
        case LWS_CALLBACK_WSI_DESTROY:
            forgetExchange(wsi);
            onClosed(session);
            return 0;
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            onWakeUp();
            return 0;
        default:
            return lws_callback_http_dummy(wsi, reason, user, in, len);
        }
    }

    static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
        if (!wsi)
            return 0;
        auto* self = static_cast<Shard*>(lws_context_user(lws_get_context(wsi)));
        try {
            return self->dispatch(wsi, reason, user, in, len);
        } catch (const std::exception& e) {
            self->log.error(kComponent, "websocket callback failed", {{"error", e.what()}});
        } catch (...) {
            self->log.error(kComponent, "websocket callback failed", {{"error", "unknown"}});
        }
        // Our own failure (e.g. out of memory) ends the affected connection, never the loop.
        bool perConnection = reason == LWS_CALLBACK_ESTABLISHED || reason == LWS_CALLBACK_RECEIVE ||
                             reason == LWS_CALLBACK_SERVER_WRITEABLE || reason == LWS_CALLBACK_HTTP ||
                             reason == LWS_CALLBACK_HTTP_CONFIRM_UPGRADE || reason == LWS_CALLBACK_HTTP_BODY ||
                             reason == LWS_CALLBACK_HTTP_BODY_COMPLETION || reason == LWS_CALLBACK_HTTP_WRITEABLE;
        return perConnection ? -1 : 0;
    }

    // Binds `port` (0: a free one; with `share`, SO_REUSEPORT so that every shard listens on it) and
    // starts the service thread. Throws on failure, with nothing left running.
    void start(uint16_t port, bool share) {
        protocols[0] = {};
        protocols[0].name = "vtp-ws";
        protocols[0].callback = &Shard::callback;
        protocols[0].per_session_data_size = sizeof(Session);
        // lws allocates this much receive buffer per connection (default 4 KiB): most of a connection's
        // memory. Larger messages still arrive, in more pieces, and are reassembled in onReceive.
        protocols[0].rx_buffer_size = kRxBufferBytes;
        // Without this, each send(2) would be capped at rx_buffer_size and a larger message would
        // leave in several writable rounds.
        protocols[0].tx_packet_size = kTxPacketBytes;
        protocols[1] = {}; // terminator

        lws_context_creation_info info;
        std::memset(&info, 0, sizeof(info));
        info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
                       LWS_SERVER_OPTION_VALIDATE_UTF8;
        info.user = this;
        info.gid = -1; // keep the process's identity
        info.uid = -1;
        info.max_http_header_data = 16 * 1024; // large cookies must still fit
        info.keepalive_timeout = kHttpKeepAliveSeconds;
        info.port = CONTEXT_PORT_NO_LISTEN;

#if VTP_WS_LIBEV
        // epoll through libev; lws loads its glue (libwebsockets-evlib-ev) at run time. The loop is
        // ours ("foreign" to lws), so lws installs no signal handler and we decide when it runs.
        evLoop = ev_loop_new(static_cast<unsigned>(EVBACKEND_EPOLL) | static_cast<unsigned>(EVFLAG_NOENV) |
                              static_cast<unsigned>(EVFLAG_NOSIGMASK));
        if (evLoop) {
            foreignLoops[0] = evLoop;
            info.options |= LWS_SERVER_OPTION_LIBEV;
            info.foreign_loops = foreignLoops.data();
            context = lws_create_context(&info);
            if (!context) {
                log.warn(kComponent, "libwebsockets' libev loop is unavailable (package libwebsockets-evlib-ev?): "
                                     "using its poll loop, which scales worse with many connections");
                ev_loop_destroy(evLoop);
                evLoop = nullptr;
                info.options &= ~static_cast<uint64_t>(LWS_SERVER_OPTION_LIBEV);
                info.foreign_loops = nullptr;
            }
        }
#endif
        if (!context)
            context = lws_create_context(&info);
        if (!context) {
            destroyLoop();
            throw std::runtime_error("WsServer: cannot create libwebsockets context");
        }

        bool anyInterface = host.empty() || host == "0.0.0.0" || host == "::" || host == "*";
        // Shared, the port is ours: the first shard listens and accepts, and deals the connections out
        // to the shards in turn, each adopted by its shard's lws context.
        info.port = share ? CONTEXT_PORT_NO_LISTEN_SERVER : port;
        info.iface = anyInterface ? nullptr : host.c_str();
        info.protocols = protocols.data();
        info.vhost_name = "vtp";
        vhost = lws_create_vhost(context, &info);
        std::string listenError;
        if (vhost && share && index == 0)
            listenError = listenForShards(anyInterface, port);
        if (share && index > 0)
            boundPort = port;
        if (!vhost || !listenError.empty()) {
            lws_context_destroy(context);
            context = nullptr;
            vhost = nullptr;
            destroyLoop();
            throw std::runtime_error("WsServer: cannot listen on " + host + ":" + std::to_string(port) +
                                     (listenError.empty() ? "" : ": " + listenError));
        }
        if (!share) {
            int listening = lws_get_vhost_listen_port(vhost);
            boundPort = static_cast<uint16_t>(listening > 0 ? listening : 0);
        }

        auto quarter = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(limits.idleTimeout),
                                limits.httpResponseTimeout) / 4;
        sweepInterval = std::clamp(quarter, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
        sweepTimer.owner = this;
        {
            std::lock_guard lock(mutex);
            wakeContext = context;
        }
        thread = std::thread([this] { run(); });
    }

    void run() {
        serviceThreadId = std::this_thread::get_id();
        try {
            scheduleSweep();
            // With an event library lws arms its timer only after some I/O: make some, so that the
            // sweep runs on an idle server too.
            lws_cancel_service(context);
            bool sawStop = false;
            while (true) {
                bool stopNow = false;
                {
                    std::lock_guard lock(mutex);
                    stopNow = stopping;
                    if (stopping && ((connections.empty() && exchanges.empty()) || Clock::now() >= stopDeadline))
                        break;
                }
                if (stopNow && !sawStop) {
                    sawStop = true;
                    scheduleSweep(); // now at the short stopping interval, so the deadline is noticed
                }
#if VTP_WS_LIBEV
                if (evLoop) {
                    // One round: waits for an event, handles what is ready, returns.
                    ev_run(evLoop, EVRUN_ONCE);
                    continue;
                }
#endif
                if (lws_service(context, 0) < 0)
                    break;
            }
        } catch (const std::exception& e) {
            log.error(kComponent, "websocket service loop failed", {{"error", e.what()}});
        } catch (...) {
            log.error(kComponent, "websocket service loop failed", {{"error", "unknown"}});
        }
        teardown();
    }

    // The listening socket for every shard, watched on this (the first) shard's loop; "" or the error.
    std::string listenForShards(bool anyInterface, uint16_t port) {
#if VTP_WS_LIBEV
        if (!evLoop)
            return "websocket.threads above 1 needs libwebsockets' libev loop (package libwebsockets-evlib-ev)";
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        addrinfo* found = nullptr;
        const std::string service = std::to_string(port);
        if (int rc = ::getaddrinfo(anyInterface ? nullptr : host.c_str(), service.c_str(), &hints, &found); rc != 0)
            return gai_strerror(rc);
        std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);
        int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return std::strerror(errno);
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); // as lws does: restart despite TIME_WAIT
        if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
            std::string error = std::strerror(errno);
            ::close(fd);
            return error;
        }
        sockaddr_storage bound{};
        socklen_t length = sizeof bound;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
        boundPort = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                      : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
        listenFd = fd;
        ev_io_init(&acceptWatcher, &Shard::onAcceptReady, fd, EV_READ);
        acceptWatcher.data = this;
        ev_io_start(evLoop, &acceptWatcher);
        return "";
#else
        (void)anyInterface;
        (void)port;
        return "websocket.threads above 1 needs libwebsockets' libev loop";
#endif
    }

#if VTP_WS_LIBEV
    static void onAcceptReady(struct ev_loop*, ev_io* watcher, int) {
        auto* self = static_cast<Shard*>(watcher->data);
        // A bounded batch per wake-up, so that a connection storm cannot starve the shard's traffic.
        for (int i = 0; i < 64; ++i) {
            int fd = ::accept4(self->listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                    self->log.warn(kComponent, "accept failed", {{"error", std::strerror(errno)}});
                return;
            }
            // What lws's own listener sets on what it accepts; adoption does not. With Nagle on, a
            // small message waits for the peer's (delayed) ACK of the one before: tens of ms.
            int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            Shard& target = *self->shared.shards[self->nextShard++ % self->shared.shards.size()];
            if (&target == self)
                self->adopt(fd);
            else
                target.handOver(fd);
        }
    }
#endif

    // Any thread: a connection accepted for this shard, adopted on its thread.
    void handOver(int fd) {
        std::lock_guard lock(mutex);
        if (stopping) {
            ::close(fd);
            return;
        }
        bool wasEmpty = pending.empty() && pendingHttp.empty() && toAdopt.empty();
        toAdopt.push_back(fd);
        if (wasEmpty && wakeContext)
            lws_cancel_service(wakeContext);
    }

    // Service thread.
    void adopt(int fd) {
        if (!lws_adopt_socket_vhost(vhost, fd)) // lws closes what it cannot adopt
            log.warn(kComponent, "could not adopt an accepted connection");
    }

    void closeListener() {
        std::vector<int> unadopted;
        {
            std::lock_guard lock(mutex);
            unadopted.swap(toAdopt);
        }
        for (int fd : unadopted)
            ::close(fd);
#if VTP_WS_LIBEV
        if (listenFd >= 0) {
            ev_io_stop(evLoop, &acceptWatcher);
            ::close(listenFd);
            listenFd = -1;
        }
#endif
    }

    void teardown() {
        {
            std::lock_guard lock(mutex);
            wakeContext = nullptr;
            stopping = true;
        }
        closeListener();
        lws_sul_cancel(&sweepTimer.sul);
        // Destroying the context closes every socket; CLOSED reports the connections still open.
        lws_context_destroy(context);
        context = nullptr;
        destroyLoop(); // after the context: lws stops its watchers on it while destroying
        std::unordered_map<uint64_t, std::unique_ptr<Connection>> left;
        std::unordered_map<uint64_t, std::unique_ptr<HttpExchange>> leftExchanges;
        exchangeByWsi.clear();
        {
            std::lock_guard lock(mutex);
            left.swap(connections);
            leftExchanges.swap(exchanges);
            pending.clear();
            pendingHttp.clear();
        }
        for (auto& [id, connection] : left) {
            int code = connection->closeCode ? connection->closeCode : kCloseGoingAway;
            notifyClose(*connection, code);
        }
    }

    void destroyLoop() {
#if VTP_WS_LIBEV
        if (evLoop)
            ev_loop_destroy(evLoop);
        evLoop = nullptr;
#endif
    }

    void requestStop() {
        std::lock_guard lock(mutex);
        if (stopping)
            return;
        stopping = true;
        stopDeadline = Clock::now() + kStopGrace;
        for (auto& [id, connection] : connections) {
            if (connection->closeRequested)
                continue;
            connection->closeRequested = true;
            connection->closeCode = kCloseGoingAway;
            connection->closeReason = "server shutting down";
            scheduleLocked(*connection);
        }
        for (auto& [id, exchange] : exchanges)
            answerLocked(*exchange, 503, "shutting-down", "the server is shutting down", true);
        if (wakeContext)
            lws_cancel_service(wakeContext);
    }

    bool onThisThread() const { return serviceThreadId.load() == std::this_thread::get_id(); }

    void join() {
        if (thread.joinable())
            thread.join();
    }
};

// The shards: one lws context, loop and service thread each, all listening on one port (the kernel
// spreads new connections over them). Each connection lives on one shard for its whole life.
struct WsServer::Impl {
    Impl(std::string host, uint16_t port, WsLimits limits, Logger& log)
        : shared(std::move(host), port, std::move(limits), log) {}

    Shared shared;
    std::vector<std::unique_ptr<Shard>> shards;
    std::mutex lifecycleMutex; // serializes start() and stop()
    bool started = false;
    bool attached = false;     // to LwsLogRoute

    Shard* shardOf(uint64_t id) const { return shards.empty() ? nullptr : shards[id % shards.size()].get(); }

    void start() {
        std::lock_guard lifecycle(lifecycleMutex);
        if (started)
            throw std::logic_error("WsServer::start called twice");
        LwsLogRoute::instance().attach(&shared.log);
        attached = true;
        const bool share = shared.shardCount > 1;
        for (size_t i = 0; i < shared.shardCount; ++i) {
            shards.push_back(std::make_unique<Shard>(shared, i));
            shared.shards.push_back(shards.back().get());
        }
        try {
            for (auto& shard : shards)
                shard->start(shard->index == 0 ? shared.requestedPort : shards[0]->boundPort, share);
        } catch (...) {
            stopShards();
            throw;
        }
        started = true;
        auto portText = std::to_string(shards[0]->boundPort);
        auto threadsText = std::to_string(shards.size());
        shared.log.info(kComponent, "websocket server listening",
                        {{"host", shared.host}, {"port", portText}, {"threads", threadsText}});
    }

    void stopShards() {
        for (auto& shard : shards)
            shard->requestStop();
        for (auto& shard : shards)
            shard->join();
        shards.clear();
        shared.shards.clear();
        if (attached)
            LwsLogRoute::instance().detach(&shared.log);
        attached = false;
    }

    void stop() {
        for (auto& shard : shards) {
            if (!shard->onThisThread())
                continue;
            // Called from a callback: joining here would deadlock; the loops end and the destructor joins.
            for (auto& other : shards)
                other->requestStop();
            shared.log.warn(kComponent, "stop() called on the service thread; not joining");
            return;
        }
        std::lock_guard lifecycle(lifecycleMutex);
        if (!started)
            return;
        started = false;
        stopShards();
        shared.log.info(kComponent, "websocket server stopped");
    }

    size_t sendMany(const uint64_t* ids, size_t count, std::string_view data, bool binary) {
        if (shards.size() == 1)
            return shards[0]->sendMany(ids, count, data, binary);
        if (shards.empty())
            return 0;
        // Recipients by shard; the other shards' first, so that their threads start writing while
        // this one queues its own.
        thread_local std::vector<std::vector<uint64_t>> byShard;
        byShard.resize(shards.size());
        for (auto& ids : byShard)
            ids.clear();
        for (size_t i = 0; i < count; ++i)
            byShard[ids[i] % shards.size()].push_back(ids[i]);
        size_t sent = 0;
        Shard* own = nullptr;
        for (size_t s = 0; s < shards.size(); ++s) {
            if (byShard[s].empty())
                continue;
            if (shards[s]->onThisThread())
                own = shards[s].get();
            else
                sent += shards[s]->sendMany(byShard[s].data(), byShard[s].size(), data, binary);
        }
        if (own)
            sent += own->sendMany(byShard[own->index].data(), byShard[own->index].size(), data, binary);
        return sent;
    }

    template <typename Fn>
    auto sum(Fn&& fn) const {
        decltype(fn(*shards.front())) total{};
        for (const auto& shard : shards)
            total += fn(*shard);
        return total;
    }
};

WsServer::WsServer(std::string host, uint16_t port, WsLimits limits, Logger& log)
    : impl_(std::make_unique<Impl>(std::move(host), port, std::move(limits), log)) {}

WsServer::~WsServer() {
    try {
        stop();
        impl_->stopShards(); // after stop() from a callback: the loops are ending; join them now
    } catch (...) {
        // Only a failed join can throw here, and a destructor has no one to report it to.
    }
}

void WsServer::addEndpoint(WsEndpoint endpoint) {
    std::lock_guard lifecycle(impl_->lifecycleMutex);
    if (impl_->started)
        throw std::logic_error("WsServer::addEndpoint after start");
    std::string key = normalizePath(endpoint.path);
    if (key.empty() || key.front() != '/')
        throw std::invalid_argument("WebSocket endpoint path must start with '/': " + endpoint.path);
    if (!impl_->shared.endpoints.emplace(key, std::move(endpoint)).second)
        throw std::invalid_argument("duplicate WebSocket endpoint path: " + key);
}

void WsServer::start() { impl_->start(); }

uint16_t WsServer::port() const { return impl_->shards.empty() ? 0 : impl_->shards[0]->boundPort; }

bool WsServer::send(uint64_t id, std::string_view data, bool binary) { return impl_->sendMany(&id, 1, data, binary) == 1; }

size_t WsServer::sendMany(std::span<const uint64_t> ids, std::string_view data, bool binary) {
    return impl_->sendMany(ids.data(), ids.size(), data, binary);
}

void WsServer::close(uint64_t id, int code, std::string_view reason) {
    if (Shard* shard = impl_->shardOf(id))
        shard->close(id, code, reason);
}

WsRespondResult WsServer::respond(uint64_t id, int status, std::vector<std::pair<std::string, std::string>> headers,
                                  std::string body) {
    Shard* shard = impl_->shardOf(id);
    return shard ? shard->respond(id, status, std::move(headers), std::move(body)) : WsRespondResult::NotFound;
}

void WsServer::stop() { impl_->stop(); }

size_t WsServer::connectionCount() const {
    return impl_->sum([](const Shard& shard) {
        std::lock_guard lock(shard.mutex);
        return shard.connections.size();
    });
}

size_t WsServer::pendingHttpRequests() const {
    return impl_->sum([](const Shard& shard) {
        std::lock_guard lock(shard.mutex);
        return shard.exchanges.size();
    });
}

uint64_t WsServer::messagesReceived() const {
    return impl_->sum([](const Shard& shard) { return shard.messagesIn.load(); });
}

uint64_t WsServer::messagesSent() const {
    return impl_->sum([](const Shard& shard) { return shard.messagesOut.load(); });
}

size_t WsServer::queuedBytes(uint64_t id) const {
    Shard* shard = impl_->shardOf(id);
    if (!shard)
        return 0;
    std::lock_guard lock(shard->mutex);
    auto it = shard->connections.find(id);
    return it == shard->connections.end() ? 0 : it->second->queuedBytes;
}

} // namespace vtp::kernel
