// Streamed request bodies (VTP_ROUTE_BODY_STREAM): the parked upload state. Each time the connection
// is readable a worker reads what has arrived and hands it to the plugin; the answer ends the request.

#include "http/HttpConnection.hpp"

#include "log/Logger.hpp"

#include <Poco/Net/StreamSocketImpl.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace vtp::kernel::http {

using namespace Poco::Net;

namespace {

// Answers a streamed request (the handler's answer, or the kernel's problem) and ends it.
Next answerUpload(HttpServer::Shared& sh, Connection& conn, HttpResponseData out)
{
    Upload& up = *conn.upload;
    sh.pipeline.finish(up.body->request(), up.body->prepared(), out);
    bool fileFollows = false;
    try {
        fileFollows = send(sh, conn, up.version, up.requestKeepAlive, up.body->request(), out);
    } catch (...) {
        endUpload(sh, conn, &out);
        throw;
    }
    if (fileFollows) { // in flight until the file is sent
        auto up = std::move(conn.upload);
        conn.streaming = false;
        return startTransfer(sh, conn, out.file, up->body->request(), up->body->prepared().route->pattern, out.status, up->started);
    }
    endUpload(sh, conn, &out);
    return conn.session.getKeepAlive() ? Next::Keep : Next::Close;
}

Next failUpload(HttpServer::Shared& sh, Connection& conn, uint32_t reason, HttpResponseData problem)
{
    conn.upload->body->abort(reason);
    problem.closeConnection = true; // the rest of the body is not read
    conn.lingerOnClose = true;
    return answerUpload(sh, conn, std::move(problem));
}

Next uploadGone(HttpServer::Shared& sh, Connection& conn, bool timedOut)
{
    if (timedOut) {
        const auto secs = std::to_string(sh.settings.requestTimeout.count());
        return failUpload(sh, conn, VTP_BODY_ABORT_TIMEOUT,
                          makeProblem(408, "body-timeout", "Request timeout", "no part of the body arrived for " + secs + " seconds",
                                      conn.upload->body->request().requestId));
    }
    sh.log.debug("http", "the client left mid-body",
                 {{"request_id", conn.upload->body->request().requestId}, {"received", std::to_string(conn.upload->decoder.received())}});
    conn.upload->body->abort(sh.stopping ? VTP_BODY_ABORT_SHUTDOWN : VTP_BODY_ABORT_DISCONNECTED);
    endUpload(sh, conn, nullptr);
    return Next::Close;
}

} // namespace

// The streamed body is over, answered or not: the request is no longer in flight.
void endUpload(HttpServer::Shared& sh, Connection& conn, const HttpResponseData* answered)
{
    auto up = std::move(conn.upload);
    conn.streaming = false;
    finish(sh);
    if (answered && sh.observer) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - up->started).count();
        sh.observer->onRequest(up->body->request(), up->body->prepared().route->pattern, answered->status, secs);
    }
}

// Reads what has arrived of a streamed body and hands it to the plugin, without waiting for
// more: Parked when the socket runs dry (the connection goes back to the epoll set), or after
// kTurnBytes so that one fast upload does not starve the other connections.
Next continueUpload(HttpServer::Shared& sh, Connection& conn)
{
    constexpr size_t kBufferBytes = 256 << 10;
    constexpr uint64_t kTurnBytes = 16 << 20;
    thread_local std::unique_ptr<char[]> buffer(new char[kBufferBytes]);
    char* buf = buffer.get();
    Upload& up = *conn.upload;
    const uint64_t limit = up.body->prepared().bodyLimit;
    const int fd = conn.socket.impl()->sockfd();
    uint64_t turn = 0;
    bool tooLarge = false, refused = false;
    auto sink = [&](std::string_view piece) {
        if (up.decoder.received() > limit) {
            tooLarge = true;
            return false;
        }
        if (!up.body->data(piece)) refused = true;
        return !refused;
    };
    while (!up.decoder.done() && !up.decoder.failed() && !tooLarge && !refused) {
        if (conn.bodyTimedOut) return uploadGone(sh, conn, true);
        if (turn >= kTurnBytes) return Next::Parked;
        size_t used = 0;
        if (conn.session.buffered() > 0) {
            // Bytes Poco read with the head: taken no further than the body's end.
            const size_t want = std::min({static_cast<size_t>(conn.session.buffered()), up.decoder.safeAhead(), kBufferBytes});
            const int n = conn.session.read(buf, static_cast<std::streamsize>(want));
            used = up.decoder.feed(buf, static_cast<size_t>(n), sink);
        } else {
            // Body data goes straight in; framing is peeked at first, so that nothing after the
            // body's end (a pipelined request) leaves the socket.
            const uint64_t ahead = up.decoder.dataAhead();
            const bool peek = ahead == 0;
            const size_t want = peek ? kBufferBytes : static_cast<size_t>(std::min<uint64_t>(ahead, kBufferBytes));
            const ssize_t n = ::recv(fd, buf, want, MSG_DONTWAIT | (peek ? MSG_PEEK : 0));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Next::Parked;
            if (n <= 0) return uploadGone(sh, conn, conn.bodyTimedOut);
            used = up.decoder.feed(buf, static_cast<size_t>(n), sink);
            if (peek && used > 0 && ::recv(fd, buf, used, MSG_DONTWAIT) != static_cast<ssize_t>(used)) return uploadGone(sh, conn, false);
        }
        turn += used;
    }
    if (tooLarge)
        return failUpload(sh, conn, VTP_BODY_ABORT_TOO_LARGE,
                          makeProblem(413, "body-too-large", "Content too large",
                                      "the body exceeds this route's limit of " + std::to_string(limit) + " bytes",
                                      up.body->request().requestId));
    if (up.decoder.failed())
        return failUpload(sh, conn, VTP_BODY_ABORT_MALFORMED,
                          makeProblem(400, "malformed-body", "Malformed body", std::string("chunked framing: ") + up.decoder.error(),
                                      up.body->request().requestId));
    HttpResponseData out = up.body->finish();
    if (refused) {
        out.closeConnection = true; // the rest of the body is not read
        conn.lingerOnClose = true;
    }
    return answerUpload(sh, conn, std::move(out));
}

} // namespace vtp::kernel::http
