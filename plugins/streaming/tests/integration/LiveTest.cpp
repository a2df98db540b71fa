// Live streams end to end through the real vtpd (auth, courses, recording, streaming, testkit) on
// SQLite and PostgreSQL, with the real ingest worker and ffmpeg as the encoder: publishing over
// RTMP and SRT with the right and a wrong key, the LL-HLS and LL-DASH output (blocking reloads held
// until the part comes), who may watch, a dropped encoder ending the stream after the grace, and a
// reconnect within the grace continuing it.
#include "StreamingTestSupport.hpp"

#include "ChildProcess.hpp"

#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NodeList.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <regex>
#include <sstream>

using namespace vtp::test;
using namespace std::chrono_literals;

namespace {

// Port ranges the plugin picks from: it skips any port taken meanwhile.
std::string liveToml(int graceSeconds, const std::string& extra = "")
{
    const int rtmp = std::min<int>(freeLoopbackPort(), 65000), srt = std::min<int>(vtp::test::freeLoopbackPort(SOCK_DGRAM), 65000);
    return "ingest.rtmp_url = \"rtmp://127.0.0.1/live\"\n"
           "ingest.srt_url = \"srt://127.0.0.1\"\n"
           "ingest.listen_address = \"127.0.0.1\"\n"
           "ingest.rtmp_ports = \"" +
           std::to_string(rtmp) + "-" + std::to_string(rtmp + 9) +
           "\"\n"
           "ingest.srt_ports = \"" +
           std::to_string(srt) + "-" + std::to_string(srt + 9) +
           "\"\n"
           "ingest.stall_timeout_ms = 1500\n"
           "live.rungs = [\"240:300\", \"144:120\"]\n"
           "live.audio_kbps = 64\n"
           "live.preset = \"ultrafast\"\n"
           "live.segment_ms = 1000\n"
           "live.part_ms = 250\n"
           "live.dvr_window_seconds = 60\n"
           "live.reconnect_grace_seconds = " +
           std::to_string(graceSeconds) + "\n" + extra;
}

// RFC 3986 percent-encoding of a query argument's value (a CMCD payload).
std::string percentEncode(const std::string& v)
{
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : v) {
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

// The sum of a media playlist's EXTINF durations: the seconds of media it lists.
double listedSeconds(const std::string& playlist)
{
    double total = 0;
    static const std::regex extinf(R"(#EXTINF:([0-9.]+),)");
    for (auto it = std::sregex_iterator(playlist.begin(), playlist.end(), extinf); it != std::sregex_iterator(); ++it)
        total += std::stod((*it)[1]);
    return total;
}

std::string header(const HttpResult& r, const std::string& name)
{
    for (const auto& [k, v] : r.headers)
        if (std::equal(k.begin(), k.end(), name.begin(), name.end(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
            return v;
    return {};
}

bool contains(const std::string& text, const std::string& what)
{
    return text.find(what) != std::string::npos;
}

// The highest media sequence number a playlist lists a complete segment of ("seg-N.m4s"), or -1.
int64_t lastSegment(const std::string& playlist)
{
    int64_t last = -1;
    static const std::regex seg(R"(seg-(\d+)\.m4s)");
    for (auto it = std::sregex_iterator(playlist.begin(), playlist.end(), seg); it != std::sregex_iterator(); ++it)
        last = std::max<int64_t>(last, std::stoll((*it)[1]));
    return last;
}

class Live : public ::testing::TestWithParam<Backend> {
protected:
    void start(int graceSeconds, const std::string& extra = "")
    {
        s = std::make_unique<StreamingServer>(GetParam(), liveToml(graceSeconds, extra));
        admin = s->staff("admin@uni.example", "admin");
        prof = s->staff("prof@uni.example", "instructor");
        ada = s->student("ada@uni.example");
        bob = s->student("bob@uni.example");
        // prof teaches both sections; ada is enrolled in the first, bob only in the second.
        section = s->section(admin, {prof.id});
        s->expect(201, "POST", "/api/v1/sections/" + section + "/enroll", ada);
        otherSection = s->section(admin, {prof.id}, "CS102");
        s->expect(201, "POST", "/api/v1/sections/" + otherSection + "/enroll", bob);
    }

    // On a failure, what vtpd said besides its request lines (the workers' ends, refusals).
    void TearDown() override
    {
        if (!HasFailure() || !s) return;
        std::istringstream logs(s->vtpd().logs());
        for (std::string line; std::getline(logs, line);)
            if (!contains(line, "\"component\":\"http\"")) std::cerr << line << "\n";
    }

    JsonObject create(const std::string& inSection, const std::string& title)
    {
        return s->createStream(prof, R"("section_id":")" + inSection + "\"", title);
    }

    std::string state(const std::string& id) { return str(s->expect(200, "GET", "/api/v1/streams/" + id, prof), "state"); }

    // The directory of a viewer's playback URLs: ".../live/TOKEN".
    std::string playbackBase(const std::string& id, const Account& viewer)
    {
        const std::string hls = s->expect(200, "GET", "/api/v1/streams/" + id, viewer)->getObject("playback")->getValue<std::string>("hls");
        return hls.substr(0, hls.rfind('/'));
    }

    HttpResult get(const std::string& path) { return s->vtpd().request("GET", path); }

    // An encoder pushing 426x240 test media to `url` until killed.
    std::unique_ptr<ChildProcess> publish(const std::string& url, const std::string& name)
    {
        const bool srt = url.rfind("srt://", 0) == 0;
        return std::make_unique<ChildProcess>(std::vector<std::string>{VTP_TEST_FFMPEG,
                                                                       "-hide_banner",
                                                                       "-loglevel",
                                                                       "error",
                                                                       "-re",
                                                                       "-f",
                                                                       "lavfi",
                                                                       "-i",
                                                                       "testsrc2=size=426x240:rate=25",
                                                                       "-f",
                                                                       "lavfi",
                                                                       "-i",
                                                                       "sine",
                                                                       "-c:v",
                                                                       "libx264",
                                                                       "-preset",
                                                                       "ultrafast",
                                                                       "-g",
                                                                       "25",
                                                                       "-c:a",
                                                                       "aac",
                                                                       "-b:a",
                                                                       "64k",
                                                                       "-f",
                                                                       srt ? "mpegts" : "flv",
                                                                       url},
                                              dir.file(name + ".log"));
    }

    // Publishes until `done` holds: a worker that has just refused someone, or whose publisher
    // just left, listens again a moment later, and an encoder that connects meanwhile fails at once.
    std::unique_ptr<ChildProcess> publishUntil(const std::string& url, const std::function<bool()>& done, std::chrono::seconds timeout)
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (int attempt = 0; std::chrono::steady_clock::now() < deadline; ++attempt) {
            auto encoder = publish(url, "encoder" + std::to_string(attempt));
            while (std::chrono::steady_clock::now() < deadline) {
                if (pollUntil(done, 200ms, 20ms)) return encoder;
                if (!encoder->running()) break;
            }
        }
        ADD_FAILURE() << "the stream never did what was awaited";
        return nullptr;
    }

    // Refusals of `protocol` in vtpd's log (the worker's report, never the key).
    size_t refusals(const std::string& protocol)
    {
        const std::string logs = s->vtpd().logs();
        size_t n = 0;
        for (size_t at = 0; (at = logs.find("live publish refused", at)) != std::string::npos; ++at) {
            const size_t eol = logs.find('\n', at);
            if (contains(logs.substr(at, eol - at), "\"" + protocol + "\"")) ++n;
        }
        return n;
    }

    size_t eventCount(const std::string& name, const std::string& id)
    {
        size_t n = 0;
        const auto all = s->events();
        for (size_t i = 0; i < all->size(); ++i) {
            const auto e = all->getObject(static_cast<unsigned>(i));
            if (e->getValue<std::string>("name") == name && str(e->getObject("payload"), "id") == id) ++n;
        }
        return n;
    }

    TempDir dir{"vtp-live"};
    std::unique_ptr<StreamingServer> s;
    Account admin, prof, ada, bob;
    std::string section, otherSection;
};

TEST_P(Live, RtmpGoesLiveWithLowLatencyOutputOnlyForItsViewersAndADroppedEncoderEndsIt)
{
    start(2);
    const auto stream = create(section, "Algorithms, live");
    const std::string id = str(stream, "id"), key = str(stream, "key");
    const std::string rtmp = stream->getObject("ingest")->getValue<std::string>("rtmp");
    // The stream's own port in the URL, the key after the application.
    ASSERT_TRUE(std::regex_match(rtmp, std::regex(R"(rtmp://127\.0\.0\.1:\d+/live/)" + key))) << rtmp;

    // A wrong key is refused, and the stream stays idle.
    const std::string wrongUrl = rtmp.substr(0, rtmp.rfind('/') + 1) + "notTheKey";
    auto wrong = publishUntil(
        wrongUrl, [&] { return refusals("rtmp") >= 1; }, 20s);
    ASSERT_TRUE(wrong);
    EXPECT_NE(wrong->wait(10s), 0);
    EXPECT_EQ(state(id), "idle");
    EXPECT_EQ(eventCount("stream.started", id), 0u);
    EXPECT_FALSE(contains(s->vtpd().logs(), key));

    // The right key: live, stream.started.
    auto encoder = publishUntil(
        rtmp, [&] { return eventCount("stream.started", id) > 0; }, 30s);
    ASSERT_TRUE(encoder);
    ASSERT_TRUE(s->waitForEvent("stream.started", [&](const JsonObject& p) {
        return str(p, "id") == id && str(p, "section_id") == section && str(p, "owner_id") == prof.id && p->has("started_at");
    }));
    EXPECT_EQ(state(id), "live");

    const std::string base = playbackBase(id, ada);
    const auto master = get(base + "/master.m3u8");
    ASSERT_EQ(master.status, 200) << master.body;
    EXPECT_EQ(master.contentType, "application/vnd.apple.mpegurl");
    EXPECT_TRUE(contains(master.body, "RESOLUTION=426x240")) << master.body;
    EXPECT_TRUE(contains(master.body, "\n240p.m3u8\n")) << master.body;
    EXPECT_TRUE(contains(master.body, "\n144p.m3u8\n")) << master.body;
    EXPECT_TRUE(contains(master.body, "#EXT-X-MEDIA:TYPE=AUDIO")) << master.body;
    EXPECT_FALSE(header(master, "Access-Control-Allow-Origin").empty() && header(master, "Cache-Control").empty());

    // The media playlist once it has two complete segments.
    HttpResult media;
    ASSERT_TRUE(pollUntil(
        [&] {
            media = get(base + "/240p.m3u8");
            return media.status == 200 && lastSegment(media.body) >= 1;
        },
        20s, 100ms))
        << media.status << " " << media.body;
    for (const char* tag : {"#EXT-X-TARGETDURATION:1", "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES", "#EXT-X-PART-INF:PART-TARGET=",
                            "#EXT-X-PROGRAM-DATE-TIME:", "#EXT-X-PART:DURATION=", "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"240p/part-",
                            "#EXT-X-MAP:URI=\"240p/init-"})
        EXPECT_TRUE(contains(media.body, tag)) << tag << " in\n" << media.body;
    EXPECT_EQ(header(media, "Cache-Control"), "public, max-age=1");

    // A blocking reload for the part after the hinted one: held until it exists.
    std::smatch hint;
    ASSERT_TRUE(std::regex_search(media.body, hint, std::regex(R"re(PRELOAD-HINT:TYPE=PART,URI="240p/part-(\d+)-(\d+)\.m4s")re")));
    uint64_t msn = std::stoull(hint[1]), part = std::stoull(hint[2]) + 1;
    if (part >= 4) { // the part after a segment's last is the next segment's first
        ++msn;
        part = 0;
    }
    const auto asked = std::chrono::steady_clock::now();
    const auto held = get(base + "/240p.m3u8?_HLS_msn=" + std::to_string(msn) + "&_HLS_part=" + std::to_string(part));
    const auto heldFor = std::chrono::steady_clock::now() - asked;
    ASSERT_EQ(held.status, 200) << held.body;
    const std::string partUri = "240p/part-" + std::to_string(msn) + "-" + std::to_string(part) + ".m4s";
    EXPECT_TRUE(contains(held.body, "URI=\"" + partUri + "\"")) << held.body;
    EXPECT_GE(heldFor, 100ms); // a part is 250 ms; the one asked for was two ahead
    EXPECT_LT(heldFor, 3s);    // 3 target durations at most
    EXPECT_EQ(header(held, "Cache-Control"), "public, max-age=6");

    // Its part, a segment and the init segment are served, cacheable for good.
    const auto partFile = get(base + "/" + partUri);
    ASSERT_EQ(partFile.status, 200) << partFile.body;
    EXPECT_GT(partFile.body.size(), 100u);
    EXPECT_TRUE(contains(header(partFile, "Cache-Control"), "immutable"));
    const auto segment = get(base + "/240p/seg-" + std::to_string(lastSegment(media.body)) + ".m4s");
    EXPECT_EQ(segment.status, 200);
    std::smatch map;
    ASSERT_TRUE(std::regex_search(media.body, map, std::regex(R"re(#EXT-X-MAP:URI="(240p/init-\d+\.mp4)")re")));
    const auto init = get(base + "/" + map[1].str());
    ASSERT_EQ(init.status, 200);
    EXPECT_EQ(init.body.substr(4, 4), "ftyp");

    // What a client may not ask: a part without msn, far ahead of the edge; names that are not files.
    EXPECT_EQ(get(base + "/240p.m3u8?_HLS_part=1").status, 400);
    EXPECT_EQ(get(base + "/240p.m3u8?_HLS_msn=" + std::to_string(msn + 100)).status, 400);
    EXPECT_EQ(get(base + "/240p/seg-99999.m4s").status, 404);
    EXPECT_EQ(get(base + "/240p/..%2Fx.m4s").status, 404);

    // LL-DASH over the same files.
    const auto mpd = get(base + "/manifest.mpd");
    ASSERT_EQ(mpd.status, 200) << mpd.body;
    Poco::XML::DOMParser parser;
    Poco::AutoPtr<Poco::XML::Document> doc = parser.parseString(mpd.body);
    const auto* root = doc->documentElement();
    EXPECT_EQ(root->getAttribute("type"), "dynamic");
    Poco::AutoPtr<Poco::XML::NodeList> templates = doc->getElementsByTagName("SegmentTemplate");
    ASSERT_GT(templates->length(), 0u);
    const auto* tpl = static_cast<const Poco::XML::Element*>(templates->item(0));
    EXPECT_GT(std::stod(tpl->getAttribute("availabilityTimeOffset")), 0.0);
    EXPECT_EQ(tpl->getAttribute("media"), "$RepresentationID$/seg-$Number$.m4s");
    EXPECT_EQ(get(base + "/time").status, 200);

    // Who may not watch: bob (not in the section) with his token of another stream, and a tampered token.
    const auto other = create(otherSection, "Another class");
    const std::string bobsBase = playbackBase(str(other, "id"), bob);
    const std::string bobsToken = bobsBase.substr(bobsBase.rfind('/') + 1);
    const std::string adasToken = base.substr(base.rfind('/') + 1);
    std::string tampered = adasToken;
    tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
    for (const std::string& token : {bobsToken, tampered}) {
        const std::string foreign = "/api/v1/streams/" + id + "/live/" + token;
        EXPECT_EQ(get(foreign + "/master.m3u8").status, 403);
        EXPECT_EQ(get(foreign + "/240p.m3u8").status, 403);
        EXPECT_EQ(get(foreign + "/" + partUri).status, 403);
        EXPECT_EQ(get(foreign + "/manifest.mpd").status, 403);
    }
    EXPECT_EQ(s->call("GET", "/api/v1/streams/" + id, bob).status, 404);

    // kill -9 of the encoder: after the stall and the grace, the stream ends cleanly.
    encoder->wait(0ms);
    ASSERT_TRUE(s->waitForEvent(
        "stream.ended",
        [&](const JsonObject& p) {
            return str(p, "id") == id && p->getValue<int64_t>("duration_s") >= 0 &&
                   p->getValue<int64_t>("ended_at") >= p->getValue<int64_t>("started_at");
        },
        20s))
        << s->vtpd().logs();
    EXPECT_EQ(state(id), "ended");
    const auto ended = get(base + "/240p.m3u8");
    ASSERT_EQ(ended.status, 200);
    EXPECT_TRUE(ended.body.size() > 15 && ended.body.substr(ended.body.size() - 15) == "#EXT-X-ENDLIST\n") << ended.body;
    EXPECT_FALSE(contains(ended.body, "PRELOAD-HINT"));
    EXPECT_EQ(header(ended, "Cache-Control"), "public, max-age=3600");
    const auto audio = get(base + "/audio.m3u8");
    EXPECT_TRUE(contains(audio.body, "#EXT-X-ENDLIST")) << audio.body;
    EXPECT_EQ(eventCount("stream.ended", id), 1u);
}

TEST_P(Live, SrtWrongKeyIsRefusedAndAReconnectWithinTheGraceContinuesTheSameStream)
{
    start(30);
    const auto stream = create(section, "Seminar");
    const std::string id = str(stream, "id");
    const std::string srt = stream->getObject("ingest")->getValue<std::string>("srt");
    const std::string rtmp = stream->getObject("ingest")->getValue<std::string>("rtmp");
    ASSERT_TRUE(std::regex_match(srt, std::regex(R"(srt://127\.0\.0\.1:\d+\?streamid=.+)"))) << srt;

    auto wrong = publishUntil(
        srt.substr(0, srt.find('?')) + "?streamid=notTheKey", [&] { return refusals("srt") >= 1; }, 20s);
    ASSERT_TRUE(wrong);
    wrong.reset();
    EXPECT_EQ(state(id), "idle");

    // The URL as the API gives it (SRT's access-control streamid, percent-encoded).
    auto encoder = publishUntil(
        srt, [&] { return eventCount("stream.started", id) > 0; }, 30s);
    ASSERT_TRUE(encoder);
    const std::string base = playbackBase(id, ada);
    HttpResult media;
    ASSERT_TRUE(pollUntil(
        [&] {
            media = get(base + "/240p.m3u8");
            return media.status == 200 && lastSegment(media.body) >= 1;
        },
        20s, 100ms));

    // The encoder dies; the worker notices the silence; the stream waits for it (no hint, no end).
    encoder->wait(0ms);
    ASSERT_TRUE(pollUntil(
        [&] {
            media = get(base + "/240p.m3u8");
            return media.status == 200 && !contains(media.body, "PRELOAD-HINT");
        },
        15s, 100ms))
        << media.body;
    const int64_t before = lastSegment(media.body);
    EXPECT_FALSE(contains(media.body, "#EXT-X-ENDLIST"));
    EXPECT_EQ(state(id), "live");

    // Back within the grace, over RTMP this time: the same stream goes on.
    auto again = publishUntil(
        rtmp,
        [&] {
            media = get(base + "/240p.m3u8");
            return media.status == 200 && lastSegment(media.body) > before + 1;
        },
        30s);
    ASSERT_TRUE(again) << media.body;
    EXPECT_TRUE(contains(media.body, "#EXT-X-DISCONTINUITY\n")) << media.body;
    EXPECT_FALSE(contains(media.body, "#EXT-X-ENDLIST"));
    EXPECT_EQ(state(id), "live");
    EXPECT_EQ(eventCount("stream.started", id), 1u);
    EXPECT_EQ(eventCount("stream.ended", id), 0u);
    // The segment before the drop is still there, under the same number.
    EXPECT_TRUE(contains(media.body, "240p/seg-" + std::to_string(before) + ".m4s"));
    EXPECT_EQ(get(base + "/240p/seg-" + std::to_string(before) + ".m4s").status, 200);

    // Deleting it ends it for its viewers at once.
    s->expect(204, "DELETE", "/api/v1/streams/" + id, prof);
    EXPECT_EQ(get(base + "/240p.m3u8").status, 404);
}

TEST_P(Live, AnEndedStreamBecomesOneRecordingOfBothItsPublishesAndItsViewersCmcdShowsInItsQoe)
{
    // No ladder of the recording: the test waits for the recording, not for its ladder.
    start(8, "ladder.enabled = false\n");
    const auto stream = create(section, "Live archive");
    const std::string id = str(stream, "id");
    const std::string rtmp = stream->getObject("ingest")->getValue<std::string>("rtmp");

    // First publish: about 5 s.
    auto encoder = publishUntil(
        rtmp, [&] { return eventCount("stream.started", id) > 0; }, 30s);
    ASSERT_TRUE(encoder);
    const std::string base = playbackBase(id, ada);
    HttpResult media;
    ASSERT_TRUE(pollUntil(
        [&] {
            media = get(base + "/240p.m3u8");
            return media.status == 200 && lastSegment(media.body) >= 4;
        },
        30s, 100ms))
        << media.body;

    // ada's player: the master and a segment of each rung with CMCD in the query (hls.js), a part
    // with CMCD in headers (dash.js), under one session id.
    const auto withCmcd = [&](const std::string& path, const std::string& cmcd) {
        return s->vtpd().get(base + "/" + path + (contains(path, "?") ? "&" : "?") + "CMCD=" + percentEncode(cmcd));
    };
    uint64_t egress = 0;
    const auto master = withCmcd("master.m3u8", R"(ot=m,sf=h,sid="live-sid",st=l,su)");
    ASSERT_EQ(master.status, 200);
    egress += master.body.size();
    const int64_t seg = lastSegment(media.body);
    for (const std::string rung : {"240p", "144p"}) {
        const auto r = withCmcd(rung + "/seg-" + std::to_string(seg) + ".m4s", R"(bl=1000,ot=v,sf=h,sid="live-sid",st=l)");
        ASSERT_EQ(r.status, 200) << rung;
        egress += r.body.size();
    }
    const auto part = s->vtpd().get(base + "/240p/part-" + std::to_string(seg) + "-0.m4s",
                                    {{"CMCD-Object", "br=300,d=250,ot=v"}, {"CMCD-Session", R"(sf=h,sid="live-sid",st=l)"}});
    ASSERT_EQ(part.status, 200);
    egress += part.body.size();

    // The encoder is killed; the worker notices; a second publish within the grace continues it.
    encoder->wait(0ms);
    ASSERT_TRUE(pollUntil(
        [&] {
            media = get(base + "/240p.m3u8");
            return media.status == 200 && !contains(media.body, "PRELOAD-HINT");
        },
        15s, 100ms))
        << media.body;
    const int64_t before = lastSegment(media.body);
    auto again = publishUntil(
        rtmp,
        [&] {
            media = get(base + "/240p.m3u8");
            return media.status == 200 && lastSegment(media.body) > before + 4;
        },
        30s);
    ASSERT_TRUE(again) << media.body;
    again->wait(0ms);

    // After the grace: ended, and stream.ended names the recording it became.
    std::string recordingId;
    ASSERT_TRUE(s->waitForEvent(
        "stream.ended",
        [&](const JsonObject& p) {
            if (str(p, "id") != id || !p->has("recording_id") || p->isNull("recording_id")) return false;
            recordingId = str(p, "recording_id");
            return true;
        },
        40s))
        << s->vtpd().logs();
    EXPECT_EQ(eventCount("stream.ended", id), 1u);
    const auto ended = s->expect(200, "GET", "/api/v1/streams/" + id, prof);
    EXPECT_EQ(str(ended, "state"), "ended");
    EXPECT_EQ(str(ended, "recording_id"), recordingId);
    // What both publishes put in the playlists (the DVR window holds all of it).
    const double pushed = listedSeconds(get(base + "/240p.m3u8").body);
    EXPECT_GT(pushed, 9.0);

    // One recording of the section, with the stream's title, that the recording plugin processes.
    JsonObject recording;
    ASSERT_TRUE(pollUntil(
        [&] {
            recording = s->expect(200, "GET", "/api/v1/recordings/" + recordingId, prof);
            return str(recording, "state") != "processing";
        },
        90s, 250ms))
        << s->vtpd().logs();
    EXPECT_EQ(str(recording, "state"), "ready") << str(recording, "failure");
    EXPECT_EQ(str(recording, "title"), "Live archive");
    EXPECT_EQ(str(recording, "section_id"), section);
    EXPECT_EQ(str(recording, "owner_id"), prof.id);
    // Both publishes, one after the other (not side by side): as long as what was pushed.
    EXPECT_NEAR(recording->getValue<double>("duration_s"), pushed, 1.5);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/recordings?section=" + section, prof)->getArray("recordings")->size(), 1u);
    // Its recording ready, the stream's live files are gone.
    EXPECT_TRUE(pollUntil([&] { return get(base + "/240p.m3u8").status == 404; }, 10s, 100ms));

    // ada's requests, as the stream's QoE report and /metrics show them.
    const auto qoe = s->expect(200, "GET", "/api/v1/streams/" + id + "/qoe", prof);
    const auto sessions = qoe->getArray("sessions");
    JsonObject session;
    for (size_t i = 0; i < sessions->size(); ++i) {
        const auto one = sessions->getObject(static_cast<unsigned>(i));
        if (!one->isNull("sid") && str(one, "sid") == "live-sid") session = one;
    }
    ASSERT_FALSE(session.isNull()) << "no session live-sid among " << sessions->size();
    EXPECT_EQ(str(session, "user_id"), ada.id);
    EXPECT_EQ(str(session, "kind"), "stream");
    EXPECT_EQ(session->getValue<uint64_t>("bytes"), egress);
    EXPECT_EQ(session->getValue<uint64_t>("requests"), 4u);
    const auto rungs = session->getObject("requests_per_rung");
    EXPECT_EQ(rungs->getValue<int64_t>("240p"), 2);
    EXPECT_EQ(rungs->getValue<int64_t>("144p"), 1);
    EXPECT_GE(qoe->getObject("summary")->getValue<uint64_t>("egress_bytes"), egress);
    const std::string metrics = s->vtpd().get("/metrics").body;
    EXPECT_TRUE(contains(metrics, "vtp_plugin_streaming_qoe_egress_bytes_total{kind=\"stream\"}")) << metrics;
    EXPECT_TRUE(std::regex_search(metrics, std::regex(R"(vtp_plugin_streaming_qoe_requests_total\{[^}]*rung="240p"[^}]*\} [1-9])")))
        << metrics;
}

INSTANTIATE_TEST_SUITE_P(Backends, Live, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
