// The signalling plugin: live class rooms over a Socket.IO-compatible endpoint on the kernel's
// socket port. Registration and wiring only; the protocol is in src/engine and src/socketio,
// the rooms in src/rooms.
#include "engine/EngineServer.hpp"
#include "rooms/RoomEventsService.hpp"
#include "rooms/RoomService.hpp"
#include "sessions/SessionGuard.hpp"
#include "socketio/SocketIoService.hpp"
#include "socketio/SocketServer.hpp"

#include <vtp/sdk.hpp>
#include <vtp/verifier.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace {

using namespace vtp;
using namespace vtp::signalling;
using vtp::ConfigKey;

// What the Engine.IO server sends goes to the kernel through the SDK.
class KernelOutput : public EngineOutput {
public:
    explicit KernelOutput(Host& host) : host_(host) {}
    bool sendFrame(uint64_t c, std::string_view data, bool binary) override { return host_.send(c, data, binary); }
    size_t sendFrames(const std::vector<uint64_t>& cs, std::string_view data, bool binary) override
    {
        return host_.sendMany(cs, data, binary);
    }
    void closeConnection(uint64_t c, int code, const std::string& reason) override { host_.close(c, code, reason); }
    bool respond(uint64_t r, int status, std::string_view contentType, std::string_view body, const Headers& headers) override
    {
        return host_.respond(r, status, contentType, body, headers);
    }

private:
    Host& host_;
};

Headers toHeaders(const vtp_kv* kvs, size_t n)
{
    Headers h;
    for (size_t i = 0; i < n; ++i) h.emplace_back(kvs[i].key, kvs[i].value);
    return h;
}

class SignallingPlugin : public Plugin {
public:
    static PluginInfo info()
    {
        return {
            .name = "signalling",
            .version = "1.0.0",
            .description = "Live rooms: WebRTC signalling, chat, presence and moderation over Socket.IO",
            .dependencies = {"auth"},
            // Class rooms ("courses:KEY") come from the courses plugin's room provider when it runs.
            .optionalDependencies = {"courses"},
            .config =
                {
                    ConfigKey::string("path", "/socket.io/", "Path of the Socket.IO endpoint on the socket port"),
                    ConfigKey::string("namespace", "/", "Socket.IO namespace of the room events"),
                    ConfigKey::integer("ping_interval_ms", 25000, "Engine.IO ping interval").range(50, 600000),
                    ConfigKey::integer("ping_timeout_ms", 20000,
                                       "Engine.IO ping timeout: a client that does not answer a ping within it is dropped")
                        .range(50, 600000),
                    ConfigKey::integer("max_payload_bytes", 1000000, "Largest Engine.IO packet or polling body (the client's maxPayload)")
                        .range(1024, 100000000),
                    ConfigKey::integer("connect_timeout_ms", 45000, "A client that connects no namespace within this is dropped")
                        .range(1000, 600000),
                    ConfigKey::integer("renew_grace_seconds", 60,
                                       "A socket whose access token has expired is disconnected (session:ended, token-expired) this long "
                                       "after, unless the client sent a fresh one with auth:renew")
                        .range(0, 86400),
                    ConfigKey::integer("recovery_window_seconds", 30,
                                       "A client that reconnects within this keeps its id and rooms and gets what it missed (0: off)")
                        .range(0, 3600),
                    ConfigKey::integer("recovery_buffer_bytes", 1048576,
                                       "What a disconnected client may miss before it can no longer recover")
                        .range(1024, 1073741824),
                    ConfigKey::integer("max_sessions", 20000, "Engine.IO sessions (connected clients) this node accepts").range(1, 1000000),
                    ConfigKey::integer("max_buffered_bytes", 4194304,
                                       "Packets waiting for a long-polling client before it is dropped as too slow")
                        .range(1024, 1073741824),
                    ConfigKey::stringArray("cors_origins", {}, "Web origins allowed to use long-polling from another origin (\"*\": any)"),
                    ConfigKey::integer("rooms.default_max_participants", 100, "Participants a room holds unless its creator says otherwise")
                        .range(1, 100000),
                    ConfigKey::integer("rooms.max_participants_limit", 1000, "The most participants a room may be created for")
                        .range(1, 100000),
                    ConfigKey::integer("chat.max_length", 2000, "Longest chat message, in characters").range(1, 100000),
                    ConfigKey::integer("chat.per_second", 2, "Chat messages a connection may send per second (sustained)").range(1, 10000),
                    ConfigKey::integer("chat.burst", 10, "Chat messages a connection may send in a burst").range(1, 100000),
                    ConfigKey::integer("signal.per_second", 50, "Signals a connection may send per second (sustained)").range(1, 100000),
                    ConfigKey::integer("signal.burst", 200, "Signals a connection may send in a burst").range(1, 1000000),
                    ConfigKey::integer("signal.max_bytes", 65536, "Largest signal payload (SDP, ICE candidate)").range(256, 10485760),
                    ConfigKey::stringArray("ice.stun_urls", {}, "STUN server URLs handed to participants (stun:host:port)"),
                    ConfigKey::stringArray("ice.turn_urls", {}, "TURN server URLs handed to participants (turn:host:port?transport=udp)"),
                    ConfigKey::string("ice.turn_secret", "",
                                      "Shared secret of the TURN server (coturn's static-auth-secret with use-auth-secret)")
                        .markSecret(),
                    ConfigKey::integer("ice.turn_ttl_seconds", 3600, "Lifetime of the TURN credentials a participant gets")
                        .range(60, 86400),
                    // Kept so that a config written for 0.1 still starts; the kernel's [cluster] table replaces them.
                    ConfigKey::integer("cluster.heartbeat_seconds", std::nullopt,
                                       "Deprecated and ignored: set the kernel's cluster.heartbeat_seconds instead")
                        .range(1, 60),
                    ConfigKey::integer("cluster.node_timeout_seconds", std::nullopt,
                                       "Deprecated and ignored: set the kernel's cluster.node_timeout_seconds instead")
                        .range(2, 600),
                },
        };
    }

    void init(Host& host) override
    {
        host_ = &host;
        const Config& c = host.config();
        EngineOptions eo;
        eo.pingInterval = std::chrono::milliseconds(c.getInt("ping_interval_ms"));
        eo.pingTimeout = std::chrono::milliseconds(c.getInt("ping_timeout_ms"));
        eo.maxPayload = static_cast<size_t>(c.getInt("max_payload_bytes"));
        eo.maxBufferedBytes = static_cast<size_t>(c.getInt("max_buffered_bytes"));
        eo.maxSessions = static_cast<size_t>(c.getInt("max_sessions"));
        eo.corsOrigins = c.getStringArray("cors_origins");
        SocketOptions so;
        so.connectTimeout = std::chrono::milliseconds(c.getInt("connect_timeout_ms"));
        so.recoveryWindow = std::chrono::seconds(c.getInt("recovery_window_seconds"));
        so.maxRecoveryBytes = static_cast<size_t>(c.getInt("recovery_buffer_bytes"));
        so.limits.maxPacketSize = eo.maxPayload;
        RoomOptions ro;
        ro.nsp = c.getString("namespace");
        if (ro.nsp.empty() || ro.nsp[0] != '/') throw PluginError("namespace must start with '/'");
        ro.defaultMaxParticipants = c.getInt("rooms.default_max_participants");
        ro.maxParticipantsLimit = c.getInt("rooms.max_participants_limit");
        ro.chatMaxLength = static_cast<size_t>(c.getInt("chat.max_length"));
        ro.chatPerSecond = static_cast<double>(c.getInt("chat.per_second"));
        ro.chatBurst = static_cast<double>(c.getInt("chat.burst"));
        ro.signalPerSecond = static_cast<double>(c.getInt("signal.per_second"));
        ro.signalBurst = static_cast<double>(c.getInt("signal.burst"));
        ro.maxSignalBytes = static_cast<size_t>(c.getInt("signal.max_bytes"));
        IceOptions ice;
        ice.stunUrls = c.getStringArray("ice.stun_urls");
        ice.turnUrls = c.getStringArray("ice.turn_urls");
        ice.turnSecret = c.getString("ice.turn_secret");
        ice.turnTtlSeconds = c.getInt("ice.turn_ttl_seconds");
        if (!ice.turnUrls.empty() && ice.turnSecret.empty()) throw PluginError("ice.turn_urls needs ice.turn_secret");
        for (const char* old : {"heartbeat_seconds", "node_timeout_seconds"})
            if (c.has(std::string("cluster.") + old))
                host.log().warn("a deprecated key is ignored: move it to the kernel's [cluster] table",
                                {{"key", std::string("plugins.signalling.cluster.") + old}, {"instead", std::string("cluster.") + old}});

        output_ = std::make_unique<KernelOutput>(host);
        io_ = std::make_unique<SocketServer>(
            so, [this](const std::string& token, Principal& out, std::string& reason) { return verify(token, out, reason); });
        engine_ = std::make_unique<EngineServer>(eo, *output_, *io_);
        io_->attach(*engine_);
        guard_ = std::make_unique<SessionGuard>(
            host, mutex_, *io_, std::chrono::seconds(c.getInt("renew_grace_seconds")),
            [this](const std::string& token, Principal& out, std::string& reason) { return verify(token, out, reason); },
            [this](const std::string& sessionId) { return verifier_.sessionRevoked(sessionId); });
        io_->setEventFilter([this](Socket& s, const protocol::SocketPacket& p) { return guard_->onEvent(s, p); });
        // Each vtpd process is its own node for room replication: the kernel's cluster id (per start),
        // or, on a kernel before ABI 1.6 (a single node), an id of its own.
        std::string node = host.clusterNodeId();
        if (node.empty()) node = randomId();
        rooms_ = std::make_unique<RoomService>(host, mutex_, *io_, ro, ice, node);
        rooms_->registerNamespace();
        rooms_->registerRoutes();
        // Other plugins' namespaces on the same endpoint (sdk/include/vtp/services/socketio.h).
        service_ = std::make_unique<SocketIoService>(*io_, mutex_, std::set<std::string>{ro.nsp});
        host.offer(VTP_SOCKETIO_SERVICE, VTP_SOCKETIO_VERSION, service_->table());
        // Other plugins' events in the rooms and messages to their participants (vtp/services/room_events.h).
        roomEvents_ = std::make_unique<RoomEventsService>(*rooms_);
        host.offer(VTP_ROOM_EVENTS_SERVICE, VTP_ROOM_EVENTS_VERSION, roomEvents_->table());

        SocketEndpoint ep;
        ep.path = c.getString("path");
        ep.maxMessageBytes = eo.maxPayload + 64;
        ep.onOpen = [this](const vtp_ws_open_info& info) {
            ClientInfo ci{info.remote_address ? info.remote_address : "", toHeaders(info.headers, info.header_count),
                          info.query ? info.query : ""};
            std::lock_guard lock(mutex_);
            engine_->onWsOpen(info.connection, ci.query, ci, Clock::now());
        };
        ep.onMessage = [this](uint64_t c, std::string_view data, bool binary) {
            std::lock_guard lock(mutex_);
            engine_->onWsMessage(c, data, binary, Clock::now());
        };
        ep.onClose = [this](uint64_t c, int) {
            std::lock_guard lock(mutex_);
            engine_->onWsClose(c);
        };
        ep.onHttp = [this](const SocketHttpRequest& r) {
            EngineHttpRequest er{r.id, r.method, r.query, r.remoteAddress, r.headers, r.body};
            std::lock_guard lock(mutex_);
            engine_->onHttp(er, Clock::now());
        };
        host.socket(std::move(ep));
        sessionsGauge_ = host.gauge("sessions", "Engine.IO sessions (connected clients) on this node");
    }

    void start() override
    {
        verifier_ = vtp::TokenVerifier::find(*host_);
        if (!verifier_.available()) host_->log().warn("no token verifier is offered: every socket connection will be refused");
        rooms_->start();
        stopping_ = false;
        ticker_ = std::thread([this] { tickLoop(); });
    }

    void stop() override
    {
        {
            std::lock_guard lock(tickMutex_);
            stopping_ = true;
        }
        tickCv_.notify_all();
        if (ticker_.joinable()) ticker_.join();
        if (rooms_) rooms_->stop();
    }

private:
    bool verify(const std::string& token, Principal& out, std::string& reason)
    {
        auto verified = verifier_.verify(token, reason);
        if (!verified) return false;
        out.userId = std::move(verified->subject);
        out.roles = std::move(verified->roles);
        out.sessionId = std::move(verified->sessionId);
        out.expiresAt = verified->expiresAt;
        if (guard_ && guard_->revoked(out.sessionId)) {
            reason = "token revoked";
            return false;
        }
        return true;
    }

    // Heartbeats at the engine's own deadlines; connect timeouts, recovery windows and node liveness
    // (housekeeping that scans every socket) five times a second. The engine's timers are a heap, so
    // a wake-up costs what is due, not the number of sessions; wake-ups are coalesced to at most one
    // per `coalesce` (1/8 of the shorter of ping interval and timeout, 1-25 ms), and a session opened
    // while the ticker sleeps is seen within `longest` (1/4 of it, at most the housekeeping period):
    // pings leave at most that late. At 10,000 idle sessions with the 25 s/20 s defaults that is
    // 400 pings a second handled in at most 40 wake-ups.
    void tickLoop()
    {
        constexpr auto kHousekeeping = std::chrono::milliseconds(200);
        const auto shorter = std::min(engine_->options().pingInterval, engine_->options().pingTimeout);
        const auto longest = std::clamp<std::chrono::milliseconds>(shorter / 4, std::chrono::milliseconds(5), kHousekeeping);
        const auto coalesce =
            std::clamp<std::chrono::milliseconds>(shorter / 8, std::chrono::milliseconds(1), std::chrono::milliseconds(25));
        auto last = Clock::now();
        auto nextHousekeeping = last + kHousekeeping;
        std::unique_lock tickLock(tickMutex_);
        while (!stopping_) {
            Clock::time_point wake = std::min(nextHousekeeping, last + longest);
            {
                std::lock_guard lock(mutex_);
                if (auto due = engine_->nextTimer()) wake = std::min(wake, std::max(*due, last + coalesce));
            }
            if (tickCv_.wait_until(tickLock, wake, [&] { return stopping_; })) break;
            tickLock.unlock();
            {
                std::lock_guard lock(mutex_);
                const auto now = Clock::now();
                last = now;
                engine_->tick(now);
                if (now >= nextHousekeeping) {
                    nextHousekeeping = now + kHousekeeping;
                    io_->tick(now);
                    guard_->tick(now);
                    rooms_->tick(now);
                    engine_->tick(now); // what those closed
                    sessionsGauge_.set(static_cast<double>(engine_->sessionCount()));
                }
            }
            tickLock.lock();
        }
    }

    Host* host_ = nullptr;
    // Serialises the protocol and room state across threads; re-entrant because other plugins
    // call the Socket.IO service from inside the callbacks it makes.
    std::recursive_mutex mutex_;
    std::unique_ptr<KernelOutput> output_;
    std::unique_ptr<SocketServer> io_;
    std::unique_ptr<EngineServer> engine_;
    std::unique_ptr<RoomService> rooms_;
    std::unique_ptr<SessionGuard> guard_;
    std::unique_ptr<SocketIoService> service_;
    std::unique_ptr<RoomEventsService> roomEvents_;
    vtp::TokenVerifier verifier_; // found in start(), once the auth plugin has offered it
    std::mutex tickMutex_;
    std::condition_variable tickCv_;
    bool stopping_ = false;
    std::thread ticker_;
    Metric sessionsGauge_;
};

} // namespace

VTP_PLUGIN(SignallingPlugin)
