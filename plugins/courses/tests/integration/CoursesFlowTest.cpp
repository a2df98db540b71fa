// The courses plugin's REST flows and role checks end to end through the real vtpd, on SQLite
// and PostgreSQL.
#include "CoursesTestSupport.hpp"

#include <set>

using namespace vtp::test;

namespace {

class CoursesFlow : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        // The feed window reaches ten years back, so the fixed 2025 dates below are in it whenever this runs.
        s = std::make_unique<CoursesServer>(GetParam(), "[plugins.courses.calendar]\npast_days = 3650\nfuture_days = 3650\n\n");
        admin = s->staff("admin@uni.example", "admin");
    }

    // A term from 2025-09-01 (Monday) to 2025-12-19 with one holiday, in Zurich time.
    std::string makeTerm(const std::string& name = "Autumn 2025")
    {
        return str(
            s->expect(201, "POST", "/api/v1/terms", admin,
                      R"({"name":")" + name +
                          R"(","start_date":"2025-09-01","end_date":"2025-12-19","time_zone":"Europe/Zurich","holidays":["2025-09-08"]})"),
            "id");
    }
    std::string makeCourse(const std::string& term, const std::string& code, const std::string& department = "CS")
    {
        return str(s->expect(201, "POST", "/api/v1/courses", admin,
                             R"({"term_id":")" + term + R"(","code":")" + code + R"(","title":"Course )" + code +
                                 R"(","credits":6,"department":")" + department + R"(","lectures_per_week":2,"min_working_days":2})"),
                   "id");
    }
    std::string makeSection(const std::string& course, const std::string& name, int capacity, int waitlist,
                            const std::vector<std::string>& instructors, const std::string& extra = "")
    {
        std::string list;
        for (const auto& i : instructors) list += (list.empty() ? "\"" : ",\"") + i + "\"";
        return str(s->expect(201, "POST", "/api/v1/sections", admin,
                             R"({"course_id":")" + course + R"(","name":")" + name + R"(","capacity":)" + std::to_string(capacity) +
                                 R"(,"waitlist_capacity":)" + std::to_string(waitlist) + R"(,"instructors":[)" + list + "]" + extra + "}"),
                   "id");
    }

    std::unique_ptr<CoursesServer> s;
    Account admin;
};

TEST_P(CoursesFlow, AdminsManageTheCatalogOthersReadItAndBadInputIsAProblem)
{
    const Account student = s->student("ada@uni.example");
    const Account nobody;

    // Roles are declared by the routes and enforced by the kernel.
    EXPECT_EQ(s->call("GET", "/api/v1/terms", nobody).status, 401);
    EXPECT_EQ(s->call("POST", "/api/v1/terms", student, R"({"name":"X","start_date":"2025-09-01","end_date":"2025-12-19"})").status, 403);
    EXPECT_EQ(s->call("POST", "/api/v1/classrooms", student, R"({"name":"R","kind":"virtual","capacity":5})").status, 403);

    const std::string term = makeTerm();
    auto t = s->expect(200, "GET", "/api/v1/terms/" + term, student);
    EXPECT_EQ(str(t, "time_zone"), "Europe/Zurich");
    EXPECT_EQ(t->getArray("holidays")->getElement<std::string>(0), "2025-09-08");
    EXPECT_EQ(t->getArray("teaching_days")->size(), 5u);
    EXPECT_EQ(t->getArray("periods")->size(), 4u);
    const auto defaultZone =
        s->expect(201, "POST", "/api/v1/terms", admin, R"({"name":"Spring 2026","start_date":"2026-02-16","end_date":"2026-05-29"})");
    EXPECT_EQ(str(defaultZone, "time_zone"), "UTC");

    // Bad input: RFC 9457 problems naming what is wrong.
    auto bad = s->call("POST", "/api/v1/terms", admin, R"({"name":"Bad","start_date":"2025-02-30","end_date":"2025-12-19"})");
    EXPECT_EQ(bad.status, 422);
    EXPECT_EQ(bad.contentType, "application/problem+json");
    EXPECT_NE(bad.body.find("start_date"), std::string::npos) << bad.body;
    EXPECT_EQ(s->call("POST", "/api/v1/terms", admin, R"({"name":"Bad","start_date":"2025-12-01","end_date":"2025-09-19"})").status, 422);
    bad = s->call("POST", "/api/v1/terms", admin,
                  R"({"name":"Bad","start_date":"2025-09-01","end_date":"2025-12-19","time_zone":"Mars/Base"})");
    EXPECT_EQ(bad.status, 422);
    EXPECT_NE(problemType(bad).find("invalid-time-zone"), std::string::npos) << bad.body;
    EXPECT_EQ(s->call("POST", "/api/v1/terms", admin, R"({"name":"Autumn 2025","start_date":"2025-09-01","end_date":"2025-12-19"})").status,
              409);
    bad = s->call("POST", "/api/v1/terms", admin, R"({"name":"X","start_date":"2025-09-01","end_date":"2025-12-19","colour":"red"})");
    EXPECT_EQ(bad.status, 422);
    EXPECT_NE(bad.body.find("colour"), std::string::npos);
    EXPECT_EQ(s->call("POST", "/api/v1/terms", admin, "[1,2]").status, 400);
    EXPECT_EQ(s->call("GET", "/api/v1/terms/nope", student).status, 404);

    // Rooms: filters by kind, capacity and feature.
    s->expect(201, "POST", "/api/v1/classrooms", admin,
              R"({"name":"Hall A","kind":"physical","capacity":120,"features":["projector","accessible"]})");
    s->expect(201, "POST", "/api/v1/classrooms", admin, R"({"name":"Lab 1","kind":"physical","capacity":24,"features":["computers"]})");
    const auto online = s->expect(201, "POST", "/api/v1/classrooms", admin, R"({"name":"Online 1","kind":"virtual","capacity":300})");
    EXPECT_EQ(s->call("POST", "/api/v1/classrooms", admin, R"({"name":"Hall A","kind":"physical","capacity":5})").status, 409);
    EXPECT_EQ(s->call("POST", "/api/v1/classrooms", admin, R"({"name":"Z","kind":"cupboard","capacity":5})").status, 422);
    EXPECT_EQ(s->call("POST", "/api/v1/classrooms", admin, R"({"name":"Z","kind":"virtual","capacity":0})").status, 422);
    auto rooms = s->expect(200, "GET", "/api/v1/classrooms?kind=physical&min_capacity=50", student);
    ASSERT_EQ(rooms->getArray("rooms")->size(), 1u);
    EXPECT_EQ(rooms->getArray("rooms")->getObject(0)->getValue<std::string>("name"), "Hall A");
    rooms = s->expect(200, "GET", "/api/v1/classrooms?feature=computers", student);
    ASSERT_EQ(rooms->getArray("rooms")->size(), 1u);
    EXPECT_EQ(rooms->getArray("rooms")->getObject(0)->getValue<std::string>("name"), "Lab 1");
    EXPECT_EQ(s->call("GET", "/api/v1/classrooms?kind=cupboard", student).status, 400);
    auto patched = s->expect(200, "PATCH", "/api/v1/classrooms/" + str(online, "id"), admin, R"({"capacity":500})");
    EXPECT_EQ(patched->getValue<int>("capacity"), 500);

    // Courses: code unique per term, a course.created event, cursor pagination through every page.
    const std::vector<std::string> codes{"CS101", "CS102", "CS201", "MA101", "MA201"};
    for (const auto& c : codes) makeCourse(term, c, c.substr(0, 2) == "CS" ? "CS" : "Math");
    EXPECT_EQ(s->call("POST", "/api/v1/courses", admin, R"({"term_id":")" + term + R"(","code":"CS101","title":"Again"})").status, 409);
    makeCourse(str(defaultZone, "id"), "CS101"); // the same code in another term is fine
    EXPECT_EQ(s->call("POST", "/api/v1/courses", admin, R"({"term_id":"nope","code":"X1","title":"T"})").status, 422);
    EXPECT_EQ(s->call("POST", "/api/v1/courses", admin,
                      R"({"term_id":")" + term + R"(","code":"X1","title":"T","lectures_per_week":1,"min_working_days":3})")
                  .status,
              422);
    EXPECT_TRUE(s->waitForEvent("course.created", [](const JsonObject& p) { return str(p, "code") == "MA201"; }));

    std::vector<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
        auto page =
            s->expect(200, "GET", "/api/v1/courses?term_id=" + term + "&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), student);
        const auto items = page->getArray("courses");
        EXPECT_LE(items->size(), 2u);
        for (size_t i = 0; i < items->size(); ++i)
            seen.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("code"));
        cursor = page->isNull("next_cursor") ? "" : page->getValue<std::string>("next_cursor");
        ++pages;
    } while (!cursor.empty() && pages < 10);
    EXPECT_EQ(seen, codes);
    EXPECT_EQ(pages, 3);
    auto math = s->expect(200, "GET", "/api/v1/courses?term_id=" + term + "&department=Math", student);
    EXPECT_EQ(math->getArray("courses")->size(), 2u);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/courses?q=course%20cs2", student)->getArray("courses")->size(), 1u);
    EXPECT_EQ(s->call("GET", "/api/v1/courses?cursor=zz", student).status, 400);
    EXPECT_EQ(s->call("GET", "/api/v1/courses?limit=0", student).status, 400);

    // Curricula name courses of their own term only.
    const auto courses = s->expect(200, "GET", "/api/v1/courses?term_id=" + term + "&code=CS101", student)->getArray("courses");
    const std::string cs101 = courses->getObject(0)->getValue<std::string>("id");
    const auto all = s->expect(200, "GET", "/api/v1/courses?term_id=" + term + "&code=MA101", student)->getArray("courses");
    const std::string ma101 = all->getObject(0)->getValue<std::string>("id");
    auto curriculum =
        s->expect(201, "POST", "/api/v1/curricula", admin,
                  R"({"term_id":")" + term + R"(","name":"BSc CS year 1","course_ids":[")" + cs101 + R"(",")" + ma101 + R"("]})");
    EXPECT_EQ(curriculum->getArray("course_ids")->size(), 2u);
    const std::string otherTermCourse =
        str(s->expect(200, "GET", "/api/v1/courses?term_id=" + str(defaultZone, "id"), student)->getArray("courses")->getObject(0), "id");
    EXPECT_EQ(s->call("POST", "/api/v1/curricula", admin,
                      R"({"term_id":")" + term + R"(","name":"Mixed","course_ids":[")" + otherTermCourse + R"("]})")
                  .status,
              422);
    EXPECT_EQ(s->call("POST", "/api/v1/curricula", student, R"({"term_id":")" + term + R"(","name":"S","course_ids":[]})").status, 403);
    auto byCourse = s->expect(200, "GET", "/api/v1/curricula?course_id=" + ma101, student);
    EXPECT_EQ(byCourse->getArray("curricula")->size(), 1u);
    s->expect(204, "DELETE", "/api/v1/curricula/" + str(curriculum, "id"), admin);
    EXPECT_EQ(s->call("GET", "/api/v1/curricula/" + str(curriculum, "id"), student).status, 404);
}

TEST_P(CoursesFlow, InstructorsManageOnlyTheirOwnSectionsAndEnrollmentFillsThenWaitlists)
{
    const Account prof = s->staff("prof@uni.example", "instructor");
    const Account other = s->staff("other@uni.example", "instructor");
    const Account a = s->student("a@uni.example"), b = s->student("b@uni.example"), c = s->student("c@uni.example"),
                  d = s->student("d@uni.example");
    const std::string term = makeTerm();
    const std::string course = makeCourse(term, "CS101");
    const std::string section = makeSection(course, "A", 2, 1, {prof.id});

    // Ownership: another instructor and students cannot change it; its instructor can.
    EXPECT_EQ(s->call("PATCH", "/api/v1/sections/" + section, other, R"({"capacity":50})").status, 403);
    EXPECT_EQ(s->call("PATCH", "/api/v1/sections/" + section, a, R"({"capacity":50})").status, 403);
    EXPECT_EQ(s->call("PATCH", "/api/v1/sections/" + section, prof, R"({"instructors":[")" + other.id + R"("]})").status, 403)
        << "only admins change who teaches";
    auto sec = s->expect(200, "PATCH", "/api/v1/sections/" + section, prof, R"({"capacity":1,"assistants":[")" + d.id + R"("]})");
    EXPECT_EQ(sec->getValue<int>("capacity"), 1);
    EXPECT_EQ(sec->getArray("instructors")->getElement<std::string>(0), prof.id);
    EXPECT_EQ(sec->getArray("assistants")->getElement<std::string>(0), d.id);
    // An instructor creates sections only for themselves; a student none.
    EXPECT_EQ(s->call("POST", "/api/v1/sections", other,
                      R"({"course_id":")" + course + R"(","name":"B","capacity":5,"instructors":[")" + prof.id + R"("]})")
                  .status,
              403);
    auto own = s->expect(201, "POST", "/api/v1/sections", other, R"({"course_id":")" + course + R"(","name":"B","capacity":5})");
    EXPECT_EQ(own->getArray("instructors")->getElement<std::string>(0), other.id);
    EXPECT_EQ(s->call("POST", "/api/v1/sections", a, R"({"course_id":")" + course + R"(","name":"C","capacity":5})").status, 403);
    EXPECT_EQ(s->call("POST", "/api/v1/sections", admin, R"({"course_id":")" + course + R"(","name":"A","capacity":5})").status, 409);
    EXPECT_EQ(s->call("POST", "/api/v1/sections", admin, R"({"course_id":")" + course + R"(","name":"Z","capacity":-1})").status, 422);
    auto mine = s->expect(200, "GET", "/api/v1/sections?instructor=me", other);
    ASSERT_EQ(mine->getArray("sections")->size(), 1u);
    EXPECT_EQ(mine->getArray("sections")->getObject(0)->getValue<std::string>("name"), "B");

    // One seat, one waitlist place: a enrolls, b waits, c is refused; a drop promotes b.
    auto ea = s->expect(201, "POST", "/api/v1/sections/" + section + "/enroll", a);
    EXPECT_EQ(str(ea, "status"), "enrolled");
    EXPECT_EQ(s->call("POST", "/api/v1/sections/" + section + "/enroll", a).status, 409) << "twice";
    auto eb = s->expect(201, "POST", "/api/v1/sections/" + section + "/enroll", b);
    EXPECT_EQ(str(eb, "status"), "waitlisted");
    EXPECT_EQ(eb->getValue<int>("position"), 1);
    auto full = s->call("POST", "/api/v1/sections/" + section + "/enroll", c);
    EXPECT_EQ(full.status, 409);
    EXPECT_NE(problemType(full).find("section-full"), std::string::npos) << full.body;
    EXPECT_EQ(s->call("POST", "/api/v1/sections/" + section + "/enroll", prof).status, 409) << "staff do not enroll";

    // Rosters: staff (instructor and TA) and admins see them; students do not.
    EXPECT_EQ(s->call("GET", "/api/v1/sections/" + section + "/enrollments", a).status, 403);
    EXPECT_EQ(s->call("GET", "/api/v1/sections/" + section + "/enrollments", other).status, 403);
    EXPECT_EQ(s->call("GET", "/api/v1/sections/" + section + "/enrollments", d).status, 200) << "teaching assistant";
    auto roster = s->expect(200, "GET", "/api/v1/sections/" + section + "/enrollments?status=waitlisted", prof);
    ASSERT_EQ(roster->getArray("enrollments")->size(), 1u);
    EXPECT_EQ(roster->getArray("enrollments")->getObject(0)->getValue<std::string>("user_id"), b.id);
    EXPECT_EQ(s->call("GET", "/api/v1/sections/" + section + "/enrollments?status=maybe", prof).status, 400);

    auto myB = s->expect(200, "GET", "/api/v1/users/me/enrollments", b);
    ASSERT_EQ(myB->getArray("enrollments")->size(), 1u);
    EXPECT_EQ(myB->getArray("enrollments")->getObject(0)->getValue<std::string>("status"), "waitlisted");
    EXPECT_EQ(myB->getArray("enrollments")->getObject(0)->getValue<int>("position"), 1);

    s->expect(204, "DELETE", "/api/v1/sections/" + section + "/enroll", a);
    EXPECT_EQ(s->call("DELETE", "/api/v1/sections/" + section + "/enroll", a).status, 404);
    myB = s->expect(200, "GET", "/api/v1/users/me/enrollments?status=enrolled", b);
    ASSERT_EQ(myB->getArray("enrollments")->size(), 1u) << "promoted from the waitlist";
    const auto metrics = s->vtpd().get("/metrics");
    EXPECT_NE(metrics.body.find("vtp_plugin_courses_enrollment_changes_total{status=\"dropped\"} 1"), std::string::npos) << metrics.body;
    EXPECT_TRUE(s->waitForEvent("enrollment.changed",
                                [&](const JsonObject& p) { return str(p, "user_id") == b.id && str(p, "status") == "enrolled"; }));

    // Staff enroll and remove directly; more seats promote the waitlist.
    auto byProf = s->expect(201, "POST", "/api/v1/sections/" + section + "/enrollments", prof, R"({"email":"C@uni.example"})");
    EXPECT_EQ(str(byProf, "status"), "waitlisted");
    EXPECT_EQ(str(byProf, "user_id"), c.id);
    EXPECT_EQ(s->call("POST", "/api/v1/sections/" + section + "/enrollments", prof, R"({"email":"ghost@uni.example"})").status, 422);
    EXPECT_EQ(s->call("POST", "/api/v1/sections/" + section + "/enrollments", other, R"({"user_id":")" + a.id + R"("})").status, 403);
    EXPECT_EQ(s->call("POST", "/api/v1/sections/" + section + "/enrollments", d, R"({"user_id":")" + a.id + R"("})").status, 403)
        << "teaching assistants do not manage the roster";
    sec = s->expect(200, "PATCH", "/api/v1/sections/" + section, prof, R"({"capacity":3})");
    EXPECT_EQ(sec->getValue<int>("enrolled"), 2);
    EXPECT_EQ(sec->getValue<int>("waitlisted"), 0);
    s->expect(204, "DELETE", "/api/v1/sections/" + section + "/enrollments/" + c.id, prof);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/sections/" + section, a)->getValue<int>("enrolled"), 1);

    // Enrollment dates and the drop deadline bind students, not staff.
    const std::string closed =
        makeSection(course, "Late", 5, 5, {prof.id},
                    R"(,"enrollment_opens":"2020-01-01","enrollment_closes":"2020-01-31","drop_deadline":"2020-01-15")");
    auto late = s->call("POST", "/api/v1/sections/" + closed + "/enroll", a);
    EXPECT_EQ(late.status, 409);
    EXPECT_NE(problemType(late).find("enrollment-closed"), std::string::npos) << late.body;
    s->expect(201, "POST", "/api/v1/sections/" + closed + "/enrollments", prof, R"({"user_id":")" + a.id + R"("})");
    auto noDrop = s->call("DELETE", "/api/v1/sections/" + closed + "/enroll", a);
    EXPECT_EQ(noDrop.status, 409);
    EXPECT_NE(problemType(noDrop).find("drop-deadline-passed"), std::string::npos) << noDrop.body;
    const std::string future = makeSection(course, "Future", 5, 5, {prof.id}, R"(,"enrollment_opens":"2099-01-01")");
    EXPECT_EQ(s->call("POST", "/api/v1/sections/" + future + "/enroll", a).status, 409);
    EXPECT_EQ(s->call("POST", "/api/v1/sections/nope/enroll", a).status, 404);
}

TEST_P(CoursesFlow, MeetingPatternsBecomeSessionsInTheTermsTimeZoneThatSchedulesShowAndStaffMove)
{
    const Account prof = s->staff("prof@uni.example", "instructor");
    const Account stu = s->student("stu@uni.example");
    const Account other = s->student("other@uni.example");
    const std::string term = makeTerm();
    const std::string course = makeCourse(term, "CS101");
    const std::string section = makeSection(course, "A", 10, 0, {prof.id});
    const std::string room =
        str(s->expect(201, "POST", "/api/v1/classrooms", admin, R"({"name":"Hall A","kind":"physical","capacity":120})"), "id");
    s->expect(201, "POST", "/api/v1/sections/" + section + "/enroll", stu);

    EXPECT_EQ(s->call("PUT", "/api/v1/sections/" + section + "/meetings", stu, R"({"meetings":[]})").status, 403);
    EXPECT_EQ(s->call("PUT", "/api/v1/sections/" + section + "/meetings", prof,
                      R"({"meetings":[{"weekday":8,"start_time":"09:00","end_time":"10:00"}]})")
                  .status,
              422);
    EXPECT_EQ(s->call("PUT", "/api/v1/sections/" + section + "/meetings", prof,
                      R"({"meetings":[{"weekday":1,"start_time":"11:00","end_time":"10:00"}]})")
                  .status,
              422);
    EXPECT_EQ(
        s->call(
             "PUT", "/api/v1/sections/" + section + "/meetings", prof,
             R"({"meetings":[{"weekday":1,"start_time":"09:00","end_time":"10:00"},{"weekday":1,"start_time":"09:30","end_time":"11:00"}]})")
            .status,
        422)
        << "overlapping meetings";
    // Mondays 09:15-10:45 in Hall A and Thursdays 14:00-15:30 online (no room), 2025-09-01 to 2025-12-19
    // with 2025-09-08 off: 15 Mondays + 16 Thursdays.
    auto put = s->expect(200, "PUT", "/api/v1/sections/" + section + "/meetings", prof,
                         R"({"meetings":[{"weekday":1,"start_time":"09:15","end_time":"10:45","room_id":")" + room +
                             R"("},{"weekday":4,"start_time":"14:00","end_time":"15:30"}]})");
    EXPECT_EQ(put->getValue<int>("sessions"), 31);
    EXPECT_TRUE(s->waitForEvent("session.scheduled", [&](const JsonObject& p) { return str(p, "section_id") == section; }));

    auto sessions = s->expect(200, "GET", "/api/v1/sections/" + section + "/sessions?limit=200", stu)->getArray("sessions");
    ASSERT_EQ(sessions->size(), 31u);
    std::set<std::string> dates;
    for (size_t i = 0; i < sessions->size(); ++i)
        dates.insert(sessions->getObject(static_cast<unsigned>(i))->getValue<std::string>("date"));
    EXPECT_EQ(dates.count("2025-09-08"), 0u) << "holiday";
    EXPECT_EQ(dates.count("2025-09-01"), 1u);
    const auto first = sessions->getObject(0);
    EXPECT_EQ(str(first, "start_time"), "09:15");
    EXPECT_EQ(str(first, "room_name"), "Hall A");
    // 2025-09-01 09:15 in Zurich (CEST, UTC+2) is 07:15 UTC; 2025-12-15 09:15 (CET) is 08:15 UTC.
    EXPECT_EQ(first->getValue<int64_t>("starts_at"), 1756710900);
    auto december =
        s->expect(200, "GET", "/api/v1/sections/" + section + "/sessions?from=2025-12-15&to=2025-12-15", stu)->getArray("sessions");
    ASSERT_EQ(december->size(), 1u);
    EXPECT_EQ(december->getObject(0)->getValue<int64_t>("starts_at"), 1765786500);
    EXPECT_EQ(str(december->getObject(0), "live_room"), "courses:" + str(december->getObject(0), "id"));
    EXPECT_EQ(s->call("GET", "/api/v1/sections/" + section + "/sessions?from=yesterday", stu).status, 400);

    // Move one session and cancel another; only staff may.
    const std::string moved = str(sessions->getObject(2), "id");
    const std::string cancelled = str(sessions->getObject(1), "id");
    EXPECT_EQ(s->call("PATCH", "/api/v1/sessions/" + moved, stu, R"({"status":"cancelled"})").status, 403);
    EXPECT_EQ(s->call("PATCH", "/api/v1/sessions/" + moved, prof, R"({"date":"2026-03-01"})").status, 422) << "outside the term";
    auto m = s->expect(200, "PATCH", "/api/v1/sessions/" + moved, prof,
                       R"({"date":"2025-09-09","start_time":"16:00","end_time":"17:30","note":"moved"})");
    EXPECT_EQ(str(m, "date"), "2025-09-09");
    EXPECT_EQ(m->getValue<int64_t>("starts_at"), 1757426400); // 16:00 CEST = 14:00 UTC
    s->expect(200, "PATCH", "/api/v1/sessions/" + cancelled, prof, R"({"status":"cancelled"})");
    auto onlyCancelled = s->expect(200, "GET", "/api/v1/sections/" + section + "/sessions?status=cancelled", stu)->getArray("sessions");
    ASSERT_EQ(onlyCancelled->size(), 1u);
    EXPECT_EQ(str(onlyCancelled->getObject(0), "id"), cancelled);

    // Schedules: the student's and the instructor's, the same sessions; nothing for others.
    auto mine = s->expect(200, "GET", "/api/v1/users/me/schedule?from=2025-09-01&to=2025-09-14", stu)->getArray("sessions");
    auto teaching = s->expect(200, "GET", "/api/v1/users/me/schedule?from=2025-09-01&to=2025-09-14", prof)->getArray("sessions");
    // 09-01 (Mon), 09-04 (Thu, cancelled), 09-09 (moved from Thursday 09-11); 09-08 is the holiday.
    ASSERT_EQ(mine->size(), 3u);
    EXPECT_EQ(teaching->size(), 3u);
    EXPECT_EQ(str(mine->getObject(1), "status"), "cancelled");
    EXPECT_EQ(str(mine->getObject(2), "id"), moved);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/users/me/schedule?from=2025-09-01&to=2025-09-14", other)->getArray("sessions")->size(), 0u);
    auto paged = s->expect(200, "GET", "/api/v1/users/me/schedule?from=2025-09-01&to=2025-09-14&limit=2", stu);
    EXPECT_EQ(paged->getArray("sessions")->size(), 2u);
    auto rest = s->expect(
        200, "GET", "/api/v1/users/me/schedule?from=2025-09-01&to=2025-09-14&limit=2&cursor=" + paged->getValue<std::string>("next_cursor"),
        stu);
    ASSERT_EQ(rest->getArray("sessions")->size(), 1u);
    EXPECT_TRUE(rest->isNull("next_cursor"));
    EXPECT_EQ(s->call("GET", "/api/v1/users/me/schedule?from=2025-09-14&to=2025-09-01", stu).status, 400);

    // A term moved to another zone keeps wall-clock times and moves the instants.
    s->expect(200, "PATCH", "/api/v1/terms/" + term, admin, R"({"time_zone":"America/New_York"})");
    auto ny = s->expect(200, "GET", "/api/v1/sections/" + section + "/sessions?from=2025-09-01&to=2025-09-01", stu)->getArray("sessions");
    ASSERT_EQ(ny->size(), 1u);
    EXPECT_EQ(str(ny->getObject(0), "start_time"), "09:15");
    EXPECT_EQ(ny->getObject(0)->getValue<int64_t>("starts_at"), 1756732500); // 09:15 EDT = 13:15 UTC
}

TEST_P(CoursesFlow, RosterCsvImportReportsEveryRefusedLineAndExportListsTheRoster)
{
    const Account prof = s->staff("prof@uni.example", "instructor");
    const Account other = s->staff("other@uni.example", "instructor");
    std::vector<Account> students;
    for (int i = 0; i < 4; ++i) students.push_back(s->student("s" + std::to_string(i) + "@uni.example"));
    const std::string term = makeTerm();
    const std::string section = makeSection(makeCourse(term, "CS101"), "A", 2, 1, {prof.id});

    const std::string csv = "email\r\n"
                            "s0@uni.example\r\n"
                            "S1@Uni.Example\r\n"
                            "ghost@uni.example\r\n"
                            "s0@uni.example\r\n"
                            "s2@uni.example,extra\r\n"
                            "\"s2@uni.example\r\n"; // unclosed quote to the end
    EXPECT_EQ(s->call("POST", "/api/v1/sections/" + section + "/roster.csv", other, csv, "text/csv").status, 403);
    auto r = s->call("POST", "/api/v1/sections/" + section + "/roster.csv", prof, csv, "text/csv");
    ASSERT_EQ(r.status, 200) << r.body;
    auto report = r.json();
    auto accepted = report->getArray("accepted");
    auto refused = report->getArray("refused");
    ASSERT_EQ(accepted->size(), 2u);
    EXPECT_EQ(accepted->getObject(0)->getValue<int>("line"), 2);
    EXPECT_EQ(accepted->getObject(1)->getValue<std::string>("user_id"), students[1].id);
    ASSERT_EQ(refused->size(), 4u) << CoursesServer::stringify(report);
    std::map<int, std::string> codes;
    for (size_t i = 0; i < refused->size(); ++i) {
        const auto o = refused->getObject(static_cast<unsigned>(i));
        codes[o->getValue<int>("line")] = o->getValue<std::string>("code");
        EXPECT_FALSE(o->getValue<std::string>("reason").empty());
    }
    EXPECT_EQ(codes[4], "unknown-user");
    EXPECT_EQ(codes[5], "duplicate");
    EXPECT_EQ(codes[6], "malformed");
    EXPECT_EQ(codes[7], "malformed");

    // A second import: s2 waits, s3 finds the section and waitlist full, s0 is there already; user ids work too.
    r = s->call("POST", "/api/v1/sections/" + section + "/roster.csv", prof, students[2].id + "\n" + "s3@uni.example\ns0@uni.example\n",
                "text/csv");
    ASSERT_EQ(r.status, 200) << r.body;
    report = r.json();
    ASSERT_EQ(report->getArray("accepted")->size(), 1u);
    EXPECT_EQ(report->getArray("accepted")->getObject(0)->getValue<std::string>("status"), "waitlisted");
    refused = report->getArray("refused");
    ASSERT_EQ(refused->size(), 2u);
    EXPECT_EQ(refused->getObject(0)->getValue<std::string>("code"), "full");
    EXPECT_EQ(refused->getObject(1)->getValue<std::string>("code"), "already-enrolled");

    const auto csvOut = s->call("GET", "/api/v1/sections/" + section + "/roster.csv", prof);
    ASSERT_EQ(csvOut.status, 200);
    EXPECT_EQ(csvOut.contentType.rfind("text/csv", 0), 0u);
    EXPECT_EQ(csvOut.body.rfind("user_id,email,display_name,status,position,enrolled_at\r\n", 0), 0u) << csvOut.body;
    EXPECT_NE(csvOut.body.find(students[0].id + ",s0@uni.example,Student s0@uni.example,enrolled,,"), std::string::npos) << csvOut.body;
    EXPECT_NE(csvOut.body.find(students[2].id + ",s2@uni.example,Student s2@uni.example,waitlisted,1,"), std::string::npos) << csvOut.body;
    EXPECT_EQ(s->call("GET", "/api/v1/sections/" + section + "/roster.csv", students[0]).status, 403);
}

TEST_P(CoursesFlow, CalendarFeedIsPublicBehindASecretThatRotates)
{
    const Account prof = s->staff("prof@uni.example", "instructor");
    const Account stu = s->student("stu@uni.example");
    const std::string term = makeTerm();
    const std::string section = makeSection(makeCourse(term, "CS101"), "A", 10, 0, {prof.id});
    s->expect(200, "PUT", "/api/v1/sections/" + section + "/meetings", prof,
              R"({"meetings":[{"weekday":2,"start_time":"10:00","end_time":"11:00"}]})");
    s->expect(201, "POST", "/api/v1/sections/" + section + "/enroll", stu);

    EXPECT_EQ(s->call("POST", "/api/v1/users/me/calendar", Account{}).status, 401);
    const auto first = s->expect(201, "POST", "/api/v1/users/me/calendar", stu);
    const std::string path = str(first, "path");
    ASSERT_EQ(path.rfind("/api/v1/calendar/", 0), 0u);
    auto feed = s->vtpd().get(path); // no token: calendar clients have none
    ASSERT_EQ(feed.status, 200) << feed.body;
    EXPECT_EQ(feed.contentType.rfind("text/calendar", 0), 0u);
    EXPECT_NE(feed.body.find("BEGIN:VCALENDAR\r\n"), std::string::npos);
    EXPECT_NE(feed.body.find("SUMMARY:CS101 A: Course CS101"), std::string::npos);

    const auto second = s->expect(201, "POST", "/api/v1/users/me/calendar", stu);
    EXPECT_NE(str(second, "path"), path);
    EXPECT_EQ(s->vtpd().get(path).status, 404) << "the old URL stops working";
    EXPECT_EQ(s->vtpd().get(str(second, "path")).status, 200);
    EXPECT_EQ(s->vtpd().get("/api/v1/calendar/0123456789abcdef.ics").status, 404);
    s->expect(204, "DELETE", "/api/v1/users/me/calendar", stu);
    EXPECT_EQ(s->vtpd().get(str(second, "path")).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, CoursesFlow, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
