// What the courses plugin refuses so that a section and a term stay consistent (staff who exist,
// no fewer seats than enrolled students, holidays inside their term), and what it keeps out of
// logs and caches (the calendar feed's secret), on SQLite and PostgreSQL.
#include "CoursesTestSupport.hpp"
#include "PollUntil.hpp"

using namespace vtp::test;

namespace {

class CoursesValidation : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        s = std::make_unique<CoursesServer>(GetParam());
        admin = s->staff("admin@uni.example", "admin");
        prof = s->staff("prof@uni.example", "instructor");
        term = str(s->expect(201, "POST", "/api/v1/terms", admin,
                             R"({"name":"Autumn 2025","start_date":"2025-09-01","end_date":"2025-12-19","holidays":["2025-09-08"]})"),
                   "id");
        course = str(
            s->expect(201, "POST", "/api/v1/courses", admin, R"({"term_id":")" + term + R"(","code":"CS101","title":"Algorithms"})"), "id");
    }

    std::unique_ptr<CoursesServer> s;
    Account admin, prof;
    std::string term, course;
};

TEST_P(CoursesValidation, StaffIdsMustNameExistingAccounts)
{
    const Account ta = s->student("ta@uni.example");
    auto r = s->call("POST", "/api/v1/sections", admin,
                     R"({"course_id":")" + course + R"(","name":"A","capacity":10,"instructors":["not-a-user"]})");
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(problemType(r), "urn:vtp:problem:unknown-user") << r.body;
    EXPECT_NE(r.body.find("not-a-user"), std::string::npos) << "the problem names the id: " << r.body;
    r = s->call("POST", "/api/v1/sections", admin,
                R"({"course_id":")" + course + R"(","name":"A","capacity":10,"instructors":[")" + prof.id +
                    R"("],"assistants":["ghost"]})");
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_NE(r.body.find("assistants"), std::string::npos) << r.body;
    EXPECT_EQ(s->call("GET", "/api/v1/sections?course_id=" + course, admin).json()->getArray("sections")->size(), 0u)
        << "nothing was created";

    const std::string section = str(s->expect(201, "POST", "/api/v1/sections", admin,
                                              R"({"course_id":")" + course + R"(","name":"A","capacity":10,"instructors":[")" + prof.id +
                                                  R"("],"assistants":[")" + ta.id + R"("]})"),
                                    "id");
    r = s->call("PATCH", "/api/v1/sections/" + section, admin, R"({"instructors":["nobody-here"]})");
    EXPECT_EQ(r.status, 422) << r.body;
    r = s->call("PATCH", "/api/v1/sections/" + section, prof, R"({"assistants":["nobody-here"]})");
    EXPECT_EQ(r.status, 422) << r.body;
    const auto kept = s->expect(200, "GET", "/api/v1/sections/" + section, admin);
    EXPECT_EQ(kept->getArray("instructors")->getElement<std::string>(0), prof.id);
    EXPECT_EQ(kept->getArray("assistants")->getElement<std::string>(0), ta.id);
}

TEST_P(CoursesValidation, CapacityCannotDropBelowTheEnrolledStudents)
{
    const std::string section =
        str(s->expect(201, "POST", "/api/v1/sections", admin,
                      R"({"course_id":")" + course + R"(","name":"A","capacity":3,"instructors":[")" + prof.id + R"("]})"),
            "id");
    for (const char* email : {"a@uni.example", "b@uni.example"}) {
        const Account student = s->student(email);
        s->expect(201, "POST", "/api/v1/sections/" + section + "/enrollments", prof, R"({"user_id":")" + student.id + R"("})");
    }
    const auto r = s->call("PATCH", "/api/v1/sections/" + section, prof, R"({"capacity":1})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(problemType(r), "urn:vtp:problem:capacity-below-enrollment") << r.body;
    EXPECT_NE(r.body.find("2 enrolled"), std::string::npos) << "the problem names the enrolled count: " << r.body;
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/sections/" + section, prof)->getValue<int>("capacity"), 3) << "unchanged";
    // Down to the enrolled count is fine: every enrolled student still has a seat in the class room.
    EXPECT_EQ(s->expect(200, "PATCH", "/api/v1/sections/" + section, prof, R"({"capacity":2})")->getValue<int>("capacity"), 2);
}

TEST_P(CoursesValidation, HolidaysOutsideTheTermAreRefused)
{
    auto r = s->call("POST", "/api/v1/terms", admin,
                     R"({"name":"Spring 2026","start_date":"2026-02-16","end_date":"2026-05-29","holidays":["2026-04-06","2025-04-06"]})");
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(problemType(r), "urn:vtp:problem:holiday-outside-term") << r.body;
    EXPECT_NE(r.body.find("2025-04-06"), std::string::npos) << "the problem names the holiday: " << r.body;
    EXPECT_EQ(s->call("POST", "/api/v1/terms", admin,
                      R"({"name":"Spring 2026","start_date":"2026-02-16","end_date":"2026-05-29","holidays":["2026-04-06"]})")
                  .status,
              201);

    r = s->call("PATCH", "/api/v1/terms/" + term, admin, R"({"holidays":["2025-12-24"]})");
    EXPECT_EQ(r.status, 422) << r.body;
    // Moving the start past a holiday the term keeps is refused the same way.
    r = s->call("PATCH", "/api/v1/terms/" + term, admin, R"({"start_date":"2025-09-15"})");
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_NE(r.body.find("2025-09-08"), std::string::npos) << r.body;
    EXPECT_EQ(s->call("PATCH", "/api/v1/terms/" + term, admin, R"({"start_date":"2025-09-15","holidays":[]})").status, 200);
}

TEST_P(CoursesValidation, CalendarFeedSecretStaysOutOfTheLogAndItsResponsesAreNotStored)
{
    const Account stu = s->student("stu@uni.example");
    const auto created = s->call("POST", "/api/v1/users/me/calendar", stu);
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.headers.count("Cache-Control") ? created.headers.at("Cache-Control") : "", "no-store")
        << "the response carries the secret";
    const std::string token = str(created.json(), "token");
    ASSERT_GE(token.size(), 16u);
    const auto feed = s->vtpd().get(str(created.json(), "path"));
    ASSERT_EQ(feed.status, 200) << feed.body;
    EXPECT_EQ(s->vtpd().get("/api/v1/calendar/" + token + "x.ics").status, 404);

    // The access log has both requests, with the secret masked.
    const bool logged = pollUntil(
        [&] {
            const std::string logs = s->vtpd().logs();
            return logs.find("/api/v1/calendar/***") != std::string::npos && logs.find("\"status\":\"404\"") != std::string::npos;
        },
        std::chrono::seconds(10));
    const std::string logs = s->vtpd().logs();
    EXPECT_TRUE(logged) << logs;
    EXPECT_EQ(logs.find(token), std::string::npos) << "the feed secret is in the log";
}

INSTANTIATE_TEST_SUITE_P(Backends, CoursesValidation, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
