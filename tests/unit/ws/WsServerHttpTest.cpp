// Plain HTTP on a socket endpoint's path (WsEndpoint::onHttp, ABI 1.3): requests held open and answered
// later from any thread, as Socket.IO's long-polling transport needs.
#include "log/Logger.hpp"
#include "ws/WsServer.hpp"

#include "PollUntil.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/StreamCopier.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace vtp::kernel {
namespace {

constexpr std::chrono::milliseconds kDeadline = 10s;

// The requests onHttp saw, awaited by the test thread.
class Requests {
public:
    void add(const WsHttpRequest& request)
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
        changed_.notify_all();
    }
    bool waitFor(size_t count)
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, kDeadline, [&] { return requests_.size() >= count; });
    }
    std::vector<WsHttpRequest> all() const
    {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    WsHttpRequest last() const
    {
        std::lock_guard lock(mutex_);
        return requests_.empty() ? WsHttpRequest{} : requests_.back();
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<WsHttpRequest> requests_;
};

using vtp::test::pollUntil;

struct RawResponse {
    int status = 0;
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
};

// A hand-written HTTP/1.1 client on one socket, so that tests control keep-alive, lengths and hang-ups.
class RawClient {
public:
    explicit RawClient(uint16_t port) : socket_(Poco::Net::SocketAddress("127.0.0.1", port))
    {
        socket_.setReceiveTimeout(Poco::Timespan(5, 0));
    }

    void send(const std::string& bytes)
    {
        size_t sent = 0;
        while (sent < bytes.size())
            sent += static_cast<size_t>(
                socket_.sendBytes(bytes.data() + sent, static_cast<int>(std::min<size_t>(bytes.size() - sent, 1 << 16))));
    }

    void get(const std::string& target, const std::string& extraHeaders = {})
    {
        send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders + "\r\n");
    }

    // Reads one response whose body has a Content-Length.
    RawResponse receive()
    {
        RawResponse response;
        while (buffer_.find("\r\n\r\n") == std::string::npos)
            if (!fill()) return response;
        size_t headEnd = buffer_.find("\r\n\r\n");
        std::string head = buffer_.substr(0, headEnd);
        buffer_.erase(0, headEnd + 4);
        size_t lineEnd = head.find("\r\n");
        std::string statusLine = head.substr(0, lineEnd);
        response.status = std::stoi(statusLine.substr(statusLine.find(' ') + 1, 3));
        size_t at = lineEnd == std::string::npos ? head.size() : lineEnd + 2;
        while (at < head.size()) {
            size_t next = head.find("\r\n", at);
            if (next == std::string::npos) next = head.size();
            std::string line = head.substr(at, next - at);
            size_t colon = line.find(':');
            std::string name = line.substr(0, colon);
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            response.headers[name] = value;
            at = next + 2;
        }
        size_t length = response.headers.count("content-length") ? std::stoul(response.headers["content-length"]) : 0;
        while (buffer_.size() < length)
            if (!fill()) break;
        response.body = buffer_.substr(0, length);
        buffer_.erase(0, std::min(length, buffer_.size()));
        return response;
    }

    // True if the server closed the connection (a read returns end of stream).
    bool closedByServer()
    {
        char c = 0;
        try {
            return buffer_.empty() && socket_.receiveBytes(&c, 1) == 0;
        } catch (const Poco::TimeoutException&) {
            return false; // still open
        } catch (const Poco::Exception&) {
            return true; // reset
        }
    }

    void close() { socket_.close(); }

private:
    bool fill()
    {
        char chunk[16384];
        int n = socket_.receiveBytes(chunk, sizeof chunk);
        if (n <= 0) return false;
        buffer_.append(chunk, static_cast<size_t>(n));
        return true;
    }

    Poco::Net::StreamSocket socket_;
    std::string buffer_;
};

// Every test runs on one service thread and on two (websocket.threads): with two, connections are
// spread over two lws contexts on one port, callbacks are serialized, and sends cross threads.
class WsServerHttpTest : public ::testing::TestWithParam<size_t> {
protected:
    WsServerHttpTest() : log_(stderr) { log_.setLevel(LogLevel::Error); }

    // "/poll" records every request and answers none itself; "/echo" answers at once with the body it got
    // (and its method and query in headers); "/small" is /echo with a 1 KiB limit; "/ws" has no onHttp.
    WsLimits threaded(WsLimits limits = {}) const
    {
        limits.threads = GetParam();
        return limits;
    }

    void startServer(WsLimits limits = {})
    {
        limits.threads = GetParam();
        server_ = std::make_unique<WsServer>("127.0.0.1", 0, limits, log_);
        WsEndpoint poll;
        poll.path = "/poll";
        poll.onHttp = [this](const WsHttpRequest& request) { requests_.add(request); };
        poll.onOpen = [this](const WsConnectionInfo& info) {
            std::lock_guard lock(opensMutex_);
            opens_.push_back(info);
        };
        server_->addEndpoint(std::move(poll));
        server_->addEndpoint(echo("/echo", 0));
        server_->addEndpoint(echo("/small", 1024));
        WsEndpoint plain;
        plain.path = "/ws";
        server_->addEndpoint(std::move(plain));
        server_->start();
        ASSERT_NE(server_->port(), 0);
    }

    WsEndpoint echo(const std::string& path, size_t maxMessageBytes)
    {
        WsEndpoint endpoint;
        endpoint.path = path;
        endpoint.maxMessageBytes = maxMessageBytes;
        endpoint.onHttp = [this](const WsHttpRequest& request) {
            requests_.add(request);
            server_->respond(request.id, 200,
                             {{"Content-Type", "application/octet-stream"}, {"X-Method", request.method}, {"X-Query", request.query}},
                             request.body);
        };
        return endpoint;
    }

    Logger log_;
    Requests requests_;
    std::mutex opensMutex_;
    std::vector<WsConnectionInfo> opens_;
    std::unique_ptr<WsServer> server_;
};

TEST_P(WsServerHttpTest, LongPollIsHeldUntilAnsweredFromAnotherThread)
{
    startServer();
    auto reply = std::async(std::launch::async, [port = server_->port()] {
        Poco::Net::HTTPClientSession session("127.0.0.1", port);
        session.setTimeout(Poco::Timespan(10, 0));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/poll/?EIO=4&transport=polling&sid=a%20b",
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Cookie", "io=abc");
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        std::string body;
        Poco::StreamCopier::copyToString(in, body);
        return std::make_tuple(static_cast<int>(response.getStatus()), response.getContentType(), body, response.get("X-Engine", ""));
    });
    ASSERT_TRUE(requests_.waitFor(1));
    WsHttpRequest seen = requests_.last();
    EXPECT_NE(seen.id, 0u);
    EXPECT_EQ(seen.method, "GET");
    EXPECT_EQ(seen.path, "/poll/");
    EXPECT_EQ(seen.query, "EIO=4&transport=polling&sid=a%20b");
    EXPECT_EQ(seen.remoteAddress, "127.0.0.1");
    EXPECT_EQ(seen.headers["cookie"], "io=abc");
    EXPECT_TRUE(seen.body.empty());

    // Nothing answers it yet: the client is still waiting.
    EXPECT_EQ(reply.wait_for(200ms), std::future_status::timeout);
    EXPECT_EQ(server_->pendingHttpRequests(), 1u);

    WsRespondResult result = WsRespondResult::Invalid;
    std::thread other([&] {
        result = server_->respond(seen.id, 200, {{"Content-Type", "text/plain; charset=UTF-8"}, {"X-Engine", "io"}}, "4hello");
    });
    other.join();
    EXPECT_EQ(result, WsRespondResult::Ok);
    ASSERT_EQ(reply.wait_for(kDeadline), std::future_status::ready);
    auto [status, contentType, body, engine] = reply.get();
    EXPECT_EQ(status, 200);
    EXPECT_EQ(contentType, "text/plain; charset=UTF-8");
    EXPECT_EQ(body, "4hello");
    EXPECT_EQ(engine, "io");
    EXPECT_EQ(server_->respond(seen.id, 200, {}, "again"), WsRespondResult::NotFound) << "once per request";
    EXPECT_TRUE(pollUntil([&] { return server_->pendingHttpRequests() == 0; }, kDeadline));
}

TEST_P(WsServerHttpTest, PostBodyArrivesWholeAndLargeResponsesAreWrittenWhole)
{
    startServer();
    std::string payload(300 * 1024, '\0');
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
    RawClient client(server_->port());
    client.send("POST /echo?sid=1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(payload.size()) +
                "\r\n\r\n" + payload);
    RawResponse response = client.receive();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers["x-method"], "POST");
    EXPECT_EQ(response.headers["x-query"], "sid=1");
    EXPECT_EQ(response.headers["content-type"], "application/octet-stream");
    EXPECT_EQ(response.body.size(), payload.size());
    EXPECT_TRUE(response.body == payload);
    ASSERT_TRUE(requests_.waitFor(1));
    EXPECT_EQ(requests_.last().headers["content-type"], "text/plain");
}

TEST_P(WsServerHttpTest, EmptyPostAndOtherMethodsReachTheEndpoint)
{
    startServer();
    RawClient client(server_->port());
    client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    RawResponse post = client.receive();
    EXPECT_EQ(post.status, 200);
    EXPECT_EQ(post.headers["x-method"], "POST");
    EXPECT_EQ(post.body, "");
    client.send("OPTIONS /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(client.receive().headers["x-method"], "OPTIONS");
    client.send("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    RawResponse put = client.receive();
    EXPECT_EQ(put.headers["x-method"], "PUT");
    EXPECT_EQ(put.body, "abc");
}

TEST_P(WsServerHttpTest, BodyOverTheEndpointLimitIsRefusedWith413AndClosed)
{
    startServer();
    RawClient client(server_->port());
    client.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n");
    RawResponse response = client.receive();
    EXPECT_EQ(response.status, 413);
    EXPECT_EQ(response.headers["content-type"], "application/problem+json");
    EXPECT_NE(response.body.find("\"status\":413"), std::string::npos) << response.body;
    EXPECT_TRUE(client.closedByServer());

    // Within the limit the same endpoint answers.
    RawClient fits(server_->port());
    fits.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'k'));
    EXPECT_EQ(fits.receive().status, 200);
    ASSERT_TRUE(requests_.waitFor(1));
    EXPECT_EQ(requests_.all().size(), 1u) << "the refused request never reached onHttp";
}

TEST_P(WsServerHttpTest, BodyWithoutContentLengthIsRefusedWith411)
{
    startServer();
    RawClient none(server_->port());
    none.send("POST /poll HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(none.receive().status, 411);
    EXPECT_TRUE(none.closedByServer());
    RawClient chunked(server_->port());
    chunked.send("POST /poll HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    EXPECT_EQ(chunked.receive().status, 411);
    EXPECT_TRUE(requests_.all().empty());
}

TEST_P(WsServerHttpTest, ClientGoneBeforeTheAnswerIsForgotten)
{
    startServer();
    RawClient client(server_->port());
    client.get("/poll?sid=gone");
    ASSERT_TRUE(requests_.waitFor(1));
    uint64_t id = requests_.last().id;
    client.close();
    ASSERT_TRUE(pollUntil([&] { return server_->pendingHttpRequests() == 0; }, kDeadline));
    EXPECT_EQ(server_->respond(id, 200, {}, "too late"), WsRespondResult::NotFound);
}

TEST_P(WsServerHttpTest, UnansweredRequestGets504AfterTheTimeout)
{
    WsLimits limits;
    limits.httpResponseTimeout = 300ms;
    startServer(limits);
    auto begin = std::chrono::steady_clock::now();
    RawClient client(server_->port());
    client.get("/poll");
    ASSERT_TRUE(requests_.waitFor(1));
    RawResponse response = client.receive();
    EXPECT_GE(std::chrono::steady_clock::now() - begin, 300ms);
    EXPECT_EQ(response.status, 504);
    EXPECT_EQ(response.headers["content-type"], "application/problem+json");
    EXPECT_EQ(server_->respond(requests_.last().id, 200, {}, "late"), WsRespondResult::NotFound);

    // The connection stays usable for the next request.
    client.get("/echo?after=504");
    RawResponse next = client.receive();
    EXPECT_EQ(next.status, 200);
    EXPECT_EQ(next.headers["x-query"], "after=504");
}

TEST_P(WsServerHttpTest, KeepAliveServesSeveralRequestsOnOneConnection)
{
    startServer();
    RawClient client(server_->port());
    client.get("/poll?n=1");
    ASSERT_TRUE(requests_.waitFor(1));
    ASSERT_EQ(server_->respond(requests_.last().id, 200, {{"Content-Type", "text/plain"}}, "first"), WsRespondResult::Ok);
    RawResponse first = client.receive();
    EXPECT_EQ(first.status, 200);
    EXPECT_EQ(first.body, "first");

    client.send("POST /poll?n=2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    ASSERT_TRUE(requests_.waitFor(2));
    EXPECT_EQ(requests_.last().body, "hello");
    ASSERT_EQ(server_->respond(requests_.last().id, 200, {{"Content-Type", "text/plain"}}, "second"), WsRespondResult::Ok);
    RawResponse second = client.receive();
    EXPECT_EQ(second.status, 200);
    EXPECT_EQ(second.body, "second");
    EXPECT_NE(requests_.all()[0].id, requests_.all()[1].id);

    // After a request with a body, too.
    client.get("/echo?n=3");
    EXPECT_EQ(client.receive().headers["x-query"], "n=3");

    // A body that arrives after the head (as most clients send it).
    // Two writes: the body follows the head in its own segment, as most clients send it.
    client.send("POST /echo?n=4 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n");
    client.send("body");
    RawResponse late = client.receive();
    EXPECT_EQ(late.body, "body");
    client.get("/echo?n=5");
    EXPECT_EQ(client.receive().headers["x-query"], "n=5");
}

TEST_P(WsServerHttpTest, KeepAliveWithAPocoClientSession)
{
    startServer();
    Poco::Net::HTTPClientSession session("127.0.0.1", server_->port());
    session.setTimeout(Poco::Timespan(5, 0));
    session.setKeepAlive(true); // Poco's sessions close after each request otherwise
    auto call = [&](const std::string& method, const std::string& body) {
        Poco::Net::HTTPRequest request(method, "/echo", Poco::Net::HTTPMessage::HTTP_1_1);
        request.setKeepAlive(true);
        if (!body.empty()) {
            request.setContentType("text/plain;charset=UTF-8");
            request.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        std::string text;
        Poco::StreamCopier::copyToString(in, text);
        return text;
    };
    EXPECT_EQ(call("POST", "first"), "first");
    auto port = session.socket().address().port();
    EXPECT_EQ(call("GET", ""), "");
    EXPECT_EQ(session.socket().address().port(), port);
    EXPECT_EQ(call("POST", "third"), "third");
    EXPECT_EQ(session.socket().address().port(), port);
}

TEST_P(WsServerHttpTest, ManyHeldRequestsAnsweredOutOfOrderEachGetTheirOwn)
{
    startServer();
    constexpr size_t kClients = 60;
    std::vector<std::unique_ptr<RawClient>> clients;
    for (size_t i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<RawClient>(server_->port()));
        clients.back()->get("/poll?n=" + std::to_string(i));
    }
    ASSERT_TRUE(requests_.waitFor(kClients));
    EXPECT_EQ(server_->pendingHttpRequests(), kClients);
    auto requests = requests_.all();
    std::shuffle(requests.begin(), requests.end(), std::mt19937(7));
    // Answered from two threads at once, in a shuffled order.
    auto answer = [&](size_t from, size_t to) {
        for (size_t i = from; i < to; ++i)
            EXPECT_EQ(server_->respond(requests[i].id, 200, {}, "for " + requests[i].query), WsRespondResult::Ok);
    };
    std::thread a(answer, 0, kClients / 2);
    std::thread b(answer, kClients / 2, kClients);
    a.join();
    b.join();
    for (size_t i = 0; i < kClients; ++i) {
        RawResponse response = clients[i]->receive();
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.body, "for n=" + std::to_string(i));
    }
    EXPECT_TRUE(pollUntil([&] { return server_->pendingHttpRequests() == 0; }, kDeadline));
}

TEST_P(WsServerHttpTest, UnsafeAndFramingHeadersAreDroppedAndBadStatusIsRefused)
{
    startServer();
    RawClient client(server_->port());
    client.get("/poll");
    ASSERT_TRUE(requests_.waitFor(1));
    uint64_t id = requests_.last().id;
    EXPECT_EQ(server_->respond(id, 99, {}, "x"), WsRespondResult::Invalid);
    EXPECT_EQ(server_->respond(id, 600, {}, "x"), WsRespondResult::Invalid);
    EXPECT_EQ(server_->respond(id, 202,
                               {{"X-Good", "yes"},
                                {"X-Evil", "a\r\nSet-Cookie: stolen=1"},
                                {"X-Bad\r\nName", "v"},
                                {"Content-Length", "1"},
                                {"Connection", "close"}},
                               "ok"),
              WsRespondResult::Ok);
    RawResponse response = client.receive();
    EXPECT_EQ(response.status, 202);
    EXPECT_EQ(response.headers["x-good"], "yes");
    EXPECT_EQ(response.headers.count("x-evil"), 0u);
    EXPECT_EQ(response.headers.count("set-cookie"), 0u);
    EXPECT_EQ(response.headers["content-length"], "2");
    EXPECT_EQ(response.body, "ok");
    client.get("/echo");
    EXPECT_EQ(client.receive().status, 200) << "keep-alive despite the plugin's Connection header";
}

// RFC 9112 section 9.6: a response after which vtpd closes the connection says Connection: close
// (here: the client asked for it, on a held long-poll and on an immediate answer), and a kept one
// says for how long it stays open idle, so that a client reusing connections retires it first
// instead of sending on a connection vtpd is closing ("socket hang up").
TEST_P(WsServerHttpTest, ClosingResponsesSayConnectionCloseAndKeptOnesTheirIdleTimeout)
{
    startServer();
    RawClient held(server_->port());
    held.get("/poll", "Connection: close\r\n");
    ASSERT_TRUE(requests_.waitFor(1));
    EXPECT_EQ(server_->respond(requests_.last().id, 200, {}, "1"), WsRespondResult::Ok);
    RawResponse last = held.receive();
    EXPECT_EQ(last.status, 200);
    EXPECT_EQ(last.body, "1");
    EXPECT_EQ(last.headers["connection"], "close");
    EXPECT_EQ(last.headers.count("keep-alive"), 0u);
    EXPECT_TRUE(held.closedByServer());

    RawClient echo(server_->port());
    echo.get("/echo", "Connection: keep-alive, Close\r\n");
    RawResponse answered = echo.receive();
    EXPECT_EQ(answered.status, 200);
    EXPECT_EQ(answered.headers["connection"], "close");
    EXPECT_TRUE(echo.closedByServer());

    RawClient kept(server_->port());
    kept.get("/echo");
    RawResponse first = kept.receive();
    EXPECT_EQ(first.status, 200);
    EXPECT_EQ(first.headers.count("connection"), 0u);
    EXPECT_EQ(first.headers["keep-alive"], "timeout=5");
    kept.get("/echo");
    EXPECT_EQ(kept.receive().status, 200) << "kept alive";
}

TEST_P(WsServerHttpTest, EndpointWithoutOnHttpStillAnswers426)
{
    startServer();
    RawClient client(server_->port());
    client.get("/ws");
    EXPECT_EQ(client.receive().status, 426);
    RawClient post(server_->port());
    post.send("POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(post.receive().status, 426);
    RawClient unknown(server_->port());
    unknown.get("/nowhere");
    EXPECT_EQ(unknown.receive().status, 404);
}

TEST_P(WsServerHttpTest, HeldRequestsCountAgainstTheConnectionLimit)
{
    WsLimits limits;
    limits.maxConnections = 1;
    startServer(limits);
    RawClient held(server_->port());
    held.get("/poll");
    ASSERT_TRUE(requests_.waitFor(1));

    RawClient second(server_->port());
    second.get("/poll");
    EXPECT_EQ(second.receive().status, 503);
    Poco::Net::HTTPClientSession session("127.0.0.1", server_->port());
    Poco::Net::HTTPRequest upgrade(Poco::Net::HTTPRequest::HTTP_GET, "/poll", Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse refused;
    EXPECT_THROW(Poco::Net::WebSocket(session, upgrade, refused), Poco::Net::WebSocketException);
    EXPECT_EQ(refused.getStatus(), Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);

    ASSERT_EQ(server_->respond(requests_.last().id, 200, {}, "done"), WsRespondResult::Ok);
    EXPECT_EQ(held.receive().body, "done");
    ASSERT_TRUE(pollUntil([&] { return server_->pendingHttpRequests() == 0; }, kDeadline));
    RawClient third(server_->port());
    third.get("/echo");
    EXPECT_EQ(third.receive().status, 200);
}

TEST_P(WsServerHttpTest, ForwardedForIsBelievedOnlyFromTrustedProxies)
{
    WsLimits limits;
    limits.trustedProxies.push_back(*AddressRange::parse("127.0.0.1"));
    startServer(limits);
    RawClient client(server_->port());
    client.get("/echo", "X-Forwarded-For: 198.51.100.9, 203.0.113.7\r\n");
    EXPECT_EQ(client.receive().status, 200);
    ASSERT_TRUE(requests_.waitFor(1));
    EXPECT_EQ(requests_.last().remoteAddress, "203.0.113.7");

    Poco::Net::HTTPClientSession session("127.0.0.1", server_->port());
    Poco::Net::HTTPRequest upgrade(Poco::Net::HTTPRequest::HTTP_GET, "/poll", Poco::Net::HTTPMessage::HTTP_1_1);
    upgrade.set("X-Forwarded-For", "203.0.113.8");
    Poco::Net::HTTPResponse response;
    Poco::Net::WebSocket socket(session, upgrade, response);
    ASSERT_TRUE(pollUntil(
        [&] {
            std::lock_guard lock(opensMutex_);
            return !opens_.empty();
        },
        kDeadline));
    std::lock_guard lock(opensMutex_);
    EXPECT_EQ(opens_.front().remoteAddress, "203.0.113.8");
}

TEST_P(WsServerHttpTest, StopAnswersHeldRequestsWith503)
{
    startServer();
    RawClient client(server_->port());
    client.get("/poll");
    ASSERT_TRUE(requests_.waitFor(1));
    auto begin = std::chrono::steady_clock::now();
    server_->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - begin, 3s);
    EXPECT_EQ(client.receive().status, 503);
    EXPECT_EQ(server_->respond(requests_.last().id, 200, {}, "after stop"), WsRespondResult::NotFound);
}

INSTANTIATE_TEST_SUITE_P(ServiceThreads, WsServerHttpTest, ::testing::Values(size_t{1}, size_t{2}),
                         [](const auto& info) { return std::to_string(info.param) + "thread"; });

} // namespace
} // namespace vtp::kernel
