// Recording from inside a class room (the signalling plugin's vtp.rooms.events service): the real
// vtpd with auth, signalling, courses and recording on SQLite and PostgreSQL, the stock
// socket.io-client in node (npm/room-client.mjs). A moderator's recording:start / recording:stop
// are acknowledged and every participant hears recording:started / recording:stopped; a student
// is refused with the protocol's error ack; REST starts and stops reach the sockets; a late joiner
// learns that the class is being recorded.
#include "ClassSessionSupport.hpp"
#include "PluginTestServer.hpp"
#include "RedisServer.hpp"
#include "TestDatabase.hpp"

#include <sys/stat.h>

#include <random>

using namespace vtp::test;

namespace {

class RoomControl : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        s = std::make_unique<PluginTestServer>(GetParam(), std::vector<std::string>{"signalling", "courses", "recording", "testkit"},
                                               R"("recording.*")");
        admin = s->staff("admin@uni.example", "admin");
        prof = s->staff("prof@uni.example", "instructor");
        ada = s->student("ada@uni.example");
        carl = s->student("carl@uni.example");
        session = openClassSession(s->vtpd(), admin.token, prof.token, prof.id, {}, {ada.token, carl.token});
    }

    // Runs a scenario of room-client.mjs; its output when it failed.
    std::string scenario(const std::string& name, const std::string& extra = "")
    {
        auto& v = s->vtpd();
        const std::string config = R"({"ws":"http://127.0.0.1:)" + std::to_string(v.wsPort()) + R"(","api":"http://127.0.0.1:)" +
                                   std::to_string(v.httpPort()) + R"(","room":"courses:)" + session.session + R"(","tokens":{"prof":")" +
                                   prof.token + R"(","ada":")" + ada.token + R"(","carl":")" + carl.token + "\"}" + extra + "}";
        std::string out;
        const int rc = VtpdProcess::run({VTP_TEST_NODE, std::string(VTP_RECORDING_NPM_DIR) + "/room-client.mjs", name, config}, out);
        return rc == 0 && out.find("PASS") != std::string::npos ? std::string() : out + "\n--- vtpd\n" + v.logs();
    }

    std::unique_ptr<PluginTestServer> s;
    Account admin, prof, ada, carl;
    ClassSession session;
};

TEST_P(RoomControl, ModeratorsStartAndStopInTheRoomAndEveryParticipantIsTold)
{
    const std::string failure = scenario("control");
    EXPECT_TRUE(failure.empty()) << failure;
    // The room's starts are the REST API's: the same events, the same rows.
    EXPECT_TRUE(s->waitForEvent("recording.started", [&](const JsonObject& p) {
        return str(p, "title") == "Lecture 1" && str(p, "room_id") == "courses:" + session.session && str(p, "owner_id") == prof.id;
    }));
    EXPECT_TRUE(s->waitForEvent("recording.stopped", [&](const JsonObject& p) { return str(p, "title") == "Lecture 1"; }));
    const auto list = s->expect(200, "GET", "/api/v1/recordings?room=courses:" + session.session, prof);
    EXPECT_EQ(list->getArray("recordings")->size(), 3u) << PluginTestServer::stringify(list);
    // A class room's recordings are its section's: in the section's list, visible to its roster.
    for (size_t i = 0; i < list->getArray("recordings")->size(); ++i)
        EXPECT_EQ(str(list->getArray("recordings")->getObject(i), "section_id"), session.section);
    const auto bySection = s->expect(200, "GET", "/api/v1/sections/" + session.section + "/recordings", ada);
    EXPECT_EQ(bySection->getArray("recordings")->size(), 3u) << PluginTestServer::stringify(bySection);
}

// Two vtpd nodes on one PostgreSQL schema and one Redis: the moderator on node A, a student on
// node B; the room's recording events cross nodes on signalling's cluster channel, a REST stop on B
// reaches both, and a late joiner on B learns of a recording started on A.
TEST(RoomControlCluster, RecordingEventsCrossNodes)
{
    RedisServer redis;
    ASSERT_TRUE(redis.start()) << redis.logs();
    const std::string url = postgresUrl();
    auto admin = TestDatabase::open(url + "?options=-cclient_min_messages%3Dwarning");
    std::random_device random;
    const std::string schema = "recording_cluster_" + std::to_string(random()) + std::to_string(random());
    admin->exec("CREATE SCHEMA " + schema);
    struct DropSchema {
        TestDatabase& db;
        std::string schema;
        ~DropSchema() { db.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE"); }
    } drop{*admin, schema};
    TempDir secrets("vtp-secret");
    const std::string secretFile = secrets.file("token-secret");
    writeFile(secretFile, "a-test-secret-shared-by-both-nodes-0123456789abcdef\n");
    ::chmod(secretFile.c_str(), 0600);
    std::vector<std::unique_ptr<VtpdProcess>> nodes;
    for (const char* id : {"node-a", "node-b"}) {
        VtpdOptions o;
        o.enabled = {"auth", "signalling", "courses", "recording"};
        o.databaseUrl = url + "?options=-csearch_path%3D" + schema;
        o.extraToml = std::string("[node]\nid = \"") + id + "\"\n\n[redis]\nurl = \"" + redis.url() + "\"\n\n" + kFastArgon +
                      "[plugins.auth]\nregistration = \"open\"\n\n[plugins.auth.tokens]\nkey_file = \"" + secretFile +
                      "\"\n\n[cluster]\nheartbeat_seconds = 1\nnode_timeout_seconds = 3\n";
        nodes.push_back(std::make_unique<VtpdProcess>(o));
    }
    VtpdProcess& a = *nodes[0];
    VtpdProcess& b = *nodes[1];
    // Node A first: it applies the migrations to the shared schema.
    ASSERT_TRUE(a.start()) << a.logs();
    ASSERT_TRUE(b.start()) << b.logs();
    auto user = [&](const std::string& email, const std::string& role) {
        TempDir dir;
        writeFile(dir.file("stdin"), std::string(kTestPassword) + "\n");
        const std::string cmd = std::string(VTP_TEST_VTPCTL) + " --config " + a.configPath() + " user create --email '" + email +
                                "' --role " + role + " < " + dir.file("stdin") + " > " + dir.file("out") + " 2>&1";
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error(readFile(dir.file("out")));
        const auto r = a.request("POST", "/api/v1/auth/login", jsonBody({{"email", email}, {"password", kTestPassword}}));
        if (r.status != 200) throw std::runtime_error("login answered " + std::to_string(r.status) + ": " + r.body);
        const std::string token = r.json()->getValue<std::string>("access_token");
        return Account{jsonString(a.get("/api/v1/users/me", bearer(token)).json(), "id"), email, token};
    };
    const Account ops = user("ops@uni.example", "admin"), prof = user("prof@uni.example", "instructor");
    const Account ada = user("ada@uni.example", "student"), carl = user("carl@uni.example", "student");
    const ClassSession session = openClassSession(a, ops.token, prof.token, prof.id, {}, {ada.token, carl.token});

    auto origin = [](uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); };
    const std::string config = R"({"ws":")" + origin(a.wsPort()) + R"(","api":")" + origin(a.httpPort()) + R"(","ws2":")" +
                               origin(b.wsPort()) + R"(","api2":")" + origin(b.httpPort()) + R"(","room":"courses:)" + session.session +
                               R"(","tokens":{"prof":")" + prof.token + R"(","ada":")" + ada.token + R"(","carl":")" + carl.token + "\"}}";
    std::string out;
    const int rc = VtpdProcess::run({VTP_TEST_NODE, std::string(VTP_RECORDING_NPM_DIR) + "/room-client.mjs", "cluster", config}, out);
    EXPECT_EQ(rc, 0) << out << "\n--- node A\n" << a.logs() << "\n--- node B\n" << b.logs();
    EXPECT_NE(out.find("PASS"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Backends, RoomControl, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
