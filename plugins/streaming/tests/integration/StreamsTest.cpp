// The live streams' REST API end to end through the real vtpd, on SQLite and PostgreSQL: who may
// create, see, rotate and delete streams; validation; pagination and filters; events; the signed
// playback URLs.
#include "StreamingTestSupport.hpp"

#include <vtp/playback_token.hpp>

#include <ctime>
#include <set>

using namespace vtp::test;

namespace {

// What the plugin's playback tokens sign (Streams::kTokenDomain).
constexpr const char* kTokenDomain = "vtp-streaming-live-1";

class Streams : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        // Each stream's ingest listens on ports of its own, from these ranges (busy ones are skipped).
        rtmpFirst = std::min<int>(freeLoopbackPort(), 65000);
        srtFirst = std::min<int>(freeLoopbackPort(), 65000);
        const auto range = [](int first) { return "\"" + std::to_string(first) + "-" + std::to_string(first + 19) + "\"\n"; };
        s = std::make_unique<StreamingServer>(GetParam(), "ingest.rtmp_url = \"rtmp://ingest.example/live\"\n"
                                                          "ingest.srt_url = \"srt://ingest.example:9000\"\n"
                                                          "ingest.listen_address = \"127.0.0.1\"\n"
                                                          "ingest.rtmp_ports = " +
                                                              range(rtmpFirst) + "ingest.srt_ports = " + range(srtFirst));
        admin = s->staff("admin@uni.example", "admin");
        prof = s->staff("prof@uni.example", "instructor");
        other = s->staff("other@uni.example", "instructor");
        ada = s->student("ada@uni.example");
        bob = s->student("bob@uni.example");
        // A section taught by prof, with ada enrolled; bob and other are in none.
        section = s->section(admin, {prof.id});
        s->expect(201, "POST", "/api/v1/sections/" + section + "/enroll", ada);
        target = R"("section_id":")" + section + "\"";
    }

    // The stream's key as the database holds it.
    std::string storedKey(const std::string& id)
    {
        const auto rows = s->auth().query("SELECT stream_key FROM streaming_streams WHERE id = ?", {id});
        return rows.rows.empty() ? std::string() : std::get<std::string>(rows.rows.at(0).at(0));
    }

    // The port an ingest URL names ("scheme://host:PORT/..." or "...:PORT?..."), or 0.
    static int portOf(const std::string& url)
    {
        const size_t colon = url.find(':', url.find("://") + 3);
        return colon == std::string::npos ? 0 : std::atoi(url.c_str() + colon + 1);
    }

    std::unique_ptr<StreamingServer> s;
    int rtmpFirst = 0, srtFirst = 0;
    Account admin, prof, other, ada, bob;
    std::string section, target;
};

// The token of a playback URL ".../live/TOKEN/FILE".
std::string tokenOf(const std::string& url)
{
    const size_t end = url.rfind('/');
    const size_t start = url.rfind('/', end - 1) + 1;
    return url.substr(start, end - start);
}

TEST_P(Streams, SectionInstructorsAndAdminsCreateOthersAreRefused)
{
    const std::string body = "{" + target + R"(,"title":"Live lecture"})";
    EXPECT_EQ(s->call("POST", "/api/v1/streams", other, body).status, 403);
    EXPECT_EQ(s->call("POST", "/api/v1/streams", ada, body).status, 403);
    EXPECT_EQ(s->call("POST", "/api/v1/streams", Account{}, body).status, 401);
    // A room's stream: admins only.
    EXPECT_EQ(s->call("POST", "/api/v1/streams", prof, R"({"room_id":"hall-1","title":"x"})").status, 403);

    const auto stream = s->createStream(prof, target, "Live lecture");
    const std::string id = str(stream, "id");
    EXPECT_EQ(str(stream, "title"), "Live lecture");
    EXPECT_EQ(str(stream, "section_id"), section);
    EXPECT_TRUE(stream->isNull("room_id"));
    EXPECT_EQ(str(stream, "owner_id"), prof.id);
    EXPECT_EQ(str(stream, "state"), "idle");
    EXPECT_TRUE(stream->isNull("started_at"));
    EXPECT_TRUE(stream->isNull("ended_at"));
    EXPECT_TRUE(stream->isNull("recording_id"));
    const std::string key = str(stream, "key");
    EXPECT_EQ(key.size(), 43u); // 32 random bytes, base64url
    EXPECT_EQ(key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
    EXPECT_EQ(storedKey(id), key);
    const auto ingest = stream->getObject("ingest");
    const int rtmpPort = portOf(str(ingest, "rtmp")), srtPort = portOf(str(ingest, "srt"));
    EXPECT_TRUE(rtmpPort >= rtmpFirst && rtmpPort <= rtmpFirst + 19) << str(ingest, "rtmp");
    EXPECT_TRUE(srtPort >= srtFirst && srtPort <= srtFirst + 19) << str(ingest, "srt");
    EXPECT_EQ(str(ingest, "rtmp"), "rtmp://ingest.example:" + std::to_string(rtmpPort) + "/live/" + key);
    EXPECT_EQ(str(ingest, "srt"),
              "srt://ingest.example:" + std::to_string(srtPort) + "?streamid=%23%21%3A%3Ar%3Dlive%2F" + key + "%2Cm%3Dpublish");
    const auto playback = stream->getObject("playback");
    EXPECT_EQ(str(playback, "hls").rfind("/api/v1/streams/" + id + "/live/", 0), 0u) << str(playback, "hls");
    EXPECT_EQ(str(playback, "hls").substr(str(playback, "hls").size() - 12), "/master.m3u8");
    EXPECT_EQ(str(playback, "dash").substr(str(playback, "dash").size() - 13), "/manifest.mpd");
    EXPECT_GT(playback->getValue<int64_t>("expires_at"), static_cast<int64_t>(::time(nullptr)));

    // An admin creates a section's stream and a room's; each stream listens on ports of its own.
    const auto second = s->createStream(admin, target, "By the admin");
    EXPECT_EQ(str(second, "owner_id"), admin.id);
    EXPECT_NE(portOf(str(second->getObject("ingest"), "rtmp")), rtmpPort);
    EXPECT_NE(portOf(str(second->getObject("ingest"), "srt")), srtPort);
    const auto room = s->createStream(admin, R"("room_id":"hall-1")", "Open day");
    EXPECT_EQ(str(room, "room_id"), "hall-1");
    EXPECT_TRUE(room->isNull("section_id"));
}

TEST_P(Streams, BadInputIsAProblemNamingWhatIsWrong)
{
    auto problem = [&](int status, const std::string& body, const std::string& type) {
        const auto r = s->call("POST", "/api/v1/streams", prof, body);
        EXPECT_EQ(r.status, status) << body << ": " << r.body;
        EXPECT_EQ(problemType(r).find(type) != std::string::npos, true) << body << ": " << r.body;
    };
    problem(422, R"({"title":"no target"})", "invalid-target");
    problem(422, R"({"room_id":"r1",)" + target + R"(,"title":"both"})", "invalid-target");
    problem(422, R"({"section_id":"no-such-section","title":"x"})", "unknown-section");
    problem(422, "{" + target + R"(,"title":""})", "invalid-title");
    problem(422, "{" + target + "}", "invalid-title");
    problem(422, "{" + target + R"(,"title":")" + std::string(201, 't') + "\"}", "invalid-title");
    problem(422, "{" + target + R"(,"title":"a\u0007b"})", "invalid-title");
    problem(422, "{" + target + R"(,"title":"t","key":"mine"})", "invalid-field");
    problem(422, R"({"section_id":7,"title":"t"})", "invalid-field");
    problem(400, "[1]", "invalid-body");
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/streams", admin)->getArray("streams")->size(), 0u);
}

TEST_P(Streams, TheRosterSeesWithoutTheKeyOutsidersGet404)
{
    const auto stream = s->createStream(prof, target, "Live lecture");
    const std::string id = str(stream, "id");
    // The enrolled student sees it and may watch it, without the key or the ingest URLs.
    const auto seen = s->expect(200, "GET", "/api/v1/streams/" + id, ada);
    EXPECT_EQ(str(seen, "title"), "Live lecture");
    EXPECT_FALSE(seen->has("key"));
    EXPECT_FALSE(seen->has("ingest"));
    EXPECT_TRUE(seen->has("playback"));
    // Its managers see the key: the owner, and an admin.
    EXPECT_EQ(str(s->expect(200, "GET", "/api/v1/streams/" + id, prof), "key"), str(stream, "key"));
    EXPECT_EQ(str(s->expect(200, "GET", "/api/v1/streams/" + id, admin), "key"), str(stream, "key"));
    // Someone outside the section learns nothing, not even that it exists.
    EXPECT_EQ(s->call("GET", "/api/v1/streams/" + id, bob).status, 404);
    EXPECT_EQ(s->call("GET", "/api/v1/streams/" + id, other).status, 404);
    EXPECT_EQ(s->call("GET", "/api/v1/streams/no-such-stream", admin).status, 404);
    EXPECT_EQ(s->call("GET", "/api/v1/streams/" + id, Account{}).status, 401);
    // Nor may they, or the roster, manage it.
    EXPECT_EQ(s->call("POST", "/api/v1/streams/" + id + "/rotate-key", other).status, 404);
    EXPECT_EQ(s->call("DELETE", "/api/v1/streams/" + id, other).status, 404);
    EXPECT_EQ(s->call("POST", "/api/v1/streams/" + id + "/rotate-key", ada).status, 403);
    EXPECT_EQ(s->call("DELETE", "/api/v1/streams/" + id, ada).status, 403);
    EXPECT_EQ(storedKey(id), str(stream, "key"));

    // A room's stream is its creator's and the admins' only.
    const auto room = s->createStream(admin, R"("room_id":"hall-1")", "Open day");
    EXPECT_EQ(s->call("GET", "/api/v1/streams/" + str(room, "id"), prof).status, 404);
    EXPECT_EQ(s->call("GET", "/api/v1/streams/" + str(room, "id"), ada).status, 404);
}

TEST_P(Streams, PlaybackUrlsAreSignedForTheCallerAndThisStream)
{
    const auto stream = s->createStream(prof, target, "Live lecture");
    const std::string id = str(stream, "id");
    const auto seen = s->expect(200, "GET", "/api/v1/streams/" + id, ada);
    const std::string hls = str(seen->getObject("playback"), "hls");
    const std::string token = tokenOf(hls);
    // A secret of its own: a path parameter of the playlist routes, masked in the logs.
    recordSecret(token);
    EXPECT_EQ(tokenOf(str(seen->getObject("playback"), "dash")), token);

    // Signed with the plugin's own key (kept in its table, shared by every node), for ada.
    const auto keyRows = s->auth().query("SELECT secret FROM streaming_keys WHERE name = 'playback'");
    ASSERT_EQ(keyRows.rows.size(), 1u);
    const std::string key = std::get<std::string>(keyRows.rows.at(0).at(0));
    const int64_t now = static_cast<int64_t>(::time(nullptr));
    const auto checked = vtp::playback::check(key, kTokenDomain, id, token, now);
    ASSERT_EQ(checked.verdict, vtp::playback::Verdict::Valid);
    EXPECT_EQ(checked.token.userId, ada.id);
    EXPECT_FALSE(checked.token.admin);
    EXPECT_EQ(checked.token.expiresAt, seen->getObject("playback")->getValue<int64_t>("expires_at"));
    // Not for another stream, nor as a recording's media token.
    EXPECT_EQ(vtp::playback::check(key, kTokenDomain, "another-stream", token, now).verdict, vtp::playback::Verdict::Invalid);
    EXPECT_EQ(vtp::playback::check(key, "vtp-recording-playback-1", id, token, now).verdict, vtp::playback::Verdict::Invalid);
    // An admin's grant is marked as such.
    const auto asAdmin = s->expect(200, "GET", "/api/v1/streams/" + id, admin);
    const std::string adminToken = tokenOf(str(asAdmin->getObject("playback"), "hls"));
    recordSecret(adminToken);
    EXPECT_TRUE(vtp::playback::check(key, kTokenDomain, id, adminToken, now).token.admin);
}

TEST_P(Streams, RotateKeyReplacesTheKeyAndItsIngestUrls)
{
    const auto stream = s->createStream(prof, target, "Live lecture");
    const std::string id = str(stream, "id");
    const std::string old = str(stream, "key");
    const auto rotated = s->expect(200, "POST", "/api/v1/streams/" + id + "/rotate-key", prof);
    StreamingServer::rememberKey(rotated);
    const std::string fresh = str(rotated, "key");
    EXPECT_NE(fresh, old);
    EXPECT_EQ(fresh.size(), 43u);
    // The same port (an encoder's saved server stays right), the new key.
    const std::string before = str(stream->getObject("ingest"), "rtmp");
    EXPECT_EQ(str(rotated->getObject("ingest"), "rtmp"), before.substr(0, before.rfind('/') + 1) + fresh);
    EXPECT_NE(str(rotated->getObject("ingest"), "srt").find(fresh), std::string::npos);
    EXPECT_EQ(str(rotated->getObject("ingest"), "srt").find(old), std::string::npos);
    EXPECT_GE(rotated->getValue<int64_t>("key_rotated_at"), stream->getValue<int64_t>("key_rotated_at"));
    // What ingest looks up: the old key names no stream any more, the new one this stream.
    EXPECT_EQ(s->auth().query("SELECT id FROM streaming_streams WHERE stream_key = ?", {old}).rows.size(), 0u);
    EXPECT_EQ(s->auth().query("SELECT id FROM streaming_streams WHERE stream_key = ?", {fresh}).rows.size(), 1u);
    EXPECT_EQ(str(s->expect(200, "GET", "/api/v1/streams/" + id, prof), "key"), fresh);
    // An admin may rotate it too; the roster and outsiders may not.
    StreamingServer::rememberKey(s->expect(200, "POST", "/api/v1/streams/" + id + "/rotate-key", admin));
    EXPECT_EQ(s->call("POST", "/api/v1/streams/no-such-stream/rotate-key", prof).status, 404);
}

TEST_P(Streams, DeleteAnswers204ThenTheStreamIsGoneAndEventsSayIt)
{
    const auto stream = s->createStream(prof, target, "Live lecture");
    const std::string id = str(stream, "id");
    const std::string key = str(stream, "key");
    EXPECT_TRUE(s->waitForEvent("stream.created", [&](const JsonObject& p) {
        return str(p, "id") == id && str(p, "section_id") == section && str(p, "owner_id") == prof.id && str(p, "state") == "idle";
    }));
    EXPECT_EQ(s->call("DELETE", "/api/v1/streams/" + id, prof).status, 204);
    EXPECT_EQ(s->call("GET", "/api/v1/streams/" + id, prof).status, 404);
    EXPECT_EQ(s->call("DELETE", "/api/v1/streams/" + id, prof).status, 404);
    EXPECT_TRUE(
        s->waitForEvent("stream.deleted", [&](const JsonObject& p) { return str(p, "id") == id && str(p, "deleted_by") == prof.id; }));

    // A live stream is ended first: stream.ended, then stream.deleted. (Going live is ingest's
    // part: set here in the row.)
    const auto live = s->createStream(admin, R"("room_id":"hall-1")", "Open day");
    const std::string liveId = str(live, "id");
    s->auth().query("UPDATE streaming_streams SET state = 'live', started_at = ? WHERE id = ?",
                    {static_cast<int64_t>(::time(nullptr)), liveId});
    EXPECT_EQ(str(s->expect(200, "GET", "/api/v1/streams/" + liveId, admin), "state"), "live");
    EXPECT_EQ(s->call("DELETE", "/api/v1/streams/" + liveId, admin).status, 204);
    EXPECT_TRUE(s->waitForEvent("stream.ended", [&](const JsonObject& p) {
        return str(p, "id") == liveId && str(p, "state") == "ended" && str(p, "reason") == "deleted";
    }));
    EXPECT_TRUE(s->waitForEvent("stream.deleted", [&](const JsonObject& p) { return str(p, "id") == liveId; }));
    EXPECT_EQ(s->call("GET", "/api/v1/streams/" + liveId, admin).status, 404);

    // Public events: no key in any of them.
    const auto all = s->events();
    size_t streamEvents = 0;
    for (size_t i = 0; i < all->size(); ++i) {
        const auto e = all->getObject(static_cast<unsigned>(i));
        if (e->getValue<std::string>("name").rfind("stream.", 0) != 0) continue;
        ++streamEvents;
        const std::string payload = PluginTestServer::stringify(e->getObject("payload"));
        EXPECT_EQ(payload.find(key), std::string::npos) << payload;
        EXPECT_EQ(payload.find(str(live, "key")), std::string::npos) << payload;
        EXPECT_FALSE(e->getObject("payload")->has("key"));
    }
    EXPECT_EQ(streamEvents, 5u); // created x2, deleted x2, ended
}

TEST_P(Streams, ListsFilterAndPageThroughWhatTheCallerMaySee)
{
    std::set<std::string> made;
    // Three of the section's streams are prof's, one an admin's.
    for (int i = 0; i < 4; ++i) made.insert(str(s->createStream(i < 3 ? prof : admin, target, "Lecture " + std::to_string(i)), "id"));
    const auto room = s->createStream(admin, R"("room_id":"hall-1")", "Open day");
    made.insert(str(room, "id"));
    s->auth().query("UPDATE streaming_streams SET state = 'live' WHERE id = ?", {str(room, "id")});

    // Pages of two: every stream once, in three pages.
    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
        const auto page = s->expect(200, "GET", "/api/v1/streams?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), admin);
        const auto items = page->getArray("streams");
        EXPECT_LE(items->size(), 2u);
        for (size_t i = 0; i < items->size(); ++i) {
            const auto item = items->getObject(static_cast<unsigned>(i));
            StreamingServer::rememberKey(item);
            EXPECT_TRUE(seen.insert(str(item, "id")).second);
        }
        cursor = page->isNull("next_cursor") ? "" : page->getValue<std::string>("next_cursor");
        ++pages;
    } while (!cursor.empty() && pages < 10);
    EXPECT_EQ(seen, made);
    EXPECT_EQ(pages, 3);

    // Filters.
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/streams?state=live", admin)->getArray("streams")->size(), 1u);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/streams?state=idle", admin)->getArray("streams")->size(), 4u);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/streams?room=hall-1", admin)->getArray("streams")->size(), 1u);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/streams?section=" + section, admin)->getArray("streams")->size(), 4u);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/streams?section=" + section + "&state=live", admin)->getArray("streams")->size(), 0u);

    // Only what the caller may see: prof their own, and their section's with keys (the admin's
    // too: they teach it); ada her section's, without keys; bob nothing.
    const auto profs = s->expect(200, "GET", "/api/v1/streams?section=" + section, prof)->getArray("streams");
    ASSERT_EQ(profs->size(), 4u);
    for (size_t i = 0; i < profs->size(); ++i) EXPECT_TRUE(profs->getObject(static_cast<unsigned>(i))->has("key"));
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/streams", prof)->getArray("streams")->size(), 3u);
    const auto adas = s->expect(200, "GET", "/api/v1/streams?section=" + section, ada)->getArray("streams");
    ASSERT_EQ(adas->size(), 4u);
    for (size_t i = 0; i < adas->size(); ++i) EXPECT_FALSE(adas->getObject(static_cast<unsigned>(i))->has("key"));
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/streams?section=" + section, bob)->getArray("streams")->size(), 0u);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/streams", bob)->getArray("streams")->size(), 0u);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/streams?room=hall-1", prof)->getArray("streams")->size(), 0u);

    // Bad parameters.
    EXPECT_EQ(s->call("GET", "/api/v1/streams?state=lost", admin).status, 400);
    EXPECT_EQ(s->call("GET", "/api/v1/streams?cursor=zz!", admin).status, 400);
    EXPECT_EQ(s->call("GET", "/api/v1/streams?limit=0", admin).status, 400);
    EXPECT_EQ(s->call("GET", "/api/v1/streams?limit=201", admin).status, 400);
}

INSTANTIATE_TEST_SUITE_P(Backends, Streams, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
