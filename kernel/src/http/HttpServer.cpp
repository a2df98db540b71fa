#include "http/HttpServer.hpp"

#include "http/BodyDecoder.hpp"
#include "http/DeferredResponses.hpp"
#include "http/FileResponse.hpp"
#include "http/StreamedBody.hpp"
#include "ids/Uuid.hpp"
#include "log/Logger.hpp"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPChunkedStream.h>
#include <Poco/Net/HTTPFixedLengthStream.h>
#include <Poco/Net/HTTPHeaderStream.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <istream>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace vtp::kernel {

using namespace Poco::Net;

namespace {

int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Pipelined requests wait in the session's buffer, where epoll cannot see them.
class ServerSession : public HTTPServerSession {
public:
    using HTTPServerSession::buffered;
    using HTTPServerSession::HTTPServerSession;
    using HTTPServerSession::read; // takes buffered bytes first; call it only while buffered() > 0
};

// A streamed body under way (a VTP_ROUTE_BODY_STREAM route): its bytes are read as they arrive,
// each time the connection becomes readable, and no worker waits for the client in between.
struct Upload {
    std::unique_ptr<StreamedBody> body;
    BodyDecoder decoder;
    std::string version; // the request's, for the answer
    bool requestKeepAlive = false;
    std::chrono::steady_clock::time_point started;
};

// A request whose handler deferred its answer (ABI 1.6): while held, the connection sits in
// DeferredResponses' epoll set and no worker waits for it; `answer` is the fallback until then,
// and the answer to send once a worker gets the connection back.
struct Held {
    IncomingRequest in;
    PreparedRequest prepared;
    std::string version;
    bool requestKeepAlive = false;
    std::chrono::steady_clock::time_point started;
    uint64_t id = 0;
    HttpResponseData answer;
};

// A file response being sent (FileBody): what is left of it, and the request it answers, whose
// metrics and access log wait for its end.
struct Transfer {
    std::shared_ptr<FileBody> file;
    uint64_t next = 0; // file offset of the next byte to send
    uint64_t end = 0;
    IncomingRequest in;
    std::string pattern;
    int status = 0;
    std::chrono::steady_clock::time_point started;
};

// One client connection. Between requests it is armed in the epoll set (one-shot, so exactly
// one worker gets it when it becomes readable, or writable while a file response waits for room
// in the socket); while a worker serves it, it is disarmed.
struct Connection {
    Connection(const StreamSocket& s, const HTTPServerParams::Ptr& params)
        : socket(s), session(socket, params), remaining(params->getMaxKeepAliveRequests())
    {
    }

    StreamSocket socket;
    ServerSession session; // owns the read buffer, so it lives as long as the connection
    std::string remote;
    int remaining;        // requests this connection may still make; 0: the next answer closes it
    bool served = false;  // a first request arrived (then the idle limit is the keep-alive one)
    bool partial = false; // part of a head has arrived (then the limit is the request timeout)
    std::atomic<bool> busy{false};
    std::atomic<int64_t> idleSinceMs{nowMs()};
    std::unique_ptr<Upload> upload;        // a streamed body is being read
    std::atomic<bool> streaming{false};    // upload is set (for the sweeper)
    std::atomic<bool> bodyTimedOut{false}; // set by the sweeper: the body stalled
    std::unique_ptr<Held> held;            // a deferred answer is awaited, or ready to send
    std::unique_ptr<Transfer> transfer;    // a file response is being sent
    std::atomic<bool> sending{false};      // transfer waits for room in the socket (for the sweeper)
};

// What a connection does after a worker's turn on it.
// Parked: a streamed body waits for more bytes. Held: a deferred answer is awaited (the
// connection goes to DeferredResponses). Sending: a file response waits for room in the socket.
enum class Next { Keep, Close, Parked, Held, Sending };

// Distinct addresses mark the two descriptors in the epoll set that are not connections.
char listenerTag;
char wakeTag;

} // namespace

struct HttpServer::Shared {
    HttpPipeline& pipeline;
    Logger& log;
    HttpServerSettings settings;
    HTTPServerParams::Ptr params;
    std::atomic<size_t> inFlight{0};
    std::atomic<bool> stopping{false};
    RequestObserver* observer = nullptr;
    ServerSocket listener;
    int epollFd = -1;
    int wakeFd = -1;                         // eventfd, level-triggered: once written, every worker sees it and exits
    std::atomic<bool> listenerPaused{false}; // out of descriptors: the sweeper re-arms it

    std::mutex mutex; // guards connections; idle/sweep are signalled under it
    std::condition_variable idle;
    std::condition_variable sweep;
    bool sweeperStop = false;
    std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;
    std::unique_ptr<DeferredResponses> deferrals;

    // Worker threads. `pollers` of them (http.threads) take turns on the epoll set and serve
    // what they take; a handler still running after kSlowHandler gives its turn to a stand-in
    // (a parked thread, or a new one up to http.max_threads), so a blocking handler delays
    // nobody else while the fast path keeps few threads and few context switches.
    struct Worker {
        std::atomic<int64_t> busySinceMs{0}; // in a handler since then; 0: not in one
        std::atomic<bool> replaced{false};   // a stand-in has its turn: park after this request
    };
    std::mutex workersMutex; // guards the fields below
    std::condition_variable turn;
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<std::thread> threads;
    int polling = 0; // workers holding a turn
    int parked = 0;  // workers waiting for one
    bool quit = false;

    Shared(HttpPipeline& p, Logger& l, HttpServerSettings s) : pipeline(p), log(l), settings(std::move(s)) {}
    ~Shared()
    {
        if (epollFd >= 0) ::close(epollFd);
        if (wakeFd >= 0) ::close(wakeFd);
    }
};

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// RFC 9110's Date (IMF-fixdate), made once a second per thread.
const std::string& httpDate()
{
    thread_local time_t cachedSecond = 0;
    thread_local std::string cached;
    const time_t now = ::time(nullptr);
    if (now != cachedSecond) {
        struct tm utc {};
        ::gmtime_r(&now, &utc);
        char buf[64];
        const size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &utc);
        cached.assign(buf, n);
        cachedSecond = now;
    }
    return cached;
}

bool headerSafe(std::string_view s)
{
    return s.find_first_of("\r\n") == std::string_view::npos;
}

bool namedAny(std::string_view name, std::initializer_list<std::string_view> names)
{
    for (auto n : names) {
        if (name.size() == n.size() && std::equal(name.begin(), name.end(), n.begin(),
                                                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
            return true;
    }
    return false;
}

// The whole response in one buffer, written with one send(2): Poco's response streams write
// the head and the body separately, two system calls and two packets for every small answer.
void writeResponse(StreamSocket& socket, std::string_view version, const HttpResponseData& r, const std::string& requestId, bool keepAlive,
                   bool withBody)
{
    const bool bodyless = r.status == 204 || r.status == 304;
    const uint64_t length = r.file ? r.file->sendLength : r.body.size();
    std::string out;
    out.reserve(192 + r.contentType.size() + (withBody ? r.body.size() : 0));
    out.append(version).append(" ").append(std::to_string(r.status)).append(" ").append(reasonPhrase(r.status)).append("\r\n");
    out.append("Date: ").append(httpDate()).append("\r\n");
    if (!keepAlive)
        out.append("Connection: close\r\n");
    else if (version == "HTTP/1.0")
        out.append("Connection: keep-alive\r\n");
    if (!requestId.empty()) out.append("X-Request-Id: ").append(requestId).append("\r\n");
    for (const auto& [k, v] : r.headers) {
        // What the kernel frames itself is not the handler's to set; a CR or LF would split
        // the response.
        if (!headerSafe(k) || !headerSafe(v) ||
            namedAny(k, {"content-length", "transfer-encoding", "connection", "x-request-id", "date"}) ||
            (!r.contentType.empty() && namedAny(k, {"content-type"})))
            continue;
        out.append(k).append(": ").append(v).append("\r\n");
    }
    if (!bodyless) {
        if (!r.contentType.empty()) out.append("Content-Type: ").append(r.contentType).append("\r\n");
        out.append("Content-Length: ").append(std::to_string(length)).append("\r\n");
    }
    out.append("\r\n");
    if (withBody && !bodyless && !r.file) out.append(r.body);
    // A file follows the head: MSG_MORE lets the kernel put both in the same packets.
    const int flags = withBody && !bodyless && r.file && length > 0 ? MSG_MORE : 0;
    size_t sent = 0;
    while (sent < out.size()) {
        const int n = socket.sendBytes(out.data() + sent, static_cast<int>(std::min<size_t>(out.size() - sent, 1 << 30)), flags);
        if (n <= 0) throw Poco::Net::NetException("the client stopped reading");
        sent += static_cast<size_t>(n);
    }
}

void writeRaw(StreamSocket& socket, HttpResponseData r, const std::string& requestId)
{
    addSecurityHeaders(r.headers, false);
    try {
        writeResponse(socket, "HTTP/1.1", r, requestId, false, true);
    } catch (const Poco::Exception&) {
        // The client is gone; nothing to tell it.
    }
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

// Writes the response, or the head of a file response; returns whether file bytes follow.
bool send(HttpServer::Shared& sh, Connection& conn, const std::string& version, bool requestKeepAlive, const IncomingRequest& in,
          const HttpResponseData& out)
{
    const bool keepAlive = !out.closeConnection && !sh.stopping && requestKeepAlive && sh.params->getKeepAlive() && conn.remaining != 0;
    conn.session.setKeepAlive(keepAlive);
    const bool withBody = in.method != "HEAD";
    writeResponse(conn.socket, version == HTTPMessage::HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1", out, in.requestId, keepAlive, withBody);
    return withBody && out.file && out.file->sendLength > 0 && out.status != 204 && out.status != 304;
}

bool send(HttpServer::Shared& sh, Connection& conn, const HTTPRequest& request, const IncomingRequest& in, const HttpResponseData& out)
{
    return send(sh, conn, request.getVersion(), request.getKeepAlive(), in, out);
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
    if (!bodyRead && (in.chunked || in.contentLength.value_or(0) > 0)) out.closeConnection = true;
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

void finish(HttpServer::Shared& sh)
{
    if (--sh.inFlight == 0) {
        std::lock_guard lock(sh.mutex);
        sh.idle.notify_all();
    }
}

Next continueUpload(HttpServer::Shared& sh, Connection& conn);

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

bool setNonBlocking(int fd, bool on)
{
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) return false;
    return ::fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) == 0;
}

// Bytes sent to one connection before its worker lets the others have a turn (nginx's
// sendfile_max_chunk is 2 MiB): a fast client of a large file does not hold a worker for long.
constexpr uint64_t kFileTurnBytes = 2 << 20;

// Sends what the socket takes of a file response without blocking: Sending when it is full (the
// connection then waits in the epoll set for room) or this turn's share is spent. A client that
// has gone, or a file that shrank below the Content-Length already promised, ends the connection.
// The request stays in flight until the last byte is out (or closeConnection cuts it short).
Next continueTransfer(HttpServer::Shared& sh, Connection& conn)
{
    Transfer& t = *conn.transfer;
    const int fd = conn.socket.impl()->sockfd();
    bool failed = !setNonBlocking(fd, true);
    uint64_t turn = 0;
    while (!failed && t.next < t.end) {
        if (turn >= kFileTurnBytes) return Next::Sending;
        auto offset = static_cast<off_t>(t.next);
        const ssize_t n = ::sendfile(fd, t.file->fd, &offset, static_cast<size_t>(std::min(t.end - t.next, kFileTurnBytes)));
        if (n > 0) {
            t.next += static_cast<uint64_t>(n);
            turn += static_cast<uint64_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return Next::Sending;
        } else {
            if (n == 0) sh.log.warn("http", "a file shrank while it was being sent", {{"request_id", t.in.requestId}});
            failed = true;
        }
    }
    if (!failed) failed = !setNonBlocking(fd, false);
    const std::unique_ptr<Transfer> done = std::move(conn.transfer);
    completeRequest(sh, done->in, done->pattern, done->status, done->started);
    return failed ? Next::Close : conn.session.getKeepAlive() ? Next::Keep : Next::Close;
}

// The head of a file response went out: its bytes follow, now and whenever the socket has room.
Next startTransfer(HttpServer::Shared& sh, Connection& conn, const std::shared_ptr<FileBody>& file, IncomingRequest in, std::string pattern,
                   int status, std::chrono::steady_clock::time_point started)
{
    conn.transfer = std::make_unique<Transfer>(
        Transfer{file, file->sendOffset, file->sendOffset + file->sendLength, std::move(in), std::move(pattern), status, started});
    return continueTransfer(sh, conn);
}

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
    if (refused) out.closeConnection = true; // the rest of the body is not read
    return answerUpload(sh, conn, std::move(out));
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

bool arm(HttpServer::Shared& sh, int fd, void* tag, int op, uint32_t events = EPOLLIN | EPOLLRDHUP)
{
    epoll_event ev{};
    ev.events = events | EPOLLONESHOT;
    ev.data.ptr = tag;
    return ::epoll_ctl(sh.epollFd, op, fd, &ev) == 0;
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
            if (answerHeld) {
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
        } catch (const std::exception& e) {
            sh.log.warn("http", "connection ended", {{"reason", e.what()}});
            next = Next::Close;
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
    if (next == Next::Sending) {
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

constexpr int64_t kSlowHandlerMs = 10;

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
            const int64_t limit = conn->served && !conn->partial && !streaming && !conn->sending ? keepAliveMs : requestMs;
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

} // namespace

HttpServer::HttpServer(HttpServerSettings settings, HttpPipeline& pipeline, Logger& log)
    : settings_(std::move(settings)), shared_(std::make_shared<Shared>(pipeline, log, settings_)), inFlight_(shared_->inFlight)
{
    shared_->params = new HTTPServerParams;
    shared_->params->setMaxThreads(settings_.maxThreads);
    shared_->params->setTimeout(Poco::Timespan(settings_.requestTimeout.count(), 0));
    shared_->params->setKeepAlive(true);
    shared_->params->setKeepAliveTimeout(Poco::Timespan(settings_.keepAliveTimeout.count(), 0));
    shared_->params->setMaxKeepAliveRequests(settings_.maxKeepAliveRequests);
    Shared* sh = shared_.get(); // the deferrals live and stop inside it
    shared_->deferrals = std::make_unique<DeferredResponses>(
        [sh](void* owner, HttpResponseData answer) {
            // The answer is in: a worker sends it (the socket is writable, so EPOLLOUT fires at once).
            auto* conn = static_cast<Connection*>(owner);
            conn->held->answer = std::move(answer);
            epoll_event ev{};
            ev.events = EPOLLOUT | EPOLLONESHOT;
            ev.data.ptr = conn;
            if (::epoll_ctl(sh->epollFd, EPOLL_CTL_MOD, conn->socket.impl()->sockfd(), &ev) == 0) return;
            conn->held.reset();
            finish(*sh);
            closeConnection(*sh, conn);
        },
        [sh](void* owner) {
            // The client hung up while held: the id is already dropped, so completing it is a no-op.
            auto* conn = static_cast<Connection*>(owner);
            conn->held.reset();
            finish(*sh);
            closeConnection(*sh, conn);
        });
}

DeferredResponses& HttpServer::deferrals()
{
    return *shared_->deferrals;
}

HttpServer::~HttpServer()
{
    if (started_ && !shared_->stopping) drain(std::chrono::milliseconds(0));
}

void HttpServer::start()
{
    auto& sh = *shared_;
    sh.listener = ServerSocket(SocketAddress(settings_.host, settings_.port), 1024);
    sh.listener.setBlocking(false);
    port_ = sh.listener.address().port();
    sh.epollFd = ::epoll_create1(EPOLL_CLOEXEC);
    sh.wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (sh.epollFd < 0 || sh.wakeFd < 0) throw Poco::IOException("http: cannot create the epoll set", std::strerror(errno));
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.ptr = &wakeTag;
    if (::epoll_ctl(sh.epollFd, EPOLL_CTL_ADD, sh.wakeFd, &wake) != 0 ||
        !arm(sh, sh.listener.impl()->sockfd(), &listenerTag, EPOLL_CTL_ADD))
        throw Poco::IOException("http: cannot watch the listener", std::strerror(errno));
    sh.deferrals->start();
    sh.pipeline.setDeferrals(sh.deferrals.get());
    started_ = true;
    {
        std::lock_guard lock(sh.workersMutex);
        for (int i = 0; i < settings_.threads; ++i) startWorker(shared_);
    }
    sweeper_ = std::thread(sweeperLoop, shared_);
}

void HttpServer::setObserver(RequestObserver* observer)
{
    shared_->observer = observer;
}

size_t HttpServer::connections() const
{
    std::lock_guard lock(shared_->mutex);
    return shared_->connections.size();
}

bool HttpServer::drain(std::chrono::milliseconds deadline)
{
    if (!started_) return true;
    auto& sh = *shared_;
    sh.stopping = true;
    sh.deferrals->expireAll(); // held requests get their timeout answer now
    // New clients fail fast (refused) instead of completing handshakes nobody accepts.
    ::epoll_ctl(sh.epollFd, EPOLL_CTL_DEL, sh.listener.impl()->sockfd(), nullptr);
    try {
        sh.listener.close();
    } catch (...) {
    }
    bool drained;
    {
        std::unique_lock lock(sh.mutex);
        drained = sh.idle.wait_for(lock, deadline, [&] { return sh.inFlight.load() == 0; });
        sh.sweeperStop = true;
        sh.sweep.notify_all();
        // Wakes connections waiting for a request and workers blocked reading a slow head.
        for (auto& [ptr, conn] : sh.connections) ::shutdown(conn->socket.impl()->sockfd(), SHUT_RDWR);
    }
    sweeper_.join(); // before the threads are collected: it may start one
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(sh.workersMutex);
        sh.quit = true;
        sh.turn.notify_all();
        threads.swap(sh.threads);
    }
    const uint64_t one = 1;
    [[maybe_unused]] const auto w = ::write(sh.wakeFd, &one, sizeof one);
    for (auto& t : threads) {
        // A handler still running past the deadline keeps its thread: the process is about
        // to exit, and the thread holds the shared state alive.
        if (drained)
            t.join();
        else
            t.detach();
    }
    sh.pipeline.setDeferrals(nullptr);
    sh.deferrals->stop();
    if (drained) {
        std::unordered_map<Connection*, std::shared_ptr<Connection>> rest;
        {
            std::lock_guard lock(sh.mutex);
            rest.swap(sh.connections);
        }
        for (auto& [ptr, conn] : rest) {
            try {
                conn->socket.close();
            } catch (...) {
            }
        }
    }
    started_ = false;
    return drained;
}

} // namespace vtp::kernel
