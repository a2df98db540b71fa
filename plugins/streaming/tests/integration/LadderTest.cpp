// Adaptive ladders of recordings end to end through the real vtpd, its recording plugin's media
// worker and the streaming plugin, on SQLite and PostgreSQL: a class recorded as a camera and a
// screen (media made here with the ffmpeg command) becomes, once processed, a ladder of rungs at
// or below each source, keyframes and segments aligned across rungs, listed in one HLS master
// playlist per source and one DASH MPD, plus a composed presentation of both, played through the
// recording's signed URLs.
#include "RecordingTestSupport.hpp"

#include "CmafSegments.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NodeList.h>

#include <cstdlib>
#include <regex>

using namespace vtp::test;
namespace cmaf = vtp::media::cmaf;

namespace {

void ffmpeg(const std::string& args)
{
    const std::string cmd = "ffmpeg -hide_banner -loglevel error -nostdin -y " + args;
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("ffmpeg failed: " + cmd);
}

// The value of attribute `name` in an #EXT-X-STREAM-INF line ("" when absent).
std::string attribute(const std::string& line, const std::string& name)
{
    const std::regex re("[:,]" + name + "=(\"[^\"]*\"|[^,]*)");
    std::smatch m;
    if (!std::regex_search(line, m, re)) return {};
    std::string v = m[1];
    if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
    return v;
}

struct Variant {
    std::string inf, uri;
};

std::vector<Variant> variants(const std::string& master)
{
    std::vector<Variant> out;
    std::istringstream in(master);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("#EXT-X-STREAM-INF:", 0) == 0) {
            Variant v{line, {}};
            std::getline(in, v.uri);
            out.push_back(v);
        }
    return out;
}

// Each segment of a media playlist: its name and EXTINF.
std::vector<std::pair<std::string, std::string>> segments(const std::string& playlist)
{
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream in(playlist);
    std::string line, extinf;
    while (std::getline(in, line)) {
        if (line.rfind("#EXTINF:", 0) == 0)
            extinf = line;
        else if (!line.empty() && line[0] != '#')
            out.emplace_back(line, extinf);
    }
    return out;
}

// A media segment's first decode time (tfdt) and whether its first sample is a sync sample.
std::pair<uint64_t, bool> firstSample(const std::string& bytes)
{
    uint64_t decodeTime = UINT64_MAX;
    bool sync = false, seen = false;
    cmaf::forEachBox(bytes, [&](std::string_view type, std::string_view moof) {
        if (type != "moof" || seen) return;
        seen = true;
        cmaf::forEachBox(moof, [&](std::string_view t, std::string_view traf) {
            if (t != "traf") return;
            uint32_t defaultFlags = 0;
            cmaf::forEachBox(traf, [&](std::string_view b, std::string_view p) {
                if (b == "tfhd" && p.size() >= 8) {
                    const uint32_t flags = cmaf::be32(p, 0) & 0xffffff;
                    size_t at = 8;
                    if (flags & 0x1) at += 8;
                    if (flags & 0x2) at += 4;
                    if (flags & 0x8) at += 4;
                    if (flags & 0x10) at += 4;
                    if ((flags & 0x20) && p.size() >= at + 4) defaultFlags = cmaf::be32(p, at);
                } else if (b == "tfdt" && p.size() >= 8) {
                    decodeTime = p[0] == 1 && p.size() >= 12 ? cmaf::be64(p, 4) : cmaf::be32(p, 4);
                } else if (b == "trun" && p.size() >= 8) {
                    const uint32_t flags = cmaf::be32(p, 0) & 0xffffff;
                    size_t at = 8;
                    if (flags & 0x1) at += 4;
                    uint32_t sampleFlags = defaultFlags;
                    if ((flags & 0x4) && p.size() >= at + 4) {
                        sampleFlags = cmaf::be32(p, at);
                    } else if (flags & 0x400) {
                        size_t s = at + ((flags & 0x100) ? 4 : 0) + ((flags & 0x200) ? 4 : 0);
                        if (p.size() >= s + 4) sampleFlags = cmaf::be32(p, s);
                    }
                    sync = (sampleFlags & 0x10000) == 0; // sample_is_non_sync_sample clear
                }
            });
        });
    });
    return {decodeTime, sync};
}

class StreamingLadder : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        // Small rungs keep the test quick; the camera (640x360) gets 360 and 240, the screen
        // (1280x720) all three.
        s = std::make_unique<RecordingServer>(GetParam(), std::vector<std::string>{"courses", "recording", "streaming", "testkit"},
                                              R"("recording.*")",
                                              "[plugins.streaming.ladder]\nrungs = [\"720:900\", \"360:300\", \"240:150\"]\n"
                                              "audio_kbps = 64\npreset = \"ultrafast\"\n");
        admin = s->staff("admin@uni.example", "admin");
    }

    std::string upload(const std::string& id, const std::string& file, const std::string& kindBase64)
    {
        const std::string bytes = readFile(file);
        const std::string url = s->createUpload(id, admin, bytes.size(), "source " + kindBase64);
        const auto r = s->tus("PATCH", url, admin, {{"Upload-Offset", "0"}}, bytes);
        if (r.status != 204) throw std::runtime_error("PATCH answered " + std::to_string(r.status) + ": " + r.body);
        return url;
    }

    // GETs a signed URL (no bearer token): its body, after checking the answer is 200.
    std::string fetch(const std::string& url)
    {
        const auto r = s->call("GET", url, Account{});
        EXPECT_EQ(r.status, 200) << url << ": " << r.body;
        return r.body;
    }

    std::unique_ptr<RecordingServer> s;
    Account admin;
    TempDir tmp{"vtp-ladder"};
};

TEST_P(StreamingLadder, AProcessedRecordingGetsAlignedRungsAtOrBelowEachSourceInOneMasterAndOneMpd)
{
    const std::string camera = tmp.path() + "/camera.mp4", screen = tmp.path() + "/screen.mp4";
    ffmpeg("-f lavfi -i testsrc2=size=640x360:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 9 -c:v libx264 -preset "
           "ultrafast -g 30 -pix_fmt yuv420p -c:a aac -shortest " +
           camera);
    ffmpeg("-f lavfi -i testsrc=size=1280x720:rate=30 -t 8 -c:v libx264 -preset ultrafast -g 30 -pix_fmt yuv420p " + screen);
    const auto rec = s->expect(201, "POST", "/api/v1/recordings", admin, R"({"room_id":"lecture-hall","title":"ladder"})");
    const std::string id = str(rec, "id");
    upload(id, camera, "Y2FtZXJh"); // camera
    upload(id, screen, "c2NyZWVu"); // screen
    s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", admin);

    // Processed first (the single rendition playable), then the ladder is made by a job.
    JsonObject playback;
    const bool made = pollUntil(
        [&] {
            const auto r = s->call("GET", "/api/v1/recordings/" + id + "/playback", admin);
            if (r.status != 200) return false;
            playback = r.json();
            EXPECT_FALSE(playback->isNull("hls"));
            return !playback->isNull("adaptive");
        },
        std::chrono::seconds(240), std::chrono::milliseconds(200));
    ASSERT_TRUE(made) << "no ladder: " << s->vtpd().logs();
    const auto adaptive = playback->getObject("adaptive");
    const std::string hls = adaptive->getValue<std::string>("hls"), dash = adaptive->getValue<std::string>("dash");
    const std::string base = hls.substr(0, hls.rfind('/') + 1);

    // The camera's master: its two rungs (no 720p above a 360p source), the audio as their group
    // and as an audio-only variant; every variant with what players choose by.
    const std::string master = fetch(hls);
    const auto camera_variants = variants(master);
    ASSERT_EQ(camera_variants.size(), 3u) << master;
    EXPECT_NE(master.find("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\""), std::string::npos) << master;
    std::vector<std::string> video;
    for (const auto& v : camera_variants) {
        EXPECT_GT(std::atoll(attribute(v.inf, "BANDWIDTH").c_str()), 0) << v.inf;
        EXPECT_GT(std::atoll(attribute(v.inf, "AVERAGE-BANDWIDTH").c_str()), 0) << v.inf;
        EXPECT_LE(std::atoll(attribute(v.inf, "AVERAGE-BANDWIDTH").c_str()), std::atoll(attribute(v.inf, "BANDWIDTH").c_str())) << v.inf;
        const std::string codecs = attribute(v.inf, "CODECS");
        EXPECT_NE(codecs.find("mp4a.40.2"), std::string::npos) << v.inf;
        if (codecs.find("avc1.") == std::string::npos) continue; // the audio-only variant
        EXPECT_FALSE(attribute(v.inf, "RESOLUTION").empty()) << v.inf;
        EXPECT_EQ(attribute(v.inf, "FRAME-RATE"), "30.000") << v.inf;
        EXPECT_EQ(attribute(v.inf, "AUDIO"), "audio") << v.inf;
        video.push_back(v.uri);
    }
    ASSERT_EQ(video.size(), 2u) << master;
    EXPECT_EQ(attribute(camera_variants[0].inf, "RESOLUTION"), "640x360") << master;
    const std::string low = attribute(camera_variants[1].inf, "RESOLUTION");
    EXPECT_LE(std::atoi(low.substr(low.find('x') + 1).c_str()), 240) << master;
    EXPECT_EQ(master.find("1280x720"), std::string::npos) << master;
    // The screen is listed as an alternate picture of each camera rung (HLS's camera angles).
    EXPECT_NE(master.find("#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"video-1\",NAME=\"camera\",DEFAULT=YES"), std::string::npos) << master;
    EXPECT_NE(master.find("#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"video-1\",NAME=\"screen 2\",DEFAULT=NO"), std::string::npos) << master;
    EXPECT_EQ(attribute(camera_variants[0].inf, "VIDEO"), "video-1") << master;
    // Higher rungs announce more bits.
    EXPECT_GT(std::atoll(attribute(camera_variants[0].inf, "BANDWIDTH").c_str()),
              std::atoll(attribute(camera_variants[1].inf, "BANDWIDTH").c_str()));

    // Aligned: every rung of the camera has the same segments (durations), each starting with a
    // keyframe at the same decode time.
    std::vector<std::vector<std::pair<std::string, std::string>>> rungSegments;
    for (const auto& uri : video) rungSegments.push_back(segments(fetch(base + uri)));
    ASSERT_GE(rungSegments[0].size(), 2u);
    ASSERT_EQ(rungSegments[0].size(), rungSegments[1].size());
    for (size_t i = 0; i < rungSegments[0].size(); ++i) {
        EXPECT_EQ(rungSegments[0][i].second, rungSegments[1][i].second) << "segment " << i;
        const auto a = firstSample(fetch(base + rungSegments[0][i].first)), b = firstSample(fetch(base + rungSegments[1][i].first));
        EXPECT_TRUE(a.second && b.second) << "segment " << i << " does not start with a keyframe";
        EXPECT_EQ(a.first, b.first) << "segment " << i;
    }

    // The screen's master: its three rungs, at most the screen frame rate (15 by default).
    const std::string screenMaster = fetch(base + "abr-source-2.m3u8");
    const auto screen_variants = variants(screenMaster);
    ASSERT_EQ(screen_variants.size(), 3u) << screenMaster;
    EXPECT_EQ(attribute(screen_variants[0].inf, "RESOLUTION"), "1280x720") << screenMaster;
    for (const auto& v : screen_variants) EXPECT_EQ(attribute(v.inf, "FRAME-RATE"), "15.000") << v.inf;

    // The composed presentation for players that show one video: the screen's shape and rungs,
    // the camera's frame rate (its pictures drive it), the camera's sound.
    const std::string composed = fetch(base + "abr-composed.m3u8");
    const auto composed_variants = variants(composed);
    ASSERT_EQ(composed_variants.size(), 4u) << composed;
    EXPECT_EQ(attribute(composed_variants[0].inf, "RESOLUTION"), "1280x720") << composed;
    EXPECT_EQ(attribute(composed_variants[0].inf, "FRAME-RATE"), "30.000") << composed;
    EXPECT_EQ(attribute(composed_variants[3].inf, "CODECS"), "mp4a.40.2") << composed;
    EXPECT_FALSE(segments(fetch(base + composed_variants[0].uri)).empty());

    // One MPD: an adaptation set per media type and source, the camera's the main ones.
    const std::string mpd = fetch(dash);
    Poco::XML::DOMParser parser;
    Poco::AutoPtr<Poco::XML::Document> doc = parser.parseString(mpd);
    Poco::AutoPtr<Poco::XML::NodeList> sets = doc->getElementsByTagName("AdaptationSet");
    ASSERT_EQ(sets->length(), 4u) << mpd;
    std::vector<std::pair<std::string, unsigned>> shape; // contentType, representations
    for (unsigned long i = 0; i < sets->length(); ++i) {
        auto* set = static_cast<Poco::XML::Element*>(sets->item(i));
        Poco::AutoPtr<Poco::XML::NodeList> reps = set->getElementsByTagName("Representation");
        shape.emplace_back(set->getAttribute("contentType"), static_cast<unsigned>(reps->length()));
        Poco::AutoPtr<Poco::XML::NodeList> roles = set->getElementsByTagName("Role");
        ASSERT_EQ(roles->length(), 1u);
        EXPECT_EQ(static_cast<Poco::XML::Element*>(roles->item(0))->getAttribute("value"), i < 2 ? "main" : "alternate");
    }
    EXPECT_EQ(shape, (std::vector<std::pair<std::string, unsigned>>{{"video", 2}, {"audio", 1}, {"video", 3}, {"video", 3}})) << mpd;

    // The single rendition is still there.
    EXPECT_FALSE(fetch(playback->getValue<std::string>("hls")).empty());
    // Counted once the job has ended, a moment after its files are published.
    EXPECT_TRUE(
        pollUntil([&] { return s->vtpd().get("/metrics").body.find("vtp_plugin_streaming_ladders_made_total 1") != std::string::npos; },
                  std::chrono::seconds(30), std::chrono::milliseconds(50)));
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamingLadder, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
