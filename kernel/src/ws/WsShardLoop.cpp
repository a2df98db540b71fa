// A shard's life and loop: start (context, vhost, listener), the service loop, wake-ups from other
// threads, the sweep (idle connections, unanswered requests), accepting for the other shards, and stop.

#include "ws/WsShard.hpp"

#include "ws/LwsSupport.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace vtp::kernel {

using namespace ws;

void WsServer::Shard::onWakeUp()
{
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
            if (it == exchanges.end()) continue;
            it->second->wakeQueued = false;
            httpWrites.push_back(it->second->wsi);
        }
        pendingHttp.clear();
        work.reserve(pending.size());
        for (uint64_t id : pending) {
            auto it = connections.find(id);
            if (it == connections.end()) continue;
            Connection& connection = *it->second;
            connection.wakeQueued = false;
            work.push_back({&connection, connection.closeRequested, connection.overflowed});
        }
        pending.clear();
    }
    for (int fd : adopting) adopt(fd);
    // Exchanges are only removed on this thread, so each wsi is still the exchange's. lws delivers no
    // writable callback to an rx-flow-controlled HTTP connection: reading resumes first.
    for (lws* wsi : httpWrites) {
        lws_rx_flow_control(wsi, 1);
        lws_callback_on_writable(wsi);
    }
    for (const Work& item : work) {
        if (item.connection->closeNotified) continue;
        if (item.close)
            startClose(*item.connection, item.overflowed);
        else
            flushQueue(*item.connection);
    }
}

void WsServer::Shard::sweep()
{
    auto now = Clock::now();
    std::vector<Connection*> idle;
    {
        std::lock_guard lock(mutex);
        for (auto& [id, connection] : connections) {
            if (connection->closeRequested || connection->closeStarted) continue;
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
            if (!exchange->dispatched || exchange->answered) continue;
            if (now >= exchange->deadline && answerLocked(*exchange, 504, "no-response", "the endpoint did not answer in time", false))
                timedOut.emplace_back(id, exchange->endpoint->path);
            else
                held.push_back(exchange->wsi);
        }
    }
    for (lws* wsi : held) {
        if (!clientGone(wsi)) continue;
        forgetExchange(wsi);
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    for (auto& [id, path] : timedOut) {
        auto idText = std::to_string(id);
        log.warn(kComponent, "HTTP request unanswered, sent 504", {{"id", idText}, {"path", path}});
    }
    scheduleSweep();
}

void WsServer::Shard::scheduleSweep()
{
    auto interval = sweepInterval;
    {
        std::lock_guard lock(mutex);
        if (stopping) interval = std::chrono::milliseconds(50); // bounds how late the loop sees the stop deadline
    }
    lws_sul_schedule(context, 0, &sweepTimer.sul, &Shard::sweepCallback,
                     std::chrono::duration_cast<std::chrono::microseconds>(interval).count());
}

void WsServer::Shard::sweepCallback(lws_sorted_usec_list_t* sul)
{
    auto* timer = reinterpret_cast<SweepTimer*>(sul);
    try {
        timer->owner->sweep();
    } catch (const std::exception& e) {
        timer->owner->log.error(kComponent, "idle sweep failed", {{"error", e.what()}});
        timer->owner->scheduleSweep();
    }
}

int WsServer::Shard::dispatch(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len)
{
    auto* session = static_cast<Session*>(user);
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: return onConfirmUpgrade(wsi, static_cast<const char*>(in));
    case LWS_CALLBACK_HTTP: return onPlainHttp(wsi);
    case LWS_CALLBACK_HTTP_BODY: return onHttpBody(wsi, static_cast<const char*>(in), len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: return onHttpBodyComplete(wsi);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (exchangeOf(wsi)) return onHttpWriteable(wsi);
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    case LWS_CALLBACK_CLOSED_HTTP: forgetExchange(wsi); return 0;
    case LWS_CALLBACK_ESTABLISHED: return onEstablished(wsi, session);
    case LWS_CALLBACK_RECEIVE: return onReceive(wsi, session, static_cast<const char*>(in), len);
    case LWS_CALLBACK_RECEIVE_PONG:
        if (session && session->connection) session->connection->lastActivity = Clock::now();
        return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: onPeerClose(session, static_cast<const unsigned char*>(in), len); return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE: return onWriteable(wsi, session);
    case LWS_CALLBACK_CLOSED: onClosed(session); return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        forgetExchange(wsi);
        onClosed(session);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: onWakeUp(); return 0;
    default: return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

int WsServer::Shard::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len)
{
    if (!wsi) return 0;
    auto* self = static_cast<Shard*>(lws_context_user(lws_get_context(wsi)));
    try {
        return self->dispatch(wsi, reason, user, in, len);
    } catch (const std::exception& e) {
        self->log.error(kComponent, "websocket callback failed", {{"error", e.what()}});
    } catch (...) {
        self->log.error(kComponent, "websocket callback failed", {{"error", "unknown"}});
    }
    // Our own failure (e.g. out of memory) ends the affected connection, never the loop.
    bool perConnection = reason == LWS_CALLBACK_ESTABLISHED || reason == LWS_CALLBACK_RECEIVE || reason == LWS_CALLBACK_SERVER_WRITEABLE ||
                         reason == LWS_CALLBACK_HTTP || reason == LWS_CALLBACK_HTTP_CONFIRM_UPGRADE || reason == LWS_CALLBACK_HTTP_BODY ||
                         reason == LWS_CALLBACK_HTTP_BODY_COMPLETION || reason == LWS_CALLBACK_HTTP_WRITEABLE;
    return perConnection ? -1 : 0;
}

// Binds `port` (0: a free one; with `share`, SO_REUSEPORT so that every shard listens on it) and
// starts the service thread. Throws on failure, with nothing left running.
void WsServer::Shard::start(uint16_t port, bool share)
{
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
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND | LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.user = this;
    info.gid = -1; // keep the process's identity
    info.uid = -1;
    info.max_http_header_data = 16 * 1024; // large cookies must still fit
    info.keepalive_timeout = kHttpKeepAliveSeconds;
    info.port = CONTEXT_PORT_NO_LISTEN;

#if VTP_WS_LIBEV
    // epoll through libev; lws loads its glue (libwebsockets-evlib-ev) at run time. The loop is
    // ours ("foreign" to lws), so lws installs no signal handler and we decide when it runs.
    evLoop =
        ev_loop_new(static_cast<unsigned>(EVBACKEND_EPOLL) | static_cast<unsigned>(EVFLAG_NOENV) | static_cast<unsigned>(EVFLAG_NOSIGMASK));
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
    if (!context) context = lws_create_context(&info);
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
    if (vhost && share && index == 0) listenError = listenForShards(anyInterface, port);
    if (share && index > 0) boundPort = port;
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

    auto quarter = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(limits.idleTimeout), limits.httpResponseTimeout) / 4;
    sweepInterval = std::clamp(quarter, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
    sweepTimer.owner = this;
    {
        std::lock_guard lock(mutex);
        wakeContext = context;
    }
    thread = std::thread([this] { run(); });
}

void WsServer::Shard::run()
{
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
                if (stopping && ((connections.empty() && exchanges.empty()) || Clock::now() >= stopDeadline)) break;
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
            if (lws_service(context, 0) < 0) break;
        }
    } catch (const std::exception& e) {
        log.error(kComponent, "websocket service loop failed", {{"error", e.what()}});
    } catch (...) {
        log.error(kComponent, "websocket service loop failed", {{"error", "unknown"}});
    }
    teardown();
}

#if VTP_WS_LIBEV
// The listening socket for every shard, watched on this (the first) shard's loop; "" or the error.
std::string WsServer::Shard::listenForShards(bool anyInterface, uint16_t port)
{
#if VTP_WS_LIBEV
    if (!evLoop) return "websocket.threads above 1 needs libwebsockets' libev loop (package libwebsockets-evlib-ev)";
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(anyInterface ? nullptr : host.c_str(), service.c_str(), &hints, &found); rc != 0) return gai_strerror(rc);
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);
    int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::strerror(errno);
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
#endif

#if VTP_WS_LIBEV
void WsServer::Shard::onAcceptReady(struct ev_loop*, ev_io* watcher, int)
{
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
void WsServer::Shard::handOver(int fd)
{
    std::lock_guard lock(mutex);
    if (stopping) {
        ::close(fd);
        return;
    }
    bool wasEmpty = pending.empty() && pendingHttp.empty() && toAdopt.empty();
    toAdopt.push_back(fd);
    if (wasEmpty && wakeContext) lws_cancel_service(wakeContext);
}

// Service thread.
void WsServer::Shard::adopt(int fd)
{
    if (!lws_adopt_socket_vhost(vhost, fd)) // lws closes what it cannot adopt
        log.warn(kComponent, "could not adopt an accepted connection");
}

void WsServer::Shard::closeListener()
{
    std::vector<int> unadopted;
    {
        std::lock_guard lock(mutex);
        unadopted.swap(toAdopt);
    }
    for (int fd : unadopted) ::close(fd);
#if VTP_WS_LIBEV
    if (listenFd >= 0) {
        ev_io_stop(evLoop, &acceptWatcher);
        ::close(listenFd);
        listenFd = -1;
    }
#endif
}

void WsServer::Shard::teardown()
{
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

void WsServer::Shard::destroyLoop()
{
#if VTP_WS_LIBEV
    if (evLoop) ev_loop_destroy(evLoop);
    evLoop = nullptr;
#endif
}

void WsServer::Shard::requestStop()
{
    std::lock_guard lock(mutex);
    if (stopping) return;
    stopping = true;
    stopDeadline = Clock::now() + kStopGrace;
    for (auto& [id, connection] : connections) {
        if (connection->closeRequested) continue;
        connection->closeRequested = true;
        connection->closeCode = kCloseGoingAway;
        connection->closeReason = "server shutting down";
        scheduleLocked(*connection);
    }
    for (auto& [id, exchange] : exchanges) answerLocked(*exchange, 503, "shutting-down", "the server is shutting down", true);
    if (wakeContext) lws_cancel_service(wakeContext);
}

void WsServer::Shard::join()
{
    if (thread.joinable()) thread.join();
}

} // namespace vtp::kernel
