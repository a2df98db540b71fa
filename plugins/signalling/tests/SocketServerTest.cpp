// The Socket.IO layer over the Engine.IO server, driven directly (no sockets): room broadcasts reach
// members on each transport, follow a session that upgrades from long-polling to WebSocket, and
// keep what a disconnected, recoverable member misses.
#include "engine/EngineServer.hpp"
#include "socketio/SocketServer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

using namespace vtp::signalling;

namespace {

// What the engine would have written: frames per connection, HTTP answers per request.
class RecordingOutput : public EngineOutput {
public:
    bool sendFrame(uint64_t connection, std::string_view data, bool) override
    {
        if (auto c = closed.find(connection); c != closed.end() && c->second) return false; // (closed[] reads insert false)
        frames[connection].emplace_back(data);
        return true;
    }
    size_t sendFrames(const std::vector<uint64_t>& connections, std::string_view data, bool binary) override
    {
        multicasts.push_back(connections);
        return EngineOutput::sendFrames(connections, data, binary);
    }
    void closeConnection(uint64_t connection, int, const std::string&) override { closed[connection] = true; }
    bool respond(uint64_t request, int status, std::string_view, std::string_view body, const Headers&) override
    {
        responses[request] = {status, std::string(body)};
        return true;
    }

    std::map<uint64_t, std::vector<std::string>> frames;
    std::map<uint64_t, bool> closed;
    std::vector<std::vector<uint64_t>> multicasts;
    std::map<uint64_t, std::pair<int, std::string>> responses;
};

// The value of "key":"..." in a JSON text (the ids the handshakes hand out).
std::string field(const std::string& json, const std::string& key)
{
    const std::string marker = "\"" + key + "\":\"";
    const auto at = json.find(marker);
    if (at == std::string::npos) return {};
    const auto start = at + marker.size();
    return json.substr(start, json.find('"', start) - start);
}

class SocketServerTest : public ::testing::Test {
protected:
    explicit SocketServerTest(EngineOptions engineOptions = {}, SocketOptions socketOptions = {})
        : io_(std::move(socketOptions), [](const std::string&, Principal&, std::string&) { return true; }),
          engine_(std::move(engineOptions), out_, io_)
    {
        io_.attach(engine_);
        Namespace ns;
        ns.requireAuth = false;
        io_.addNamespace(ns);
    }

    // A client straight on WebSocket; returns its Socket.IO socket id.
    std::string connectWebSocket(uint64_t connection)
    {
        engine_.onWsOpen(connection, "EIO=4&transport=websocket", ClientInfo{}, now_);
        engine_.onWsMessage(connection, "40", false, now_);
        const auto& frames = out_.frames[connection];
        EXPECT_EQ(frames.size(), 2u);
        return frames.empty() ? std::string() : field(frames.back(), "sid");
    }

    EngineHttpRequest request(const std::string& method, const std::string& query, const std::string& body = {})
    {
        EngineHttpRequest r;
        r.id = nextRequest_++;
        r.method = method;
        r.query = query;
        r.body = body;
        return r;
    }

    // GET on a polling session: what was waiting for it.
    std::string poll(const std::string& sid)
    {
        const auto r = request("GET", "EIO=4&transport=polling&sid=" + sid);
        engine_.onHttp(r, now_);
        return out_.responses[r.id].second;
    }

    // A client on long-polling; sets its engine session id and returns its socket id.
    std::string connectPolling(std::string& sid)
    {
        const auto open = request("GET", "EIO=4&transport=polling");
        engine_.onHttp(open, now_);
        sid = field(out_.responses[open.id].second, "sid");
        engine_.onHttp(request("POST", "EIO=4&transport=polling&sid=" + sid, "40"), now_);
        return field(poll(sid), "sid");
    }

    RecordingOutput out_;
    SocketServer io_;
    EngineServer engine_;
    Clock::time_point now_ = Clock::now();
    uint64_t nextRequest_ = 100;
};

TEST_F(SocketServerTest, RoomBroadcastsFollowEachMembersTransport)
{
    const std::string onWs = connectWebSocket(1);
    std::string sid;
    const std::string onPolling = connectPolling(sid);
    ASSERT_FALSE(onWs.empty());
    ASSERT_FALSE(onPolling.empty());
    io_.join(onWs, "r");
    io_.join(onPolling, "r");

    // One multicast for the WebSocket member; the polling member's next GET carries it.
    EXPECT_EQ(io_.broadcast("/", "r", "news", R"(["first"])"), 2u);
    ASSERT_EQ(out_.multicasts.size(), 1u);
    EXPECT_EQ(out_.multicasts[0], std::vector<uint64_t>{1});
    EXPECT_NE(out_.frames[1].back().find("\"first\""), std::string::npos);
    EXPECT_NE(poll(sid).find("\"first\""), std::string::npos);

    // The polling session upgrades (probe, then upgrade): the next broadcast goes to its new
    // WebSocket connection in the same multicast, not to the polling outbox.
    engine_.onWsOpen(2, "EIO=4&transport=websocket&sid=" + sid, ClientInfo{}, now_);
    engine_.onWsMessage(2, "2probe", false, now_);
    ASSERT_EQ(out_.frames[2], std::vector<std::string>{"3probe"});
    engine_.onWsMessage(2, "5", false, now_);
    EXPECT_EQ(io_.broadcast("/", "r", "news", R"(["second"])"), 2u);
    ASSERT_EQ(out_.multicasts.size(), 2u);
    auto both = out_.multicasts[1];
    std::sort(both.begin(), both.end()); // members go in socket id order, and ids are random
    EXPECT_EQ(both, (std::vector<uint64_t>{1, 2}));
    EXPECT_NE(out_.frames[2].back().find("\"second\""), std::string::npos);

    // The sender is left out when asked.
    EXPECT_EQ(io_.broadcast("/", "r", "news", R"(["third"])", onWs), 1u);
    EXPECT_EQ(out_.multicasts.back(), std::vector<uint64_t>{2});
}

TEST_F(SocketServerTest, ARecoverableMemberWhoseTransportDroppedKeepsWhatItMisses)
{
    const std::string a = connectWebSocket(1);
    const std::string b = connectWebSocket(2);
    io_.join(a, "r");
    io_.join(b, "r");
    engine_.onWsClose(2); // b's transport fails: b is kept for the recovery window
    ASSERT_NE(io_.find(b), nullptr);
    EXPECT_FALSE(io_.find(b)->connected);

    EXPECT_EQ(io_.broadcast("/", "r", "news", R"(["while away"])"), 2u);
    EXPECT_EQ(out_.multicasts.back(), std::vector<uint64_t>{1});
    ASSERT_EQ(io_.find(b)->missed.size(), 1u);
    // Tagged with its offset, which the client presents when it comes back.
    EXPECT_NE(io_.find(b)->missed.front().second.text.find("\"while away\",\""), std::string::npos);
    EXPECT_EQ(io_.members("/", "r"), (std::vector<std::string>{std::min(a, b), std::max(a, b)}));
}

// A malformed packet ends its session from inside the engine's call to the Socket.IO layer. The
// session's id must outlive that: before the fix, onEngineClose read it from the erased session
// (a heap use-after-free under AddressSanitizer; without it, a garbled id left the sockets behind).
TEST_F(SocketServerTest, AMalformedPacketEndsTheSessionAndEverySocketOnItOnBothTransports)
{
    std::vector<std::string> reasons;
    Namespace ns;
    ns.requireAuth = false;
    ns.onDisconnect = [&](Socket&, const std::string& reason) { reasons.push_back(reason); };
    io_.addNamespace(ns);

    connectWebSocket(1);
    std::string sid;
    connectPolling(sid);
    ASSERT_EQ(io_.socketCount(), 2u);
    ASSERT_EQ(engine_.sessionCount(), 2u);

    engine_.onWsMessage(1, "42not json", false, now_);
    EXPECT_TRUE(out_.closed[1]);
    EXPECT_EQ(io_.socketCount(), 1u);
    EXPECT_EQ(engine_.sessionCount(), 1u);

    engine_.onHttp(request("POST", "EIO=4&transport=polling&sid=" + sid, "42not json"), now_);
    EXPECT_EQ(io_.socketCount(), 0u);
    EXPECT_EQ(engine_.sessionCount(), 0u);
    ASSERT_EQ(reasons.size(), 2u);
    for (const auto& r : reasons) EXPECT_EQ(r.rfind("parse error", 0), 0u) << r;
}

// A namespace handler told that its socket is gone may disconnect it again (a plugin's cleanup):
// that must neither recurse nor touch the socket after it is freed.
TEST_F(SocketServerTest, AHandlerThatDisconnectsTheSocketItIsToldAboutEndsItOnce)
{
    int disconnects = 0;
    Namespace ns;
    ns.requireAuth = false;
    ns.onDisconnect = [&](Socket& s, const std::string&) {
        ++disconnects;
        io_.disconnect(s.id, "again");
    };
    io_.addNamespace(ns);
    const std::string id = connectWebSocket(1);
    ASSERT_FALSE(id.empty());
    engine_.onWsMessage(1, "1", false, now_); // the client says goodbye: no recovery
    EXPECT_EQ(disconnects, 1);
    EXPECT_EQ(io_.find(id), nullptr);
    EXPECT_EQ(io_.socketCount(), 0u);
}

EngineOptions smallPollingBuffer()
{
    EngineOptions o;
    o.maxBufferedBytes = 1024;
    return o;
}

SocketOptions noRecovery()
{
    SocketOptions o;
    o.recoveryWindow = std::chrono::seconds(0);
    return o;
}

class SlowPollingTest : public SocketServerTest {
protected:
    SlowPollingTest() : SocketServerTest(smallPollingBuffer(), noRecovery()) {}
};

// A broadcast that overfills a long-polling member's buffer must not end that member (and run its
// namespace's disconnect handler) inside the broadcast: the sender's handler still holds references
// to sockets and rooms that such a cascade can free. The member goes right after the handler.
TEST_F(SlowPollingTest, AMemberThatFallsBehindIsClosedAfterTheHandlerThatOverfilledIt)
{
    std::string slowSid;
    const std::string slow = connectPolling(slowSid);
    const std::string fast = connectWebSocket(1);
    ASSERT_FALSE(slow.empty());
    ASSERT_FALSE(fast.empty());
    io_.join(slow, "r");
    io_.join(fast, "r");

    bool slowStillThere = false;
    std::vector<std::string> gone;
    Namespace ns;
    ns.requireAuth = false;
    ns.onEvent = [&](Socket& s, const vtp::signalling::protocol::SocketPacket&) {
        const std::string big = "[\"" + std::string(2000, 'x') + "\"]";
        io_.broadcast("/", "r", "flood", big, s.id);
        slowStillThere = io_.find(slow) != nullptr && io_.find(s.id) != nullptr;
    };
    ns.onDisconnect = [&](Socket& s, const std::string& reason) { gone.push_back(s.id + " " + reason); };
    io_.addNamespace(ns);

    engine_.onWsMessage(1, R"(42["go"])", false, now_);
    EXPECT_TRUE(slowStillThere);
    EXPECT_EQ(gone, std::vector<std::string>{slow + " slow consumer"});
    EXPECT_EQ(io_.find(slow), nullptr);
    EXPECT_EQ(engine_.sessionCount(), 1u);
    EXPECT_EQ(io_.members("/", "r"), std::vector<std::string>{fast});
}

// A stock client connects to a namespace without auth data as "40/custom" and leaves it as
// "41/custom" (no ',' after the namespace); an unknown one gets CONNECT_ERROR and the session stays.
TEST_F(SocketServerTest, ANamespaceAtTheEndOfAPacketConnectsDisconnectsAndIsRefusedWithoutClosing)
{
    Namespace custom;
    custom.name = "/custom";
    custom.requireAuth = false;
    io_.addNamespace(custom);
    connectWebSocket(1);
    engine_.onWsMessage(1, "40/custom", false, now_);
    ASSERT_EQ(out_.frames[1].size(), 3u);
    EXPECT_EQ(out_.frames[1].back().rfind("40/custom,{\"sid\":", 0), 0u) << out_.frames[1].back();
    EXPECT_EQ(io_.socketCount(), 2u);

    engine_.onWsMessage(1, "41/custom", false, now_);
    EXPECT_EQ(io_.socketCount(), 1u);

    engine_.onWsMessage(1, "40/nope", false, now_);
    EXPECT_EQ(out_.frames[1].back(), R"(44/nope,{"message":"Invalid namespace"})");
    EXPECT_FALSE(out_.closed[1]);
    EXPECT_EQ(engine_.sessionCount(), 1u);
}

// socket.io clears the connect timeout at the first namespace connected: a client that later
// leaves every namespace keeps its session (and may connect another).
TEST_F(SocketServerTest, TheConnectTimeoutEndsWithTheFirstNamespaceConnected)
{
    connectWebSocket(1);
    engine_.onWsMessage(1, "41", false, now_); // leaves "/": no socket left on the session
    ASSERT_EQ(io_.socketCount(), 0u);
    engine_.onWsOpen(2, "EIO=4&transport=websocket", ClientInfo{}, now_); // never connects a namespace

    const auto later = Clock::now() + SocketOptions{}.connectTimeout + std::chrono::seconds(1);
    io_.tick(later);
    EXPECT_FALSE(out_.closed[1]) << "closed after its last namespace left";
    EXPECT_TRUE(out_.closed[2]) << "a session that never connected is still timed out";
    EXPECT_EQ(engine_.sessionCount(), 1u);
    engine_.onWsMessage(1, "40", false, now_);
    EXPECT_EQ(io_.socketCount(), 1u);
}

// A namespace's handlers see the CONNECT auth payload as sent, but for the token (a credential).
TEST_F(SocketServerTest, ANamespaceSeesTheAuthPayloadWithOnlyTheTokenRemoved)
{
    std::string seen;
    Namespace custom;
    custom.name = "/custom";
    custom.requireAuth = false;
    custom.onConnect = [&](Socket& s, const Poco::Dynamic::Var&) -> std::optional<ConnectRefusal> {
        seen = s.authJson;
        return std::nullopt;
    };
    io_.addNamespace(custom);
    engine_.onWsOpen(1, "EIO=4&transport=websocket", ClientInfo{}, now_);
    engine_.onWsMessage(1, R"(40/custom,{"token":"secret","pid":"p1","offset":"42","room":"r"})", false, now_);
    EXPECT_EQ(seen.find("secret"), std::string::npos) << seen;
    EXPECT_EQ(seen.find("token"), std::string::npos) << seen;
    EXPECT_NE(seen.find(R"("pid":"p1")"), std::string::npos) << seen;
    EXPECT_NE(seen.find(R"("offset":"42")"), std::string::npos) << seen;
    EXPECT_NE(seen.find(R"("room":"r")"), std::string::npos) << seen;
}

EngineOptions fastHeartbeats()
{
    EngineOptions o;
    o.pingInterval = std::chrono::milliseconds(50);
    o.pingTimeout = std::chrono::milliseconds(40);
    return o;
}

class HeartbeatTest : public SocketServerTest {
protected:
    HeartbeatTest() : SocketServerTest(fastHeartbeats()) {}
};

// Each session's ping and pong deadline is kept to the millisecond that tick() is called at, and
// nextTimer() says when that is, so the plugin's ticker can sleep until then.
TEST_F(HeartbeatTest, PingsAndPingTimeoutsFollowEachSessionsOwnDeadlines)
{
    using std::chrono::milliseconds;
    connectWebSocket(1);
    const size_t opened = out_.frames[1].size();
    ASSERT_TRUE(engine_.nextTimer().has_value());
    EXPECT_EQ(*engine_.nextTimer(), now_ + milliseconds(50));

    engine_.tick(now_ + milliseconds(49));
    EXPECT_EQ(out_.frames[1].size(), opened) << "pinged early";
    engine_.tick(now_ + milliseconds(50));
    ASSERT_EQ(out_.frames[1].size(), opened + 1);
    EXPECT_EQ(out_.frames[1].back(), "2");
    EXPECT_EQ(*engine_.nextTimer(), now_ + milliseconds(90)); // the pong deadline

    // The pong comes 10 ms later: the next ping is an interval after it (as engine.io).
    engine_.onWsMessage(1, "3", false, now_ + milliseconds(60));
    engine_.tick(now_ + milliseconds(90));
    EXPECT_FALSE(out_.closed[1]);
    engine_.tick(now_ + milliseconds(109));
    EXPECT_EQ(out_.frames[1].size(), opened + 1);
    engine_.tick(now_ + milliseconds(110));
    EXPECT_EQ(out_.frames[1].back(), "2");
    EXPECT_EQ(out_.frames[1].size(), opened + 2);

    // No pong this time: closed at the deadline, not a tick later.
    engine_.tick(now_ + milliseconds(149));
    EXPECT_FALSE(out_.closed[1]);
    engine_.tick(now_ + milliseconds(150));
    EXPECT_TRUE(out_.closed[1]);
    EXPECT_EQ(engine_.sessionCount(), 0u);
    EXPECT_FALSE(engine_.nextTimer().has_value() && *engine_.nextTimer() <= now_ + milliseconds(150));
}

} // namespace
