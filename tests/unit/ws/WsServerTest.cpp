#include "log/Logger.hpp"
#include "ws/WsServer.hpp"

#include "PollUntil.hpp"

#include <Poco/Buffer.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/WebSocket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <span>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Poco::Net::WebSocket;

namespace vtp::kernel {
namespace {

constexpr std::chrono::milliseconds kDeadline = 10s;
constexpr int kFinalContinuation = static_cast<int>(WebSocket::FRAME_OP_CONT) | static_cast<int>(WebSocket::FRAME_FLAG_FIN);

// What the server's callbacks saw, recorded from the service thread and awaited by the test thread.
class Recorder {
public:
    struct Message {
        uint64_t id;
        std::string data;
        bool binary;
    };

    void opened(const WsConnectionInfo& info)
    {
        std::lock_guard lock(mutex_);
        opens_.push_back(info);
        changed_.notify_all();
    }
    void message(uint64_t id, std::string_view data, bool binary)
    {
        std::lock_guard lock(mutex_);
        messages_.push_back({id, std::string(data), binary});
        changed_.notify_all();
    }
    void closed(uint64_t id, int code)
    {
        std::lock_guard lock(mutex_);
        closes_.emplace_back(id, code);
        changed_.notify_all();
    }

    // Waits until `predicate` holds (checked under the lock, re-checked on every callback) or the deadline passes.
    template <typename Predicate>
    bool waitFor(Predicate predicate, std::chrono::milliseconds timeout = kDeadline)
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return predicate(); });
    }

    bool waitForOpens(size_t count)
    {
        return waitFor([&] { return opens_.size() >= count; });
    }
    bool waitForCloses(size_t count)
    {
        return waitFor([&] { return closes_.size() >= count; });
    }

    std::vector<WsConnectionInfo> opens() const
    {
        std::lock_guard lock(mutex_);
        return opens_;
    }
    std::vector<std::pair<uint64_t, int>> closes() const
    {
        std::lock_guard lock(mutex_);
        return closes_;
    }
    std::optional<int> closeCodeOf(uint64_t id) const
    {
        std::lock_guard lock(mutex_);
        for (auto& [closedId, code] : closes_)
            if (closedId == id) return code;
        return std::nullopt;
    }

private:
    // Recursive so that waitFor's predicate may call the accessors below.
    mutable std::recursive_mutex mutex_;
    std::condition_variable_any changed_;
    std::vector<WsConnectionInfo> opens_;
    std::vector<Message> messages_;
    std::vector<std::pair<uint64_t, int>> closes_;
};

using vtp::test::pollUntil;

struct Frame {
    std::string data;
    int flags = 0;
    int opcode() const { return flags & WebSocket::FRAME_OP_BITMASK; }
    int closeCode() const
    {
        return data.size() >= 2 ? (static_cast<unsigned char>(data[0]) << 8) | static_cast<unsigned char>(data[1]) : 0;
    }
    std::string closeReason() const { return data.size() > 2 ? data.substr(2) : std::string(); }
};

Frame receive(WebSocket& socket)
{
    Poco::Buffer<char> buffer(0);
    Frame frame;
    int n = socket.receiveFrame(buffer, frame.flags);
    frame.data.assign(buffer.begin(), static_cast<size_t>(n));
    return frame;
}

// Skips data frames until a close frame arrives (or the receive timeout throws).
Frame receiveClose(WebSocket& socket)
{
    while (true) {
        Frame frame = receive(socket);
        if (frame.opcode() == WebSocket::FRAME_OP_CLOSE || frame.flags == 0) return frame;
    }
}

class Client {
public:
    Client(uint16_t port, const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers = {})
        : session_("127.0.0.1", port)
    {
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, target, Poco::Net::HTTPMessage::HTTP_1_1);
        for (auto& [name, value] : headers) request.add(name, value);
        socket_ = std::make_unique<WebSocket>(session_, request, response_);
        socket_->setReceiveTimeout(Poco::Timespan(5, 0));
    }

    WebSocket& socket() { return *socket_; }
    void sendText(const std::string& text) { socket_->sendFrame(text.data(), static_cast<int>(text.size()), WebSocket::FRAME_TEXT); }
    void sendBinary(const std::string& bytes) { socket_->sendFrame(bytes.data(), static_cast<int>(bytes.size()), WebSocket::FRAME_BINARY); }
    Frame receive() { return vtp::kernel::receive(*socket_); }

private:
    Poco::Net::HTTPClientSession session_;
    Poco::Net::HTTPResponse response_;
    std::unique_ptr<WebSocket> socket_;
};

// The status of a refused handshake. A refusal is a problem with the headers every response
// carries (not lws's bare HTML page): checked here for each one.
int refusedStatus(uint16_t port, const std::string& target)
{
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, target, Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse response;
    try {
        WebSocket socket(session, request, response);
    } catch (const Poco::Net::WebSocketException&) {
        EXPECT_EQ(response.getContentType(), "application/problem+json") << target;
        EXPECT_EQ(response.get("X-Content-Type-Options", ""), "nosniff") << target;
        EXPECT_EQ(response.get("Connection", ""), "close") << target;
        return static_cast<int>(response.getStatus());
    }
    return 101;
}

// Every test runs on one service thread and on two (websocket.threads): with two, connections are
// spread over two lws contexts on one port, callbacks are serialized, and sends cross threads.
class WsServerTest : public ::testing::TestWithParam<size_t> {
protected:
    WsServerTest() : log_(stderr) { log_.setLevel(LogLevel::Warn); }

    // An endpoint at `path` that echoes every message and records every callback.
    WsEndpoint echoEndpoint(const std::string& path, size_t maxMessageBytes = 0)
    {
        WsEndpoint endpoint;
        endpoint.path = path;
        endpoint.maxMessageBytes = maxMessageBytes;
        endpoint.onOpen = [this](const WsConnectionInfo& info) { recorder_.opened(info); };
        endpoint.onMessage = [this](uint64_t id, std::string_view data, bool binary) {
            recorder_.message(id, data, binary);
            server_->send(id, data, binary);
        };
        endpoint.onClose = [this](uint64_t id, int code) { recorder_.closed(id, code); };
        return endpoint;
    }

    WsLimits threaded(WsLimits limits = {}) const
    {
        limits.threads = GetParam();
        return limits;
    }

    void startServer(WsLimits limits = {})
    {
        limits.threads = GetParam();
        server_ = std::make_unique<WsServer>("127.0.0.1", 0, limits, log_);
        server_->addEndpoint(echoEndpoint("/echo"));
        server_->addEndpoint(echoEndpoint("/small", 1024));
        server_->start();
        ASSERT_NE(server_->port(), 0);
    }

    // An endpoint at "/room" that keeps the ids of every connection it opened; each message hands
    // `onMessage` those ids (a snapshot) with the data.
    WsEndpoint roomEndpoint(std::function<void(std::vector<uint64_t>, std::string_view, bool)> onMessage)
    {
        WsEndpoint room;
        room.path = "/room";
        room.onOpen = [this](const WsConnectionInfo& info) {
            {
                std::lock_guard lock(roomIdsMutex_);
                roomIds_.push_back(info.id);
            }
            recorder_.opened(info);
        };
        room.onMessage = [this, onMessage = std::move(onMessage)](uint64_t, std::string_view data, bool binary) {
            onMessage(roomIds(), data, binary);
        };
        return room;
    }

    std::vector<uint64_t> roomIds()
    {
        std::lock_guard lock(roomIdsMutex_);
        return roomIds_;
    }

    uint64_t lastOpenedId()
    {
        auto opens = recorder_.opens();
        return opens.empty() ? 0 : opens.back().id;
    }

    Logger log_;
    Recorder recorder_;
    std::mutex roomIdsMutex_;
    std::vector<uint64_t> roomIds_;
    std::unique_ptr<WsServer> server_;
};

TEST_P(WsServerTest, EchoesTextAndBinaryMessages)
{
    startServer();
    Client client(server_->port(), "/echo");

    client.sendText("hello");
    Frame text = client.receive();
    EXPECT_EQ(text.data, "hello");
    EXPECT_EQ(text.opcode(), WebSocket::FRAME_OP_TEXT);

    std::string bytes("\x00\x01\xff\x7f binary", 11);
    client.sendBinary(bytes);
    Frame binary = client.receive();
    EXPECT_EQ(binary.data, bytes);
    EXPECT_EQ(binary.opcode(), WebSocket::FRAME_OP_BINARY);

    std::string big(200 * 1024, 'x');
    client.sendText(big);
    EXPECT_EQ(client.receive().data, big);
}

TEST_P(WsServerTest, ReassemblesFragmentedMessages)
{
    startServer();
    Client client(server_->port(), "/echo");
    std::string first(3000, 'a');
    std::string second(5000, 'b');
    client.socket().sendFrame(first.data(), static_cast<int>(first.size()), WebSocket::FRAME_OP_TEXT);
    client.socket().sendFrame(second.data(), static_cast<int>(second.size()), kFinalContinuation);
    Frame echoed = client.receive();
    EXPECT_EQ(echoed.data, first + second);
    EXPECT_EQ(echoed.opcode(), WebSocket::FRAME_OP_TEXT);
}

TEST_P(WsServerTest, OnOpenSeesPathQueryRemoteAddressAndHeaders)
{
    startServer();
    Client client(
        server_->port(), "/echo/?room=a%20b&token=x%26y&flag",
        {{"Origin", "http://teach.example"}, {"Cookie", "sid=abc"}, {"User-Agent", "ws-test/1"}, {"X-Forwarded-For", "203.0.113.7"}});
    ASSERT_TRUE(recorder_.waitForOpens(1));
    WsConnectionInfo info = recorder_.opens().front();
    EXPECT_NE(info.id, 0u);
    EXPECT_EQ(info.path, "/echo/");
    EXPECT_EQ(info.query, "room=a%20b&token=x%26y&flag");
    EXPECT_EQ(info.remoteAddress, "127.0.0.1");
    EXPECT_EQ(info.headers["origin"], "http://teach.example");
    EXPECT_EQ(info.headers["cookie"], "sid=abc");
    EXPECT_EQ(info.headers["user-agent"], "ws-test/1");
    EXPECT_EQ(info.headers["x-forwarded-for"], "203.0.113.7");
}

TEST_P(WsServerTest, RefusesUnknownPathWith404)
{
    startServer();
    EXPECT_EQ(refusedStatus(server_->port(), "/nope"), 404);
    EXPECT_EQ(refusedStatus(server_->port(), "/echoes"), 404);
    EXPECT_EQ(server_->connectionCount(), 0u);
    EXPECT_TRUE(recorder_.opens().empty());
}

TEST_P(WsServerTest, AnswersPlainHttpWithoutUpgrade)
{
    startServer();
    auto statusOf = [&](const std::string& target) {
        Poco::Net::HTTPClientSession session("127.0.0.1", server_->port());
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, target, Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        session.receiveResponse(response);
        return static_cast<int>(response.getStatus());
    };
    EXPECT_EQ(statusOf("/echo"), 426);
    EXPECT_EQ(statusOf("/nope"), 404);
}

TEST_P(WsServerTest, ClosesOversizedMessageWith1009AndKeepsServingOthers)
{
    startServer();
    Client bystander(server_->port(), "/small");
    Client offender(server_->port(), "/small");
    ASSERT_TRUE(recorder_.waitForOpens(2));
    uint64_t offenderId = recorder_.opens().back().id;

    offender.sendText(std::string(2048, 'x'));
    Frame close = receiveClose(offender.socket());
    EXPECT_EQ(close.opcode(), WebSocket::FRAME_OP_CLOSE);
    EXPECT_EQ(close.closeCode(), 1009);
    ASSERT_TRUE(recorder_.waitFor([&] { return recorder_.closeCodeOf(offenderId).has_value(); }));
    EXPECT_EQ(recorder_.closeCodeOf(offenderId), 1009);
    EXPECT_FALSE(server_->send(offenderId, "late", false));

    bystander.sendText("still here");
    EXPECT_EQ(bystander.receive().data, "still here");
}

TEST_P(WsServerTest, ClosesWhenFragmentsTogetherExceedTheLimit)
{
    startServer();
    Client client(server_->port(), "/small");
    std::string part(600, 'y'); // each fragment fits, the message does not
    client.socket().sendFrame(part.data(), static_cast<int>(part.size()), WebSocket::FRAME_OP_BINARY);
    client.socket().sendFrame(part.data(), static_cast<int>(part.size()), kFinalContinuation);
    EXPECT_EQ(receiveClose(client.socket()).closeCode(), 1009);
}

TEST_P(WsServerTest, ClosesSlowConsumerWhenSendQueueIsFull)
{
    WsLimits limits;
    limits.maxSendQueueBytes = 256 * 1024;
    startServer(limits);

    // A peer that completes the handshake and then never reads a byte.
    Poco::Net::StreamSocket raw(Poco::Net::SocketAddress::IPv4);
    raw.setReceiveBufferSize(4096);
    raw.connect(Poco::Net::SocketAddress("127.0.0.1", server_->port()));
    std::string handshake = "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    raw.sendBytes(handshake.data(), static_cast<int>(handshake.size()));
    raw.setReceiveTimeout(Poco::Timespan(5, 0));
    std::string response;
    char c = 0;
    while (response.find("\r\n\r\n") == std::string::npos && raw.receiveBytes(&c, 1) == 1) response += c;
    ASSERT_NE(response.find(" 101 "), std::string::npos) << response;
    ASSERT_TRUE(recorder_.waitForOpens(1));
    uint64_t id = lastOpenedId();

    // Send at the pace the socket takes data: each chunk waits (briefly) for the previous one to leave the
    // queue, so the queue only fills once the kernel buffers are full because the peer never reads.
    const std::string chunk(64 * 1024, 'z');
    const size_t giveUpAfter = 64u << 20; // without a bound the server would take all of this
    size_t accepted = 0;
    auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (accepted < giveUpAfter && std::chrono::steady_clock::now() < deadline && server_->send(id, chunk, true)) {
        accepted += chunk.size();
        pollUntil([&] { return server_->queuedBytes(id) == 0; }, 100ms);
    }
    EXPECT_LT(accepted, giveUpAfter) << "the send queue never filled up";
    EXPECT_GT(accepted, limits.maxSendQueueBytes) << "some data should have reached the socket first";
    EXPECT_EQ(server_->queuedBytes(id), 0u) << "a closed connection's queue is released";

    ASSERT_TRUE(recorder_.waitFor([&] { return recorder_.closeCodeOf(id).has_value(); }));
    EXPECT_EQ(recorder_.closeCodeOf(id), 1008);
    EXPECT_FALSE(server_->send(id, "more", false));

    Client other(server_->port(), "/echo");
    other.sendText("served");
    EXPECT_EQ(other.receive().data, "served");
}

TEST_P(WsServerTest, SendsFromAnotherThreadWhileReceiving)
{
    startServer();
    Client client(server_->port(), "/echo");
    ASSERT_TRUE(recorder_.waitForOpens(1));
    uint64_t id = lastOpenedId();

    constexpr int kPushes = 300;
    constexpr int kEchoes = 100;
    std::atomic<bool> pushFailed{false};
    std::thread pusher([&] {
        for (int i = 0; i < kPushes; ++i)
            if (!server_->send(id, "push:" + std::to_string(i), false)) pushFailed = true;
    });
    for (int i = 0; i < kEchoes; ++i) client.sendText("echo:" + std::to_string(i));

    int pushes = 0;
    int echoes = 0;
    bool inOrder = true;
    while (pushes < kPushes || echoes < kEchoes) {
        Frame frame = client.receive();
        ASSERT_EQ(frame.opcode(), WebSocket::FRAME_OP_TEXT);
        if (frame.data.rfind("push:", 0) == 0)
            inOrder &= frame.data == "push:" + std::to_string(pushes++);
        else
            inOrder &= frame.data == "echo:" + std::to_string(echoes++);
    }
    pusher.join();
    EXPECT_FALSE(pushFailed);
    EXPECT_TRUE(inOrder);
}

TEST_P(WsServerTest, ClosesIdleConnection)
{
    WsLimits limits;
    limits.idleTimeout = 1s;
    startServer(limits);
    auto begin = std::chrono::steady_clock::now();
    Client client(server_->port(), "/echo");
    ASSERT_TRUE(recorder_.waitForOpens(1));
    uint64_t id = lastOpenedId();

    Frame close = receiveClose(client.socket()); // throws after the 5 s receive timeout if nothing comes
    auto elapsed = std::chrono::steady_clock::now() - begin;
    EXPECT_EQ(close.opcode(), WebSocket::FRAME_OP_CLOSE);
    EXPECT_EQ(close.closeCode(), 1001);
    EXPECT_GE(elapsed, 900ms);
    ASSERT_TRUE(recorder_.waitFor([&] { return recorder_.closeCodeOf(id).has_value(); }));
    EXPECT_EQ(recorder_.closeCodeOf(id), 1001);
}

TEST_P(WsServerTest, ServesManyConnectionsThatOpenEchoAndClose)
{
    startServer();
    constexpr size_t kClients = 200;
    std::vector<std::unique_ptr<Client>> clients;
    for (size_t i = 0; i < kClients; ++i) clients.push_back(std::make_unique<Client>(server_->port(), "/echo"));
    ASSERT_TRUE(recorder_.waitForOpens(kClients));
    EXPECT_EQ(server_->connectionCount(), kClients);

    for (size_t i = 0; i < kClients; ++i) clients[i]->sendText("client " + std::to_string(i));
    for (size_t i = 0; i < kClients; ++i) EXPECT_EQ(clients[i]->receive().data, "client " + std::to_string(i));

    for (auto& client : clients) {
        client->socket().shutdown(WebSocket::WS_NORMAL_CLOSE);
        EXPECT_EQ(receiveClose(client->socket()).opcode(), WebSocket::FRAME_OP_CLOSE);
    }
    clients.clear();
    ASSERT_TRUE(recorder_.waitForCloses(kClients));
    ASSERT_TRUE(pollUntil([&] { return server_->connectionCount() == 0; }, kDeadline));
    for (auto& [id, code] : recorder_.closes()) EXPECT_EQ(code, 1000) << "connection " << id;
    // Ids are unique.
    auto opens = recorder_.opens();
    std::sort(opens.begin(), opens.end(), [](auto& a, auto& b) { return a.id < b.id; });
    EXPECT_EQ(std::adjacent_find(opens.begin(), opens.end(), [](auto& a, auto& b) { return a.id == b.id; }), opens.end());
}

TEST_P(WsServerTest, StopClosesOpenConnectionsPromptlyAndReportsEachOnce)
{
    startServer();
    constexpr size_t kClients = 5;
    std::vector<std::unique_ptr<Client>> clients;
    for (size_t i = 0; i < kClients; ++i) clients.push_back(std::make_unique<Client>(server_->port(), "/echo"));
    ASSERT_TRUE(recorder_.waitForOpens(kClients));

    auto begin = std::chrono::steady_clock::now();
    server_->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - begin, 3s);

    auto closes = recorder_.closes();
    ASSERT_EQ(closes.size(), kClients);
    for (auto& [id, code] : closes) EXPECT_EQ(code, 1001);
    EXPECT_EQ(server_->connectionCount(), 0u);
    EXPECT_FALSE(server_->send(recorder_.opens().front().id, "after stop", false));

    EXPECT_EQ(receiveClose(clients.front()->socket()).closeCode(), 1001);

    server_->stop(); // idempotent
    EXPECT_EQ(recorder_.closes().size(), kClients);
}

TEST_P(WsServerTest, RefusesHandshakesBeyondTheConnectionLimit)
{
    WsLimits limits;
    limits.maxConnections = 2;
    startServer(limits);
    auto first = std::make_unique<Client>(server_->port(), "/echo");
    Client second(server_->port(), "/echo");
    ASSERT_TRUE(recorder_.waitForOpens(2));

    EXPECT_EQ(refusedStatus(server_->port(), "/echo"), 503);
    EXPECT_EQ(server_->connectionCount(), 2u);

    first.reset();
    ASSERT_TRUE(pollUntil([&] { return server_->connectionCount() == 1; }, kDeadline));
    Client third(server_->port(), "/echo");
    third.sendText("room again");
    EXPECT_EQ(third.receive().data, "room again");
}

TEST_P(WsServerTest, ServerCloseIsSentAfterQueuedMessages)
{
    startServer();
    Client client(server_->port(), "/echo");
    ASSERT_TRUE(recorder_.waitForOpens(1));
    uint64_t id = lastOpenedId();

    EXPECT_TRUE(server_->send(id, "one", false));
    EXPECT_TRUE(server_->send(id, "two", true));
    server_->close(id, 4001, "bye");
    EXPECT_FALSE(server_->send(id, "three", false));

    EXPECT_EQ(client.receive().data, "one");
    EXPECT_EQ(client.receive().data, "two");
    Frame close = client.receive();
    EXPECT_EQ(close.opcode(), WebSocket::FRAME_OP_CLOSE);
    EXPECT_EQ(close.closeCode(), 4001);
    EXPECT_EQ(close.closeReason(), "bye");
    ASSERT_TRUE(recorder_.waitFor([&] { return recorder_.closeCodeOf(id).has_value(); }));
    EXPECT_EQ(recorder_.closeCodeOf(id), 4001);
}

TEST_P(WsServerTest, ReportsPeerCloseCodeAndAbruptDisconnect)
{
    startServer();
    auto polite = std::make_unique<Client>(server_->port(), "/echo");
    ASSERT_TRUE(recorder_.waitForOpens(1));
    uint64_t politeId = lastOpenedId();
    auto abrupt = std::make_unique<Client>(server_->port(), "/echo");
    ASSERT_TRUE(recorder_.waitForOpens(2));
    uint64_t abruptId = lastOpenedId();

    polite->socket().shutdown(WebSocket::WS_ENDPOINT_GOING_AWAY);
    abrupt->socket().close();
    ASSERT_TRUE(recorder_.waitForCloses(2));
    EXPECT_EQ(recorder_.closeCodeOf(politeId), 1001);
    EXPECT_EQ(recorder_.closeCodeOf(abruptId), 1006);
}

TEST_P(WsServerTest, ContainsExceptionsThrownByCallbacks)
{
    server_ = std::make_unique<WsServer>("127.0.0.1", 0, threaded(), log_);
    log_.setLevel(LogLevel::Off); // the errors below are expected
    WsEndpoint endpoint;
    endpoint.path = "/throw";
    endpoint.onOpen = [](const WsConnectionInfo&) { throw std::runtime_error("open failed"); };
    endpoint.onMessage = [this](uint64_t id, std::string_view data, bool binary) {
        if (data == "boom") throw std::runtime_error("message failed");
        server_->send(id, data, binary);
    };
    endpoint.onClose = [this](uint64_t id, int code) {
        recorder_.closed(id, code);
        throw 42;
    };
    server_->addEndpoint(std::move(endpoint));
    server_->start();

    Client client(server_->port(), "/throw");
    client.sendText("boom");
    client.sendText("after");
    EXPECT_EQ(client.receive().data, "after");
    client.socket().shutdown();
    ASSERT_TRUE(recorder_.waitForCloses(1));

    Client next(server_->port(), "/throw");
    next.sendText("alive");
    EXPECT_EQ(next.receive().data, "alive");
}

TEST_P(WsServerTest, StartFailsWhenThePortIsTaken)
{
    startServer();
    WsServer second("127.0.0.1", server_->port(), threaded(), log_);
    log_.setLevel(LogLevel::Off);
    second.addEndpoint(echoEndpoint("/echo"));
    EXPECT_THROW(second.start(), std::runtime_error);
}

// A message to "/room" goes to every open room connection with one sendMany, from the service thread.
TEST_P(WsServerTest, BroadcastsToManyConnectionsFromTheServiceThreadAndFromOthers)
{
    server_ = std::make_unique<WsServer>("127.0.0.1", 0, threaded(), log_);
    std::atomic<size_t> lastFanOut{0};
    server_->addEndpoint(roomEndpoint([&](std::vector<uint64_t> targets, std::string_view data, bool binary) {
        targets.push_back(999999); // unknown: skipped
        lastFanOut = server_->sendMany(targets, data, binary);
        lastFanOut.notify_all();
    }));
    server_->start();

    constexpr size_t kClients = 20;
    std::vector<std::unique_ptr<Client>> clients;
    for (size_t i = 0; i < kClients; ++i) clients.push_back(std::make_unique<Client>(server_->port(), "/room"));
    ASSERT_TRUE(recorder_.waitForOpens(kClients));

    clients[3]->sendText("to everyone");
    for (auto& client : clients) {
        Frame frame = client->receive();
        EXPECT_EQ(frame.data, "to everyone");
        EXPECT_EQ(frame.opcode(), WebSocket::FRAME_OP_TEXT);
    }
    // The clients may read the frames before onMessage has stored what sendMany returned.
    lastFanOut.wait(0);
    EXPECT_EQ(lastFanOut.load(), kClients);

    // From the test thread the same message is queued for each and still reaches everyone.
    std::vector<uint64_t> targets = roomIds();
    // Split literal: "\x01binary" would read as the one escape \x01b. Nine bytes, a NUL among them.
    static constexpr char kBinary[] = "\x00\x01"
                                      "binary\xff";
    std::string bytes(kBinary, sizeof kBinary - 1);
    ASSERT_EQ(bytes.size(), 9u);
    ASSERT_EQ(bytes[1], '\x01');
    EXPECT_EQ(server_->sendMany(targets, bytes, true), kClients);
    for (auto& client : clients) {
        Frame frame = client->receive();
        EXPECT_EQ(frame.data, bytes);
        EXPECT_EQ(frame.opcode(), WebSocket::FRAME_OP_BINARY);
    }
    EXPECT_EQ(server_->sendMany(std::span<const uint64_t>(), "nobody", false), 0u);
}

// Written at once until the peer falls behind, then queued: what the client reads is complete and in order.
TEST_P(WsServerTest, ServiceThreadSendsStayInOrderWhenThePeerFallsBehind)
{
    server_ = std::make_unique<WsServer>("127.0.0.1", 0, threaded(), log_);
    constexpr int kMessages = 48;
    const size_t kSize = 48 * 1024; // 2.25 MiB in all: more than the socket buffers, less than the queue bound
    WsEndpoint burst;
    burst.path = "/burst";
    burst.onOpen = [&](const WsConnectionInfo& info) { recorder_.opened(info); };
    burst.onMessage = [&](uint64_t id, std::string_view, bool) {
        for (int i = 0; i < kMessages; ++i) {
            std::string message(kSize, static_cast<char>('a' + i % 26));
            message.replace(0, 8, std::to_string(10000000 + i));
            server_->send(id, message, false);
        }
    };
    server_->addEndpoint(std::move(burst));
    server_->start();

    Client client(server_->port(), "/burst");
    client.sendText("go");
    for (int i = 0; i < kMessages; ++i) {
        Frame frame = client.receive();
        ASSERT_EQ(frame.data.size(), kSize) << "message " << i;
        EXPECT_EQ(frame.data.substr(0, 8), std::to_string(10000000 + i));
        EXPECT_EQ(frame.data.back(), static_cast<char>('a' + i % 26));
    }
}

TEST_P(WsServerTest, RejectsEndpointsAfterStartAndDuplicates)
{
    startServer();
    EXPECT_THROW(server_->addEndpoint(echoEndpoint("/later")), std::logic_error);
    WsServer other("127.0.0.1", 0, threaded(), log_);
    other.addEndpoint(echoEndpoint("/room"));
    EXPECT_THROW(other.addEndpoint(echoEndpoint("/room/")), std::invalid_argument);
}

// Connections are spread over the service threads (an id tells its thread: id % threads), and what a
// callback on one thread sends to the connections of every thread arrives complete and in order.
TEST_P(WsServerTest, SpreadsConnectionsOverTheThreadsAndKeepsOrderAcrossThem)
{
    server_ = std::make_unique<WsServer>("127.0.0.1", 0, threaded(), log_);
    constexpr int kMessages = 50;
    server_->addEndpoint(roomEndpoint([&](const std::vector<uint64_t>& targets, std::string_view, bool) {
        for (int i = 0; i < kMessages; ++i) server_->sendMany(targets, "m" + std::to_string(i), false);
    }));
    server_->start();

    constexpr size_t kClients = 24;
    std::vector<std::unique_ptr<Client>> clients;
    for (size_t i = 0; i < kClients; ++i) clients.push_back(std::make_unique<Client>(server_->port(), "/room"));
    ASSERT_TRUE(recorder_.waitForOpens(kClients));
    std::vector<bool> threadsUsed(GetParam(), false);
    for (const auto& info : recorder_.opens()) threadsUsed[info.id % GetParam()] = true;
    EXPECT_EQ(std::count(threadsUsed.begin(), threadsUsed.end(), true), static_cast<long>(GetParam()));

    clients[0]->sendText("go");
    for (auto& client : clients)
        for (int i = 0; i < kMessages; ++i) ASSERT_EQ(client->receive().data, "m" + std::to_string(i));
    EXPECT_EQ(server_->connectionCount(), kClients);
}

INSTANTIATE_TEST_SUITE_P(ServiceThreads, WsServerTest, ::testing::Values(size_t{1}, size_t{2}),
                         [](const auto& info) { return std::to_string(info.param) + "thread"; });

} // namespace
} // namespace vtp::kernel
