// A class session's live room, decided by the courses plugin through vtp.rooms.provider.courses:
// the section's instructor moderates it, an enrolled student joins it, anyone else is refused.
// The real vtpd with auth, signalling and courses; the stock socket.io-client.
#include "AuthTestSupport.hpp"

#include <algorithm>
#include <ctime>

using namespace vtp::test;

namespace {

const char* kPassword = "lecture-hall-42-blue";

std::string day(std::time_t t)
{
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

std::string hhmm(std::time_t t)
{
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[8];
    std::strftime(buf, sizeof buf, "%H:%M", &tm);
    return buf;
}

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
    auto expect = [&](int status, const std::string& method, const std::string& path, const std::string& token, const std::string& body = {}) {
        auto r = v.request(method, path, body, "application/json", bearer(token));
        if (r.status != status) throw std::runtime_error(method + " " + path + ": " + std::to_string(r.status) + " " + r.body);
        return r.body.empty() ? Poco::JSON::Object::Ptr() : r.json();
    };
    const std::string profId = jsonString(expect(200, "GET", "/api/v1/users/me", prof), "id");

    // A term around today, one section taught by prof, Ada enrolled, Bob not.
    const std::time_t now = std::time(nullptr);
    const std::string term = jsonString(expect(201, "POST", "/api/v1/terms", admin,
        R"({"name":"Now","start_date":")" + day(now - 7 * 86400) + R"(","end_date":")" + day(now + 30 * 86400) + R"(","time_zone":"UTC"})"), "id");
    const std::string course = jsonString(expect(201, "POST", "/api/v1/courses", admin, R"({"term_id":")" + term + R"(","code":"MA101","title":"Calculus"})"), "id");
    const std::string section = jsonString(expect(201, "POST", "/api/v1/sections", admin,
        R"({"course_id":")" + course + R"(","name":"A","capacity":10,"instructors":[")" + profId + R"("]})"), "id");
    expect(200, "PUT", "/api/v1/sections/" + section + "/meetings", prof, R"({"meetings":[{"weekday":1,"start_time":"09:00","end_time":"10:00"}]})");
    expect(201, "POST", "/api/v1/sections/" + section + "/enroll", ada);
    const auto sessions = expect(200, "GET", "/api/v1/sections/" + section + "/sessions", ada)->getArray("sessions");
    ASSERT_GT(sessions->size(), 0u);
    const std::string session = sessions->getObject(0)->getValue<std::string>("id");
    // Moved to today, around now: started ten minutes ago (or at midnight), ending twenty minutes
    // from now (or at 23:59), so its room is open whatever the time of day the test runs.
    const std::time_t midnight = now - now % 86400;
    const std::time_t start = std::max(midnight, now - 10 * 60);
    const std::time_t end = std::min(midnight + 23 * 3600 + 59 * 60, now + 20 * 60);
    expect(200, "PATCH", "/api/v1/sessions/" + session, prof,
           R"({"date":")" + day(now) + R"(","start_time":")" + hhmm(start) + R"(","end_time":")" + hhmm(end) + R"("})");

    TempDir dir;
    writeFile(dir.file("config.json"), R"({"url":"http://127.0.0.1:)" + std::to_string(v.wsPort()) + R"(","room":"courses:)" + session +
                                           R"(","tokens":{"a":")" + prof + R"(","b":")" + ada + R"(","c":")" + bob + R"("}})");
    std::string out;
    const int rc = VtpdProcess::run({VTP_TEST_NODE_BIN, std::string(VTP_SIGNALLING_E2E_DIR) + "/client.mjs", "classroom", dir.file("config.json")}, out);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("PASS"), std::string::npos) << out;
}
