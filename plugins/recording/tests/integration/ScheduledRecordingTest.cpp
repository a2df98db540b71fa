// Recorded class sessions: a section's schedule says its class is recorded (courses: `recorded`
// on meeting patterns and sessions), and the recording plugin starts recording the session's
// live room when the class begins, tells the instructors' clients to capture, and stops at the
// end; never twice for one session, after a restart neither. The real vtpd with auth, signalling,
// courses and recording; the stock socket.io-client in node (npm/room-client.mjs).
#include "ClassSessionSupport.hpp"
#include "PluginTestServer.hpp"

#include <ctime>

using namespace vtp::test;

namespace {

// The term's time zone: UTC, or UTC+12 when UTC is within three hours of midnight, so that "now"
// is always mid-day in it and a class session around now fits in one day (sessions do not cross
// midnight) whenever the test runs. kZoneShift is what local times add to UTC.
const std::time_t kZoneShift = [] {
    const std::time_t hour = std::time(nullptr) % 86400 / 3600;
    return hour >= 21 || hour < 3 ? std::time_t{12 * 3600} : std::time_t{0};
}();
const char* const kZone = kZoneShift != 0 ? "Etc/GMT-12" : "UTC"; // POSIX signs: Etc/GMT-12 is UTC+12

// `t` in the term's zone, as strftime's `format` writes it ("%Y-%m-%d", "%H:%M").
std::string local(std::time_t t, const char* format)
{
    std::tm tm{};
    const std::time_t shifted = t + kZoneShift;
    gmtime_r(&shifted, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

std::string localDay(std::time_t t)
{
    return local(t, "%Y-%m-%d");
}

std::string localMinute(std::time_t t)
{
    return local(t, "%H:%M");
}

// An ISO weekday (1 = Monday) other than today's (in the term's zone): a weekly pattern on it has no session
// today, so the one session the test moves to now is the section's only class in progress.
int otherWeekday(std::time_t t)
{
    const int today = std::stoi(local(t, "%u")); // ISO weekday, 1-7
    return today % 7 + 1;
}

class ScheduledRecording : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        s = std::make_unique<PluginTestServer>(GetParam(), std::vector<std::string>{"signalling", "courses", "recording", "testkit"},
                                               R"("recording.*")", "[plugins.recording]\nschedule.poll_seconds = 1\n");
        admin = s->staff("admin@uni.example", "admin");
        prof = s->staff("prof@uni.example", "instructor");
        prof2 = s->staff("prof2@uni.example", "instructor");
        ada = s->student("ada@uni.example");
        carl = s->student("carl@uni.example");
    }

    // A section taught by prof and prof2 whose weekly meeting is recorded, ada and carl enrolled,
    // and its first session moved to today from `start` to `end` (UTC); the session's id.
    std::string recordedSession(std::time_t start, std::time_t end)
    {
        auto& v = s->vtpd();
        const std::time_t now = std::time(nullptr);
        const std::string term = str(s->expect(201, "POST", "/api/v1/terms", admin,
                                               R"({"name":"Now","start_date":")" + localDay(now - 7 * 86400) + R"(","end_date":")" +
                                                   localDay(now + 30 * 86400) + R"(","time_zone":")" + kZone + R"("})"),
                                     "id");
        const std::string course = str(
            s->expect(201, "POST", "/api/v1/courses", admin, R"({"term_id":")" + term + R"(","code":"MA101","title":"Calculus"})"), "id");
        section = str(s->expect(201, "POST", "/api/v1/sections", admin,
                                R"({"course_id":")" + course + R"(","name":"A","capacity":10,"instructors":[")" + prof.id + R"(",")" +
                                    prof2.id + R"("]})"),
                      "id");
        // The flag is checked as bad input first, then set on the weekly pattern.
        const std::string weekday = std::to_string(otherWeekday(now));
        EXPECT_EQ(s->call("PUT", "/api/v1/sections/" + section + "/meetings", prof,
                          R"({"meetings":[{"weekday":)" + weekday + R"(,"start_time":"09:00","end_time":"10:00","recorded":"yes"}]})")
                      .status,
                  422);
        const auto meetings =
            s->expect(200, "PUT", "/api/v1/sections/" + section + "/meetings", prof,
                      R"({"meetings":[{"weekday":)" + weekday + R"(,"start_time":"09:00","end_time":"10:00","recorded":true}]})");
        EXPECT_TRUE(meetings->getArray("meetings")->getObject(0)->getValue<bool>("recorded"));
        for (const auto* student : {&ada, &carl}) s->expect(201, "POST", "/api/v1/sections/" + section + "/enroll", *student);
        const auto sessions = s->expect(200, "GET", "/api/v1/sections/" + section + "/sessions", prof)->getArray("sessions");
        if (!sessions || sessions->size() == 0) throw std::runtime_error("the section has no sessions");
        const auto first = sessions->getObject(0);
        EXPECT_TRUE(first->getValue<bool>("recorded")) << "sessions inherit their pattern's flag";
        const std::string id = first->getValue<std::string>("id");
        EXPECT_EQ(s->call("PATCH", "/api/v1/sessions/" + id, prof, R"({"recorded":1})").status, 422);
        // Not recorded, then recorded again: a session's own flag overrides its pattern's.
        EXPECT_FALSE(s->expect(200, "PATCH", "/api/v1/sessions/" + id, prof, R"({"recorded":false})")->getValue<bool>("recorded"));
        const auto moved = s->expect(200, "PATCH", "/api/v1/sessions/" + id, prof,
                                     R"({"recorded":true,"date":")" + localDay(start) + R"(","start_time":")" + localMinute(start) +
                                         R"(","end_time":")" + localMinute(end) + R"("})");
        EXPECT_TRUE(moved->getValue<bool>("recorded"));
        (void)v;
        return id;
    }

    JsonArray roomRecordings(const std::string& session)
    {
        return s->expect(200, "GET", "/api/v1/recordings?room=courses:" + session, admin)->getArray("recordings");
    }

    // How often the schedule was looked at since vtpd started (schedule_checks_total on /metrics).
    double checks()
    {
        const std::string text = s->vtpd().get("/metrics").body;
        const std::string name = "\nvtp_plugin_recording_schedule_checks_total ";
        const auto at = text.find(name);
        return at == std::string::npos ? 0 : std::stod(text.substr(at + name.size()));
    }

    std::unique_ptr<PluginTestServer> s;
    Account admin, prof, prof2, ada, carl;
    std::string section;
};

// The class begins at the next minute with its instructor and a student already in the room
// (it opens early): the recording starts by itself, both are told, the instructor captures; a
// second instructor and a student who join later are told; moved to have ended, it stops.
TEST_P(ScheduledRecording, StartsWhenTheClassBeginsTellsTheInstructorToCaptureAndStopsAtItsEnd)
{
    const std::time_t now = std::time(nullptr);
    const std::time_t start = now - now % 60 + 60;
    const std::string session = recordedSession(start, start + 20 * 60);
    // Ended: moved to the ten minutes before the current minute (so that it has ended by now).
    const std::time_t ended = start - 60;
    auto& v = s->vtpd();
    const std::string config = R"({"ws":"http://127.0.0.1:)" + std::to_string(v.wsPort()) + R"(","api":"http://127.0.0.1:)" +
                               std::to_string(v.httpPort()) + R"(","room":"courses:)" + session + R"(","session":")" + session +
                               R"(","beginsInMs":)" + std::to_string((start - std::time(nullptr)) * 1000) + R"(,"end":{"start_time":")" +
                               localMinute(ended - 10 * 60) + R"(","end_time":")" + localMinute(ended) + R"("},"tokens":{"prof":")" +
                               prof.token + R"(","prof2":")" + prof2.token + R"(","ada":")" + ada.token + R"(","carl":")" + carl.token +
                               "\"}}";
    std::string out;
    const int rc = VtpdProcess::run({VTP_TEST_NODE, std::string(VTP_RECORDING_NPM_DIR) + "/room-client.mjs", "scheduled", config}, out);
    EXPECT_EQ(rc, 0) << out << "\n--- vtpd\n" << v.logs();
    EXPECT_NE(out.find("PASS"), std::string::npos) << out;
    // One recording for the session, of the section, owned by its first instructor, stopped.
    const auto list = roomRecordings(session);
    ASSERT_EQ(list->size(), 1u) << PluginTestServer::stringify(s->expect(200, "GET", "/api/v1/recordings", admin));
    const auto rec = list->getObject(0);
    EXPECT_EQ(str(rec, "section_id"), section);
    EXPECT_NE(str(rec, "state"), "recording");
    EXPECT_TRUE(str(rec, "owner_id") == prof.id || str(rec, "owner_id") == prof2.id);
}

// A class in progress when vtpd starts looking is recorded at once; its instructor stops it; after
// a restart the schedule looks again and again, and never records that session a second time.
TEST_P(ScheduledRecording, RecordsASessionInProgressOnceEvenAfterAStopAndARestart)
{
    const std::time_t now = std::time(nullptr);
    const std::string session = recordedSession(now - 10 * 60, now + 20 * 60);
    JsonArray list;
    ASSERT_TRUE(pollUntil(
        [&] {
            list = roomRecordings(session);
            return list->size() == 1;
        },
        std::chrono::seconds(15), std::chrono::milliseconds(100)))
        << s->vtpd().logs();
    const std::string id = str(list->getObject(0), "id");
    EXPECT_EQ(str(list->getObject(0), "state"), "recording");
    EXPECT_TRUE(s->waitForEvent("recording.started", [&](const JsonObject& p) { return str(p, "id") == id; }));
    s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", prof);

    s->vtpd().stop();
    ASSERT_TRUE(s->vtpd().start()) << s->vtpd().logs();
    // Looked at the schedule at least twice since the restart (the session is still in progress).
    ASSERT_TRUE(pollUntil([&] { return checks() >= 2; }, std::chrono::seconds(15), std::chrono::milliseconds(100))) << s->vtpd().logs();
    list = roomRecordings(session);
    EXPECT_EQ(list->size(), 1u) << PluginTestServer::stringify(s->expect(200, "GET", "/api/v1/recordings", admin));
    EXPECT_EQ(str(list->getObject(0), "id"), id);
}

INSTANTIATE_TEST_SUITE_P(Backends, ScheduledRecording, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
