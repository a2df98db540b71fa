#include "LlHls.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace vtp::streaming;

namespace {

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

// 2019-02-14T02:13:36.106Z, the date of the spec's example.
constexpr int64_t kPdt = 1550110416106;

LlHlsConfig smallConfig()
{
    LlHlsConfig c;
    c.targetDurationSeconds = 4;
    c.partTargetSeconds = 1.0;
    c.dvrWindowSeconds = 24; // six segments
    c.mapUri = "init.mp4";
    c.firstMediaSequence = 100;
    return c;
}

// Segment n of 4 parts of 1 s, at uri "n.m4s" with parts "n.k.m4s".
void writeSegment(LivePlaylist& p, uint64_t n)
{
    for (int k = 0; k < 4; ++k) p.addPart({1.0, k == 0, std::to_string(n) + "." + std::to_string(k) + ".m4s"});
    p.finishSegment({std::to_string(n) + ".m4s", 4.0, kPdt + static_cast<int64_t>(n - 100) * 4000});
}

} // namespace

TEST(LlHls, RendersTheSpecShapeLineByLine)
{
    LivePlaylist p(smallConfig());
    writeSegment(p, 100);
    writeSegment(p, 101);
    p.addPart({1.0, true, "102.0.m4s"});
    p.addPart({0.5, false, "102.1.m4s"});
    p.setPreloadHint("102.2.m4s");

    const std::vector<std::string> expected{
        "#EXTM3U",
        "#EXT-X-VERSION:9",
        "#EXT-X-TARGETDURATION:4",
        "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=24.000,PART-HOLD-BACK=3.000",
        "#EXT-X-PART-INF:PART-TARGET=1.00000",
        "#EXT-X-MEDIA-SEQUENCE:100",
        "#EXT-X-MAP:URI=\"init.mp4\"",
        "#EXT-X-PROGRAM-DATE-TIME:2019-02-14T02:13:36.106Z",
        "#EXT-X-PART:DURATION=1.00000,URI=\"100.0.m4s\",INDEPENDENT=YES",
        "#EXT-X-PART:DURATION=1.00000,URI=\"100.1.m4s\"",
        "#EXT-X-PART:DURATION=1.00000,URI=\"100.2.m4s\"",
        "#EXT-X-PART:DURATION=1.00000,URI=\"100.3.m4s\"",
        "#EXTINF:4.00000,",
        "100.m4s",
        "#EXT-X-PROGRAM-DATE-TIME:2019-02-14T02:13:40.106Z",
        "#EXT-X-PART:DURATION=1.00000,URI=\"101.0.m4s\",INDEPENDENT=YES",
        "#EXT-X-PART:DURATION=1.00000,URI=\"101.1.m4s\"",
        "#EXT-X-PART:DURATION=1.00000,URI=\"101.2.m4s\"",
        "#EXT-X-PART:DURATION=1.00000,URI=\"101.3.m4s\"",
        "#EXTINF:4.00000,",
        "101.m4s",
        "#EXT-X-PART:DURATION=1.00000,URI=\"102.0.m4s\",INDEPENDENT=YES",
        "#EXT-X-PART:DURATION=0.50000,URI=\"102.1.m4s\"",
        "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"102.2.m4s\"",
    };
    EXPECT_EQ(lines(*p.render()), expected);

    const auto e = p.edge();
    EXPECT_EQ(e.firstMsn, 100u);
    EXPECT_EQ(e.nextMsn, 102u);
    EXPECT_EQ(e.partsInProgress, 2u);
    EXPECT_EQ(e.lastSegmentParts, 4u);
    EXPECT_EQ(e.nominalPartsPerSegment, 4u);
    EXPECT_FALSE(e.ended);
}

TEST(LlHls, ListsPartsOnlyForTheLastThreeTargetDurations)
{
    LivePlaylist p(smallConfig());
    std::vector<std::string> dropped;
    const auto collect = [&dropped](const Evicted& e) { dropped.insert(dropped.end(), e.partUris.begin(), e.partUris.end()); };
    for (uint64_t n = 100; n < 105; ++n) {
        for (int k = 0; k < 4; ++k) collect(p.addPart({1.0, k == 0, std::to_string(n) + "." + std::to_string(k) + ".m4s"}));
        if (n < 104) collect(p.finishSegment({std::to_string(n) + ".m4s", 4.0, kPdt}));
    }
    // The playlist ends at 20 s; segments 100 and 101 end at 4 s and 8 s, 12 s or more before.
    const std::string text = *p.render();
    EXPECT_EQ(text.find("100.0.m4s"), std::string::npos);
    EXPECT_EQ(text.find("101.3.m4s"), std::string::npos);
    EXPECT_NE(text.find("102.0.m4s"), std::string::npos);
    EXPECT_NE(text.find("#EXTINF:4.00000,\n100.m4s\n"), std::string::npos); // the segment itself stays
    // The dropped parts are reported once each, for the caller to free.
    std::sort(dropped.begin(), dropped.end());
    const std::vector<std::string> expectedDropped{"100.0.m4s", "100.1.m4s", "100.2.m4s", "100.3.m4s",
                                                   "101.0.m4s", "101.1.m4s", "101.2.m4s", "101.3.m4s"};
    EXPECT_EQ(dropped, expectedDropped);
}

TEST(LlHls, DvrWindowTrimsOldSegmentsAndReportsThem)
{
    LivePlaylist p(smallConfig()); // a 24 s window: six 4 s segments
    std::vector<std::string> gone;
    for (uint64_t n = 100; n < 110; ++n) {
        for (int k = 0; k < 4; ++k) p.addPart({1.0, k == 0, std::to_string(n) + "." + std::to_string(k) + ".m4s"});
        const auto ev = p.finishSegment({std::to_string(n) + ".m4s", 4.0, kPdt});
        gone.insert(gone.end(), ev.segmentUris.begin(), ev.segmentUris.end());
    }
    const std::vector<std::string> expected{"100.m4s", "101.m4s", "102.m4s", "103.m4s"};
    EXPECT_EQ(gone, expected);
    EXPECT_DOUBLE_EQ(p.durationSeconds(), 24.0);
    EXPECT_EQ(p.edge().firstMsn, 104u);
    const std::string text = *p.render();
    EXPECT_NE(text.find("#EXT-X-MEDIA-SEQUENCE:104\n"), std::string::npos);
    EXPECT_EQ(text.find("103.m4s"), std::string::npos);
    EXPECT_NE(text.find("\n104.m4s\n"), std::string::npos);
}

TEST(LlHls, DeltaUpdateSkipsSegmentsOlderThanCanSkipUntil)
{
    auto c = smallConfig();
    c.dvrWindowSeconds = 60;
    LivePlaylist p(c);
    for (uint64_t n = 100; n < 110; ++n) writeSegment(p, n); // 40 s; CAN-SKIP-UNTIL is 24 s
    const auto full = lines(*p.render(false));
    const auto delta = lines(*p.render(true));
    // Segments ending at least 24 s before the end (at 16 s or earlier): 100..103.
    ASSERT_GT(delta.size(), 7u);
    EXPECT_EQ(delta[5], "#EXT-X-MEDIA-SEQUENCE:100");
    EXPECT_EQ(delta[6], "#EXT-X-SKIP:SKIPPED-SEGMENTS=4");
    EXPECT_EQ(delta[7], "#EXT-X-MAP:URI=\"init.mp4\"");
    const std::string deltaText = *p.render(true);
    EXPECT_EQ(deltaText.find("\n103.m4s\n"), std::string::npos);
    EXPECT_NE(deltaText.find("\n104.m4s\n"), std::string::npos);
    EXPECT_EQ(full.size() - delta.size(), 4u * 3 - 1); // three lines per skipped segment, one EXT-X-SKIP

    c.canSkip = false;
    LivePlaylist noSkip(c);
    for (uint64_t n = 100; n < 110; ++n) writeSegment(noSkip, n);
    EXPECT_EQ(*noSkip.render(true), *noSkip.render(false));
    EXPECT_EQ(noSkip.render().get()->find("CAN-SKIP-UNTIL"), std::string::npos);
    EXPECT_NE(noSkip.render().get()->find("#EXT-X-VERSION:6\n"), std::string::npos);
}

TEST(LlHls, EndListsTheEndAndDropsTheUnfinishedSegment)
{
    LivePlaylist p(smallConfig());
    writeSegment(p, 100);
    p.addPart({1.0, true, "101.0.m4s"});
    p.setPreloadHint("101.1.m4s");
    const auto ev = p.end();
    EXPECT_EQ(ev.partUris, std::vector<std::string>{"101.0.m4s"});
    const std::string text = *p.render();
    EXPECT_EQ(text.substr(text.size() - 15), "#EXT-X-ENDLIST\n");
    EXPECT_EQ(text.find("PRELOAD-HINT"), std::string::npos);
    EXPECT_EQ(text.find("101.0.m4s"), std::string::npos);
    EXPECT_TRUE(p.edge().ended);
    EXPECT_THROW(p.addPart({1.0, true, "x.m4s"}), std::invalid_argument);
}

TEST(LlHls, ReconnectContinuesTheMediaSequenceAfterADiscontinuityWithItsOwnMap)
{
    LivePlaylist p(smallConfig()); // a 24 s window: six 4 s segments
    writeSegment(p, 100);
    writeSegment(p, 101);
    p.addPart({1.0, true, "102.0.m4s"}); // the publisher dropped mid-segment
    p.setPreloadHint("102.1.m4s");
    const auto dropped = p.discontinuity("init-2.mp4");
    EXPECT_EQ(dropped.partUris, std::vector<std::string>{"102.0.m4s"});
    EXPECT_EQ(p.render()->find("PRELOAD-HINT"), std::string::npos);
    p.addPart({1.0, true, "102.0b.m4s"});
    {
        // The new timeline's parts come after a discontinuity and its map, before its segment exists.
        const auto l = lines(*p.render());
        const auto at = std::find(l.begin(), l.end(), "#EXT-X-DISCONTINUITY");
        ASSERT_NE(at, l.end());
        EXPECT_EQ(*(at + 1), "#EXT-X-MAP:URI=\"init-2.mp4\"");
        EXPECT_EQ(*(at + 2), "#EXT-X-PART:DURATION=1.00000,URI=\"102.0b.m4s\",INDEPENDENT=YES");
    }
    for (int k = 1; k < 4; ++k) p.addPart({1.0, false, "102." + std::to_string(k) + "b.m4s"});
    p.finishSegment({"102.m4s", 4.0, kPdt + 60000});
    writeSegment(p, 103);
    EXPECT_EQ(p.edge().nextMsn, 104u);
    std::string text = *p.render();
    EXPECT_EQ(text.find("#EXT-X-DISCONTINUITY-SEQUENCE"), std::string::npos);
    const size_t disc = text.find("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-2.mp4\"\n#EXT-X-PROGRAM-DATE-TIME");
    ASSERT_NE(disc, std::string::npos) << text;
    EXPECT_LT(text.find("\n101.m4s\n"), disc);
    EXPECT_GT(text.find("\n102.m4s\n"), disc);
    EXPECT_EQ(text.find("#EXT-X-MAP:URI=\"init.mp4\""), text.find("#EXT-X-MAP")); // the old map first

    // Once the first segment of the new timeline leaves the window, the sequence counts it and
    // the playlist starts with the new map.
    for (uint64_t n = 104; n < 110; ++n) writeSegment(p, n);
    text = *p.render();
    EXPECT_NE(text.find("#EXT-X-MEDIA-SEQUENCE:104\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("#EXT-X-DISCONTINUITY\n"), std::string::npos);
    EXPECT_EQ(text.find("init.mp4"), std::string::npos);
    EXPECT_NE(text.find("#EXT-X-MAP:URI=\"init-2.mp4\""), std::string::npos);
}

TEST(LlHls, RenderIsCachedPerVersion)
{
    LivePlaylist p(smallConfig());
    writeSegment(p, 100);
    const auto a = p.render();
    EXPECT_EQ(a.get(), p.render().get()); // the same text object, not a second render
    const uint64_t v = p.edge().version;
    p.addPart({1.0, true, "101.0.m4s"});
    EXPECT_GT(p.edge().version, v);
    const auto b = p.render();
    EXPECT_NE(a.get(), b.get());
    EXPECT_NE(b->find("101.0.m4s"), std::string::npos);
    EXPECT_EQ(a->find("101.0.m4s"), std::string::npos); // a reader's old copy is unchanged
}

TEST(LlHls, ReadersSeeWholeUpdatesWhileTheWriterWrites)
{
    LivePlaylist p(smallConfig());
    std::thread writer([&p] {
        for (uint64_t n = 100; n < 160; ++n) writeSegment(p, n);
        p.end();
    });
    size_t renders = 0;
    bool ended = false;
    while (!ended) {
        const auto text = p.render();
        // Every rendering is whole: it starts with the header and every EXTINF has its URI.
        ASSERT_EQ(text->rfind("#EXTM3U\n", 0), 0u);
        ASSERT_EQ(text->back(), '\n');
        ended = text->find("#EXT-X-ENDLIST") != std::string::npos;
        ++renders;
    }
    writer.join();
    EXPECT_GE(renders, 1u);
    EXPECT_NE(p.render()->find("\n159.m4s\n"), std::string::npos);
}

TEST(LlHls, RefusesReportsThatWouldBreakTheSpec)
{
    const auto config = [](int target, double part, double dvr) {
        LlHlsConfig c;
        c.targetDurationSeconds = target;
        c.partTargetSeconds = part;
        c.dvrWindowSeconds = dvr;
        return c;
    };
    EXPECT_THROW(LivePlaylist(config(0, 1, 7200)), std::invalid_argument);
    EXPECT_THROW(LivePlaylist(config(4, 5, 7200)), std::invalid_argument);
    EXPECT_THROW(LivePlaylist(config(4, 0.05, 7200)), std::invalid_argument);
    EXPECT_THROW(LivePlaylist(config(4, 1, 11)), std::invalid_argument); // under 3 target durations
    EXPECT_NO_THROW(LivePlaylist(config(4, 1, 12)));
    LivePlaylist p(smallConfig());
    EXPECT_THROW(p.addPart({1.2, true, "a.m4s"}), std::invalid_argument); // longer than PART-TARGET
    EXPECT_THROW(p.addPart({0, true, "a.m4s"}), std::invalid_argument);
    EXPECT_THROW(p.addPart({1, true, "a\".m4s"}), std::invalid_argument);
    EXPECT_THROW(p.addPart({1, true, ""}), std::invalid_argument);
    EXPECT_THROW(p.finishSegment({"s.m4s", 4.6, kPdt}), std::invalid_argument); // rounds to 5 > 4
    EXPECT_THROW(p.setPreloadHint("a\nb"), std::invalid_argument);
    EXPECT_NO_THROW(p.finishSegment({"s.m4s", 4.4, kPdt}));
}

TEST(LlHls, MasterPlaylistListsTheLadderAndAnAudioOnlyVariant)
{
    MasterPlaylistSpec spec;
    spec.variants.push_back({"720p.m3u8", 3028000, 2928000, 1280, 720, "avc1.64001f,mp4a.40.2", 30});
    spec.variants.push_back({"360p.m3u8", 928000, 900000, 640, 360, "avc1.64001e,mp4a.40.2", 29.97});
    spec.audio = {"audio", "Audio", "en", "audio.m3u8", 2};
    spec.audioOnly = {"audio.m3u8", 128000, 128000, 0, 0, "mp4a.40.2", 0};
    const std::vector<std::string> expected{
        "#EXTM3U",
        "#EXT-X-VERSION:6",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"Audio\",LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio."
        "m3u8\"",
        "#EXT-X-STREAM-INF:BANDWIDTH=3028000,AVERAGE-BANDWIDTH=2928000,RESOLUTION=1280x720,CODECS=\"avc1.64001f,mp4a.40.2\",FRAME-RATE=30."
        "000,"
        "AUDIO=\"audio\"",
        "720p.m3u8",
        "#EXT-X-STREAM-INF:BANDWIDTH=928000,AVERAGE-BANDWIDTH=900000,RESOLUTION=640x360,CODECS=\"avc1.64001e,mp4a.40.2\",FRAME-RATE=29.970,"
        "AUDIO=\"audio\"",
        "360p.m3u8",
        "#EXT-X-STREAM-INF:BANDWIDTH=128000,AVERAGE-BANDWIDTH=128000,CODECS=\"mp4a.40.2\"",
        "audio.m3u8",
    };
    EXPECT_EQ(lines(renderMasterPlaylist(spec)), expected);

    spec.variants[0].bandwidth = 0;
    EXPECT_THROW(renderMasterPlaylist(spec), std::invalid_argument);
    EXPECT_THROW(renderMasterPlaylist({}), std::invalid_argument);
}
