// The sweeper: timeouts of idle keep-alive connections, heads and bodies that stall, and file responses
// a client stopped reading; it also re-arms a paused listener and watches for slow handlers.

#include "http/HttpConnection.hpp"

#include <Poco/Net/StreamSocketImpl.h>

#include <pthread.h>
#include <sys/socket.h>

#include <climits>

namespace vtp::kernel::http {

using namespace Poco::Net;

// Closes connections that wait too long for a request: shutting a socket down makes it
// readable, and the worker that picks it up sees the end of the stream and closes it. Also
// watches for slow handlers, often while requests are in flight.
void sweeperLoop(const std::shared_ptr<HttpServer::Shared>& sh)
{
    pthread_setname_np(pthread_self(), "vtp-http-sweep");
    const int64_t requestMs = sh->settings.requestTimeout.count() * 1000;
    const int64_t keepAliveMs = sh->settings.keepAliveTimeout.count() * 1000;
    int64_t lastSweep = nowMs();
    std::unique_lock lock(sh->mutex);
    while (!sh->sweeperStop) {
        const bool busy = sh->inFlight.load() > sh->deferrals->held(); // held answers need no watching here
        sh->sweep.wait_for(lock, std::chrono::milliseconds(busy ? kSlowHandlerMs / 2 : 250));
        if (sh->sweeperStop) break;
        const int64_t now = nowMs();
        lock.unlock();
        replaceSlowWorkers(sh, now);
        lock.lock();
        if (now - lastSweep < 250) continue;
        lastSweep = now;
        for (auto& [ptr, conn] : sh->connections) {
            if (conn->busy) continue;
            const bool streaming = conn->streaming;
            const int64_t limit = conn->lingering                                                  ? kLingerMs
                                  : conn->served && !conn->partial && !streaming && !conn->sending ? keepAliveMs
                                                                                                   : requestMs;
            if (now - conn->idleSinceMs.load() < limit) continue;
            if (streaming) {
                // A stalled body: the worker that sees the socket readable answers 408 (writing
                // stays open for that) and tells the plugin.
                conn->bodyTimedOut = true;
                ::shutdown(conn->socket.impl()->sockfd(), SHUT_RD);
                conn->idleSinceMs = INT64_MAX / 2;
                continue;
            }
            ::shutdown(conn->socket.impl()->sockfd(), SHUT_RDWR);
            conn->idleSinceMs = INT64_MAX / 2; // once is enough
        }
        if (sh->listenerPaused.exchange(false) && !sh->stopping) arm(*sh, sh->listener.impl()->sockfd(), &listenerTag, EPOLL_CTL_MOD);
    }
}

} // namespace vtp::kernel::http
