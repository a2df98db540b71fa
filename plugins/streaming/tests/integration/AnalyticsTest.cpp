// Stream analytics end to end through the real vtpd, on SQLite and PostgreSQL: a recording with an
// adaptive ladder (made by the recording plugin's media worker from media the ffmpeg command makes
// here) is played over plain HTTP the way hls.js and dash.js do with CMCD (the query argument and
// the headers); its QoE report, /metrics and playback.progress events show what the players did;
// malformed CMCD is served, counted and ignored; the stored sessions outlive a restart.
#include "RecordingTestSupport.hpp"

#include <cstdlib>
#include <regex>

using namespace vtp::test;

namespace {

void ffmpeg(const std::string& args)
{
    const std::string cmd = "ffmpeg -hide_banner -loglevel error -nostdin -y " + args;
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("ffmpeg failed: " + cmd);
}

// RFC 3986 percent-encoding of a query argument's value.
std::string percentEncode(const std::string& s)
{
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// The URIs of an HLS master's video variants, highest first, and of a media playlist's segments.
std::vector<std::string> uris(const std::string& playlist, const std::string& after)
{
    std::vector<std::string> out;
    std::istringstream in(playlist);
    std::string line;
    bool take = after.empty();
    while (std::getline(in, line)) {
        if (!after.empty() && line.rfind(after, 0) == 0) {
            take = line.find("avc1.") != std::string::npos || after != "#EXT-X-STREAM-INF:";
            continue;
        }
        if (!line.empty() && line[0] != '#' && take) out.push_back(line);
        if (!after.empty()) take = false;
    }
    return out;
}

// A sample's value on /metrics text, whatever the order of its labels; -1 when absent.
double sample(const std::string& metrics, const std::string& name, const std::vector<std::string>& labels)
{
    std::istringstream in(metrics);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
        const size_t close = line.rfind(' ');
        const std::string head = line.substr(0, close);
        bool all = true;
        for (const auto& l : labels) all = all && head.find(l) != std::string::npos;
        if (all) return std::atof(line.c_str() + close + 1);
    }
    return -1;
}

void expectProblem(const HttpResult& r, int status, const std::string& type)
{
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_NE(problemType(r).find(type), std::string::npos) << r.body;
}

JsonObject sessionOf(const JsonObject& report, const std::function<bool(const JsonObject&)>& match)
{
    const auto sessions = report->getArray("sessions");
    for (size_t i = 0; i < sessions->size(); ++i) {
        const auto o = sessions->getObject(static_cast<unsigned>(i));
        if (match(o)) return o;
    }
    return nullptr;
}

class StreamAnalytics : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        // Small rungs and 2 s segments keep the test quick; sessions end after 5 s without a request
        // (time enough to read them while they last on a loaded machine).
        s = std::make_unique<RecordingServer>(GetParam(), std::vector<std::string>{"courses", "recording", "streaming", "testkit"},
                                              R"("playback.*")",
                                              "[plugins.streaming.ladder]\nrungs = [\"360:300\", \"240:150\"]\naudio_kbps = 64\n"
                                              "preset = \"ultrafast\"\nsegment_seconds = 2\nkeyframe_seconds = 1\n"
                                              "[plugins.streaming.analytics]\nsession_idle_seconds = 5\n");
        admin = s->staff("admin@uni.example", "admin");
        prof = s->staff("prof@uni.example", "instructor");
        ada = s->student("ada@uni.example");
        bob = s->student("bob@uni.example");
        section = s->section(admin, {prof.id});
        s->expect(201, "POST", "/api/v1/sections/" + section + "/enroll", ada);
        course = str(s->expect(200, "GET", "/api/v1/sections/" + section, admin), "course_id");
    }

    int ladders = 0; // made so far in this test

    // A recording of the section, processed, with its ladder; returns its id.
    std::string recordingWithLadder()
    {
        const std::string camera = tmp.path() + "/camera.mp4";
        ffmpeg("-f lavfi -i testsrc2=size=640x360:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 9 -c:v libx264 -preset "
               "ultrafast -g 30 -pix_fmt yuv420p -c:a aac -shortest " +
               camera);
        const std::string id =
            str(s->expect(201, "POST", "/api/v1/recordings", prof, R"({"section_id":")" + section + R"(","title":"Analytics"})"), "id");
        const std::string bytes = readFile(camera);
        const std::string url = s->createUpload(id, prof, bytes.size(), "source Y2FtZXJh");
        const auto r = s->tus("PATCH", url, prof, {{"Upload-Offset", "0"}}, bytes);
        if (r.status != 204) throw std::runtime_error("PATCH answered " + std::to_string(r.status) + ": " + r.body);
        s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", prof);
        const bool made = pollUntil(
            [&] {
                const auto p = s->call("GET", "/api/v1/recordings/" + id + "/playback", prof);
                return p.status == 200 && !p.json()->isNull("adaptive");
            },
            std::chrono::seconds(240), std::chrono::milliseconds(200));
        if (!made) throw std::runtime_error("no ladder: " + s->vtpd().logs());
        // The ladder's job ends (and its rungs' bitrates are known) a moment after its files appear.
        const std::string counted = "vtp_plugin_streaming_ladders_made_total " + std::to_string(++ladders);
        if (!pollUntil([&] { return s->vtpd().get("/metrics").body.find(counted) != std::string::npos; }, std::chrono::seconds(60),
                       std::chrono::milliseconds(50)))
            throw std::runtime_error("the ladder's job did not end: " + s->vtpd().logs());
        return id;
    }

    // The base of `who`'s signed adaptive URLs (".../media/TOKEN/").
    std::string adaptiveBase(const std::string& id, const Account& who)
    {
        const auto p = s->expect(200, "GET", "/api/v1/recordings/" + id + "/playback", who);
        const std::string hls = p->getObject("adaptive")->getValue<std::string>("hls");
        return hls.substr(0, hls.rfind('/') + 1);
    }

    // GETs a signed URL without a bearer token, as a player does; its bytes served (200 expected).
    size_t play(const std::string& url, const std::string& cmcd = {}, std::map<std::string, std::string> headers = {})
    {
        const auto r =
            s->call("GET", url + (cmcd.empty() ? "" : "?CMCD=" + percentEncode(cmcd)), Account{}, {}, "application/json", headers);
        EXPECT_EQ(r.status, 200) << url << ": " << r.body;
        body = r.body;
        return r.body.size();
    }

    JsonObject qoe(const std::string& id, const Account& who) { return s->expect(200, "GET", "/api/v1/recordings/" + id + "/qoe", who); }

    std::unique_ptr<RecordingServer> s;
    Account admin, prof, ada, bob;
    std::string section, course, body;
    TempDir tmp{"vtp-analytics"};
};

TEST_P(StreamAnalytics, PlayersCmcdBecomesReportsMetricsAndProgressEventsThatOutliveARestart)
{
    const std::string id = recordingWithLadder();
    const std::string base = adaptiveBase(id, ada);

    // ada plays with CMCD as hls.js sends it: master and playlists at startup (su), two segments of
    // the 360p rung (the first still starting), then down to 240p with a stall (bs) reported in
    // headers, as dash.js sends them.
    uint64_t egress = 0;
    egress += play(base + "abr-master.m3u8", R"(ot=m,sf=h,sid="sid-A",st=v,su)");
    const auto variants = uris(body, "#EXT-X-STREAM-INF:");
    ASSERT_EQ(variants.size(), 2u) << body;
    egress += play(base + variants[0], R"(ot=m,sf=h,sid="sid-A",su)");
    const auto high = uris(body, "");
    egress += play(base + variants[1], R"(ot=m,sf=h,sid="sid-A",su)");
    const auto low = uris(body, "");
    ASSERT_GE(high.size(), 4u) << body;
    ASSERT_EQ(high.size(), low.size());
    egress += play(base + high[0], R"(bl=0,br=300,d=2000,ot=v,sf=h,sid="sid-A",su)");
    egress += play(base + high[1], R"(bl=2000,br=300,d=2000,ot=v,sf=h,sid="sid-A")");
    egress += play(
        base + low[2], {},
        {{"CMCD-Object", "br=150,d=2000,ot=v"}, {"CMCD-Request", "bl=0"}, {"CMCD-Session", R"(sf=h,sid="sid-A")"}, {"CMCD-Status", "bs"}});
    egress +=
        play(base + low[3], {}, {{"CMCD-Object", "br=150,d=2000,ot=v"}, {"CMCD-Request", "bl=1500"}, {"CMCD-Session", R"(sid="sid-A")"}});

    // Malformed CMCD: served all the same, counted, in no session.
    play(base + high[0], "br=abc,,=");
    play(base + high[0], R"(sid=")" + std::string(5000, 'x') + "\"");
    play(base + high[0], {}, {{"CMCD-Request", "bl=%%%"}});

    // prof's player sends no CMCD: one session for prof and the recording, its bitrate the rung's.
    const std::string profBase = adaptiveBase(id, prof);
    const uint64_t profBytes = play(profBase + high[0]);

    auto checkReport = [&](const JsonObject& report, bool live) {
        const auto a = sessionOf(report, [](const JsonObject& o) { return !o->isNull("sid") && str(o, "sid") == "sid-A"; });
        ASSERT_TRUE(a) << PluginTestServer::stringify(report);
        EXPECT_EQ(str(a, "user_id"), ada.id);
        EXPECT_EQ(str(a, "kind"), "recording");
        EXPECT_EQ(str(a, "subject_id"), id);
        EXPECT_EQ(str(a, "section_id"), section);
        EXPECT_EQ(str(a, "course_id"), course);
        EXPECT_EQ(a->getValue<bool>("live"), live);
        EXPECT_EQ(a->getValue<int64_t>("bitrate_switches"), 1);
        EXPECT_EQ(a->getValue<int64_t>("rebuffer_count"), 1);
        EXPECT_EQ(a->getValue<int64_t>("min_kbps"), 150);
        EXPECT_EQ(a->getValue<int64_t>("avg_kbps"), 225); // 2 x 2 s at 300, 2 x 2 s at 150
        EXPECT_DOUBLE_EQ(a->getValue<double>("watch_seconds"), 8.0);
        EXPECT_FALSE(a->isNull("startup_ms"));
        EXPECT_EQ(a->getValue<int64_t>("requests"), 7); // none of the malformed ones
        EXPECT_EQ(a->getValue<uint64_t>("bytes"), egress);
        const auto rungs = a->getObject("requests_per_rung");
        EXPECT_EQ(rungs->getValue<int64_t>("360p"), 3) << PluginTestServer::stringify(a); // its playlist and two segments
        EXPECT_EQ(rungs->getValue<int64_t>("240p"), 3);
        EXPECT_DOUBLE_EQ(a->getValue<double>("position_s"), 8.0);
        EXPECT_EQ(a->getArray("watched")->size(), 1u);

        const auto p = sessionOf(report, [&](const JsonObject& o) { return str(o, "user_id") == prof.id; });
        ASSERT_TRUE(p) << PluginTestServer::stringify(report);
        EXPECT_TRUE(p->isNull("sid"));
        EXPECT_EQ(p->getValue<int64_t>("avg_kbps"), 300); // the ladder's 360p rung
        EXPECT_EQ(p->getValue<uint64_t>("bytes"), profBytes);

        // No other session: the malformed requests made none for ada.
        EXPECT_EQ(report->getArray("sessions")->size(), 2u) << PluginTestServer::stringify(report);
        const auto sum = report->getObject("summary");
        EXPECT_EQ(sum->getValue<int64_t>("sessions"), 2);
        EXPECT_EQ(sum->getValue<int64_t>("viewers"), 2);
        EXPECT_EQ(sum->getValue<int64_t>("rebuffer_count"), 1);
        EXPECT_EQ(sum->getValue<int64_t>("bitrate_switches"), 1);
        EXPECT_EQ(sum->getValue<int64_t>("min_kbps"), 150);
        EXPECT_EQ(sum->getValue<uint64_t>("egress_bytes"), egress + profBytes);
        EXPECT_EQ(sum->getObject("requests_per_rung")->getValue<int64_t>("360p"), 4);
        // Stall time (estimated from the gaps between requests) over watch time.
        EXPECT_NEAR(sum->getValue<double>("rebuffer_ratio"),
                    sum->getValue<double>("rebuffer_seconds") / sum->getValue<double>("watch_seconds"), 1e-9);
        EXPECT_TRUE(report->isNull("next_cursor"));
    };

    // While the sessions last they are reported from memory; prof (the section's instructor and
    // the owner) and admins read the report, ada (who may watch) is forbidden, bob does not see it.
    checkReport(qoe(id, prof), true);
    expectProblem(s->call("GET", "/api/v1/recordings/" + id + "/qoe", ada), 403, "forbidden");
    expectProblem(s->call("GET", "/api/v1/recordings/" + id + "/qoe", bob), 404, "not-found");
    expectProblem(s->call("GET", "/api/v1/recordings/no-such-recording/qoe", admin), 404, "not-found");

    const std::string metrics = s->vtpd().get("/metrics").body;
    EXPECT_EQ(sample(metrics, "vtp_plugin_streaming_cmcd_malformed_total", {R"(kind="recording")"}), 3) << metrics;
    EXPECT_GE(sample(metrics, "vtp_plugin_streaming_qoe_egress_bytes_total", {R"(kind="recording")"}),
              static_cast<double>(egress + profBytes));
    EXPECT_EQ(sample(metrics, "vtp_plugin_streaming_qoe_requests_total", {R"(kind="recording")", R"(rung="240p")"}), 3);
    EXPECT_TRUE(pollUntil(
        [&] {
            return sample(s->vtpd().get("/metrics").body, "vtp_plugin_streaming_qoe_viewers",
                          {R"(kind="recording")", "id=\"" + id + "\""}) == 2;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(50)));

    // Idle for 5 s, the sessions end: stored, and one playback.progress each says what was watched.
    JsonObject stored;
    ASSERT_TRUE(pollUntil(
        [&] {
            stored = qoe(id, admin);
            return stored->getArray("sessions")->size() == 2 &&
                   !sessionOf(stored, [](const JsonObject& o) { return o->getValue<bool>("live"); });
        },
        std::chrono::seconds(20), std::chrono::milliseconds(100)))
        << PluginTestServer::stringify(stored);
    checkReport(stored, false);
    const std::string sessionA = str(sessionOf(stored, [](const JsonObject& o) { return !o->isNull("sid"); }), "id");
    ASSERT_TRUE(
        s->waitForEvent("playback.progress", [&](const JsonObject& p) { return p->has("session") && str(p, "session") == sessionA; }));
    int progress = 0;
    const auto events = s->events();
    for (size_t i = 0; i < events->size(); ++i) {
        const auto e = events->getObject(static_cast<unsigned>(i));
        const auto p = e->getObject("payload");
        if (str(e, "name") != "playback.progress" || str(p, "session") != sessionA) continue;
        ++progress;
        EXPECT_EQ(str(p, "user_id"), ada.id);
        EXPECT_EQ(str(p, "recording_id"), id);
        EXPECT_EQ(str(p, "sid"), "sid-A");
        EXPECT_TRUE(p->getValue<bool>("ended"));
        EXPECT_DOUBLE_EQ(p->getValue<double>("position_s"), 8.0);
        const auto watched = p->getArray("watched");
        ASSERT_EQ(watched->size(), 1u);
        EXPECT_DOUBLE_EQ(watched->getArray(0)->getElement<double>(0), 0.0);
        EXPECT_DOUBLE_EQ(watched->getArray(0)->getElement<double>(1), 8.0);
    }
    // Under 30 s of watching: the one at its end, none before.
    EXPECT_EQ(progress, 1);

    // The course's report: its sections' instructors (the role) and admins; students are refused.
    const auto byCourse = s->expect(200, "GET", "/api/v1/streaming/courses/" + course + "/qoe", prof);
    EXPECT_EQ(byCourse->getObject("summary")->getValue<int64_t>("sessions"), 2);
    EXPECT_EQ(s->call("GET", "/api/v1/streaming/courses/" + course + "/qoe", ada).status, 403);
    const auto otherInstructor = s->staff("other@uni.example", "instructor");
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/streaming/courses/" + course + "/qoe", otherInstructor)->getArray("sessions")->size(), 0u);

    // Pages and ranges.
    const auto first = s->expect(200, "GET", "/api/v1/recordings/" + id + "/qoe?limit=1", prof);
    ASSERT_EQ(first->getArray("sessions")->size(), 1u);
    ASSERT_FALSE(first->isNull("next_cursor"));
    const auto second = s->expect(200, "GET", "/api/v1/recordings/" + id + "/qoe?limit=1&cursor=" + str(first, "next_cursor"), prof);
    ASSERT_EQ(second->getArray("sessions")->size(), 1u);
    EXPECT_NE(str(first->getArray("sessions")->getObject(0), "id"), str(second->getArray("sessions")->getObject(0), "id"));
    EXPECT_TRUE(second->isNull("next_cursor"));
    EXPECT_EQ(first->getObject("summary")->getValue<int64_t>("sessions"), 2); // the summary covers every page
    const auto past = s->expect(200, "GET", "/api/v1/recordings/" + id + "/qoe?from=2001-01-01&to=2001-12-31", prof);
    EXPECT_EQ(past->getArray("sessions")->size(), 0u);
    EXPECT_EQ(past->getObject("summary")->getValue<int64_t>("sessions"), 0);
    expectProblem(s->call("GET", "/api/v1/recordings/" + id + "/qoe?from=yesterday", prof), 400, "invalid-parameter");
    expectProblem(s->call("GET", "/api/v1/recordings/" + id + "/qoe?from=2026-01-02&to=2026-01-01", prof), 400, "invalid-parameter");
    expectProblem(s->call("GET", "/api/v1/recordings/" + id + "/qoe?cursor=not-a-cursor", prof), 400, "invalid-parameter");

    // A restart (allowing a player's origin) keeps the stored sessions; its CORS preflight on a
    // media URL allows the CMCD headers.
    s->allowCorsOrigin("https://player.example");
    checkReport(qoe(id, prof), false);
    const std::string preflight = "OPTIONS " + base + high[0] +
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://player.example\r\n"
                                  "Access-Control-Request-Method: GET\r\n"
                                  "Access-Control-Request-Headers: cmcd-request,cmcd-object,cmcd-status,cmcd-session\r\n\r\n";
    const auto ok = rawExchange(s->vtpd().httpPort(), preflight);
    EXPECT_EQ(ok.status, 204) << ok.body;
    const std::string allowed = lowerCase(ok.header("access-control-allow-headers"));
    for (const char* h : {"cmcd-request", "cmcd-object", "cmcd-status", "cmcd-session"})
        EXPECT_NE(allowed.find(h), std::string::npos) << h << " in " << allowed;
}

TEST_P(StreamAnalytics, AStreamsReportWorksBeforeAnyObservationAndOnlyForItsManagers)
{
    const auto stream = s->expect(201, "POST", "/api/v1/streams", prof, R"({"section_id":")" + section + R"(","title":"Live"})");
    const std::string id = str(stream, "id");
    const auto report = s->expect(200, "GET", "/api/v1/streams/" + id + "/qoe", prof);
    EXPECT_EQ(report->getArray("sessions")->size(), 0u);
    const auto sum = report->getObject("summary");
    EXPECT_EQ(sum->getValue<int64_t>("sessions"), 0);
    EXPECT_EQ(sum->getValue<int64_t>("concurrent_viewers"), 0);
    EXPECT_TRUE(sum->isNull("avg_kbps"));
    EXPECT_EQ(s->call("GET", "/api/v1/streams/" + id + "/qoe", admin).status, 200);
    expectProblem(s->call("GET", "/api/v1/streams/" + id + "/qoe", ada), 403, "forbidden"); // enrolled: watches, no report
    expectProblem(s->call("GET", "/api/v1/streams/" + id + "/qoe", bob), 404, "not-found");
    expectProblem(s->call("GET", "/api/v1/streams/no-such-stream/qoe", admin), 404, "not-found");
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamAnalytics, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
