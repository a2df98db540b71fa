// 200 students enroll at once, each on its own thread and connection, in a 30-seat section with
// a 170-place waitlist: exactly 30 get seats and the rest wait in the order the server accepted
// them, on SQLite and on PostgreSQL (READ COMMITTED, where only the section row lock prevents
// overbooking).
#include "CoursesTestSupport.hpp"

#include <atomic>
#include <latch>
#include <set>
#include <thread>

using namespace vtp::test;

namespace {

class EnrollmentConcurrency : public ::testing::TestWithParam<Backend> {};

TEST_P(EnrollmentConcurrency, TwoHundredAtOnceFillThirtySeatsAndQueueTheRestInAcceptanceOrder)
{
    constexpr int kStudents = 200, kSeats = 30, kWaitlist = 170;
    CoursesServer s(GetParam());
    const Account admin = s.staff("admin@uni.example", "admin");
    const std::string term =
        str(s.expect(201, "POST", "/api/v1/terms", admin, R"({"name":"T","start_date":"2025-09-01","end_date":"2025-12-19"})"), "id");
    const std::string course =
        str(s.expect(201, "POST", "/api/v1/courses", admin, R"({"term_id":")" + term + R"(","code":"POP1","title":"Popular"})"), "id");
    const std::string section = str(s.expect(201, "POST", "/api/v1/sections", admin,
                                             R"({"course_id":")" + course + R"(","name":"A","capacity":30,"waitlist_capacity":170})"),
                                    "id");

    // 200 real accounts (registration and login through auth), made on a few threads.
    std::vector<Account> students(kStudents);
    {
        std::vector<std::thread> makers;
        std::atomic<int> next{0};
        std::atomic<bool> failed{false};
        for (int t = 0; t < 8; ++t)
            makers.emplace_back([&] {
                for (int i = next++; i < kStudents; i = next++) {
                    try {
                        students[static_cast<size_t>(i)] = s.student("student" + std::to_string(i) + "@uni.example");
                    } catch (const std::exception& e) {
                        ADD_FAILURE() << e.what();
                        failed = true;
                    }
                }
            });
        for (auto& t : makers) t.join();
        ASSERT_FALSE(failed);
    }

    struct Outcome {
        int status = 0;
        std::string state, body;
        int position = 0;
        int64_t seq = 0;
    };
    std::vector<Outcome> outcomes(kStudents);
    std::latch ready(kStudents + 1);
    std::vector<std::thread> threads;
    for (int i = 0; i < kStudents; ++i)
        threads.emplace_back([&, i] {
            Poco::Net::HTTPClientSession session("127.0.0.1", s.vtpd().httpPort());
            session.setTimeout(Poco::Timespan(60, 0));
            Poco::Net::HTTPRequest req("POST", "/api/v1/sections/" + section + "/enroll", Poco::Net::HTTPMessage::HTTP_1_1);
            req.set("Authorization", "Bearer " + students[static_cast<size_t>(i)].token);
            req.setContentLength(0);
            ready.arrive_and_wait(); // every thread is up before the first request goes out
            Outcome& o = outcomes[static_cast<size_t>(i)];
            try {
                session.sendRequest(req);
                Poco::Net::HTTPResponse resp;
                std::istream& in = session.receiveResponse(resp);
                Poco::StreamCopier::copyToString(in, o.body);
                o.status = resp.getStatus();
                if (o.status == 201) {
                    const auto j = Poco::JSON::Parser().parse(o.body).extract<Poco::JSON::Object::Ptr>();
                    o.state = j->getValue<std::string>("status");
                    o.seq = j->getValue<int64_t>("seq");
                    if (!j->isNull("position")) o.position = j->getValue<int>("position");
                }
            } catch (const std::exception& e) {
                o.body = e.what();
            }
        });
    ready.arrive_and_wait();
    for (auto& t : threads) t.join();

    int enrolled = 0, waitlisted = 0;
    std::set<int64_t> seqs;
    std::set<int> positions;
    std::map<std::string, int> positionOf; // user id -> waitlist position the server answered
    for (int i = 0; i < kStudents; ++i) {
        const Outcome& o = outcomes[static_cast<size_t>(i)];
        ASSERT_EQ(o.status, 201) << "student " << i << ": " << o.body;
        seqs.insert(o.seq);
        if (o.state == "enrolled") {
            ++enrolled;
            EXPECT_LE(o.seq, kSeats) << "a seat went to a request accepted after the section was full";
        } else {
            ASSERT_EQ(o.state, "waitlisted");
            ++waitlisted;
            positions.insert(o.position);
            // In order: the n-th request accepted after the seats ran out is waitlist position n.
            EXPECT_EQ(o.position, o.seq - kSeats) << "student " << i;
            positionOf[students[static_cast<size_t>(i)].id] = o.position;
        }
    }
    EXPECT_EQ(enrolled, kSeats);
    EXPECT_EQ(waitlisted, kWaitlist);
    EXPECT_EQ(seqs.size(), static_cast<size_t>(kStudents)) << "every request has its own place in the acceptance order";
    EXPECT_EQ(*seqs.begin(), 1);
    EXPECT_EQ(*seqs.rbegin(), kStudents);
    ASSERT_EQ(positions.size(), static_cast<size_t>(kWaitlist)) << "no duplicate positions";
    EXPECT_EQ(*positions.begin(), 1);
    EXPECT_EQ(*positions.rbegin(), kWaitlist) << "no gaps";

    // The database agrees, and the roster lists the waitlist in the same order, page by page.
    EXPECT_EQ(std::get<int64_t>(s.auth()
                                    .query("SELECT COUNT(*) FROM courses_enrollments WHERE section_id = ? AND status = 'enrolled'",
                                           {std::string(section)})
                                    .rows.at(0)
                                    .at(0)),
              kSeats);
    std::vector<std::pair<std::string, int>> roster;
    std::string cursor;
    for (int page = 0; page < 20; ++page) {
        const auto r = s.expect(
            200, "GET",
            "/api/v1/sections/" + section + "/enrollments?status=waitlisted&limit=50" + (cursor.empty() ? "" : "&cursor=" + cursor), admin);
        const auto items = r->getArray("enrollments");
        for (size_t i = 0; i < items->size(); ++i) {
            const auto e = items->getObject(static_cast<unsigned>(i));
            roster.emplace_back(e->getValue<std::string>("user_id"), e->getValue<int>("position"));
        }
        if (r->isNull("next_cursor")) break;
        cursor = r->getValue<std::string>("next_cursor");
    }
    ASSERT_EQ(roster.size(), static_cast<size_t>(kWaitlist));
    for (size_t i = 0; i < roster.size(); ++i) {
        EXPECT_EQ(roster[i].second, static_cast<int>(i + 1));
        EXPECT_EQ(positionOf[roster[i].first], roster[i].second) << "the roster order is the order the server answered";
    }

    // A drop hands the seat to waitlist position 1, and the others move up without a gap.
    const std::string firstWaiting = roster[0].first;
    std::string seated;
    for (int i = 0; i < kStudents && seated.empty(); ++i)
        if (outcomes[static_cast<size_t>(i)].state == "enrolled") seated = students[static_cast<size_t>(i)].token;
    s.expect(204, "DELETE", "/api/v1/sections/" + section + "/enroll", Account{"", "", seated});
    const auto mine = s.expect(200, "GET", "/api/v1/users/me/enrollments", [&] {
        for (const auto& st : students)
            if (st.id == firstWaiting) return st;
        return Account{};
    }());
    EXPECT_EQ(mine->getArray("enrollments")->getObject(0)->getValue<std::string>("status"), "enrolled");
    const auto after = s.expect(200, "GET", "/api/v1/sections/" + section + "/enrollments?status=waitlisted&limit=1", admin);
    EXPECT_EQ(after->getArray("enrollments")->getObject(0)->getValue<std::string>("user_id"), roster[1].first);
    EXPECT_EQ(after->getArray("enrollments")->getObject(0)->getValue<int>("position"), 1);
    const auto sec = s.expect(200, "GET", "/api/v1/sections/" + section, admin);
    EXPECT_EQ(sec->getValue<int>("enrolled"), kSeats);
    EXPECT_EQ(sec->getValue<int>("waitlisted"), kWaitlist - 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, EnrollmentConcurrency, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
