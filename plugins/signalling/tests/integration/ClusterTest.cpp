// Two real vtpd nodes serving one room together: one real redis-server (started here on a free
// port) carries the signalling plugin's replication, one PostgreSQL schema holds both nodes'
// accounts, rooms and chat, and both nodes sign and verify tokens with one HS256 secret. A stock
// socket.io-client on each node (tests/e2e/client.mjs, scenario "cluster") checks that signals,
// chat, participant events and moderation cross nodes; then node A is killed with SIGKILL and
// node B's client must see A's participant leave ("node lost") within the node timeout.
#include "PeerTestSupport.hpp"
#include "WebhookReceiver.hpp"

#include <sys/stat.h>

#include <set>

using namespace vtp::test;

namespace {

const char* kPassword = "lecture-hall-42-blue";
constexpr int kHeartbeatSeconds = 1;
constexpr int kNodeTimeoutSeconds = 3;

int64_t epochMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class SignallingCluster : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(redis_.start()) << redis_.logs();
        const std::string url = postgresUrl();
        admin_ = vtp::test::TestDatabase::open(url + "?options=-cclient_min_messages%3Dwarning");
        std::random_device random;
        schema_ = "signalling_cluster_" + std::to_string(random()) + std::to_string(random());
        admin_->exec("CREATE SCHEMA " + schema_);
        // One HS256 secret for both nodes: a token from either is good on the other.
        const std::string secretFile = secrets_.file("token-secret");
        writeFile(secretFile, "a-test-secret-shared-by-both-nodes-0123456789abcdef\n");
        ::chmod(secretFile.c_str(), 0600);
        for (const char* id : {"node-a", "node-b"}) {
            VtpdOptions o;
            // testkit: a `*` event subscriber on each node (GET /api/v1/testkit/events).
            o.enabled = {"auth", "signalling", "testkit"};
            o.databaseUrl = url + "?options=-csearch_path%3D" + schema_;
            o.extraToml =
                std::string("[node]\nid = \"") + id + "\"\n\n[redis]\nurl = \"" + redis_.url() + "\"\n\n" + kFastArgon +
                "[plugins.auth.tokens]\nkey_file = \"" + secretFile + "\"\n\n" +
                "[cluster]\nheartbeat_seconds = " + std::to_string(kHeartbeatSeconds) +
                "\nnode_timeout_seconds = " + std::to_string(kNodeTimeoutSeconds) + "\n\n" +
                "[plugins.testkit]\nevent_patterns = [\"*\"]\n\n[webhooks]\ninitial_backoff_seconds = 1\nmax_backoff_seconds = 1\n";
            nodes_.push_back(std::make_unique<VtpdProcess>(o));
        }
        // Node A first: it applies the migrations to the shared schema. Each test starts B.
        ASSERT_TRUE(a().start()) << a().logs();
        createUser("prof@uni.example", "instructor");
        createUser("ada@uni.example", "student");
        createUser("bob@uni.example", "student");
        createUser("ops@uni.example", "admin");
        // Tokens from node A; node B verifies them.
        tokens_["a"] = login(a(), "prof@uni.example");
        tokens_["b"] = login(a(), "ada@uni.example");
    }
    void TearDown() override
    {
        nodes_.clear();
        if (admin_) admin_->exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    }

    VtpdProcess& a() { return *nodes_[0]; }
    VtpdProcess& b() { return *nodes_[1]; }
    std::string logs() { return "--- node A\n" + a().logs() + "\n--- node B\n" + b().logs(); }

    void createUser(const std::string& email, const std::string& role)
    {
        TempDir dir;
        writeFile(dir.file("stdin"), std::string(kPassword) + "\n");
        const std::string cmd = std::string(VTP_TEST_VTPCTL) + " --config " + a().configPath() + " user create --email '" + email +
                                "' --role " + role + " < " + dir.file("stdin") + " > " + dir.file("out") + " 2>&1";
        const int rc = std::system(cmd.c_str());
        ASSERT_EQ(rc, 0) << readFile(dir.file("out"));
    }
    std::string createRoom()
    {
        auto r = a().request("POST", "/api/v1/rooms", R"({"name":"Two-node seminar"})", "application/json", bearer(tokens_["a"]));
        if (r.status != 201) throw std::runtime_error("room: " + std::to_string(r.status) + " " + r.body);
        return jsonString(r.json(), "id");
    }
    // The client.mjs configuration: node A's socket URL, the tokens, the room and `extra` fields.
    void writeConfig(const std::string& path, const std::string& room, Poco::JSON::Object extra)
    {
        extra.set("url", "http://127.0.0.1:" + std::to_string(a().wsPort()));
        Poco::JSON::Object tokens;
        for (const auto& [k, v] : tokens_) tokens.set(k, v);
        extra.set("tokens", tokens);
        extra.set("room", room);
        std::ostringstream text;
        extra.stringify(text);
        writeFile(path, text.str());
    }
    static void addNodeB(Poco::JSON::Object& config, const VtpdProcess& b)
    {
        config.set("urlB", "http://127.0.0.1:" + std::to_string(b.wsPort()));
        config.set("httpB", "http://127.0.0.1:" + std::to_string(b.httpPort()));
    }
    // client.mjs's "cluster" scenario in `room`, a client on each node; it writes "ready" to
    // dir/kill-a-now once every delivery has crossed nodes, then waits for node A's end.
    std::unique_ptr<ChildProcess> startClusterScenario(const TempDir& dir, const std::string& room)
    {
        Poco::JSON::Object config;
        addNodeB(config, b());
        config.set("killFile", dir.file("kill-a-now"));
        config.set("lostTimeoutMs", (kNodeTimeoutSeconds + 15) * 1000);
        writeConfig(dir.file("config.json"), room, config);
        return std::make_unique<ChildProcess>(std::vector<std::string>{VTP_TEST_NODE_BIN,
                                                                       std::string(VTP_SIGNALLING_E2E_DIR) + "/client.mjs", "cluster",
                                                                       dir.file("config.json")},
                                              dir.file("client.log"));
    }
    static std::string login(const VtpdProcess& v, const std::string& email)
    {
        const auto r = v.request("POST", "/api/v1/auth/login", jsonBody({{"email", email}, {"password", kPassword}}));
        if (r.status != 200) throw std::runtime_error("login answered " + std::to_string(r.status) + ": " + r.body);
        return r.json()->getValue<std::string>("access_token");
    }

    RedisServer redis_;
    TempDir secrets_{"vtp-secret"};
    std::unique_ptr<vtp::test::TestDatabase> admin_;
    std::string schema_;
    std::vector<std::unique_ptr<VtpdProcess>> nodes_;
    std::map<std::string, std::string> tokens_;
};

TEST_F(SignallingCluster, ClientsOnTwoNodesShareARoomAndALostNodesParticipantsLeave)
{
    ASSERT_TRUE(b().start()) << b().logs();
    tokens_["c"] = login(b(), "bob@uni.example");
    const std::string room = createRoom();
    TempDir dir;
    const auto client = startClusterScenario(dir, room);
    // The scenario asks for node A to die once everything crossed nodes.
    ASSERT_TRUE(client->waitForFileOrExit(dir.file("kill-a-now"), std::chrono::seconds(60))) << client->output() << logs();
    ASSERT_EQ(readFile(dir.file("kill-a-now")).find("ready"), 0u) << client->output();
    const int64_t killedAt = epochMs();
    EXPECT_EQ(a().stop(SIGKILL), 128 + SIGKILL);
    ASSERT_EQ(client->wait(std::chrono::seconds(kNodeTimeoutSeconds + 30)), 0) << client->output() << logs();
    const std::string out = client->output();
    ASSERT_NE(out.find("PASS"), std::string::npos) << out;

    // participant:left reached node B's client within the node timeout (plus the 200 ms tick
    // and delivery; generous for a loaded machine but well under the default 10 s timeout).
    const auto at = out.find("LOST_AT ");
    ASSERT_NE(at, std::string::npos) << out;
    const int64_t lostAfterMs = std::stoll(out.substr(at + 8)) - killedAt;
    EXPECT_GE(lostAfterMs, 0);
    EXPECT_LE(lostAfterMs, kNodeTimeoutSeconds * 1000 + 3000) << "participant:left came " << lostAfterMs << " ms after the kill";
    std::cout << "participant:left (node lost) " << lostAfterMs << " ms after SIGKILL, node timeout " << kNodeTimeoutSeconds << " s\n";

    // The scenario saw node B's room hold b alone after the loss; b's client has gone since, so
    // the room is empty. The chat said on both nodes is stored once each, in the shared database.
    auto r = b().get("/api/v1/rooms/" + room, bearer(tokens_["c"]));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(eventually([&] {
        return b().get("/api/v1/rooms/" + room, bearer(tokens_["c"])).json()->getArray("participants")->size() == 0;
    })) << b().get("/api/v1/rooms/" + room, bearer(tokens_["c"])).body;
    auto history = b().get("/api/v1/rooms/" + room + "/chat?limit=50", bearer(tokens_["b"]));
    ASSERT_EQ(history.status, 200) << history.body;
    std::multiset<std::string> texts;
    auto messages = history.json()->getArray("messages");
    for (size_t i = 0; i < messages->size(); ++i)
        texts.insert(messages->getObject(static_cast<unsigned>(i))->getValue<std::string>("text"));
    EXPECT_EQ(texts.count("hello from node B"), 1u) << history.body;
    EXPECT_EQ(texts.count("hello from node A"), 1u) << history.body;
    EXPECT_EQ(texts.count("private, across nodes"), 1u) << history.body;
    EXPECT_NE(b().logs().find("a signalling node stopped answering"), std::string::npos);
}

TEST_F(SignallingCluster, ANodeStartedLaterLearnsTheRoomFromTheOthersSnapshotAndSeesItEnd)
{
    const std::string room = createRoom();
    TempDir dir;
    writeConfig(dir.file("config.json"), room, Poco::JSON::Object());
    ChildProcess client({VTP_TEST_NODE_BIN, std::string(VTP_SIGNALLING_E2E_DIR) + "/client.mjs", "late", dir.file("config.json")},
                        dir.file("client.log"));
    // a is in the room on node A before node B exists; then B starts and its address is handed
    // to the scenario.
    ASSERT_TRUE(client.waitForFileOrExit(dir.file("config.json.joined"), std::chrono::seconds(60))) << client.output() << a().logs();
    ASSERT_TRUE(b().start()) << b().logs();
    Poco::JSON::Object nodeB;
    addNodeB(nodeB, b());
    std::ostringstream text;
    nodeB.stringify(text);
    writeFile(dir.file("nodeb.tmp"), text.str());
    std::filesystem::rename(dir.file("nodeb.tmp"), dir.file("config.json.nodeb"));
    ASSERT_EQ(client.wait(std::chrono::seconds(60)), 0) << client.output() << logs();
    EXPECT_NE(client.output().find("PASS"), std::string::npos) << client.output();
    // The room ended for good: node B refuses it over REST too.
    auto ended = b().get("/api/v1/rooms/" + room, bearer(tokens_["b"]));
    ASSERT_EQ(ended.status, 200) << ended.body;
    EXPECT_FALSE(ended.json()->isNull("ended_at")) << ended.body;
}

} // namespace

namespace {

// A logout on node A ends the session's sockets on node B at once: the auth plugin's
// auth.session_revoked crosses to B over Redis, and B's signalling plugin tells the client
// (session:ended, then DISCONNECT) and refuses the token on a new CONNECT (tests/e2e/sessions.mjs).
TEST_F(SignallingCluster, ALogoutOnOneNodeEndsTheSessionsSocketsOnTheOther)
{
    ASSERT_TRUE(b().start()) << b().logs();
    const std::string room = createRoom();
    const std::string victim = login(a(), "ada@uni.example");
    TempDir dir;
    Poco::JSON::Object config;
    config.set("url", "http://127.0.0.1:" + std::to_string(b().wsPort()));    // the sockets are on B
    config.set("http", "http://127.0.0.1:" + std::to_string(a().httpPort())); // the logout goes to A
    config.set("room", room);
    Poco::JSON::Object::Ptr v = new Poco::JSON::Object;
    v->set("token", victim);
    config.set("victim", v);
    config.set("observer", login(b(), "bob@uni.example"));
    Poco::JSON::Object::Ptr trigger = new Poco::JSON::Object;
    trigger->set("method", "POST");
    trigger->set("path", "/api/v1/auth/logout");
    trigger->set("token", victim);
    config.set("trigger", trigger);
    config.set("reason", "session-revoked");
    config.set("cause", "logout");
    config.set("refusal", "token revoked");
    std::ostringstream text;
    config.stringify(text);
    writeFile(dir.file("config.json"), text.str());
    std::string out;
    const int rc = VtpdProcess::run(
        {VTP_TEST_NODE_BIN, std::string(VTP_SIGNALLING_E2E_DIR) + "/sessions.mjs", "revoked", dir.file("config.json")}, out);
    EXPECT_EQ(rc, 0) << out << logs();
    EXPECT_NE(out.find("PASS"), std::string::npos) << out << logs();
    const auto at = out.find("ENDED_AFTER_MS ");
    if (at != std::string::npos)
        std::cout << "socket on node B ended " << std::stoll(out.substr(at + 15)) << " ms after the logout request to node A\n";
}

} // namespace

namespace {

// What a `*` subscriber or webhook may see: public events. Node-to-node traffic (room
// replication, WebRTC signals, chat relayed between nodes, liveness) must never be among them.
void expectOnlyPublicEvents(const std::vector<std::string>& names, const std::string& bodies, const std::string& who)
{
    for (const auto& name : names) EXPECT_EQ(name.rfind("signalling.", 0), std::string::npos) << who << " saw " << name;
    // The signal's SDP and candidate and the chat text never travel in a public event.
    for (const char* secret : {"v=0 from A", "typ host", "hello from node B", "private, across nodes", "\"hb\""})
        EXPECT_EQ(bodies.find(secret), std::string::npos) << who << " saw " << secret << " in " << bodies;
}

// The names and the whole text of the events testkit's `*` subscription received on a node.
std::pair<std::vector<std::string>, std::string> subscriberEvents(const VtpdProcess& v)
{
    const auto r = v.get("/api/v1/testkit/events");
    if (r.status != 200) throw std::runtime_error("testkit events: " + r.body);
    std::vector<std::string> names;
    const auto events = r.json()->getArray("events");
    for (size_t i = 0; i < events->size(); ++i) names.push_back(events->getObject(static_cast<unsigned>(i))->getValue<std::string>("name"));
    return {names, r.body};
}

bool contains(const std::vector<std::string>& names, const std::string& name)
{
    return std::find(names.begin(), names.end(), name) != names.end();
}

// The value of a /metrics sample line ("name{labels} value"), or -1 if absent.
double metric(const VtpdProcess& v, const std::string& sample)
{
    const std::string text = v.get("/metrics").body;
    const auto at = text.find("\n" + sample + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + sample.size() + 2));
}

// Two nodes serve one room (the cluster scenario: joins, signals, chat, presence and moderation
// cross nodes) while testkit subscribes to `*` on both and a webhook takes `*`: they see the
// public events (participant.joined, chat.message, ...) and nothing of the nodes' own traffic.
TEST_F(SignallingCluster, PublicSubscribersAndWebhooksSeeNoClusterTrafficWhileTwoNodesServeARoom)
{
    ASSERT_TRUE(b().start()) << b().logs();
    tokens_["c"] = login(b(), "bob@uni.example");
    const std::string admin = login(a(), "ops@uni.example");
    Receiver receiver;
    receiver.start();
    auto hook = a().request("POST", "/api/v1/admin/webhooks", R"({"url":")" + receiver.url() + R"(","events":["*"]})", "application/json",
                            bearer(admin));
    ASSERT_EQ(hook.status, 201) << hook.body;
    // Node B reads the endpoints within a second: an event published there reaches the receiver.
    ASSERT_TRUE(eventually([&] {
        b().request("POST", "/api/v1/testkit/publish", R"({"name":"testkit.ping","payload":{"from":"b"}})", "application/json");
        for (const auto& r : receiver.requests())
            if (r.event == "testkit.ping") return true;
        return false;
    })) << b().logs();

    const std::string room = createRoom();
    TempDir dir;
    const auto client = startClusterScenario(dir, room);
    // Everything has crossed nodes (the scenario checked each delivery) when it asks for A's end.
    ASSERT_TRUE(client->waitForFileOrExit(dir.file("kill-a-now"), std::chrono::seconds(60))) << client->output() << logs();

    // The public events did reach every `*` subscriber and the webhook: chat.message from both
    // nodes (one per message, with ids, not text), participant.joined, participant.left.
    EXPECT_TRUE(eventually([&] {
        std::vector<std::string> hooked;
        for (const auto& r : receiver.requests()) hooked.push_back(r.event);
        for (const std::vector<std::string>& names : {subscriberEvents(a()).first, subscriberEvents(b()).first, hooked})
            if (!contains(names, "chat.message") || !contains(names, "participant.joined") || !contains(names, "participant.left"))
                return false;
        return true;
    })) << subscriberEvents(a()).second
        << "\n"
        << subscriberEvents(b()).second;

    const auto [onA, textA] = subscriberEvents(a());
    const auto [onB, textB] = subscriberEvents(b());
    expectOnlyPublicEvents(onA, textA, "node A's * subscriber");
    expectOnlyPublicEvents(onB, textB, "node B's * subscriber");
    std::vector<std::string> hooked;
    std::string hookedBodies;
    for (const auto& r : receiver.requests()) {
        hooked.push_back(r.event);
        hookedBodies += r.body + "\n";
    }
    expectOnlyPublicEvents(hooked, hookedBodies, "the * webhook");
    // The replication did travel, on the cluster channels.
    EXPECT_GT(metric(a(), R"(vtp_cluster_messages_total{result="sent"})"), 0) << a().get("/metrics").body;
    EXPECT_GT(metric(b(), R"(vtp_cluster_messages_total{result="received"})"), 0);
    EXPECT_EQ(metric(a(), "vtp_cluster_peers"), 1);

    EXPECT_EQ(a().stop(SIGKILL), 128 + SIGKILL);
    ASSERT_EQ(client->wait(std::chrono::seconds(kNodeTimeoutSeconds + 30)), 0) << client->output() << logs();
    EXPECT_NE(client->output().find("PASS"), std::string::npos) << client->output();
    // After the loss of A, still nothing of it on B's subscriber (the node's loss is not an event).
    const auto [after, textAfter] = subscriberEvents(b());
    expectOnlyPublicEvents(after, textAfter, "node B's * subscriber after A's loss");
}

// One node with Redis configured, a room in full use (signals, chat, presence, moderation), and
// at least two presence renewals: nothing at all is published on Redis but the public events, and
// the cluster counters show nothing sent. (Before, heartbeats went out every second even alone.)
TEST_F(SignallingCluster, ASingleNodePublishesNoClusterTraffic)
{
    TempDir dir;
    const std::string monitorLog = dir.file("monitor.log");
    ChildProcess monitor({"/usr/bin/redis-cli", "-h", "127.0.0.1", "-p", std::to_string(redis_.port()), "psubscribe", "*"}, monitorLog);
    ASSERT_TRUE(eventually([&] { return readFile(monitorLog).find("psubscribe") != std::string::npos; })) << readFile(monitorLog);

    tokens_["c"] = login(a(), "bob@uni.example");
    const std::string room = createRoom();
    Poco::JSON::Object config;
    config.set("chatMax", 2000);
    writeConfig(dir.file("config.json"), room, config);
    std::string out;
    ASSERT_EQ(
        VtpdProcess::run({VTP_TEST_NODE_BIN, std::string(VTP_SIGNALLING_E2E_DIR) + "/client.mjs", "rooms", dir.file("config.json")}, out),
        0)
        << out << a().logs();
    ASSERT_NE(out.find("PASS"), std::string::npos) << out;

    // Node A renews its presence (the score is its expiry on Redis's clock) twice more: time in
    // which the old heartbeats would have been sent.
    auto presence = [&] {
        std::string reply;
        VtpdProcess::run({"/usr/bin/redis-cli", "-h", "127.0.0.1", "-p", std::to_string(redis_.port()), "zrange",
                          "vtp:events:cluster-nodes", "0", "-1", "withscores"},
                         reply);
        return reply;
    };
    const std::string first = presence();
    ASSERT_NE(first.find("node-a/"), std::string::npos) << first << a().logs();
    std::string second;
    ASSERT_TRUE(eventually([&] { return (second = presence()) != first && second.find("node-a/") != std::string::npos; })) << first;
    ASSERT_TRUE(eventually([&] {
        const auto third = presence();
        return third != second && third.find("node-a/") != std::string::npos;
    }));

    // A marker published after all that arrives after anything vtpd published before it.
    ASSERT_TRUE(eventually([&] {
        std::string ignored;
        VtpdProcess::run({"/usr/bin/redis-cli", "-h", "127.0.0.1", "-p", std::to_string(redis_.port()), "publish", "marker", "end"},
                         ignored);
        return readFile(monitorLog).find("marker") != std::string::npos;
    }));
    const std::string seen = readFile(monitorLog);
    EXPECT_EQ(seen.find(":cluster:"), std::string::npos) << seen;
    EXPECT_EQ(seen.find("signalling.sync"), std::string::npos) << seen;
    EXPECT_EQ(seen.find("v=0"), std::string::npos) << seen; // the signal's SDP
    // The public events did go out (the room was created and joined on this node).
    EXPECT_NE(seen.find("participant.joined"), std::string::npos) << seen;
    EXPECT_EQ(metric(a(), R"(vtp_cluster_messages_total{result="sent"})"), 0);
    EXPECT_EQ(metric(a(), "vtp_cluster_peers"), 0);
}

} // namespace
