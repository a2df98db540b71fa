// Other plugins' namespaces through the signalling plugin's "vtp.socketio" service, proved by a
// third party's plugin (tests/poll-plugin: a live poll) built out of tree against the installed
// SDK and loaded beside auth and signalling.
#include "AuthTestSupport.hpp"

using namespace vtp::test;

namespace {

const char* kPassword = "lecture-hall-42-blue";

TEST(PollPlugin, AThirdPartyNamespaceGetsEventsAcksBinaryRoomsAndBroadcasts)
{
    // The SDK as a third party gets it: installed to a prefix; the plugin built against it alone.
    TempDir prefix("vtp-poll-sdk"), build("vtp-poll-build"), plugins("vtp-poll-plugins");
    std::string out;
    ASSERT_EQ(VtpdProcess::run({"/usr/bin/cmake", "--install", VTP_BINARY_DIR, "--prefix", prefix.path()}, out), 0) << out;
    ASSERT_TRUE(std::filesystem::exists(prefix.path() + "/include/vtp/socketio.hpp"));
    out.clear();
    ASSERT_EQ(VtpdProcess::run({"/usr/bin/cmake", "-S", std::string(VTP_SOURCE_DIR) + "/plugins/signalling/tests/poll-plugin", "-B",
                                build.path(), "-DCMAKE_PREFIX_PATH=" + prefix.path(), "-DCMAKE_BUILD_TYPE=Release"},
                               out),
              0)
        << out;
    out.clear();
    ASSERT_EQ(VtpdProcess::run({"/usr/bin/cmake", "--build", build.path()}, out), 0) << out;
    // One plugin directory: the in-tree plugins from this build, the poll plugin from its own.
    for (const char* name : {"auth.so", "signalling.so"})
        std::filesystem::create_symlink(std::string(VTP_TEST_PLUGIN_DIR) + "/" + name, plugins.file(name));
    std::filesystem::copy_file(build.file("poll.so"), plugins.file("poll.so"));

    AuthServer server(Backend::SQLite, kFastArgon, {"auth", "signalling", "poll"}, plugins.path());
    ASSERT_TRUE(server.start()) << server.vtpd().logs();
    server.createUser("prof@uni.example", kPassword, "instructor");
    server.createUser("ada@uni.example", kPassword, "student");
    server.createUser("bob@uni.example", kPassword, "student");

    TempDir dir;
    const std::string config = R"({"url":"http://127.0.0.1:)" + std::to_string(server.vtpd().wsPort()) + R"(","tokens":{"a":")" +
                               server.login("prof@uni.example", kPassword).access + R"(","b":")" +
                               server.login("ada@uni.example", kPassword).access + R"(","c":")" +
                               server.login("bob@uni.example", kPassword).access + R"("}})";
    writeFile(dir.file("config.json"), config);
    out.clear();
    const int rc =
        VtpdProcess::run({VTP_TEST_NODE_BIN, std::string(VTP_SIGNALLING_E2E_DIR) + "/client.mjs", "poll", dir.file("config.json")}, out);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("PASS"), std::string::npos) << out;
}

} // namespace
