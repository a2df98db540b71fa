// A class session's live room, decided by the courses plugin through vtp.rooms.provider.courses:
// the section's instructor moderates it, an enrolled student joins it, anyone else is refused.
// The real vtpd with auth, signalling and courses; the stock socket.io-client.
#include "ClassSessionSupport.hpp"

using namespace vtp::test;

namespace {

const char* kPassword = "lecture-hall-42-blue";

} // namespace

TEST(ClassRoom, TheSectionsRosterJoinsItsSessionsRoomAndOthersAreRefused)
{
    AuthServer server(Backend::SQLite, std::string("[plugins.auth]\nregistration = \"open\"\n\n") + kFastArgon,
                      {"auth", "signalling", "courses"});
    ASSERT_TRUE(server.start()) << server.vtpd().logs();
    server.createUser("admin@uni.example", kPassword, "admin");
    server.createUser("prof@uni.example", kPassword, "instructor");
    server.createUser("ada@uni.example", kPassword, "student");
    server.createUser("bob@uni.example", kPassword, "student");
    const std::string admin = server.login("admin@uni.example", kPassword).access;
    const std::string prof = server.login("prof@uni.example", kPassword).access;
    const std::string ada = server.login("ada@uni.example", kPassword).access;
    const std::string bob = server.login("bob@uni.example", kPassword).access;
    auto& v = server.vtpd();
    const std::string profId = jsonString(expectStatus(v, 200, "GET", "/api/v1/users/me", prof), "id");
    // One section taught by prof with a session open now, Ada enrolled, Bob not.
    const std::string session = openClassSession(v, admin, prof, profId, {}, {ada}).session;

    TempDir dir;
    writeFile(dir.file("config.json"), R"({"url":"http://127.0.0.1:)" + std::to_string(v.wsPort()) + R"(","room":"courses:)" + session +
                                           R"(","tokens":{"a":")" + prof + R"(","b":")" + ada + R"(","c":")" + bob + R"("}})");
    std::string out;
    const int rc = VtpdProcess::run(
        {VTP_TEST_NODE_BIN, std::string(VTP_SIGNALLING_E2E_DIR) + "/client.mjs", "classroom", dir.file("config.json")}, out);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("PASS"), std::string::npos) << out;
}
