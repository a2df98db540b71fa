// Which masters and offsets a recording's presentation lists (Presentation::sources, pure).
#include "Presentation.hpp"

#include <gtest/gtest.h>

using vtp::Json;
using vtp::streaming::Presentation;

namespace {

const std::string kBase = "/api/v1/recordings/r1/media/TOKEN/";

Json playback(bool adaptive)
{
    return Json{{"hls", kBase + "master.m3u8"},
                {"adaptive", adaptive ? Json{{"hls", kBase + "abr-master.m3u8"}, {"dash", kBase + "abr.mpd"}} : Json()}};
}

// A screen uploaded before the camera; processing lists the camera first (primary first).
Json recording()
{
    Json sources = Json::array();
    sources.push(Json{{"kind", "screen"}, {"state", "complete"}});
    sources.push(Json{{"kind", "camera"}, {"state", "expired"}});
    sources.push(Json{{"kind", "camera"}, {"state", "complete"}});
    Json processed = Json::array();
    processed.push(Json{{"offset_ms", 2500}, {"master", "master.m3u8"}});
    processed.push(Json{{"offset_ms", 0}, {"master", "source-2.m3u8"}});
    return Json{{"sources", sources}, {"media", Json{{"sources", processed}}}};
}

Json ladder(size_t count)
{
    Json sources = Json::array();
    const char* kinds[] = {"camera", "screen", "camera"};
    for (size_t i = 0; i < count; ++i)
        sources.push(Json{{"kind", kinds[i]},
                          {"master", i == 0 ? "abr-master.m3u8" : "abr-source-" + std::to_string(i + 1) + ".m3u8"},
                          {"offset_ms", i == 0 ? 2500 : 0}});
    return Json{{"sources", sources}};
}

TEST(Presentation, ListsTheLaddersMastersAndOffsetsOnceTheLadderIsMade)
{
    const Json s = Presentation::sources(playback(true), recording(), ladder(2));
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s.at(0)["kind"].asString(), "camera");
    EXPECT_EQ(s.at(0)["role"].asString(), "main");
    EXPECT_EQ(s.at(0)["hls"].asString(), kBase + "abr-master.m3u8");
    EXPECT_DOUBLE_EQ(s.at(0)["offset_s"].asDouble(), 2.5);
    EXPECT_EQ(s.at(1)["kind"].asString(), "screen");
    EXPECT_EQ(s.at(1)["role"].asString(), "alternate");
    EXPECT_EQ(s.at(1)["hls"].asString(), kBase + "abr-source-2.m3u8");
    EXPECT_DOUBLE_EQ(s.at(1)["offset_s"].asDouble(), 0.0);
}

TEST(Presentation, ListsTheSingleRenditionPrimaryFirstBeforeTheLadder)
{
    const Json s = Presentation::sources(playback(false), recording(), Json());
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s.at(0)["kind"].asString(), "camera");
    EXPECT_EQ(s.at(0)["hls"].asString(), kBase + "master.m3u8");
    EXPECT_DOUBLE_EQ(s.at(0)["offset_s"].asDouble(), 2.5);
    EXPECT_EQ(s.at(1)["kind"].asString(), "screen");
    EXPECT_EQ(s.at(1)["hls"].asString(), kBase + "source-2.m3u8");
}

TEST(Presentation, IgnoresALadderOfOtherSourcesThanProcessingMade)
{
    // A ladder of an earlier processing with three sources: the single rendition plays instead.
    const Json s = Presentation::sources(playback(true), recording(), ladder(3));
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s.at(0)["hls"].asString(), kBase + "master.m3u8");
    EXPECT_EQ(s.at(1)["hls"].asString(), kBase + "source-2.m3u8");
}

} // namespace
