// The iCalendar feed read by ical.js, the parser behind many calendar clients: every session
// appears once with the right UTC instants across a daylight-saving change, text survives
// escaping and folding, and a cancelled session is marked so clients drop it.
#include "CoursesTestSupport.hpp"

using namespace vtp::test;

namespace {

TEST(CalendarFeed, IcalJsReadsEverySessionAtTheRightInstantAcrossDaylightSaving)
{
    // The feed window reaches ten years back, so these fixed dates are in it whenever this runs.
    CoursesServer s(Backend::SQLite, "[plugins.courses.calendar]\npast_days = 3650\nfuture_days = 3650\n\n");
    const Account admin = s.staff("admin@uni.example", "admin");
    const Account prof = s.staff("prof@uni.example", "instructor");
    const Account stu = s.student("stu@uni.example");
    // 2025-10-13 to 2025-11-07 in Zurich: clocks go back on 2025-10-26 (CEST UTC+2 -> CET UTC+1).
    const std::string term =
        str(s.expect(201, "POST", "/api/v1/terms", admin,
                     R"({"name":"Autumn","start_date":"2025-10-13","end_date":"2025-11-07","time_zone":"Europe/Zurich"})"),
            "id");
    const std::string course =
        str(s.expect(201, "POST", "/api/v1/courses", admin,
                     R"({"term_id":")" + term +
                         R"(","code":"CS101","title":"Algorithms, data; and \"structures\" – a very long title that needs folding"})"),
            "id");
    const std::string section =
        str(s.expect(201, "POST", "/api/v1/sections", admin,
                     R"({"course_id":")" + course + R"(","name":"A","capacity":10,"instructors":[")" + prof.id + R"("]})"),
            "id");
    const std::string room =
        str(s.expect(201, "POST", "/api/v1/classrooms", admin, R"({"name":"Hörsaal Süd, 1; West","kind":"physical","capacity":80})"), "id");
    s.expect(200, "PUT", "/api/v1/sections/" + section + "/meetings", prof,
             R"({"meetings":[{"weekday":1,"start_time":"09:15","end_time":"10:45","room_id":")" + room + R"("}]})");
    s.expect(201, "POST", "/api/v1/sections/" + section + "/enroll", stu);
    const auto sessions = s.expect(200, "GET", "/api/v1/sections/" + section + "/sessions", stu)->getArray("sessions");
    ASSERT_EQ(sessions->size(), 4u); // Mondays 10-13, 10-20, 10-27, 11-03
    const std::string cancelled = str(sessions->getObject(3), "id");
    s.expect(200, "PATCH", "/api/v1/sessions/" + cancelled, prof, R"({"status":"cancelled"})");

    const std::string path = str(s.expect(201, "POST", "/api/v1/users/me/calendar", stu), "path");
    const auto feed = s.vtpd().get(path);
    ASSERT_EQ(feed.status, 200);
    const std::string file = s.vtpd().dir() + "/feed.ics";
    writeFile(file, feed.body);
    std::string out;
    ASSERT_EQ(VtpdProcess::run({VTP_TEST_NODE, std::string(VTP_COURSES_NPM_DIR) + "/parse-ical.mjs", file, "Europe/Zurich"}, out), 0)
        << out;
    const auto parsed = Poco::JSON::Parser().parse(out).extract<JsonObject>();
    EXPECT_EQ(str(parsed, "version"), "2.0");
    EXPECT_EQ(str(parsed, "name"), "VTP classes");
    const auto events = parsed->getArray("events");
    ASSERT_EQ(events->size(), 4u) << out;
    const char* utcStarts[] = {"2025-10-13T07:15:00.000Z", "2025-10-20T07:15:00.000Z", "2025-10-27T08:15:00.000Z",
                               "2025-11-03T08:15:00.000Z"};
    for (unsigned i = 0; i < 4; ++i) {
        const auto e = events->getObject(i);
        const auto session = sessions->getObject(i);
        EXPECT_EQ(str(e, "uid"), str(session, "id") + "@courses.vtp");
        EXPECT_EQ(str(e, "start"), utcStarts[i]) << "the wall-clock 09:15 in Zurich, before and after the clocks went back";
        EXPECT_EQ(str(e, "localStart"), "09:15");
        EXPECT_TRUE(e->getValue<bool>("startIsUtc"));
        EXPECT_EQ(str(e, "summary"), "CS101 A: Algorithms, data; and \"structures\" – a very long title that needs folding");
        EXPECT_EQ(str(e, "location"), "Hörsaal Süd, 1; West");
        EXPECT_EQ(str(e, "status"), i == 3 ? "CANCELLED" : "CONFIRMED");
    }
    EXPECT_EQ(events->getObject(3)->getValue<int>("sequence"), 1) << "clients replace the event they had";
    EXPECT_EQ(str(events->getObject(0), "end"), "2025-10-13T08:45:00.000Z");

    // The instructor's feed holds the same sessions; a student of nothing gets an empty calendar.
    const std::string profPath = str(s.expect(201, "POST", "/api/v1/users/me/calendar", prof), "path");
    writeFile(file, s.vtpd().get(profPath).body);
    out.clear();
    ASSERT_EQ(VtpdProcess::run({VTP_TEST_NODE, std::string(VTP_COURSES_NPM_DIR) + "/parse-ical.mjs", file}, out), 0) << out;
    EXPECT_EQ(Poco::JSON::Parser().parse(out).extract<JsonObject>()->getArray("events")->size(), 4u);
    const Account idle = s.student("idle@uni.example");
    writeFile(file, s.vtpd().get(str(s.expect(201, "POST", "/api/v1/users/me/calendar", idle), "path")).body);
    out.clear();
    ASSERT_EQ(VtpdProcess::run({VTP_TEST_NODE, std::string(VTP_COURSES_NPM_DIR) + "/parse-ical.mjs", file}, out), 0) << out;
    EXPECT_EQ(Poco::JSON::Parser().parse(out).extract<JsonObject>()->getArray("events")->size(), 0u);
}

} // namespace
