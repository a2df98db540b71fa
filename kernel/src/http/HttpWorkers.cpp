// The workers: their turns on the epoll set (and stand-ins for slow handlers), accepting, handing a ready
// connection to the state it is in, and the end of a request or a connection.

#include "http/HttpConnection.hpp"

#include "log/Logger.hpp"

#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vtp::kernel::http {

using namespace Poco::Net;

namespace {

// A worker got this connection from the epoll set: serve what it sent (or send more of a file
// response), then put it back.
void serveReady(HttpServer::Shared& sh, Connection* conn)
{
    conn->busy = true;
    conn->sending = false;
    Next next = Next::Keep;
    bool answerHeld = conn->held != nullptr; // DeferredResponses handed it back: its answer is in
    while (true) {
        try {
            bool heads = true;
            if (conn->lingering) {
                next = continueLinger(*conn);
                heads = false;
            } else if (answerHeld) {
                next = sendHeld(sh, *conn);
                heads = next == Next::Keep && conn->session.buffered() > 0;
            } else if (conn->transfer) {
                next = continueTransfer(sh, *conn);
                // A finished file goes on with what the client pipelined behind it.
                heads = next == Next::Keep && !sh.stopping && conn->session.buffered() > 0;
            } else if (conn->upload) {
                next = continueUpload(sh, *conn);
                // A request pipelined after the body waits in Poco's buffer, where epoll cannot see it.
                heads = next == Next::Keep && conn->session.buffered() > 0;
            }
            while (heads) {
                if (!headArrived(*conn)) {
                    conn->partial = true;
                    next = Next::Keep;
                    break;
                }
                conn->partial = false;
                next = serveOne(sh, *conn);
                if (next != Next::Keep || sh.stopping || conn->session.buffered() == 0) break;
            }
        } catch (const Poco::Exception& e) {
            sh.log.debug("http", "connection ended", {{"reason", e.displayText()}});
            next = Next::Close;
            conn->lingerOnClose = false; // the client is gone, or its answer was not sent
        } catch (const std::exception& e) {
            sh.log.warn("http", "connection ended", {{"reason", e.what()}});
            next = Next::Close;
            conn->lingerOnClose = false;
        }
        if (next != Next::Held) break;
        // The last thing this worker does with the connection: once attached, the answer may go
        // out through another worker at once.
        Held& h = *conn->held;
        auto early = sh.deferrals->attach(h.id, conn->socket.impl()->sockfd(), conn, std::move(h.answer));
        if (!early) return;
        h.answer = std::move(*early); // completed before its handler had returned
        answerHeld = true;
    }
    if (next == Next::Close && conn->held) {
        conn->held.reset();
        finish(sh);
    }
    if (next == Next::Close && conn->upload) {
        // The body's answer could not be written, or reading it failed: the client is gone.
        conn->upload->body->abort(VTP_BODY_ABORT_DISCONNECTED);
        endUpload(sh, *conn, nullptr);
    }
    if (next == Next::Close && conn->lingerOnClose && !sh.stopping) next = startLinger(*conn);
    if (next == Next::Lingering) {
        // The sweeper ends it kLingerMs after it began (the bound counts from there, not from the
        // last read).
        conn->busy = false;
        if (arm(sh, conn->socket.impl()->sockfd(), conn, EPOLL_CTL_MOD)) return;
    } else if (next == Next::Sending) {
        // Waits for room in the socket; the sweeper ends it after http.request_timeout_seconds
        // without progress (a client that stopped reading). closeConnection ends the request.
        conn->idleSinceMs = nowMs();
        conn->sending = true;
        conn->busy = false;
        if (arm(sh, conn->socket.impl()->sockfd(), conn, EPOLL_CTL_MOD, EPOLLOUT)) return;
    } else if (next == Next::Parked || (next == Next::Keep && !sh.stopping)) {
        if (!conn->partial || next == Next::Parked) conn->idleSinceMs = nowMs();
        conn->busy = false;
        if (arm(sh, conn->socket.impl()->sockfd(), conn, EPOLL_CTL_MOD)) return;
        if (conn->upload) {
            conn->upload->body->abort(VTP_BODY_ABORT_DISCONNECTED);
            endUpload(sh, *conn, nullptr);
        }
    }
    closeConnection(sh, conn);
}

void acceptAll(HttpServer::Shared& sh)
{
    const int listenFd = sh.listener.impl()->sockfd();
    while (!sh.stopping) {
        const int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Re-arming now would spin on the same error; the sweeper re-arms shortly.
                sh.log.warn("http", "cannot accept connections", {{"reason", std::strerror(errno)}});
                sh.listenerPaused = true;
                return;
            }
            break; // EAGAIN: none left
        }
        std::shared_ptr<Connection> conn;
        try {
            StreamSocket socket(new StreamSocketImpl(fd));
            socket.setNoDelay(true);
            conn = std::make_shared<Connection>(socket, sh.params);
            conn->remote = socket.peerAddress().host().toString();
        } catch (const Poco::Exception& e) {
            // The client left before we looked (getpeername fails); the socket closes with it.
            sh.log.debug("http", "connection ended", {{"reason", e.displayText()}});
            continue;
        }
        {
            std::lock_guard lock(sh.mutex);
            if (sh.connections.size() >= sh.settings.maxConnections) {
                sh.log.warn("http", "connection refused: http.max_connections reached",
                            {{"max_connections", std::to_string(sh.settings.maxConnections)}});
                continue; // conn's destructor closes the socket
            }
            sh.connections.emplace(conn.get(), conn);
        }
        if (!arm(sh, fd, conn.get(), EPOLL_CTL_ADD)) closeConnection(sh, conn.get());
    }
    if (!sh.stopping) arm(sh, listenFd, &listenerTag, EPOLL_CTL_MOD);
}

void workerLoop(const std::shared_ptr<HttpServer::Shared>& sh, HttpServer::Shared::Worker* self)
{
    pthread_setname_np(pthread_self(), "vtp-http");
    while (true) {
        {
            std::unique_lock lock(sh->workersMutex);
            ++sh->parked;
            sh->turn.wait(lock, [&] { return sh->quit || sh->polling < sh->settings.threads; });
            --sh->parked;
            if (sh->quit) return;
            ++sh->polling;
            self->replaced = false;
        }
        while (!self->replaced) {
            epoll_event ev{};
            const int n = ::epoll_wait(sh->epollFd, &ev, 1, -1);
            if (n < 0 && errno != EINTR) {
                sh->log.error("http", "epoll_wait failed", {{"reason", std::strerror(errno)}});
                return;
            }
            if (n <= 0) continue;
            if (ev.data.ptr == &wakeTag) return;
            self->busySinceMs = nowMs();
            if (ev.data.ptr == &listenerTag)
                acceptAll(*sh);
            else
                serveReady(*sh, static_cast<Connection*>(ev.data.ptr));
            self->busySinceMs = 0;
        }
    }
}

} // namespace

void finish(HttpServer::Shared& sh)
{
    if (--sh.inFlight == 0) {
        std::lock_guard lock(sh.mutex);
        sh.idle.notify_all();
    }
}

// The end of a request: in-flight count, metrics and access log.
void completeRequest(HttpServer::Shared& sh, const IncomingRequest& in, const std::string& pattern, int status,
                     std::chrono::steady_clock::time_point started)
{
    finish(sh);
    if (sh.observer) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        sh.observer->onRequest(in, pattern, status, secs);
    }
}

void closeConnection(HttpServer::Shared& sh, Connection* conn)
{
    ::epoll_ctl(sh.epollFd, EPOLL_CTL_DEL, conn->socket.impl()->sockfd(), nullptr);
    std::shared_ptr<Connection> owned;
    {
        std::lock_guard lock(sh.mutex);
        const auto it = sh.connections.find(conn);
        if (it == sh.connections.end()) return;
        owned = std::move(it->second);
        sh.connections.erase(it);
    }
    // A file response cut short still ends its request (in flight, metrics, access log); its
    // file closes with the transfer.
    if (owned->transfer) {
        const std::unique_ptr<Transfer> t = std::move(owned->transfer);
        completeRequest(sh, t->in, t->pattern, t->status, t->started);
    }
    try {
        owned->socket.close();
    } catch (...) {
    }
}

bool arm(HttpServer::Shared& sh, int fd, void* tag, int op, uint32_t events)
{
    epoll_event ev{};
    ev.events = events | EPOLLONESHOT;
    ev.data.ptr = tag;
    return ::epoll_ctl(sh.epollFd, op, fd, &ev) == 0;
}

void startWorker(const std::shared_ptr<HttpServer::Shared>& sh)
{
    sh->workers.push_back(std::make_unique<HttpServer::Shared::Worker>());
    sh->threads.emplace_back(workerLoop, sh, sh->workers.back().get());
}

// Gives the turn of every worker stuck in a slow handler to a stand-in.
void replaceSlowWorkers(const std::shared_ptr<HttpServer::Shared>& sh, int64_t now)
{
    std::lock_guard lock(sh->workersMutex);
    int freed = 0;
    for (auto& w : sh->workers) {
        const int64_t since = w->busySinceMs.load();
        if (since == 0 || now - since < kSlowHandlerMs || w->replaced) continue;
        w->replaced = true;
        --sh->polling;
        ++freed;
    }
    // Parked threads take the freed turns first; new ones (started after the loop: starting
    // one grows `workers`) up to http.max_threads. Turns left over wait for a worker to finish.
    const int woken = std::min(freed, sh->parked);
    for (int i = 0; i < woken; ++i) sh->turn.notify_one();
    const int room = sh->settings.maxThreads - static_cast<int>(sh->threads.size());
    for (int i = 0; i < std::min(freed - woken, room); ++i) startWorker(sh);
}

} // namespace vtp::kernel::http
