// Glass-to-glass latency of a live stream, end to end on loopback: the real vtpd and ingest worker
// with the streaming plugin's live defaults, an encoder standing in for OBS (latency/push.mjs:
// the capture instant burned into every picture, libx264 veryfast without zerolatency, pushed
// with the ffmpeg command over RTMP), and hls.js in Debian's chromium (latency/play.mjs) reading
// the instant back from every frame it shows. The issue's bound: p95 under 3 s, without a stall.
// SQLite only: the database is not on the media path.
#include "StreamingTestSupport.hpp"

#include "ChildProcess.hpp"

#include <Poco/JSON/Parser.h>

#include <iostream>

using namespace vtp::test;
using namespace std::chrono_literals;

namespace {

constexpr int kFps = 30;
constexpr int kSampleSeconds = 20;

std::string liveToml()
{
    const int rtmp = std::min<int>(freeLoopbackPort(), 65000), srt = std::min<int>(freeLoopbackPort(), 65000);
    // Everything else at the plugin's defaults (2 s segments of 500 ms parts, veryfast, the ladder
    // at or below the source: its 360p rung).
    return "ingest.rtmp_url = \"rtmp://127.0.0.1/live\"\n"
           "ingest.srt_url = \"srt://127.0.0.1\"\n"
           "ingest.listen_address = \"127.0.0.1\"\n"
           "ingest.rtmp_ports = \"" +
           std::to_string(rtmp) + "-" + std::to_string(rtmp + 9) + "\"\n" + "ingest.srt_ports = \"" + std::to_string(srt) + "-" +
           std::to_string(srt + 9) + "\"\n";
}

std::string script(const std::string& name)
{
    return std::string(VTP_STREAMING_LATENCY_DIR) + "/" + name;
}

TEST(StreamingLatency, HlsJsLowLatencyPlaysAnRtmpPushWithin3SecondsGlassToGlassWithoutStalling)
{
    StreamingServer s(Backend::SQLite, liveToml());
    const auto admin = s.staff("admin@uni.example", "admin"); // a room's stream is an admin's
    const auto stream = s.createStream(admin, R"("room_id":"hall-1")", "Latency");
    const std::string id = str(stream, "id");
    const std::string rtmp = stream->getObject("ingest")->getValue<std::string>("rtmp");
    const std::string hls = stream->getObject("playback")->getValue<std::string>("hls");
    TempDir dir("vtp-latency");

    // The worker listens a moment after the stream is made: an encoder that finds no listener
    // exits, and is started again, until the stream is live.
    std::unique_ptr<ChildProcess> encoder;
    const bool live = pollUntil(
        [&] {
            if (!encoder || !encoder->running())
                encoder = std::make_unique<ChildProcess>(
                    std::vector<std::string>{VTP_TEST_NODE, script("push.mjs"),
                                             std::string(R"({"ffmpeg":")") + VTP_TEST_FFMPEG + R"(","url":")" + rtmp +
                                                 R"(","width":640,"height":360,"fps":30,"preset":"veryfast","kbps":1500,"gop_seconds":2})"},
                    dir.file("push.log"));
            return s.vtpd().request("GET", hls).status == 200;
        },
        30s, 200ms);
    ASSERT_TRUE(live) << readFile(dir.file("push.log"));

    // hls.js's lowLatencyMode holds back PART-HOLD-BACK from the edge; maxLiveSyncPlaybackRate lets
    // it reach that target after starting at an independent part (a keyframe) behind it.
    Poco::JSON::Object args;
    args.set("chromium", VTP_TEST_CHROMIUM);
    args.set("origin", "http://127.0.0.1:" + std::to_string(s.vtpd().httpPort()));
    args.set("url", hls);
    args.set("lowLatency", true);
    Poco::JSON::Object::Ptr config = new Poco::JSON::Object;
    config->set("maxLiveSyncPlaybackRate", 1.5);
    args.set("hlsConfig", config);
    args.set("warmupSeconds", 8);
    args.set("sampleSeconds", kSampleSeconds);
    std::ostringstream json;
    args.stringify(json);
    std::string output;
    ASSERT_EQ(VtpdProcess::run({VTP_TEST_NODE, script("play.mjs"), json.str()}, output), 0) << output;
    const size_t at = output.find("{\"ok\"");
    ASSERT_NE(at, std::string::npos) << output;
    const auto r = Poco::JSON::Parser().parse(output.substr(at, output.find('\n', at) - at)).extract<JsonObject>();

    const auto samples = r->getArray("samples");
    std::cout << "glass-to-glass (ms) of " << (samples ? samples->size() : 0) << " frames:";
    for (size_t i = 0; samples && i < samples->size(); ++i) std::cout << (i % 30 ? " " : "\n  ") << samples->getElement<int>(i);
    std::cout << "\np50 " << r->get("p50").toString() << " ms, p95 " << r->get("p95").toString() << " ms, max " << r->get("max").toString()
              << " ms; hls.js latency " << r->get("hlsLatency").toString() << " s (target " << r->get("targetLatency").toString()
              << " s), startup " << r->get("startupMs").toString() << " ms, misread " << r->get("misread").toString() << std::endl;

    ASSERT_TRUE(r->getValue<bool>("ok")) << output;
    // Most frames were shown and read (a loaded machine may drop some: what is shown is measured).
    const auto frames = r->getValue<int>("frames");
    EXPECT_GE(frames, kFps * kSampleSeconds / 2) << output;
    EXPECT_LE(r->getValue<int>("misread"), frames / 100) << output;
    ASSERT_GE(samples->size(), static_cast<size_t>(kFps * kSampleSeconds / 2));
    EXPECT_LT(r->getValue<int>("p95"), 3000);
    EXPECT_GT(r->getValue<int>("min"), 0); // a frame shown before its capture would be a misread clock
    // No stall: no waiting event, no gap of a second between two frames shown.
    EXPECT_EQ(r->getValue<int>("waiting"), 0) << output;
    EXPECT_EQ(r->getValue<int>("stalls"), 0) << output;
    EXPECT_LT(r->getValue<int>("maxFrameGapMs"), 1000) << output;
    EXPECT_TRUE(encoder->running()) << readFile(dir.file("push.log"));
}

} // namespace
