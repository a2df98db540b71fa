// The signalling plugin end to end: the real vtpd with auth and signalling, on SQLite and
// PostgreSQL, driven by the stock socket.io-client (tests/e2e/client.mjs, one scenario per run)
// and over REST.
#include "AuthTestSupport.hpp"
#include "PollUntil.hpp"

#include <set>

using namespace vtp::test;

namespace {

const char* kPassword = "lecture-hall-42-blue";

class Signalling : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        server_ = std::make_unique<AuthServer>(GetParam(), std::string(kFastArgon) + extraToml(), plugins());
        ASSERT_TRUE(server_->start()) << server_->vtpd().logs();
        server_->createUser("prof@uni.example", kPassword, "instructor");
        server_->createUser("ada@uni.example", kPassword, "student");
        server_->createUser("bob@uni.example", kPassword, "student");
        tokens_["a"] = server_->login("prof@uni.example", kPassword).access;
        tokens_["b"] = server_->login("ada@uni.example", kPassword).access;
        tokens_["c"] = server_->login("bob@uni.example", kPassword).access;
    }
    virtual std::string extraToml() const { return "[plugins.signalling.chat]\nmax_length = 500\n"; }
    virtual std::vector<std::string> plugins() const { return {"auth", "signalling"}; }

    std::string createRoom(const std::string& body = R"({"name":"Linear algebra, week 3"})")
    {
        auto r = server_->post("/api/v1/rooms", body, bearer(tokens_["a"]));
        if (r.status != 201) throw std::runtime_error("room: " + std::to_string(r.status) + " " + r.body);
        return jsonString(r.json(), "id");
    }

    // Runs one client.mjs scenario; returns its output (PASS on success).
    std::string scenario(const std::string& name, const std::string& room, const std::string& extra = "")
    {
        TempDir dir;
        Poco::JSON::Object config;
        config.set("url", "http://127.0.0.1:" + std::to_string(server_->vtpd().wsPort()));
        Poco::JSON::Object tokens;
        for (const auto& [k, v] : tokens_) tokens.set(k, v);
        config.set("tokens", tokens);
        config.set("room", room);
        config.set("chatMax", 500);
        config.set("maxPayload", 1000000);
        std::ostringstream text;
        config.stringify(text);
        std::string json = text.str();
        if (!extra.empty()) json.insert(json.size() - 1, "," + extra);
        writeFile(dir.file("config.json"), json);
        std::string out;
        const int rc =
            VtpdProcess::run({VTP_TEST_NODE_BIN, std::string(VTP_SIGNALLING_E2E_DIR) + "/client.mjs", name, dir.file("config.json")}, out);
        EXPECT_EQ(rc, 0) << name << ": " << out;
        return out;
    }

    std::unique_ptr<AuthServer> server_;
    std::map<std::string, std::string> tokens_;
};

TEST_P(Signalling, ClientsAuthenticateInTheConnectPayloadOverBothTransports)
{
    EXPECT_NE(scenario("auth", "").find("PASS"), std::string::npos);
}

TEST_P(Signalling, EveryRoomEventWorksWithTheDefaultTransports)
{
    const std::string room = createRoom();
    EXPECT_NE(scenario("rooms", room).find("PASS"), std::string::npos);

    // The chat was stored: history shows the public message to everyone allowed in, the
    // private one only to its two ends.
    auto history = server_->vtpd().get("/api/v1/rooms/" + room + "/chat", bearer(tokens_["c"]));
    ASSERT_EQ(history.status, 200) << history.body;
    std::set<std::string> texts;
    auto messages = history.json()->getArray("messages");
    for (size_t i = 0; i < messages->size(); ++i)
        texts.insert(messages->getObject(static_cast<unsigned>(i))->getValue<std::string>("text"));
    EXPECT_TRUE(texts.count("hello class"));
    EXPECT_FALSE(texts.count("see me after class")) << "another student sees a private message";
    auto forB = server_->vtpd().get("/api/v1/rooms/" + room + "/chat?limit=1", bearer(tokens_["b"]));
    ASSERT_EQ(forB.status, 200);
    EXPECT_EQ(forB.json()->getArray("messages")->size(), 1u);
    EXPECT_FALSE(forB.json()->isNull("next_cursor"));
    auto page2 = server_->vtpd().get("/api/v1/rooms/" + room + "/chat?limit=5&cursor=" + forB.json()->getValue<std::string>("next_cursor"),
                                     bearer(tokens_["b"]));
    EXPECT_EQ(page2.status, 200);
    EXPECT_GE(page2.json()->getArray("messages")->size(), 1u);
    // The room has ended (room:end in the scenario).
    auto ended = server_->vtpd().get("/api/v1/rooms/" + room, bearer(tokens_["a"]));
    EXPECT_FALSE(ended.json()->isNull("ended_at"));
}

TEST_P(Signalling, EveryRoomEventWorksOverLongPollingOnly)
{
    EXPECT_NE(scenario("rooms", createRoom(), R"("transports":["polling"])").find("PASS"), std::string::npos);
}

TEST_P(Signalling, EveryRoomEventWorksOverWebSocketOnly)
{
    EXPECT_NE(scenario("rooms", createRoom(), R"("transports":["websocket"])").find("PASS"), std::string::npos);
}

TEST_P(Signalling, AFullRoomRefusesTheNextParticipant)
{
    EXPECT_NE(scenario("full", createRoom(R"({"name":"Office hour","max_participants":1})")).find("PASS"), std::string::npos);
}

TEST_P(Signalling, ChatFloodsAreRateLimitedWhileOthersAreServed)
{
    EXPECT_NE(scenario("flood", createRoom()).find("PASS"), std::string::npos);
}

TEST_P(Signalling, AReconnectingClientRecoversItsIdRoomsAndMissedEvents)
{
    EXPECT_NE(scenario("recovery", createRoom()).find("PASS"), std::string::npos);
}

TEST_P(Signalling, MalformedPacketsGetTheProtocolsErrorsAndTheServerKeepsServing)
{
    EXPECT_NE(scenario("badinput", "").find("PASS"), std::string::npos);
    EXPECT_EQ(server_->vtpd().get("/health").status, 200);
}

TEST_P(Signalling, RoomsOverRestWithRolesAndValidation)
{
    auto& v = server_->vtpd();
    EXPECT_EQ(server_->post("/api/v1/rooms", R"({"name":"x"})", bearer(tokens_["b"])).status, 403) << "students cannot create rooms";
    EXPECT_EQ(server_->post("/api/v1/rooms", R"({"name":""})", bearer(tokens_["a"])).status, 422);
    EXPECT_EQ(server_->post("/api/v1/rooms", R"({"name":"x","max_participants":0})", bearer(tokens_["a"])).status, 422);
    EXPECT_EQ(server_->post("/api/v1/rooms", R"({"name":"x","access":"everyone"})", bearer(tokens_["a"])).status, 422);
    EXPECT_EQ(server_->post("/api/v1/rooms", R"({"name":"x","colour":"red"})", bearer(tokens_["a"])).status, 422);
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(createRoom(R"({"name":"Room )" + std::to_string(i) + R"("})"));
    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
        auto r = v.get("/api/v1/rooms?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), bearer(tokens_["b"]));
        ASSERT_EQ(r.status, 200) << r.body;
        auto rooms = r.json()->getArray("rooms");
        for (size_t i = 0; i < rooms->size(); ++i) seen.insert(rooms->getObject(static_cast<unsigned>(i))->getValue<std::string>("id"));
        cursor = r.json()->isNull("next_cursor") ? "" : r.json()->getValue<std::string>("next_cursor");
        ++pages;
    } while (!cursor.empty() && pages < 10);
    EXPECT_EQ(seen.size(), 5u);
    EXPECT_EQ(v.get("/api/v1/rooms?limit=999", bearer(tokens_["b"])).status, 400);
    EXPECT_EQ(v.get("/api/v1/rooms/nope", bearer(tokens_["b"])).status, 404);
    EXPECT_EQ(v.request("DELETE", "/api/v1/rooms/" + ids[0], {}, {}, bearer(tokens_["b"])).status, 403);
    EXPECT_EQ(v.request("DELETE", "/api/v1/rooms/" + ids[0], {}, {}, bearer(tokens_["a"])).status, 204);
    auto active = v.get("/api/v1/rooms?state=active&limit=50", bearer(tokens_["a"]));
    EXPECT_EQ(active.json()->getArray("rooms")->size(), 4u);
    // A room for invited users only.
    const std::string bobId = jsonString(v.get("/api/v1/users/me", bearer(tokens_["c"])).json(), "id");
    auto invited = server_->post("/api/v1/rooms", R"({"name":"Tutorial","access":{"users":[")" + bobId + R"("]}})", bearer(tokens_["a"]));
    ASSERT_EQ(invited.status, 201) << invited.body;
    EXPECT_EQ(v.get("/api/v1/rooms/" + jsonString(invited.json(), "id") + "/chat", bearer(tokens_["b"])).status, 403);
    EXPECT_EQ(v.get("/api/v1/rooms/" + jsonString(invited.json(), "id") + "/chat", bearer(tokens_["c"])).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, Signalling, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

// Raw Engine.IO/Socket.IO packets over WebSocket and long-polling (client.mjs rawpackets), with the
// room namespace at /classes, a 1 s connect timeout and a ping every 300 ms (pings pace the waits).
class SignallingRawPackets : public Signalling {
protected:
    std::string extraToml() const override
    {
        return "[plugins.signalling]\nnamespace = \"/classes\"\nping_interval_ms = 300\nping_timeout_ms = 1000\nconnect_timeout_ms = "
               "1000\n" +
               Signalling::extraToml();
    }
};

TEST_P(SignallingRawPackets, ANamespaceMayEndAPacketAndASessionOutlivesItsLastNamespace)
{
    EXPECT_NE(scenario("rawpackets", "", R"("nsp":"/classes","connectTimeoutMs":1000)").find("PASS"), std::string::npos);
    EXPECT_EQ(server_->vtpd().get("/health").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, SignallingRawPackets, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

// Heartbeats as short as client test suites use (300 ms interval, 200 ms timeout; the reference
// server accepts any positive value).
class SignallingShortHeartbeats : public Signalling {
protected:
    std::string extraToml() const override
    {
        return "[plugins.signalling]\nnamespace = \"/classes\"\nping_interval_ms = 300\nping_timeout_ms = 200\n" + Signalling::extraToml();
    }
};

TEST_P(SignallingShortHeartbeats, TheStockClientStaysConnectedAndIsPingedAboutEveryInterval)
{
    EXPECT_NE(scenario("heartbeat", "", R"("nsp":"/classes")").find("PASS"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, SignallingShortHeartbeats, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

// A config written for 0.1 set the cluster's timing under the plugin; 0.2 moved it to the kernel's
// [cluster] table. The old keys still start the node and say where they went.
class SignallingDeprecatedClusterKeys : public Signalling {
protected:
    std::string extraToml() const override
    {
        return "[plugins.signalling.cluster]\nheartbeat_seconds = 3\nnode_timeout_seconds = 12\n" + Signalling::extraToml();
    }
};

TEST_P(SignallingDeprecatedClusterKeys, StartAndAreReportedAsIgnored)
{
    EXPECT_EQ(server_->vtpd().get("/health").status, 200);
    const std::string logs = server_->vtpd().logs();
    EXPECT_NE(logs.find("a deprecated key is ignored"), std::string::npos) << logs;
    EXPECT_NE(logs.find("plugins.signalling.cluster.heartbeat_seconds"), std::string::npos) << logs;
    EXPECT_NE(logs.find("plugins.signalling.cluster.node_timeout_seconds"), std::string::npos) << logs;
}

// Not a database test: one backend is enough.
INSTANTIATE_TEST_SUITE_P(Backends, SignallingDeprecatedClusterKeys, ::testing::Values(Backend::SQLite), backendName);

// What other plugins hear of a class: room.created, participant.joined and .left, chat.message and
// room.ended, received here by the testkit plugin's subscription.
class SignallingEvents : public Signalling {
protected:
    std::string extraToml() const override
    {
        return Signalling::extraToml() + "[plugins.testkit]\nevent_patterns = [\"room.*\", \"participant.*\", \"chat.*\"]\n";
    }
    std::vector<std::string> plugins() const override { return {"auth", "signalling", "testkit"}; }

    Poco::JSON::Array::Ptr events()
    {
        auto r = server_->vtpd().get("/api/v1/testkit/events");
        return r.status == 200 ? r.json()->getArray("events") : Poco::JSON::Array::Ptr();
    }
};

TEST_P(SignallingEvents, RoomsParticipantsAndChatArePublishedOnTheEventBus)
{
    const std::string room = createRoom();
    EXPECT_NE(scenario("rooms", room).find("PASS"), std::string::npos);
    ASSERT_EQ(server_->vtpd().request("DELETE", "/api/v1/rooms/" + room, {}, {}, bearer(tokens_["a"])).status, 204);

    // Delivery is asynchronous (each subscription has its own thread): wait for the last one.
    auto has = [](const Poco::JSON::Array::Ptr& list, const std::string& name) {
        for (size_t i = 0; list && i < list->size(); ++i)
            if (list->getObject(static_cast<unsigned>(i))->getValue<std::string>("name") == name) return true;
        return false;
    };
    ASSERT_TRUE(pollUntil([&] { return has(events(), "room.ended"); }, std::chrono::seconds(10)));
    const auto list = events();
    for (const char* name : {"room.created", "participant.joined", "participant.left", "chat.message", "room.ended"})
        EXPECT_TRUE(has(list, name)) << name;

    // The public "hello class" of the scenario: its room, id, sender, time and length (11).
    bool sawHello = false;
    for (size_t i = 0; i < list->size(); ++i) {
        const auto e = list->getObject(static_cast<unsigned>(i));
        if (e->getValue<std::string>("name") != "chat.message") continue;
        const auto payload = e->getObject("payload");
        EXPECT_EQ(payload->getValue<std::string>("room"), room);
        EXPECT_FALSE(payload->getValue<std::string>("id").empty());
        EXPECT_FALSE(payload->getValue<std::string>("user_id").empty());
        EXPECT_GT(payload->getValue<int64_t>("ts"), 0);
        if (!payload->getValue<bool>("private") && payload->getValue<int64_t>("length") == 11) sawHello = true;
    }
    EXPECT_TRUE(sawHello);
}

INSTANTIATE_TEST_SUITE_P(Backends, SignallingEvents, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
