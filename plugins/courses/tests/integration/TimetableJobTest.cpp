// Timetables end to end: a small generated term solved as a courses.timetable job (progress,
// result, accept, cancel keeping the best so far), over-constrained terms, .ctt import and
// export, and vtpctl's offline solve and check, on SQLite and PostgreSQL.
#include "CoursesTestSupport.hpp"

#include <set>

using namespace vtp::test;

namespace {

class Timetable : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        s = std::make_unique<CoursesServer>(GetParam());
        admin = s->staff("admin@uni.example", "admin");
    }

    // Five teaching days x four periods, three rooms, six three-lecture courses of two teachers in
    // two curricula; the first course cannot be taught on Mondays.
    void makeTerm()
    {
        term = str(s->expect(201, "POST", "/api/v1/terms", admin,
                             R"({"name":"Solved","start_date":"2025-09-01","end_date":"2025-10-31","time_zone":"Europe/Zurich"})"),
                   "id");
        for (const auto& [name, cap] : std::vector<std::pair<std::string, int>>{{"R1", 40}, {"R2", 60}, {"R3", 100}})
            s->expect(201, "POST", "/api/v1/classrooms", admin,
                      R"({"name":")" + name + R"(","kind":"physical","capacity":)" + std::to_string(cap) + "}");
        const Account p1 = s->staff("p1@uni.example", "instructor"), p2 = s->staff("p2@uni.example", "instructor");
        std::vector<std::string> courses;
        for (int i = 1; i <= 6; ++i) {
            const std::string code = "C" + std::to_string(i);
            courses.push_back(str(s->expect(201, "POST", "/api/v1/courses", admin,
                                            R"({"term_id":")" + term + R"(","code":")" + code +
                                                R"(","title":"T","lectures_per_week":3,"min_working_days":3})"),
                                  "id"));
            sections.push_back(str(s->expect(201, "POST", "/api/v1/sections", admin,
                                             R"({"course_id":")" + courses.back() + R"(","name":"A","capacity":)" +
                                                 std::to_string(20 + 15 * i) + R"(,"instructors":[")" + (i % 2 ? p1.id : p2.id) + R"("]})"),
                                   "id"));
        }
        s->expect(201, "POST", "/api/v1/curricula", admin,
                  R"({"term_id":")" + term + R"(","name":"Y1","course_ids":[")" + courses[0] + R"(",")" + courses[1] + R"(",")" +
                      courses[2] + R"("]})");
        s->expect(201, "POST", "/api/v1/curricula", admin,
                  R"({"term_id":")" + term + R"(","name":"Y2","course_ids":[")" + courses[3] + R"(",")" + courses[4] + R"(",")" +
                      courses[5] + R"("]})");
        s->expect(200, "PUT", "/api/v1/courses/" + courses[0] + "/unavailability", admin,
                  R"({"periods":[{"day":0,"period":0},{"day":0,"period":1},{"day":0,"period":2},{"day":0,"period":3}]})");
        EXPECT_EQ(
            s->call("PUT", "/api/v1/courses/" + courses[0] + "/unavailability", admin, R"({"periods":[{"day":5,"period":0}]})").status,
            422);
    }

    std::unique_ptr<CoursesServer> s;
    Account admin;
    std::string term;
    std::vector<std::string> sections;
};

TEST_P(Timetable, AJobSolvesTheTermReportsProgressAndAcceptingSetsTheMeetingPatterns)
{
    makeTerm();
    const Account student = s->student("stu@uni.example");
    EXPECT_EQ(s->call("POST", "/api/v1/terms/" + term + "/timetables", student, "{}").status, 403);
    EXPECT_EQ(s->call("POST", "/api/v1/terms/" + term + "/timetables", admin, R"({"time_limit_seconds":0})").status, 422);
    auto started = s->expect(202, "POST", "/api/v1/terms/" + term + "/timetables", admin, R"({"time_limit_seconds":2,"seed":7})");
    const std::string tid = str(started, "id"), job = str(started, "job_id");
    EXPECT_EQ(started->getValue<int>("lectures"), 18);

    std::set<std::string> messages;
    const auto done = s->waitForJob(job, admin, [&](const JsonObject& j) {
        messages.insert(j->getObject("progress")->getValue<std::string>("message"));
        return str(j, "state") == "succeeded" || str(j, "state") == "failed";
    });
    ASSERT_EQ(str(done, "state"), "succeeded") << CoursesServer::stringify(done);
    bool sawCosts = false;
    for (const auto& m : messages) sawCosts = sawCosts || m.find("best hard") != std::string::npos;
    EXPECT_TRUE(sawCosts) << "progress shows the best hard and soft cost";
    const auto result = done->getObject("result");
    EXPECT_EQ(str(result, "state"), "proposed");
    EXPECT_EQ(result->getValue<int>("hard_violations"), 0);
    EXPECT_GE(result->getValue<int>("soft_cost"), 0);
    EXPECT_TRUE(s->waitForEvent("timetable.solved", [&](const JsonObject& p) { return str(p, "timetable_id") == tid; }));

    auto tt = s->expect(200, "GET", "/api/v1/terms/" + term + "/timetables/" + tid, admin);
    EXPECT_EQ(str(tt, "state"), "proposed");
    const auto assignments = tt->getArray("assignments");
    ASSERT_EQ(assignments->size(), 18u);
    std::set<std::string> slots;
    for (size_t i = 0; i < assignments->size(); ++i) {
        const auto a = assignments->getObject(static_cast<unsigned>(i));
        EXPECT_TRUE(slots.insert(str(a, "room_id") + std::to_string(a->getValue<int>("weekday")) + str(a, "start_time")).second)
            << "two lectures in one room and period";
        if (str(a, "section_id") == sections[0]) {
            EXPECT_NE(a->getValue<int>("weekday"), 1) << "C1 is unavailable on Mondays";
        }
    }
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/terms/" + term + "/timetables?state=proposed", admin)->getArray("timetables")->size(), 1u);

    // Nothing changes until an admin accepts it.
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/sections/" + sections[0] + "/meetings", admin)->getArray("meetings")->size(), 0u);
    auto accepted = s->expect(200, "POST", "/api/v1/terms/" + term + "/timetables/" + tid + "/accept", admin);
    EXPECT_EQ(str(accepted, "state"), "accepted");
    EXPECT_EQ(accepted->getValue<int>("sections_updated"), 6);
    for (const auto& section : sections) {
        const auto meetings = s->expect(200, "GET", "/api/v1/sections/" + section + "/meetings", admin)->getArray("meetings");
        ASSERT_EQ(meetings->size(), 3u);
        std::set<int> days;
        for (size_t i = 0; i < meetings->size(); ++i) {
            const auto m = meetings->getObject(static_cast<unsigned>(i));
            days.insert(m->getValue<int>("weekday"));
            EXPECT_FALSE(m->isNull("room_id"));
            bool inProposal = false;
            for (size_t k = 0; k < assignments->size(); ++k) {
                const auto a = assignments->getObject(static_cast<unsigned>(k));
                inProposal = inProposal || (str(a, "section_id") == section && a->getValue<int>("weekday") == m->getValue<int>("weekday") &&
                                            str(a, "start_time") == str(m, "start_time") && str(a, "room_id") == str(m, "room_id"));
            }
            EXPECT_TRUE(inProposal) << "meeting " << CoursesServer::stringify(m) << " is not in the proposal";
        }
        EXPECT_GT(s->expect(200, "GET", "/api/v1/sections/" + section + "/sessions", admin)->getArray("sessions")->size(), 0u);
    }
    EXPECT_TRUE(s->waitForEvent("session.scheduled", [&](const JsonObject& p) { return str(p, "section_id") == sections[5]; }));
    EXPECT_EQ(s->call("POST", "/api/v1/terms/" + term + "/timetables/" + tid + "/accept", admin).status, 409);
    EXPECT_EQ(s->call("POST", "/api/v1/terms/" + term + "/timetables/nope/accept", admin).status, 404);
}

TEST_P(Timetable, CancellingTheJobKeepsTheBestTimetableSoFar)
{
    makeTerm();
    auto started = s->expect(202, "POST", "/api/v1/terms/" + term + "/timetables", admin, R"({"time_limit_seconds":300,"seed":3})");
    const std::string tid = str(started, "id"), job = str(started, "job_id");
    s->waitForJob(job, admin, [](const JsonObject& j) {
        return str(j, "state") == "running" &&
               j->getObject("progress")->getValue<std::string>("message").find("best hard 0") != std::string::npos;
    });
    const auto start = std::chrono::steady_clock::now();
    s->expect(202, "POST", "/api/v1/jobs/" + job + "/cancel", admin);
    const auto done = s->waitForJob(job, admin, [](const JsonObject& j) {
        const std::string st = str(j, "state");
        return st == "cancelled" || st == "succeeded" || st == "failed";
    });
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10)) << "the solver stops soon after a cancel";
    ASSERT_EQ(str(done, "state"), "cancelled") << CoursesServer::stringify(done);
    const auto result = done->getObject("result");
    ASSERT_FALSE(result.isNull()) << "the best so far is the cancelled job's result";
    EXPECT_EQ(str(result, "state"), "cancelled");
    EXPECT_TRUE(result->getValue<bool>("cancelled"));
    EXPECT_EQ(result->getValue<int>("hard_violations"), 0);
    auto tt = s->expect(200, "GET", "/api/v1/terms/" + term + "/timetables/" + tid, admin);
    EXPECT_EQ(str(tt, "state"), "cancelled");
    EXPECT_EQ(tt->getArray("assignments")->size(), 18u);
    EXPECT_EQ(s->expect(200, "POST", "/api/v1/terms/" + term + "/timetables/" + tid + "/accept", admin)->getValue<int>("sections_updated"),
              6)
        << "a feasible best-so-far can be accepted";
}

TEST_P(Timetable, OverConstrainedTermsNameTheConstraintAndCttImportExportRoundTrips)
{
    // An empty term, then one course with more lectures than the grid has periods.
    const std::string empty =
        str(s->expect(201, "POST", "/api/v1/terms", admin, R"({"name":"E","start_date":"2025-09-01","end_date":"2025-09-30"})"), "id");
    auto r = s->call("POST", "/api/v1/terms/" + empty + "/timetables", admin, "{}");
    EXPECT_EQ(r.status, 422);
    EXPECT_NE(problemType(r).find("nothing-to-schedule"), std::string::npos) << r.body;
    s->expect(201, "POST", "/api/v1/classrooms", admin, R"({"name":"One","kind":"virtual","capacity":50})");
    s->expect(201, "POST", "/api/v1/classrooms", admin, R"({"name":"Two","kind":"virtual","capacity":50})");
    const std::string big =
        str(s->expect(201, "POST", "/api/v1/courses", admin,
                      R"({"term_id":")" + empty + R"(","code":"HUGE","title":"Too much","lectures_per_week":25,"min_working_days":5})"),
            "id");
    s->expect(201, "POST", "/api/v1/sections", admin, R"({"course_id":")" + big + R"(","name":"A","capacity":10})");
    r = s->call("POST", "/api/v1/terms/" + empty + "/timetables", admin, "{}");
    ASSERT_EQ(r.status, 422);
    EXPECT_NE(problemType(r).find("over-constrained"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("25 lectures"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("HUGE"), std::string::npos) << "the problem names the course: " << r.body;
    EXPECT_EQ(s->call("POST", "/api/v1/terms/" + empty + "/import.ctt", admin, "Name: X\n", "text/plain").status, 409) << "not empty";

    // Import into a fresh term: a malformed file names its line; a good one creates everything.
    const std::string fresh =
        str(s->expect(201, "POST", "/api/v1/terms", admin, R"({"name":"F","start_date":"2025-09-01","end_date":"2025-09-30"})"), "id");
    r = s->call("POST", "/api/v1/terms/" + fresh + "/import.ctt", admin, "Name: Toy\nCourses: x\n", "text/plain");
    ASSERT_EQ(r.status, 422);
    EXPECT_NE(problemType(r).find("invalid-ctt"), std::string::npos);
    EXPECT_NE(r.body.find("line 2"), std::string::npos) << r.body;
    const std::string ctt = "Name: Toy\nCourses: 3\nRooms: 2\nDays: 3\nPeriods_per_day: 2\nCurricula: 1\nConstraints: 1\n\n"
                            "COURSES:\ncA tX 2 2 30\ncB tY 2 1 10\ncC tX 1 1 50\n\nROOMS:\nrSmall 20\nrBig 60\n\n"
                            "CURRICULA:\nq1 2 cA cB\n\nUNAVAILABILITY_CONSTRAINTS:\ncA 0 0\n\nEND.\n";
    auto imported = s->expect(201, "POST", "/api/v1/terms/" + fresh + "/import.ctt", admin, ctt);
    EXPECT_EQ(imported->getValue<int>("courses"), 3);
    EXPECT_EQ(imported->getValue<int>("rooms_created"), 2);
    EXPECT_EQ(imported->getValue<int>("lectures"), 5);
    const auto t = s->expect(200, "GET", "/api/v1/terms/" + fresh, admin);
    EXPECT_EQ(t->getArray("teaching_days")->size(), 3u);
    EXPECT_EQ(t->getArray("periods")->size(), 2u);
    const auto exported = s->call("GET", "/api/v1/terms/" + fresh + "/export.ctt", admin);
    ASSERT_EQ(exported.status, 200) << exported.body;
    EXPECT_NE(exported.body.find("Courses: 3"), std::string::npos) << exported.body;
    EXPECT_NE(exported.body.find("Days: 3"), std::string::npos);
    EXPECT_NE(exported.body.find("cA-A tX 2 2 30"), std::string::npos) << exported.body;
    EXPECT_EQ(s->call("GET", "/api/v1/terms/" + fresh + "/export.ctt", s->student("x@uni.example")).status, 403);

    // vtpctl solves the exported file offline and checks the solution.
    const std::string cttPath = s->vtpd().dir() + "/term.ctt", solPath = s->vtpd().dir() + "/term.sol";
    writeFile(cttPath, exported.body);
    std::string out;
    ASSERT_EQ(s->auth().vtpctl({"timetable", "solve", cttPath, "--time-limit", "1", "--seed", "5", "-o", solPath, "--quiet"}, "", out), 0)
        << out;
    EXPECT_NE(readFile(solPath).find("cA-A "), std::string::npos);
    out.clear();
    ASSERT_EQ(s->auth().vtpctl({"timetable", "check", cttPath, solPath}, "", out), 0) << out;
    EXPECT_NE(out.find("Hard violations total:   0"), std::string::npos) << out;
    out.clear();
    EXPECT_NE(s->auth().vtpctl({"timetable", "check", cttPath}, "", out), 0) << "usage error";
}

INSTANTIATE_TEST_SUITE_P(Backends, Timetable, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
