// Deferred answers (ABI 1.6 response_defer): a held connection waits in DeferredResponses' epoll set
// with no worker; once its answer is in, it comes back armed for writing and a worker sends it.

#include "http/HttpConnection.hpp"

#include <Poco/Net/StreamSocketImpl.h>

#include <ctime>

namespace vtp::kernel::http {

using namespace Poco::Net;

// Sends a deferred request's answer (its handler's, or the fallback on timeout) and ends it.
Next sendHeld(HttpServer::Shared& sh, Connection& conn)
{
    auto h = std::move(conn.held);
    HttpResponseData out = std::move(h->answer);
    out.deferredId = 0;
    // A file answer's preconditions and Range are weighed now, against the file it turned out to be.
    if (out.file) applyFileConditionals(h->in, out, static_cast<int64_t>(::time(nullptr)));
    sh.pipeline.finish(h->in, h->prepared, out);
    bool fileFollows = false;
    try {
        fileFollows = send(sh, conn, h->version, h->requestKeepAlive, h->in, out);
    } catch (...) {
        finish(sh);
        throw;
    }
    if (fileFollows) return startTransfer(sh, conn, out.file, std::move(h->in), h->prepared.route->pattern, out.status, h->started);
    completeRequest(sh, h->in, h->prepared.route->pattern, out.status, h->started);
    return conn.session.getKeepAlive() ? Next::Keep : Next::Close;
}

// The answer is in: a worker sends it (the socket is writable, so EPOLLOUT fires at once).
void heldAnswered(HttpServer::Shared& sh, Connection* conn, HttpResponseData answer)
{
    conn->held->answer = std::move(answer);
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLONESHOT;
    ev.data.ptr = conn;
    if (::epoll_ctl(sh.epollFd, EPOLL_CTL_MOD, conn->socket.impl()->sockfd(), &ev) == 0) return;
    conn->held.reset();
    finish(sh);
    closeConnection(sh, conn);
}

// The client hung up while held: the id is already dropped, so completing it is a no-op.
void heldGone(HttpServer::Shared& sh, Connection* conn)
{
    conn->held.reset();
    finish(sh);
    closeConnection(sh, conn);
}

} // namespace vtp::kernel::http
