// Playback of a recording end to end through the real vtpd, on SQLite and PostgreSQL: the signed
// URLs of /playback, and every playlist, segment, image and the download served through them to
// whoever may watch, with ranges, validators and cache lifetimes; refused for someone else's
// recording, a forged, expired or stale token, a deleted recording and a path that is not a flat
// name.
#include "PlaybackTestSupport.hpp"

#include <Poco/Base64Encoder.h>

#include <sstream>

using namespace vtp::test;

namespace {

struct Urls {
    std::string hls, dash, poster, thumbnails, download, base, token;
    int64_t expiresAt = 0;
};

class RecordingPlayback : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override { startServer(""); }

    void startServer(const std::string& toml)
    {
        s = std::make_unique<RecordingServer>(GetParam(), toml);
        admin = s->staff("admin@uni.example", "admin");
        prof = s->staff("prof@uni.example", "instructor");
        ada = s->student("ada@uni.example");
        bob = s->student("bob@uni.example");
        // Section A taught by prof with ada enrolled; section B with bob enrolled.
        const auto term =
            s->expect(201, "POST", "/api/v1/terms", admin, R"({"name":"Autumn","start_date":"2025-09-01","end_date":"2025-12-19"})");
        const auto course = s->expect(201, "POST", "/api/v1/courses", admin,
                                      R"({"term_id":")" + str(term, "id") + R"(","code":"CS101","title":"Algorithms"})");
        auto section = [&](const std::string& name) {
            return str(s->expect(201, "POST", "/api/v1/sections", admin,
                                 R"({"course_id":")" + str(course, "id") + R"(","name":")" + name +
                                     R"(","capacity":30,"waitlist_capacity":0,"instructors":[")" + prof.id + R"("]})"),
                       "id");
        };
        sectionA = section("A");
        sectionB = section("B");
        s->expect(201, "POST", "/api/v1/sections/" + sectionA + "/enroll", ada);
        s->expect(201, "POST", "/api/v1/sections/" + sectionB + "/enroll", bob);
    }

    // A recording of `section`, stopped and ready to play.
    std::string readyRecording(const std::string& section, const std::string& title)
    {
        const std::string id = str(
            s->expect(201, "POST", "/api/v1/recordings", prof, R"({"section_id":")" + section + R"(","title":")" + title + "\"}"), "id");
        s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", prof);
        makeReady(*s, id);
        return id;
    }

    Urls playback(const std::string& id, const Account& who)
    {
        const auto j = s->expect(200, "GET", "/api/v1/recordings/" + id + "/playback", who);
        Urls u;
        u.hls = str(j, "hls");
        u.dash = str(j, "dash");
        u.poster = str(j, "poster");
        u.thumbnails = str(j, "thumbnails");
        u.download = str(j, "download");
        u.base = u.hls.substr(0, u.hls.rfind('/') + 1);
        const std::string prefix = "/api/v1/recordings/" + id + "/media/";
        EXPECT_EQ(u.base.rfind(prefix, 0), 0u) << u.base;
        u.token = u.base.substr(prefix.size(), u.base.size() - prefix.size() - 1);
        u.expiresAt = j->getValue<int64_t>("expires_at");
        return u;
    }

    // A media request as a player makes it: no Authorization header.
    HttpResult get(const std::string& path, std::map<std::string, std::string> headers = {}, const std::string& method = "GET")
    {
        return s->vtpd().request(method, path, "", "", headers);
    }

    static void expectProblem(const HttpResult& r, int status, const std::string& type)
    {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_NE(problemType(r).find(type), std::string::npos) << r.body;
    }

    std::unique_ptr<RecordingServer> s;
    Account admin, prof, ada, bob;
    std::string sectionA, sectionB;
};

TEST_P(RecordingPlayback, AStudentOfTheSectionPlaysHlsAndDashAndDownloads)
{
    const std::string id =
        str(s->expect(201, "POST", "/api/v1/recordings", prof, R"({"section_id":")" + sectionA + R"(","title":"Lecture 1: \"Graphs\""})"),
            "id");
    // Not playable before processing has finished.
    expectProblem(s->call("GET", "/api/v1/recordings/" + id + "/playback", ada), 409, "not-ready");
    s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", prof);
    expectProblem(s->call("GET", "/api/v1/recordings/" + id + "/playback", ada), 409, "not-ready");
    makeReady(*s, id);

    const Urls u = playback(id, ada);
    EXPECT_EQ(u.hls, u.base + "master.m3u8");
    EXPECT_EQ(u.dash, u.base + "manifest.mpd");
    EXPECT_EQ(u.poster, u.base + "poster.jpg");
    EXPECT_EQ(u.thumbnails, u.base + "thumbnails.vtt");
    EXPECT_EQ(u.download, u.base + "recording.mp4");
    EXPECT_GT(u.expiresAt, static_cast<int64_t>(::time(nullptr)) + 6 * 3600 - 60); // the default lifetime, 6 hours
    EXPECT_EQ(u.token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"), std::string::npos);

    // The master playlist: short-lived in caches, its relative URIs resolve under the token.
    auto master = get(u.hls);
    ASSERT_EQ(master.status, 200) << master.body;
    EXPECT_EQ(master.contentType, "application/vnd.apple.mpegurl");
    EXPECT_EQ(headerOf(master, "Cache-Control"), "private, no-cache");
    EXPECT_NE(master.body.find("#EXT-X-STREAM-INF"), std::string::npos);
    ASSERT_NE(master.body.find("media_0.m3u8"), std::string::npos) << master.body;
    const auto mediaPlaylist = get(u.base + "media_0.m3u8");
    ASSERT_EQ(mediaPlaylist.status, 200);
    ASSERT_NE(mediaPlaylist.body.find("chunk-0-00002.m4s"), std::string::npos) << mediaPlaylist.body;
    // Revalidation of a playlist: 304 with its ETag.
    const std::string etag = headerOf(master, "ETag");
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(get(u.hls, {{"If-None-Match", etag}}).status, 304);

    // A segment: a byte range, immutable in caches for no longer than the token lives.
    const std::string segment = readFile(testMedia() + "/chunk-0-00002.m4s");
    const auto part = get(u.base + "chunk-0-00002.m4s", {{"Range", "bytes=0-99"}});
    ASSERT_EQ(part.status, 206) << part.body;
    EXPECT_EQ(part.body, segment.substr(0, 100));
    EXPECT_EQ(headerOf(part, "Content-Range"), "bytes 0-99/" + std::to_string(segment.size()));
    EXPECT_EQ(part.contentType, "video/iso.segment");
    const std::string cache = headerOf(part, "Cache-Control");
    EXPECT_EQ(cache.rfind("private, max-age=", 0), 0u) << cache;
    EXPECT_NE(cache.find(", immutable"), std::string::npos) << cache;
    const int64_t maxAge = std::stoll(cache.substr(std::string("private, max-age=").size()));
    EXPECT_GT(maxAge, 6 * 3600 - 120);
    EXPECT_LE(maxAge, 6 * 3600);
    EXPECT_FALSE(headerOf(part, "Last-Modified").empty());
    const auto whole = get(u.base + "chunk-0-00002.m4s");
    EXPECT_EQ(whole.status, 200);
    EXPECT_EQ(whole.body, segment);
    const auto head = get(u.base + "chunk-0-00002.m4s", {}, "HEAD");
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(headerOf(head, "Content-Length"), std::to_string(segment.size()));
    EXPECT_TRUE(head.body.empty());

    // DASH, the poster, the thumbnail track.
    const auto mpd = get(u.dash);
    EXPECT_EQ(mpd.status, 200);
    EXPECT_EQ(mpd.contentType, "application/dash+xml");
    EXPECT_NE(mpd.body.find("<MPD"), std::string::npos);
    const auto poster = get(u.poster);
    EXPECT_EQ(poster.status, 200);
    EXPECT_EQ(poster.contentType, "image/jpeg");
    EXPECT_EQ(poster.body, readFile(testMedia() + "/poster.jpg"));
    const auto vtt = get(u.thumbnails);
    EXPECT_EQ(vtt.status, 200);
    EXPECT_EQ(vtt.contentType, "text/vtt; charset=utf-8");

    // The download: the whole MP4, as an attachment named after the title (quotes made safe).
    const auto download = get(u.download);
    ASSERT_EQ(download.status, 200);
    EXPECT_EQ(download.contentType, "video/mp4");
    EXPECT_EQ(download.body, readFile(testMedia() + "/recording.mp4"));
    EXPECT_EQ(headerOf(download, "Content-Disposition"), "attachment; filename=\"Lecture 1_ _Graphs_.mp4\"");

    // The section's instructor and an admin may watch too; a file that is not there is a 404.
    EXPECT_EQ(get(playback(id, prof).hls).status, 200);
    EXPECT_EQ(get(playback(id, admin).hls).status, 200);
    expectProblem(get(u.base + "chunk-0-99999.m4s"), 404, "not-found");

    // The token never reaches a log.
    EXPECT_EQ(s->vtpd().logs().find(u.token), std::string::npos);
}

TEST_P(RecordingPlayback, OthersAndForgedTokensAreRefused)
{
    const std::string lecture = readyRecording(sectionA, "Lecture A");
    const std::string other = readyRecording(sectionB, "Lecture B");
    // bob is not in section A: to him the recording does not exist.
    expectProblem(s->call("GET", "/api/v1/recordings/" + lecture + "/playback", bob), 404, "not-found");
    expectProblem(s->call("GET", "/api/v1/recordings/" + lecture + "/playback", Account{}), 401, "unauthorized");

    // bob's token, made for his own section's recording, opens nothing of section A's.
    const Urls mine = playback(other, bob);
    EXPECT_EQ(get(mine.hls).status, 200);
    const std::string theirs = "/api/v1/recordings/" + lecture + "/media/" + mine.token + "/";
    for (const char* f : {"master.m3u8", "chunk-0-00001.m4s", "recording.mp4"}) expectProblem(get(theirs + f), 403, "invalid-token");

    // ada's token with bob's id put in, or with its MAC changed, is a forgery.
    const Urls adas = playback(lecture, ada);
    const auto parts = [&] {
        std::vector<std::string> p;
        std::istringstream in(adas.token);
        for (std::string x; std::getline(in, x, '.');) p.push_back(x);
        return p;
    }();
    ASSERT_EQ(parts.size(), 5u) << adas.token;
    auto b64url = [](const std::string& s) {
        std::ostringstream out;
        Poco::Base64Encoder enc(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
        enc.rdbuf()->setLineLength(0);
        enc << s;
        enc.close();
        return out.str();
    };
    const std::string base = "/api/v1/recordings/" + lecture + "/media/";
    std::vector<std::string> forged{parts[0] + "." + parts[1] + "." + parts[2] + "." + b64url(bob.id) + "." + parts[4],
                                    parts[0] + "." + parts[1] + ".a." + parts[3] + "." + parts[4],
                                    parts[0] + "." + std::to_string(std::stoll(parts[1]) + 3600) + "." + parts[2] + "." + parts[3] + "." +
                                        parts[4],
                                    parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3] + "." + b64url(std::string(32, 'x')),
                                    "not-a-token",
                                    std::string(300, 'A')};
    for (const auto& t : forged)
        for (const char* f : {"master.m3u8", "chunk-0-00001.m4s", "recording.mp4"})
            expectProblem(get(base + t + "/" + f), 403, "invalid-token");
    // ada's own token still works.
    EXPECT_EQ(get(adas.download).status, 200);
}

TEST_P(RecordingPlayback, AnExpiredTokenIsRefused)
{
    startServer("[plugins.recording.playback]\nurl_lifetime_seconds = 2\n");
    const std::string id = readyRecording(sectionA, "Short-lived");
    const Urls u = playback(id, ada);
    EXPECT_LE(u.expiresAt, static_cast<int64_t>(::time(nullptr)) + 2);
    HttpResult r;
    ASSERT_TRUE(pollUntil(
        [&] {
            r = get(u.base + "chunk-0-00001.m4s");
            return r.status != 200;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(100)))
        << r.status;
    expectProblem(r, 403, "token-expired");
    expectProblem(get(u.hls), 403, "token-expired");
    expectProblem(get(u.download), 403, "token-expired");
    // A new token plays again.
    EXPECT_EQ(get(playback(id, ada).hls).status, 200);
}

TEST_P(RecordingPlayback, ADeletedRecordingIsGone)
{
    const std::string id = readyRecording(sectionA, "To delete");
    const Urls u = playback(id, ada);
    ASSERT_EQ(get(u.hls).status, 200);
    s->expect(204, "DELETE", "/api/v1/recordings/" + id, prof);
    for (const auto& url : {u.hls, u.base + "chunk-0-00001.m4s", u.download}) expectProblem(get(url), 404, "not-found");
    EXPECT_FALSE(std::filesystem::exists(s->storageDir() + "/" + id));
}

TEST_P(RecordingPlayback, OnlyFlatNamesInMediaAreServed)
{
    const std::string id = readyRecording(sectionA, "Traversal");
    const Urls u = playback(id, ada);
    // A file beside media/ (where the uploads are) and the database must stay out of reach.
    std::ofstream(s->storageDir() + "/" + id + "/secret.webm") << "source bytes";
    for (const char* name : {"..%2Fsecret.webm", "..%2F..%2F..%2Fvtp.db", "%2E%2E%2Fsecret.webm", "..", "%2E%2E", ".hidden", "a%2Fb",
                             "media%5C..%5Csecret.webm"}) {
        const auto r = get(u.base + name);
        EXPECT_EQ(r.status, 404) << name << ": " << r.body;
        EXPECT_EQ(r.body.find("source bytes"), std::string::npos) << name;
    }
    EXPECT_EQ(get(u.base + "a/b").status, 404);
    EXPECT_EQ(get(u.base + "..%2Fsecret.webm", {}, "HEAD").status, 404);
}

TEST_P(RecordingPlayback, ChangingVisibilityToStaffStopsAStudentsToken)
{
    const std::string id = readyRecording(sectionA, "Staff only soon");
    const Urls student = playback(id, ada);
    const Urls teacher = playback(id, prof);
    ASSERT_EQ(get(student.base + "chunk-0-00001.m4s").status, 200);
    s->expect(200, "PATCH", "/api/v1/recordings/" + id, prof, R"({"visibility":"staff"})");
    for (const auto& url : {student.hls, student.base + "chunk-0-00001.m4s", student.download}) expectProblem(get(url), 403, "forbidden");
    EXPECT_EQ(get(teacher.hls).status, 200);
    expectProblem(s->call("GET", "/api/v1/recordings/" + id + "/playback", ada), 404, "not-found");
    // Back to the roster: the same token plays again (it is still within its lifetime).
    s->expect(200, "PATCH", "/api/v1/recordings/" + id, prof, R"({"visibility":"participants"})");
    EXPECT_EQ(get(student.hls).status, 200);
}

TEST_P(RecordingPlayback, AStudentWhoLeavesTheRosterLosesTheirTokenWithinTheRecheck)
{
    const std::string id = readyRecording(sectionA, "Roster");
    const Urls u = playback(id, ada);
    ASSERT_EQ(get(u.hls).status, 200);
    s->expect(204, "DELETE", "/api/v1/sections/" + sectionA + "/enroll", ada);
    // The courses plugin is asked again at most every 5 s (Playback::kRecheck).
    HttpResult r;
    EXPECT_TRUE(pollUntil(
        [&] {
            r = get(u.base + "chunk-0-00001.m4s");
            return r.status != 200;
        },
        std::chrono::seconds(15), std::chrono::milliseconds(100)))
        << r.status;
    expectProblem(r, 403, "forbidden");
}

TEST_P(RecordingPlayback, URLsOutliveARestartAndPlayersOnAllowedOriginsMaySendRange)
{
    const std::string id = readyRecording(sectionA, "Across origins");
    const Urls u = playback(id, ada);
    const std::string segment = u.base + "chunk-0-00001.m4s";
    const std::string preflight = "OPTIONS " + segment +
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://player.example\r\n"
                                  "Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: range\r\n\r\n";
    EXPECT_EQ(rawExchange(s->vtpd().httpPort(), preflight).status, 403);

    // A restart keeps the key (it is in the database): the URL handed out before still works.
    s->allowCorsOrigin("https://player.example");
    const auto ok = rawExchange(s->vtpd().httpPort(), preflight);
    EXPECT_EQ(ok.status, 204) << ok.body;
    EXPECT_EQ(ok.header("access-control-allow-origin"), "https://player.example");
    EXPECT_NE(lowerCase(ok.header("access-control-allow-headers")).find("range"), std::string::npos);
    const auto part = get(segment, {{"Origin", "https://player.example"}, {"Range", "bytes=10-19"}});
    EXPECT_EQ(part.status, 206);
    EXPECT_EQ(headerOf(part, "Access-Control-Allow-Origin"), "https://player.example");
    const std::string exposed = lowerCase(headerOf(part, "Access-Control-Expose-Headers"));
    for (const char* h : {"content-range", "etag"}) EXPECT_NE(exposed.find(h), std::string::npos) << h << " in " << exposed;
}

INSTANTIATE_TEST_SUITE_P(Backends, RecordingPlayback, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
