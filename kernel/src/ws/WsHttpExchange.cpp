// Plain HTTP on an endpoint with onHttp (Socket.IO long-polling) is an HttpExchange: the service thread
// reads the body (HTTP_BODY chunks, bounded by the endpoint's message limit), calls onHttp, and holds the
// request open. respond() from any thread stores the response under `mutex`, queues the id on
// `pendingHttp` and wakes the loop the same way send() does; the service thread then asks for
// HTTP_WRITEABLE and writes the head and the body in chunks, one write per callback, and completes the
// transaction so that keep-alive serves the next request. The idle sweep also answers requests the plugin
// left unanswered past WsLimits::httpResponseTimeout with 504.

#include "ws/WsShard.hpp"

#include "http/HttpTypes.hpp"
#include "ws/LwsSupport.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>

namespace vtp::kernel {

using namespace ws;

void WsServer::Shard::scheduleHttpLocked(HttpExchange& exchange)
{
    if (exchange.wakeQueued) return;
    exchange.wakeQueued = true;
    bool wasEmpty = pending.empty() && pendingHttp.empty() && toAdopt.empty();
    pendingHttp.push_back(exchange.id);
    if (wasEmpty && wakeContext) lws_cancel_service(wakeContext);
}

// Stores the kernel's own answer for an exchange nobody has answered; false if one is stored already.
bool WsServer::Shard::answerLocked(HttpExchange& exchange, int status, std::string_view type, std::string_view detail, bool closeAfter)
{
    if (exchange.answered) return false;
    HttpResponseData problem = makeProblem(status, type, {}, detail);
    exchange.answered = true;
    exchange.response.status = status;
    exchange.response.headers = {{"Content-Type", problem.contentType}};
    exchange.response.body = std::move(problem.body);
    exchange.response.close = closeAfter;
    scheduleHttpLocked(exchange);
    return true;
}

WsRespondResult WsServer::Shard::respond(uint64_t id, int status, std::vector<std::pair<std::string, std::string>> headers,
                                         std::string body)
{
    if (status < 200 || status > 599) return WsRespondResult::Invalid;
    std::vector<std::pair<std::string, std::string>> kept;
    kept.reserve(headers.size());
    for (auto& [name, value] : headers) {
        // Refuse header injection the way the HTTP port does: a CR or LF would split the response.
        bool unsafe = name.empty() || name.find_first_of("\r\n: ") != std::string::npos || value.find_first_of("\r\n") != std::string::npos;
        if (unsafe || isServerHeader(lowerCase(name))) {
            log.warn(kComponent, "dropped a response header", {{"header", unsafe ? std::string("(unsafe)") : name}});
            continue;
        }
        kept.emplace_back(std::move(name), std::move(value));
    }
    std::lock_guard lock(mutex);
    auto it = exchanges.find(id);
    if (it == exchanges.end() || it->second->answered) return WsRespondResult::NotFound;
    HttpExchange& exchange = *it->second;
    exchange.answered = true;
    exchange.response.status = status;
    exchange.response.headers = std::move(kept);
    exchange.response.body = std::move(body);
    scheduleHttpLocked(exchange);
    return WsRespondResult::Ok;
}

// Writes a small problem response from inside a callback and has lws close the connection: for
// refused handshakes (instead of lws's bare HTML page, without the headers every answer carries)
// and refusals before the body is read, whose unread body rules out keep-alive.
int WsServer::Shard::refuseHttp(lws* wsi, int status, std::string_view type, std::string_view detail)
{
    HttpResponseData problem = makeProblem(status, type, {}, detail);
    addSecurityHeaders(problem.headers, true);
    std::vector<unsigned char> head(LWS_PRE + 1024);
    unsigned char* start = head.data() + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = head.data() + head.size();
    constexpr std::string_view kClose = "close";
    if (lws_add_http_common_headers(wsi, static_cast<unsigned int>(status), problem.contentType.c_str(), problem.body.size(), &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, reinterpret_cast<const unsigned char*>(kClose.data()),
                                     static_cast<int>(kClose.size()), &p, end))
        return -1;
    for (const auto& [name, value] : problem.headers) {
        const std::string field = name + ":";
        if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(field.c_str()),
                                        reinterpret_cast<const unsigned char*>(value.data()), static_cast<int>(value.size()), &p, end))
            return -1;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
    std::vector<unsigned char> body(LWS_PRE + problem.body.size());
    std::memcpy(body.data() + LWS_PRE, problem.body.data(), problem.body.size());
    lws_write(wsi, body.data() + LWS_PRE, problem.body.size(), LWS_WRITE_HTTP_FINAL);
    return -1;
}

int WsServer::Shard::onPlainHttp(lws* wsi)
{
    std::optional<MethodToken> method = requestMethod(wsi);
    std::string path = method ? copyHeader(wsi, method->token) : std::string();
    const WsEndpoint* endpoint = findEndpoint(path);
    if (!endpoint || !endpoint->onHttp) {
        // A known path without the upgrade is a client mistake worth naming: 426 Upgrade Required.
        // A problem with the headers every response carries, rather than lws's bare HTML page.
        if (endpoint) return refuseHttp(wsi, 426, "upgrade-required", "this path takes WebSocket connections only");
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
    if (contentLength == 0 && methodName != "POST") dispatchHttp(*raw);
    return 0;
}

WsServer::Shard::HttpExchange* WsServer::Shard::exchangeOf(lws* wsi)
{
    auto it = exchangeByWsi.find(wsi);
    return it == exchangeByWsi.end() ? nullptr : it->second;
}

int WsServer::Shard::onHttpBody(lws* wsi, const char* data, size_t len)
{
    HttpExchange* exchange = exchangeOf(wsi);
    if (!exchange || exchange->dispatched) return 0;
    if (exchange->request.body.size() + len > exchange->bodyLimit) // lws stops at Content-Length; defensive
        return refuseHttp(wsi, 413, "body-too-large", "the body exceeds the limit");
    exchange->request.body.append(data, len);
    return 0;
}

int WsServer::Shard::onHttpBodyComplete(lws* wsi)
{
    HttpExchange* exchange = exchangeOf(wsi);
    if (exchange && !exchange->dispatched) dispatchHttp(*exchange);
    return 0;
}

// Hands a complete request to the endpoint; its response arrives through respond(), or the sweep answers 504.
void WsServer::Shard::dispatchHttp(HttpExchange& exchange)
{
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
bool WsServer::Shard::clientGone(lws* wsi)
{
    lws_sockfd_type fd = lws_get_socket_fd(wsi);
    if (fd == LWS_SOCK_INVALID) return true;
    char byte = 0;
    ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return false;
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

// Drops an exchange whose response is written or whose client is gone; respond() then finds nothing.
void WsServer::Shard::forgetExchange(lws* wsi)
{
    auto it = exchangeByWsi.find(wsi);
    if (it == exchangeByWsi.end()) return;
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

int WsServer::Shard::onHttpWriteable(lws* wsi)
{
    HttpExchange* exchange = exchangeOf(wsi);
    if (!exchange) return 0;
    if (!exchange->writing) {
        std::lock_guard lock(mutex);
        if (!exchange->answered) return 0;
        exchange->outgoing = std::move(exchange->response);
        exchange->writing = true;
    }
    HttpResponse& response = exchange->outgoing;
    size_t bodySize = exchange->headOnly ? 0 : response.body.size();
    if (!exchange->headWritten) {
        addSecurityHeaders(response.headers, true);
        size_t headBytes = 512;
        for (auto& [name, value] : response.headers) headBytes += name.size() + value.size() + 4;
        std::vector<unsigned char> head(LWS_PRE + headBytes);
        unsigned char* start = head.data() + LWS_PRE;
        unsigned char* p = start;
        unsigned char* end = head.data() + head.size();
        if (lws_add_http_common_headers(wsi, static_cast<unsigned int>(response.status), nullptr, response.body.size(), &p, end)) return -1;
        for (auto& [name, value] : response.headers) {
            std::string field = name + ":";
            if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(field.c_str()),
                                            reinterpret_cast<const unsigned char*>(value.data()), static_cast<int>(value.size()), &p, end))
                return -1;
        }
        // The connection ends after this response when we say so or the client asked (lws then
        // closes it): say it (RFC 9112 section 9.6), so that no client sends another request on it.
        if (response.close || exchange->clientCloses) {
            constexpr std::string_view kClose = "close";
            if (lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, reinterpret_cast<const unsigned char*>(kClose.data()),
                                             static_cast<int>(kClose.size()), &p, end))
                return -1;
        } else {
            const std::string keepAlive = "timeout=" + std::to_string(kHttpKeepAliveSeconds);
            if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("keep-alive:"),
                                            reinterpret_cast<const unsigned char*>(keepAlive.data()), static_cast<int>(keepAlive.size()),
                                            &p, end))
                return -1;
        }
        if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
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
        if (lws_write(wsi, chunk.data() + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < static_cast<int>(n)) return -1;
        exchange->bodyWritten += n;
        if (!last) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    // Closed by us rather than left to lws, which reads "keep-alive, close" as keep-alive.
    bool closeAfter = response.close || exchange->clientCloses;
    forgetExchange(wsi);
    if (closeAfter) return -1;
    // Keep-alive: lws flushes what is still buffered first, then reads the connection's next request.
    lws_rx_flow_control(wsi, 1);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

} // namespace vtp::kernel
