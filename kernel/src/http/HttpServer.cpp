#include "http/HttpServer.hpp"

#include "log/Logger.hpp"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerParams.h>
#include <Poco/StreamCopier.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <istream>

namespace vtp::kernel {

using namespace Poco::Net;

struct HttpServer::Shared {
    HttpPipeline& pipeline;
    Logger& log;
    HTTPServerParams::Ptr params;
    std::atomic<size_t> inFlight{0};
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::condition_variable idle;
    std::set<StreamSocket*> sockets; // every open connection, to close idle ones at shutdown
    RequestObserver* observer = nullptr;

    Shared(HttpPipeline& p, Logger& l) : pipeline(p), log(l) {}
};

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

void writeRaw(StreamSocket& socket, const HttpResponseData& r, const std::string& requestId)
{
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + std::string(reasonPhrase(r.status)) + "\r\n";
    out += "Content-Type: " + r.contentType + "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n";
    if (!requestId.empty()) out += "X-Request-Id: " + requestId + "\r\n";
    out += "Connection: close\r\n\r\n" + r.body;
    try {
        socket.sendBytes(out.data(), static_cast<int>(out.size()));
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

// Poco 1.11's HTTPServerSession::hasMoreRequests waits for the next request with Socket::poll,
// which creates, fills and closes an epoll instance every time: a quarter of the CPU of a
// keep-alive connection serving small requests. The same decision with one poll(2).
class KeepAliveSession : public HTTPServerSession {
public:
    KeepAliveSession(const StreamSocket& socket, HTTPServerParams::Ptr params)
        : HTTPServerSession(socket, params), remaining_(params->getMaxKeepAliveRequests()),
          keepAliveMs_(static_cast<int>(params->getKeepAliveTimeout().totalMilliseconds())),
          firstMs_(static_cast<int>(params->getTimeout().totalMilliseconds())) {}

    // Whether the response may promise another request on this connection (Poco's own count,
    // behind canKeepAlive, is not kept when hasMoreRequests is not used).
    bool mayKeepAlive() const { return remaining_ != 0; }

    bool moreRequests()
    {
        if (!socket().impl()->initialized()) return false;
        if (first_) {
            first_ = false;
            if (remaining_ > 0) --remaining_;
            return readable(firstMs_);
        }
        if (remaining_ == 0 || !getKeepAlive()) return false;
        if (remaining_ > 0) --remaining_;
        return buffered() > 0 || readable(keepAliveMs_);
    }

private:
    bool readable(int timeoutMs)
    {
        pollfd p{socket().impl()->sockfd(), POLLIN, 0};
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
            const int rc = ::poll(&p, 1, static_cast<int>(std::max<long long>(left, 0)));
            if (rc >= 0) return rc > 0;
            if (errno != EINTR) return false;
        }
    }

    bool first_ = true;
    int remaining_;
    int keepAliveMs_, firstMs_;
};

class Connection : public TCPServerConnection {
public:
    Connection(const StreamSocket& s, std::shared_ptr<HttpServer::Shared> shared)
        : TCPServerConnection(s), shared_(std::move(shared)) {}

    void run() override
    {
        {
            std::lock_guard lock(shared_->mutex);
            if (shared_->stopping) return;
            shared_->sockets.insert(&socket());
        }
        try {
            serve();
        } catch (const Poco::Exception& e) {
            shared_->log.debug("http", "connection ended", {{"reason", e.displayText()}});
        } catch (const std::exception& e) {
            shared_->log.warn("http", "connection ended", {{"reason", e.what()}});
        }
        std::lock_guard lock(shared_->mutex);
        shared_->sockets.erase(&socket());
    }

private:
    void serve()
    {
        KeepAliveSession session(socket(), shared_->params);
        std::string remote;
        try { remote = socket().peerAddress().host().toString(); } catch (...) {}
        while (!shared_->stopping && session.moreRequests()) {
            IncomingRequest in;
            HTTPServerResponseImpl response(session);
            std::unique_ptr<HTTPServerRequestImpl> request;
            try {
                request = std::make_unique<HTTPServerRequestImpl>(response, session, shared_->params);
            } catch (const NoMessageException&) {
                return; // the client closed between requests
            } catch (const MessageException& e) {
                // Poco refuses over-long or too many header fields here ("Field value too long",
                // "Too many header fields"): 431. Its request-line errors ("HTTP request URI invalid
                // or too long") also say "too long" but mostly mean garbage: 400.
                const std::string& what = e.message();
                const bool tooLarge = what.find("field") != std::string::npos || what.find("Field") != std::string::npos;
                auto problem = tooLarge
                    ? makeProblem(431, "headers-too-large", "Request header fields too large", e.message())
                    : makeProblem(400, "malformed-request", "Malformed request", e.message());
                writeRaw(socket(), problem, {});
                return;
            }
            ++shared_->inFlight;
            const auto started = std::chrono::steady_clock::now();
            int status = 0;
            std::string pattern;
            try {
                status = handleOne(session, *request, response, in, remote, pattern);
            } catch (...) {
                finish();
                throw;
            }
            finish();
            if (shared_->observer) {
                const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                shared_->observer->onRequest(in, pattern, status, secs);
            }
        }
    }

    void finish()
    {
        if (--shared_->inFlight == 0) {
            std::lock_guard lock(shared_->mutex);
            shared_->idle.notify_all();
        }
    }

    int handleOne(KeepAliveSession& session, HTTPServerRequestImpl& request, HTTPServerResponseImpl& response,
                  IncomingRequest& in, const std::string& remote, std::string& pattern)
    {
        in.method = request.getMethod();
        in.target = request.getURI();
        in.remoteAddress = remote;
        for (const auto& [k, v] : request) in.headers.emplace_back(lower(k), v);
        if (request.hasContentLength()) {
            const auto n = request.getContentLength64();
            if (n < 0) in.contentLength = 0; else in.contentLength = static_cast<size_t>(n);
        }
        in.chunked = request.getChunkedTransferEncoding();

        PreparedRequest prepared = shared_->pipeline.prepare(in);
        HttpResponseData out;
        if (prepared.early) {
            out = std::move(*prepared.early);
        } else {
            if (request.getExpectContinue() && prepared.bodyLimit > 0) response.sendContinue();
            std::string body;
            if (prepared.bodyLimit > 0 && !readBody(request.stream(), prepared.bodyLimit, body)) {
                out = makeProblem(413, "body-too-large", "Content too large",
                                  "the body exceeds this route's limit of " + std::to_string(prepared.bodyLimit) + " bytes", in.requestId);
                out.closeConnection = true;
            } else {
                out = shared_->pipeline.complete(in, prepared, body);
            }
        }
        // Also for answers given before the handler (401, 403, 413...): metrics and the access
        // log group by route.
        if (prepared.route) pattern = prepared.route->pattern;
        send(session, request, response, in, out);
        return out.status;
    }

    void send(KeepAliveSession& session, HTTPServerRequestImpl& request, HTTPServerResponseImpl& response,
              const IncomingRequest& in, const HttpResponseData& out)
    {
        const bool keepAlive = !out.closeConnection && !shared_->stopping && request.getKeepAlive() &&
                               shared_->params->getKeepAlive() && session.mayKeepAlive();
        response.setVersion(request.getVersion());
        response.setKeepAlive(keepAlive);
        session.setKeepAlive(keepAlive);
        response.setStatus(static_cast<HTTPResponse::HTTPStatus>(out.status));
        response.setReason(std::string(reasonPhrase(out.status)));
        response.set("X-Request-Id", in.requestId);
        for (const auto& [k, v] : out.headers) response.set(k, v);
        if (out.status == 204 || out.status == 304) {
            response.send();
            return;
        }
        if (!out.contentType.empty()) response.setContentType(out.contentType);
        response.setContentLength64(static_cast<Poco::Int64>(out.body.size()));
        std::ostream& os = response.send();
        if (in.method != "HEAD") os.write(out.body.data(), static_cast<std::streamsize>(out.body.size()));
        os.flush();
    }

    std::shared_ptr<HttpServer::Shared> shared_;
};

class ConnectionFactory : public TCPServerConnectionFactory {
public:
    explicit ConnectionFactory(std::shared_ptr<HttpServer::Shared> shared) : shared_(std::move(shared)) {}
    TCPServerConnection* createConnection(const StreamSocket& socket) override { return new Connection(socket, shared_); }

private:
    std::shared_ptr<HttpServer::Shared> shared_;
};

} // namespace

HttpServer::HttpServer(HttpServerSettings settings, HttpPipeline& pipeline, Logger& log)
    : settings_(std::move(settings)), shared_(std::make_shared<Shared>(pipeline, log)), inFlight_(shared_->inFlight)
{
    shared_->params = new HTTPServerParams;
    shared_->params->setMaxThreads(settings_.threads);
    shared_->params->setMaxQueued(settings_.maxQueued);
    shared_->params->setTimeout(Poco::Timespan(settings_.requestTimeout.count(), 0));
    shared_->params->setKeepAlive(true);
    shared_->params->setKeepAliveTimeout(Poco::Timespan(settings_.keepAliveTimeout.count(), 0));
    shared_->params->setMaxKeepAliveRequests(settings_.maxKeepAliveRequests);
}

HttpServer::~HttpServer()
{
    if (server_ && !shared_->stopping) drain(std::chrono::milliseconds(0));
}

void HttpServer::start()
{
    ServerSocket socket(SocketAddress(settings_.host, settings_.port), 256);
    auto* tcpParams = new TCPServerParams;
    tcpParams->setMaxThreads(settings_.threads);
    tcpParams->setMaxQueued(settings_.maxQueued);
    tcpParams->setThreadIdleTime(Poco::Timespan(10, 0));
    pool_ = std::make_unique<Poco::ThreadPool>("http", 2, settings_.threads, 60);
    server_ = std::make_unique<TCPServer>(new ConnectionFactory(shared_), *pool_, socket, tcpParams);
    server_->start();
}

void HttpServer::setObserver(RequestObserver* observer)
{
    shared_->observer = observer;
}

uint16_t HttpServer::port() const
{
    return server_ ? server_->socket().address().port() : 0;
}

bool HttpServer::drain(std::chrono::milliseconds deadline)
{
    if (!server_) return true;
    shared_->stopping = true;
    server_->stop();
    // Poco's stop() only ends the accept loop; the listener stays open and the OS would keep
    // completing handshakes nobody accepts. Closing it makes new clients fail fast (refused).
    ServerSocket listener = server_->socket();
    listener.close();
    bool drained;
    {
        std::unique_lock lock(shared_->mutex);
        drained = shared_->idle.wait_for(lock, deadline, [&] { return shared_->inFlight.load() == 0; });
        // Idle keep-alive connections sit in a read: shutting the socket down wakes them.
        for (auto* s : shared_->sockets) {
            try { s->shutdown(); } catch (...) {}
        }
    }
    if (drained) {
        pool_->joinAll();
        server_.reset();
    }
    // Otherwise a handler is still running past the deadline: leave its thread alone; the
    // process is about to exit.
    return drained;
}

} // namespace vtp::kernel
