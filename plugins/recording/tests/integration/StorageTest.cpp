// The recording plugin's storage end to end through the real vtpd, on SQLite and PostgreSQL:
// quotas (per course, an admin's override, the whole store; at creation and in the middle of an
// upload), usage over REST and in /metrics, who may see it, retention (after N days, at the end
// of the term) and vtpctl's `recording` commands. Time is driven by the data (stopped_at_ms set
// back, terms that ended), never by sleeping.
#include "RecordingTestSupport.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <regex>

using namespace vtp::test;

namespace {

int64_t nowSeconds()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// "YYYY-MM-DD" of today (UTC) plus `days`.
std::string dateIn(int days)
{
    const time_t t = static_cast<time_t>(nowSeconds() + int64_t{days} * 86400);
    struct tm tm {};
    ::gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

class RecordingStorage : public ::testing::TestWithParam<Backend> {
protected:
    void boot(const std::string& toml)
    {
        s = std::make_unique<RecordingServer>(GetParam(), toml);
        admin = s->staff("admin@uni.example", "admin");
        prof = s->staff("prof@uni.example", "instructor");
        other = s->staff("other@uni.example", "instructor");
        ada = s->student("ada@uni.example");
        // prof teaches a section of CS101 (ada enrolled), other one of CS102.
        section = s->section(admin, {prof.id}, "CS101");
        s->expect(201, "POST", "/api/v1/sections/" + section + "/enroll", ada);
        otherSection = s->section(admin, {other.id}, "CS102");
        course = str(s->expect(200, "GET", "/api/v1/sections/" + section, admin), "course_id");
        otherCourse = str(s->expect(200, "GET", "/api/v1/sections/" + otherSection, admin), "course_id");
    }

    std::string start(const Account& who, const std::string& sectionId, const std::string& title = "Lecture")
    {
        return str(s->expect(201, "POST", "/api/v1/recordings", who, R"({"section_id":")" + sectionId + R"(","title":")" + title + "\"}"),
                   "id");
    }

    HttpResult create(const std::string& recording, const Account& who, std::optional<uint64_t> length)
    {
        std::map<std::string, std::string> h{{"Upload-Metadata", "source Y2FtZXJh"}};
        if (length)
            h["Upload-Length"] = std::to_string(*length);
        else
            h["Upload-Defer-Length"] = "1";
        return s->tus("POST", "/api/v1/recordings/" + recording + "/uploads", who, h);
    }

    HttpResult patch(const std::string& url, const Account& who, uint64_t offset, const std::string& bytes)
    {
        return s->tus("PATCH", url, who, {{"Upload-Offset", std::to_string(offset)}}, bytes);
    }

    // A recording of `sectionId` with one finished source of `bytes` random bytes, stopped.
    std::string recorded(const Account& who, const std::string& sectionId, size_t bytes, uint32_t seed)
    {
        const std::string id = start(who, sectionId);
        const std::string url = s->createUpload(id, who, bytes);
        EXPECT_EQ(patch(url, who, 0, randomBytes(bytes, seed)).status, 204);
        s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", who);
        return id;
    }

    JsonObject usage(const Account& who, const std::string& query = "")
    {
        return s->expect(200, "GET", "/api/v1/recordings/usage" + query, who);
    }

    // The usage entry of course `id` in a usage answer, or null.
    static JsonObject courseIn(const JsonObject& u, const std::string& id)
    {
        const auto courses = u->getArray("courses");
        for (size_t i = 0; i < courses->size(); ++i)
            if (str(courses->getObject(static_cast<unsigned>(i)), "course_id") == id) return courses->getObject(static_cast<unsigned>(i));
        return nullptr;
    }

    static int64_t num(const JsonObject& o, const std::string& key) { return o->getValue<int64_t>(key); }

    bool metricIs(const std::string& line)
    {
        return pollUntil([&] { return s->vtpd().get("/metrics").body.find(line + "\n") != std::string::npos; }, std::chrono::seconds(10),
                         std::chrono::milliseconds(50));
    }

    std::string state(const std::string& id) { return str(s->expect(200, "GET", "/api/v1/recordings/" + id, admin), "state"); }

    bool waitForState(const std::string& id, const std::string& wanted)
    {
        return pollUntil([&] { return state(id) == wanted; }, std::chrono::seconds(60), std::chrono::milliseconds(50));
    }

    // Moves a recording's stop `days` into the past.
    void stoppedDaysAgo(const std::string& id, int64_t days)
    {
        s->auth().query("UPDATE recording_recordings SET stopped_at_ms = stopped_at_ms - ?, started_at_ms = started_at_ms - ? WHERE id = ?",
                        {days * 86400000, days * 86400000, id});
    }

    std::unique_ptr<RecordingServer> s;
    Account admin, prof, other, ada;
    std::string section, otherSection, course, otherCourse;
};

TEST_P(RecordingStorage, CourseQuotaRefusesACreationThatDoesNotFitAndAnAdminOverrideRaisesIt)
{
    boot("quota.course_bytes = 1000\n");
    const std::string id = start(prof, section);
    auto r = create(id, prof, 1001);
    EXPECT_EQ(r.status, 507) << r.body;
    EXPECT_NE(problemType(r).find("quota-exceeded"), std::string::npos) << r.body;
    EXPECT_EQ(headerOf(r, "Tus-Resumable"), "1.0.0");
    // A known length is reserved whole: a second upload finds no room even before a byte came.
    r = create(id, prof, 1000);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(create(id, prof, 1).status, 507);
    EXPECT_EQ(create(id, prof, std::nullopt).status, 507) << "a deferred upload needs some room";
    // The other course has its own default quota.
    EXPECT_EQ(create(start(other, otherSection), other, 1000).status, 201);

    // Only admins set quotas; the override replaces the default for that course alone.
    EXPECT_EQ(s->call("PUT", "/api/v1/recordings/quotas/courses/" + course, prof, R"({"max_bytes":3000})").status, 403);
    EXPECT_EQ(s->call("PUT", "/api/v1/recordings/quotas/courses/" + course, admin, R"({"max_bytes":-1})").status, 422);
    const auto q = s->expect(200, "PUT", "/api/v1/recordings/quotas/courses/" + course, admin, R"({"max_bytes":3000})");
    EXPECT_EQ(num(q, "max_bytes"), 3000);
    EXPECT_EQ(str(q, "updated_by"), admin.id);
    EXPECT_EQ(create(id, prof, 2001).status, 507);
    EXPECT_EQ(create(id, prof, 2000).status, 201);
    const auto list = s->expect(200, "GET", "/api/v1/recordings/quotas", admin);
    EXPECT_EQ(num(list, "course_bytes"), 1000);
    EXPECT_TRUE(list->isNull("total_bytes"));
    ASSERT_EQ(list->getArray("courses")->size(), 1u);
    const auto u = courseIn(usage(admin), course);
    ASSERT_TRUE(u);
    EXPECT_EQ(str(u, "quota_source"), "course");
    EXPECT_EQ(num(u, "quota_bytes"), 3000);
    EXPECT_EQ(num(u, "reserved_bytes"), 3000);
    // Back to the default.
    s->expect(204, "DELETE", "/api/v1/recordings/quotas/courses/" + course, admin);
    EXPECT_EQ(s->call("DELETE", "/api/v1/recordings/quotas/courses/" + course, admin).status, 404);
    EXPECT_EQ(create(id, prof, 1).status, 507);
    EXPECT_TRUE(metricIs(R"(vtp_plugin_recording_quota_refusals_total{scope="course"} 5)"));
}

TEST_P(RecordingStorage, QuotaStopsADeferredUploadMidwayAndTheAcknowledgedBytesStay)
{
    boot("quota.course_bytes = 1000\n");
    const std::string id = start(prof, section);
    const std::string url = s->createUpload(id, prof, std::nullopt);
    const std::string bytes = randomBytes(1500, 7);
    ASSERT_EQ(patch(url, prof, 0, bytes.substr(0, 600)).status, 204);
    // 600 more do not fit: refused before a byte is written.
    auto r = patch(url, prof, 600, bytes.substr(600, 600));
    EXPECT_EQ(r.status, 507) << r.body;
    EXPECT_NE(problemType(r).find("quota-exceeded"), std::string::npos) << r.body;
    auto head = s->tus("HEAD", url, prof);
    EXPECT_EQ(headerOf(head, "Upload-Offset"), "600");
    const std::string file = s->storageDir() + "/" + id + "/" + url.substr(url.rfind('/') + 1);
    EXPECT_EQ(readFile(file), bytes.substr(0, 600));
    // What still fits is taken, exactly up to the quota.
    ASSERT_EQ(patch(url, prof, 600, bytes.substr(600, 400)).status, 204);
    EXPECT_EQ(patch(url, prof, 1000, bytes.substr(1000, 1)).status, 507);
    // Declaring a length that does not fit is refused too.
    EXPECT_EQ(s->tus("PATCH", url, prof, {{"Upload-Offset", "1000"}, {"Upload-Length", "1500"}}, "").status, 507);
    EXPECT_EQ(headerOf(s->tus("HEAD", url, prof), "Upload-Offset"), "1000");
    // Once an admin makes room, the client resumes where it stopped and finishes.
    s->expect(200, "PUT", "/api/v1/recordings/quotas/courses/" + course, admin, R"({"max_bytes":1500})");
    ASSERT_EQ(s->tus("PATCH", url, prof, {{"Upload-Offset", "1000"}, {"Upload-Length", "1500"}}, bytes.substr(1000)).status, 204);
    EXPECT_EQ(sha256Hex(readFile(file)), sha256Hex(bytes));
    EXPECT_EQ(num(courseIn(usage(admin), course), "used_bytes"), 1500);
}

TEST_P(RecordingStorage, StoreQuotaCountsEveryCourse)
{
    boot("quota.total_bytes = 1500\n");
    const std::string a = start(prof, section);
    ASSERT_EQ(patch(s->createUpload(a, prof, 1000), prof, 0, randomBytes(1000, 1)).status, 204);
    const std::string b = start(other, otherSection);
    auto r = create(b, other, 600);
    EXPECT_EQ(r.status, 507);
    EXPECT_NE(r.body.find("store"), std::string::npos) << r.body;
    EXPECT_EQ(create(b, other, 500).status, 201);
    EXPECT_EQ(create(b, other, std::nullopt).status, 507);
    const auto store = usage(admin)->getObject("store");
    EXPECT_EQ(num(store, "quota_bytes"), 1500);
    EXPECT_EQ(num(store, "used_bytes"), 1000);
    EXPECT_EQ(num(store, "reserved_bytes"), 500);
    EXPECT_TRUE(metricIs(R"(vtp_plugin_recording_quota_refusals_total{scope="store"} 2)"));
}

TEST_P(RecordingStorage, UsageIsExactAfterUploadsAndAfterDelete)
{
    boot("");
    const std::string a = start(prof, section);
    const std::string deferred = s->createUpload(a, prof, std::nullopt);
    ASSERT_EQ(patch(deferred, prof, 0, randomBytes(700, 1)).status, 204);
    ASSERT_EQ(patch(deferred, prof, 700, randomBytes(300, 2)).status, 204);
    const std::string partial = s->createUpload(a, prof, 500);
    ASSERT_EQ(patch(partial, prof, 0, randomBytes(100, 3)).status, 204);
    const std::string b = start(other, otherSection);
    ASSERT_EQ(patch(s->createUpload(b, other, 200), other, 0, randomBytes(200, 4)).status, 204);

    auto u = usage(admin);
    const auto store = u->getObject("store");
    EXPECT_EQ(str(store, "kind"), "directory");
    EXPECT_EQ(num(store, "used_bytes"), 1300);
    EXPECT_EQ(num(store, "source_bytes"), 1300);
    EXPECT_EQ(num(store, "media_bytes"), 0);
    EXPECT_EQ(num(store, "reserved_bytes"), 400);
    EXPECT_EQ(num(store, "recordings"), 2);
    EXPECT_EQ(store->getObject("by_state")->getValue<int64_t>("recording"), 2);
    EXPECT_GT(num(store, "free_bytes"), 0);
    EXPECT_TRUE(store->isNull("quota_bytes"));
    const auto ca = courseIn(u, course);
    ASSERT_TRUE(ca);
    EXPECT_EQ(num(ca, "used_bytes"), 1100);
    EXPECT_EQ(str(ca, "course_code"), "CS101");
    EXPECT_EQ(str(ca, "quota_source"), "none");
    EXPECT_EQ(num(courseIn(u, otherCourse), "used_bytes"), 200);
    EXPECT_TRUE(metricIs(R"(vtp_plugin_recording_storage_used_bytes{store="directory"} 1300)"));
    EXPECT_TRUE(metricIs(R"(vtp_plugin_recording_recordings{state="recording"} 2)"));
    EXPECT_NE(s->vtpd().get("/metrics").body.find(R"(vtp_plugin_recording_storage_free_bytes{store="directory"} )"), std::string::npos);

    // A deleted recording's bytes leave every figure.
    s->expect(204, "DELETE", "/api/v1/recordings/" + a, prof);
    u = usage(admin);
    EXPECT_EQ(num(u->getObject("store"), "used_bytes"), 200);
    EXPECT_EQ(num(u->getObject("store"), "reserved_bytes"), 0);
    EXPECT_FALSE(courseIn(u, course)) << "no recordings and no quota: the course is not listed";
    EXPECT_TRUE(metricIs(R"(vtp_plugin_recording_storage_used_bytes{store="directory"} 200)"));
    EXPECT_TRUE(metricIs(R"(vtp_plugin_recording_recordings{state="recording"} 1)"));
    EXPECT_TRUE(s->waitForEvent("recording.deleted", [&](const JsonObject& p) {
        return str(p, "id") == a && str(p, "reason") == "request" && str(p, "deleted_by") == prof.id;
    }));
}

TEST_P(RecordingStorage, UsageShowsAdminsEverythingInstructorsTheirCourseAndStudentsNothing)
{
    boot("");
    ASSERT_EQ(patch(s->createUpload(start(prof, section), prof, 10), prof, 0, "0123456789").status, 204);
    ASSERT_EQ(patch(s->createUpload(start(other, otherSection), other, 5), other, 0, "01234").status, 204);

    auto u = usage(prof);
    EXPECT_TRUE(u->isNull("store"));
    ASSERT_EQ(u->getArray("courses")->size(), 1u);
    EXPECT_EQ(num(courseIn(u, course), "used_bytes"), 10);
    u = usage(other, "?course=" + otherCourse);
    ASSERT_EQ(u->getArray("courses")->size(), 1u);
    EXPECT_EQ(num(courseIn(u, otherCourse), "used_bytes"), 5);
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/usage?course=" + otherCourse, prof).status, 404);
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/usage", ada).status, 403);
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/usage?course=" + course, ada).status, 404);
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/usage", Account{}).status, 401);
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/quotas", prof).status, 403);
    u = usage(admin, "?course=" + course);
    EXPECT_EQ(u->getArray("courses")->size(), 1u);
    EXPECT_EQ(num(u->getObject("store"), "used_bytes"), 15);
}

TEST_P(RecordingStorage, RetentionDeletesExactlyTheRecordingsOlderThanItsDays)
{
    boot("retention.days = 30\nretention.sweep_seconds = 1\n");
    const std::string old = recorded(prof, section, 100, 1); // fails processing: random bytes
    const std::string young = start(prof, section, "young");
    s->expect(200, "POST", "/api/v1/recordings/" + young + "/stop", prof); // nothing recorded: failed at once
    const std::string live = start(other, otherSection, "still recording");
    ASSERT_TRUE(waitForState(old, "failed"));
    const std::string file = s->storageDir() + "/" + old;
    ASSERT_TRUE(std::filesystem::exists(file));

    // The kept ones first, so that the sweep that deletes the old one has seen them.
    stoppedDaysAgo(young, 29);
    s->auth().query("UPDATE recording_recordings SET started_at_ms = started_at_ms - ? WHERE id = ?", {int64_t{40} * 86400000, live});
    stoppedDaysAgo(old, 31);
    ASSERT_TRUE(s->waitForEvent("recording.deleted",
                                [&](const JsonObject& p) { return str(p, "id") == old && str(p, "reason") == "retention.days"; }));
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/" + old, admin).status, 404);
    EXPECT_FALSE(std::filesystem::exists(file));
    EXPECT_EQ(state(young), "failed");
    EXPECT_EQ(state(live), "recording");
    EXPECT_EQ(num(usage(admin)->getObject("store"), "used_bytes"), 0);
    EXPECT_TRUE(metricIs(R"(vtp_plugin_recording_retention_deleted_total{rule="days"} 1)"));
}

TEST_P(RecordingStorage, RetentionAtTheEndOfTheTermDeletesOnlySectionsWhoseTermEndedLongEnoughAgo)
{
    boot("retention.end_of_term = true\nretention.end_of_term_days = 10\nretention.sweep_seconds = 1\n");
    // A section of a term still going on, and one of a term that ended 5 days ago (within the 10).
    auto sectionOfTerm = [&](const std::string& name, int endInDays) {
        const auto term = s->expect(201, "POST", "/api/v1/terms", admin,
                                    R"({"name":")" + name + R"(","start_date":")" + dateIn(endInDays - 90) + R"(","end_date":")" +
                                        dateIn(endInDays) + "\"}");
        const auto c =
            s->expect(201, "POST", "/api/v1/courses", admin, R"({"term_id":")" + str(term, "id") + R"(","code":"ART1","title":"Art"})");
        return str(s->expect(201, "POST", "/api/v1/sections", admin,
                             R"({"course_id":")" + str(c, "id") + R"(","name":"A","capacity":30,"waitlist_capacity":0,"instructors":[")" +
                                 prof.id + "\"]}"),
                   "id");
    };
    const std::string current = start(prof, sectionOfTerm("current", 60), "current term");
    s->expect(200, "POST", "/api/v1/recordings/" + current + "/stop", prof);
    const std::string recent = start(prof, sectionOfTerm("recent", -5), "ended 5 days ago");
    s->expect(200, "POST", "/api/v1/recordings/" + recent + "/stop", prof);
    // The fixture's sections' term ended on 2025-12-19: long ago.
    const std::string ended = start(prof, section, "ended long ago");
    s->expect(200, "POST", "/api/v1/recordings/" + ended + "/stop", prof);
    ASSERT_TRUE(s->waitForEvent("recording.deleted",
                                [&](const JsonObject& p) { return str(p, "id") == ended && str(p, "reason") == "retention.end_of_term"; }));
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/" + ended, admin).status, 404);
    EXPECT_EQ(state(current), "failed");
    EXPECT_EQ(state(recent), "failed");
    // One still recording in an ended term is kept until it is over.
    const std::string live = start(other, otherSection, "live");
    EXPECT_TRUE(metricIs(R"(vtp_plugin_recording_retention_deleted_total{rule="end_of_term"} 1)"));
    EXPECT_EQ(state(live), "recording");
}

TEST_P(RecordingStorage, VtpctlListsImportsReprocessesAndDeletes)
{
    boot("quota.course_bytes = 100000\n");
    const std::string lecture = start(prof, section, "Lecture one");
    s->expect(200, "POST", "/api/v1/recordings/" + lecture + "/stop", prof);

    // import: a finished file becomes a recording of the section with one `file` source, and a
    // vtpd node processes it (random bytes: it fails, with a reason).
    const std::string file = s->vtpd().dir() + "/filmed.mp4";
    writeFile(file, randomBytes(5000, 9));
    std::string out;
    ASSERT_EQ(s->auth().vtpctl({"recording", "import", file, "--section", section, "--title", "Filmed lecture"}, "", out), 0) << out;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(out, m, std::regex("as recording ([0-9a-f-]{36})"))) << out;
    const std::string imported = m[1];
    auto rec = s->expect(200, "GET", "/api/v1/recordings/" + imported, prof);
    EXPECT_EQ(str(rec, "section_id"), section);
    EXPECT_EQ(str(rec, "title"), "Filmed lecture");
    EXPECT_EQ(num(rec, "size_bytes"), 5000);
    const auto source = rec->getArray("sources")->getObject(0);
    EXPECT_EQ(str(source, "kind"), "file");
    EXPECT_EQ(str(source, "filename"), "filmed.mp4");
    EXPECT_EQ(str(source, "media_type"), "video/mp4");
    ASSERT_TRUE(waitForState(imported, "failed"));
    EXPECT_EQ(num(courseIn(usage(admin), course), "source_bytes"), 5000);
    // Quotas and sections are checked.
    out.clear();
    EXPECT_EQ(s->auth().vtpctl({"recording", "import", file, "--section", "no-such-section"}, "", out), 1);
    EXPECT_NE(out.find("no section"), std::string::npos) << out;
    writeFile(file, randomBytes(100000, 9));
    out.clear();
    EXPECT_EQ(s->auth().vtpctl({"recording", "import", file, "--section", section}, "", out), 1);
    EXPECT_NE(out.find("quota"), std::string::npos) << out;
    out.clear();
    EXPECT_EQ(s->auth().vtpctl({"recording", "import", file}, "", out), 2) << out;

    // list: a table, filtered.
    out.clear();
    ASSERT_EQ(s->auth().vtpctl({"recording", "list", "--section", section}, "", out), 0) << out;
    EXPECT_NE(out.find("STATE"), std::string::npos) << out;
    EXPECT_NE(out.find(lecture), std::string::npos) << out;
    EXPECT_NE(out.find(imported), std::string::npos) << out;
    EXPECT_NE(out.find("Filmed lecture"), std::string::npos) << out;
    EXPECT_NE(out.find("2 recordings"), std::string::npos) << out;
    out.clear();
    ASSERT_EQ(s->auth().vtpctl({"recording", "list", "--state", "ready"}, "", out), 0) << out;
    EXPECT_NE(out.find("0 recordings"), std::string::npos) << out;
    out.clear();
    EXPECT_EQ(s->auth().vtpctl({"recording", "list", "--state", "lost"}, "", out), 2) << out;

    // reprocess: a new job for a failed recording; 1 with the reason for one still recording.
    const auto job = [&](const std::string& id) {
        const auto rows = s->auth().query("SELECT job_id FROM recording_recordings WHERE id = ?", {id});
        return std::get<std::string>(rows.rows.at(0).at(0));
    };
    const std::string firstJob = job(imported);
    out.clear();
    ASSERT_EQ(s->auth().vtpctl({"recording", "reprocess", imported}, "", out), 0) << out;
    EXPECT_NE(job(imported), firstJob);
    EXPECT_TRUE(pollUntil([&] { return state(imported) == "failed" && job(imported) != firstJob; }, std::chrono::seconds(60)));
    const std::string live = start(other, otherSection, "live");
    out.clear();
    EXPECT_EQ(s->auth().vtpctl({"recording", "reprocess", live}, "", out), 1);
    EXPECT_NE(out.find("only a ready or failed recording"), std::string::npos) << out;

    // delete: rows and files.
    out.clear();
    ASSERT_EQ(s->auth().vtpctl({"recording", "delete", imported}, "", out), 0) << out;
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/" + imported, admin).status, 404);
    EXPECT_FALSE(std::filesystem::exists(s->storageDir() + "/" + imported));
    EXPECT_EQ(num(usage(admin)->getObject("store"), "used_bytes"), 0);
    out.clear();
    EXPECT_EQ(s->auth().vtpctl({"recording", "delete", imported}, "", out), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, RecordingStorage, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
