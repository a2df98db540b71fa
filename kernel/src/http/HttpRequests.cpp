// Reading and answering requests: a head that has arrived is parsed, its body read (or handed to a
// streamed route), the pipeline answers, and the answer is written, deferred or followed by a file.

#include "http/HttpConnection.hpp"

#include "ids/Uuid.hpp"
#include "log/Logger.hpp"

#include <Poco/Net/HTTPChunkedStream.h>
#include <Poco/Net/HTTPFixedLengthStream.h>
#include <Poco/Net/HTTPHeaderStream.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <istream>
#include <optional>
#include <string_view>

namespace vtp::kernel::http {

using namespace Poco::Net;

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Reads at most limit+1 bytes so that an oversized chunked body is detected without buffering it.
bool readBody(std::istream& in, size_t limit, std::string& body)
{
    body.clear();
    char buf[16384];
    while (in) {
        in.read(buf, sizeof buf);
        const auto n = static_cast<size_t>(in.gcount());
        if (n == 0) break;
        if (body.size() + n > limit) return false;
        body.append(buf, n);
    }
    return true;
}

// The body as Poco's server would frame it; without a length or chunking there is none (the
// pipeline answers 411 where a route wants one).
std::unique_ptr<std::istream> bodyStream(Connection& conn, const HTTPRequest& request)
{
    if (request.getChunkedTransferEncoding()) return std::make_unique<HTTPChunkedInputStream>(conn.session);
    return std::make_unique<HTTPFixedLengthInputStream>(conn.session, request.hasContentLength() ? request.getContentLength64() : 0);
}

void sendContinue(Connection& conn)
{
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    conn.socket.sendBytes(kContinue.data(), static_cast<int>(kContinue.size()));
}

// Returns the status answered, or nothing when a streamed body is now being read (conn.upload)
// or the answer is deferred (conn.held). `file`: the answer's file, whose bytes are still to send.
std::optional<int> handleOne(HttpServer::Shared& sh, Connection& conn, const HTTPRequest& request, IncomingRequest& in,
                             std::string& pattern, std::shared_ptr<FileBody>& file)
{
    in.method = request.getMethod();
    in.target = request.getURI();
    in.remoteAddress = conn.remote;
    for (const auto& [k, v] : request) in.headers.emplace_back(lower(k), v);
    if (request.hasContentLength()) {
        const auto n = request.getContentLength64();
        if (n < 0)
            in.contentLength = 0;
        else
            in.contentLength = static_cast<size_t>(n);
    }
    in.chunked = request.getChunkedTransferEncoding();

    PreparedRequest prepared = sh.pipeline.prepare(in);
    HttpResponseData out;
    bool bodyRead = false;
    if (prepared.early) {
        out = std::move(*prepared.early);
    } else if (prepared.route->body == BodyKind::Stream) {
        // Authorised: the plugin says whether it takes the body before a byte of it is read.
        std::optional<HttpResponseData> refusal;
        auto body = StreamedBody::begin(sh.pipeline, in, prepared, refusal);
        if (body) {
            auto up = std::make_unique<Upload>(
                Upload{std::move(body), in.chunked ? BodyDecoder::chunked() : BodyDecoder::fixed(in.contentLength.value_or(0)),
                       request.getVersion(), request.getKeepAlive(), std::chrono::steady_clock::now()});
            conn.upload = std::move(up);
            conn.streaming = true;
            conn.bodyTimedOut = false;
            if (request.getExpectContinue()) sendContinue(conn);
            return std::nullopt;
        }
        out = std::move(*refusal);
    } else {
        if (request.getExpectContinue() && prepared.bodyLimit > 0) sendContinue(conn);
        std::string body;
        if (prepared.bodyLimit > 0 && !readBody(*bodyStream(conn, request), prepared.bodyLimit, body)) {
            out = makeProblem(413, "body-too-large", "Content too large",
                              "the body exceeds this route's limit of " + std::to_string(prepared.bodyLimit) + " bytes", in.requestId);
            out.closeConnection = true;
        } else {
            bodyRead = prepared.bodyLimit > 0;
            out = sh.pipeline.complete(in, prepared, body);
        }
    }
    // A body left unread would be taken for the next request (a 404 to a POST, say): the
    // connection ends with the answer instead.
    if (!bodyRead && (in.chunked || in.contentLength.value_or(0) > 0)) {
        out.closeConnection = true;
        conn.lingerOnClose = true; // the client may still be sending it
    }
    if (out.deferredId) {
        const uint64_t id = out.deferredId;
        conn.held =
            std::make_unique<Held>(Held{in, std::move(prepared), request.getVersion(), request.getKeepAlive(), {}, id, std::move(out)});
        return std::nullopt;
    }
    // Also for answers given before the handler (401, 403, 413...): metrics and the access
    // log group by route.
    if (prepared.route) pattern = prepared.route->pattern;
    sh.pipeline.finish(in, prepared, out);
    if (send(sh, conn, request, in, out)) file = out.file;
    return out.status;
}

} // namespace

// Serves one request: answered (the connection stays open for another, or closes), or parked
// while its streamed body arrives.
Next serveOne(HttpServer::Shared& sh, Connection& conn)
{
    IncomingRequest in;
    // Poco's HTTPServerRequestImpl would also ask the socket for both addresses on every
    // request (two system calls); the head parser and body streams are all it is needed for.
    HTTPRequest request;
    HTTPHeaderInputStream head(conn.session);
    try {
        request.read(head);
    } catch (const NoMessageException&) {
        return Next::Close; // the client closed between requests
    } catch (const MessageException& e) {
        // Poco refuses over-long or too many header fields here ("Field value too long",
        // "Too many header fields"): 431. "HTTP request URI invalid or too long" means too long
        // (over HTTPRequest::MAX_URI_LENGTH, 16384) when the head had more to read, and garbage when the
        // head ended inside the request line: 414 (RFC 9112 section 3) or 400.
        const std::string& what = e.message();
        const bool tooLarge = what.find("field") != std::string::npos || what.find("Field") != std::string::npos;
        const bool uriTooLong = what.find("URI") != std::string::npos && !head.eof();
        // No head, so no client-sent id: a fresh one, so that this answer too can be found in the log.
        const std::string id = randomUuid();
        auto problem = tooLarge     ? makeProblem(431, "headers-too-large", "Request header fields too large", e.message(), id)
                       : uriTooLong ? makeProblem(414, "uri-too-long", "URI too long", "the request target is longer than 16384 bytes", id)
                                    : makeProblem(400, "malformed-request", "Malformed request", e.message(), id);
        sh.log.info("http", "malformed request head refused",
                    {{"request_id", id}, {"status", std::to_string(problem.status)}, {"remote", conn.remote}});
        writeRaw(conn.socket, std::move(problem), id);
        return Next::Close;
    }
    conn.served = true;
    if (conn.remaining > 0) --conn.remaining;
    ++sh.inFlight;
    const auto started = std::chrono::steady_clock::now();
    std::optional<int> status;
    std::string pattern;
    std::shared_ptr<FileBody> file;
    try {
        status = handleOne(sh, conn, request, in, pattern, file);
    } catch (...) {
        finish(sh);
        throw;
    }
    if (!status && conn.held) {
        conn.held->started = started;
        return Next::Held; // in flight until its answer is sent
    }
    if (!status) return continueUpload(sh, conn); // in flight until its body ends
    if (file) return startTransfer(sh, conn, file, std::move(in), std::move(pattern), *status, started);
    completeRequest(sh, in, pattern, *status, started);
    return conn.session.getKeepAlive() ? Next::Keep : Next::Close;
}

// Whether the socket holds a whole request head (or enough bytes for the parser to decide, or
// the end of the stream). A head that trickles in is left in the socket, its connection back in
// the epoll set, so that slow clients cannot hold the workers (slowloris); the sweeper closes it
// when http.request_timeout_seconds have passed.
bool headArrived(Connection& conn)
{
    if (conn.session.buffered() > 0) return true; // pipelined: Poco already holds the bytes
    char buf[16384];
    const ssize_t n = ::recv(conn.socket.impl()->sockfd(), buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR; // errors: let the read report them
    if (n == 0 || static_cast<size_t>(n) == sizeof buf) return true;
    const std::string_view head(buf, static_cast<size_t>(n));
    return head.find("\n\r\n") != std::string_view::npos || head.find("\n\n") != std::string_view::npos;
}

} // namespace vtp::kernel::http
