// The recording plugin's control API end to end through the real vtpd, on SQLite and
// PostgreSQL: who may start, stop, see, change and delete recordings; events; pagination.
#include "RecordingTestSupport.hpp"

#include <filesystem>
#include <set>

using namespace vtp::test;

namespace {

class RecordingControl : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        s = std::make_unique<RecordingServer>(GetParam());
        admin = s->staff("admin@uni.example", "admin");
        prof = s->staff("prof@uni.example", "instructor");
        other = s->staff("other@uni.example", "instructor");
        ada = s->student("ada@uni.example");
        bob = s->student("bob@uni.example");
        // A section taught by prof, with ada enrolled; bob is in none.
        section = s->section(admin, {prof.id});
        s->expect(201, "POST", "/api/v1/sections/" + section + "/enroll", ada);
    }

    JsonObject start(const Account& who, const std::string& target, const std::string& title, const std::string& extra = "")
    {
        return s->expect(201, "POST", "/api/v1/recordings", who, "{" + target + R"(,"title":")" + title + "\"" + extra + "}");
    }

    std::unique_ptr<RecordingServer> s;
    Account admin, prof, other, ada, bob;
    std::string section;
};

TEST_P(RecordingControl, SectionInstructorsAndAdminsStartAndStopOthersAreRefused)
{
    const std::string target = R"("section_id":")" + section + "\"";
    // Not the section's instructor, a student, nobody: refused by the plugin or the kernel.
    EXPECT_EQ(s->call("POST", "/api/v1/recordings", other, "{" + target + R"(,"title":"x"})").status, 403);
    EXPECT_EQ(s->call("POST", "/api/v1/recordings", ada, "{" + target + R"(,"title":"x"})").status, 403);
    EXPECT_EQ(s->call("POST", "/api/v1/recordings", Account{}, "{" + target + R"(,"title":"x"})").status, 401);
    // Bad input is a problem naming what is wrong.
    auto bad = s->call("POST", "/api/v1/recordings", prof, R"({"title":"no target"})");
    EXPECT_EQ(bad.status, 422);
    EXPECT_NE(problemType(bad).find("invalid-target"), std::string::npos) << bad.body;
    bad = s->call("POST", "/api/v1/recordings", prof, R"({"room_id":"r1","section_id":")" + section + R"(","title":"both"})");
    EXPECT_EQ(bad.status, 422);
    bad = s->call("POST", "/api/v1/recordings", prof, R"({"section_id":"no-such-section","title":"x"})");
    EXPECT_EQ(bad.status, 422);
    EXPECT_NE(problemType(bad).find("unknown-section"), std::string::npos) << bad.body;
    EXPECT_EQ(s->call("POST", "/api/v1/recordings", prof, "{" + target + R"(,"title":""})").status, 422);
    EXPECT_EQ(s->call("POST", "/api/v1/recordings", prof, "{" + target + R"(,"title":"t","colour":"red"})").status, 422);
    EXPECT_EQ(s->call("POST", "/api/v1/recordings", prof, "{" + target + R"(,"title":"t","visibility":"everyone"})").status, 422);
    EXPECT_EQ(s->call("POST", "/api/v1/recordings", prof, "[1]").status, 400);

    const auto rec = start(prof, target, "Lecture 1");
    const std::string id = str(rec, "id");
    EXPECT_EQ(str(rec, "state"), "recording");
    EXPECT_EQ(str(rec, "section_id"), section);
    EXPECT_EQ(str(rec, "owner_id"), prof.id);
    EXPECT_EQ(str(rec, "visibility"), "participants");
    EXPECT_TRUE(rec->isNull("failure"));
    EXPECT_EQ(rec->getArray("sources")->size(), 0u);
    EXPECT_EQ(rec->getValue<int64_t>("size_bytes"), 0);
    EXPECT_TRUE(
        s->waitForEvent("recording.started", [&](const JsonObject& p) { return str(p, "id") == id && str(p, "section_id") == section; }));

    // One recording of a section at a time.
    auto again = s->call("POST", "/api/v1/recordings", admin, "{" + target + R"(,"title":"Twice"})");
    EXPECT_EQ(again.status, 409);
    EXPECT_NE(problemType(again).find("recording-in-progress"), std::string::npos) << again.body;

    // Only managers stop it; a second stop is a conflict.
    EXPECT_EQ(s->call("POST", "/api/v1/recordings/" + id + "/stop", ada).status, 403);
    EXPECT_EQ(s->call("POST", "/api/v1/recordings/" + id + "/stop", other).status, 403);
    const auto stopped = s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", prof);
    // Nothing was uploaded: there is nothing to process.
    EXPECT_EQ(str(stopped, "state"), "failed");
    EXPECT_NE(str(stopped, "failure").find("no source was uploaded"), std::string::npos);
    EXPECT_FALSE(stopped->isNull("stopped_at"));
    EXPECT_GE(stopped->getValue<double>("duration_s"), 0.0);
    auto twice = s->call("POST", "/api/v1/recordings/" + id + "/stop", prof);
    EXPECT_EQ(twice.status, 409);
    EXPECT_NE(problemType(twice).find("not-recording"), std::string::npos);
    EXPECT_TRUE(s->waitForEvent("recording.stopped", [&](const JsonObject& p) { return str(p, "id") == id; }));
    EXPECT_EQ(s->call("POST", "/api/v1/recordings/nope/stop", prof).status, 404);

    // Stopped, the section may be recorded again; an admin may record any section.
    start(admin, target, "Lecture 2");
}

TEST_P(RecordingControl, RoomsAreRecordedByAdminsOnlyWithoutAProviderThatNamesModerators)
{
    // A plain signalling room: no service names its moderators, so only admins may record it.
    EXPECT_EQ(s->call("POST", "/api/v1/recordings", prof, R"({"room_id":"seminar-7","title":"x"})").status, 403);
    const auto rec = start(admin, R"("room_id":"seminar-7")", "Seminar");
    EXPECT_EQ(str(rec, "room_id"), "seminar-7");
    EXPECT_TRUE(rec->isNull("section_id"));
    EXPECT_EQ(s->call("POST", "/api/v1/recordings", admin, R"({"room_id":"seminar-7","title":"again"})").status, 409);
    // A class room of a session that does not exist: its provider denies, so refused.
    EXPECT_EQ(s->call("POST", "/api/v1/recordings", prof, R"({"room_id":"courses:no-such-session","title":"x"})").status, 403);
}

TEST_P(RecordingControl, WhoSeesWhatAndPatchAndDelete)
{
    const auto rec = start(prof, R"("section_id":")" + section + "\"", "Lecture");
    const std::string id = str(rec, "id");
    // The enrolled student sees it, someone outside the section does not (404: not even that it exists).
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/recordings/" + id, ada)->getValue<std::string>("title"), "Lecture");
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/" + id, bob).status, 404);
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/" + id, other).status, 404);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/sections/" + section + "/recordings", ada)->getArray("recordings")->size(), 1u);
    EXPECT_EQ(s->call("GET", "/api/v1/sections/" + section + "/recordings", bob).status, 403);
    EXPECT_EQ(s->call("GET", "/api/v1/sections/no-such/recordings", admin).status, 404);

    // For staff only: the student no longer sees it; with a link, anyone signed in does.
    EXPECT_EQ(s->call("PATCH", "/api/v1/recordings/" + id, ada, R"({"title":"mine now"})").status, 403);
    auto patched = s->expect(200, "PATCH", "/api/v1/recordings/" + id, prof, R"({"visibility":"staff","title":"Lecture 1: sorting"})");
    EXPECT_EQ(str(patched, "visibility"), "staff");
    EXPECT_EQ(str(patched, "title"), "Lecture 1: sorting");
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/" + id, ada).status, 404);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/sections/" + section + "/recordings", ada)->getArray("recordings")->size(), 0u);
    EXPECT_EQ(s->call("PATCH", "/api/v1/recordings/" + id, prof, R"({"visibility":"public"})").status, 422);
    EXPECT_EQ(s->call("PATCH", "/api/v1/recordings/" + id, prof, R"({"owner_id":"x"})").status, 422);
    s->expect(200, "PATCH", "/api/v1/recordings/" + id, prof, R"({"visibility":"link"})");
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/" + id, bob).status, 200);

    // A source's bytes, then DELETE removes every file and the recording.
    const std::string upload = s->createUpload(id, prof, 5);
    EXPECT_EQ(s->tus("PATCH", upload, prof, {{"Upload-Offset", "0"}}, "hello").status, 204);
    const std::string dir = s->storageDir() + "/" + id;
    ASSERT_TRUE(std::filesystem::exists(dir));
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/recordings/" + id, prof)->getValue<int64_t>("size_bytes"), 5);
    EXPECT_EQ(s->call("DELETE", "/api/v1/recordings/" + id, ada).status, 403);
    EXPECT_EQ(s->call("DELETE", "/api/v1/recordings/" + id, prof).status, 204);
    EXPECT_FALSE(std::filesystem::exists(dir));
    EXPECT_EQ(s->call("GET", "/api/v1/recordings/" + id, admin).status, 404);
    EXPECT_EQ(s->call("DELETE", "/api/v1/recordings/" + id, prof).status, 404);
    EXPECT_EQ(s->tus("GET", upload, prof).status, 404);
}

TEST_P(RecordingControl, ListsFilterAndPageThroughEveryRecordingOnce)
{
    std::set<std::string> made;
    for (int i = 0; i < 5; ++i) {
        const auto r = start(admin, R"("room_id":"room-)" + std::to_string(i) + "\"", "Room " + std::to_string(i));
        made.insert(str(r, "id"));
        if (i % 2 == 0) s->expect(200, "POST", "/api/v1/recordings/" + str(r, "id") + "/stop", admin);
    }
    const auto mine = start(prof, R"("section_id":")" + section + "\"", "Prof's");

    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
        const auto page = s->expect(200, "GET", "/api/v1/recordings?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), admin);
        const auto items = page->getArray("recordings");
        EXPECT_LE(items->size(), 2u);
        for (size_t i = 0; i < items->size(); ++i)
            EXPECT_TRUE(seen.insert(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("id")).second);
        cursor = page->isNull("next_cursor") ? "" : page->getValue<std::string>("next_cursor");
        ++pages;
    } while (!cursor.empty() && pages < 10);
    EXPECT_EQ(seen.size(), 6u);
    EXPECT_EQ(pages, 3);

    EXPECT_EQ(s->expect(200, "GET", "/api/v1/recordings?state=failed", admin)->getArray("recordings")->size(),
              3u); // stopped, nothing uploaded
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/recordings?room=room-1", admin)->getArray("recordings")->size(), 1u);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/recordings?owner=" + prof.id, admin)->getArray("recordings")->size(), 1u);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/recordings?section=" + section, admin)->getArray("recordings")->size(), 1u);
    // Non-admins see what is theirs or their section's, never the admin's room recordings.
    const auto profs = s->expect(200, "GET", "/api/v1/recordings", prof)->getArray("recordings");
    ASSERT_EQ(profs->size(), 1u);
    EXPECT_EQ(profs->getObject(0)->getValue<std::string>("id"), str(mine, "id"));
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/recordings", bob)->getArray("recordings")->size(), 0u);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/recordings?section=" + section, ada)->getArray("recordings")->size(), 1u);
    EXPECT_EQ(s->call("GET", "/api/v1/recordings?state=lost", admin).status, 400);
    EXPECT_EQ(s->call("GET", "/api/v1/recordings?cursor=zz", admin).status, 400);
    EXPECT_EQ(s->call("GET", "/api/v1/recordings?limit=0", admin).status, 400);
}

INSTANTIATE_TEST_SUITE_P(Backends, RecordingControl, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
