// The names viewers ask for under a live stream's playback URL, parsed strictly.
#include "LiveNames.hpp"

#include <gtest/gtest.h>

using namespace vtp::streaming;

TEST(LiveNames, ParsesInitPartAndSegmentNamesAndRoundTrips)
{
    const auto init = parseMediaName("init-3.mp4");
    ASSERT_TRUE(init);
    EXPECT_EQ(init->kind, MediaName::Kind::Init);
    EXPECT_EQ(init->number, 3u);
    const auto part = parseMediaName("part-105-2.m4s");
    ASSERT_TRUE(part);
    EXPECT_EQ(part->kind, MediaName::Kind::Part);
    EXPECT_EQ(part->number, 105u);
    EXPECT_EQ(part->part, 2u);
    const auto seg = parseMediaName("seg-0.m4s");
    ASSERT_TRUE(seg);
    EXPECT_EQ(seg->kind, MediaName::Kind::Segment);
    EXPECT_EQ(seg->number, 0u);
    for (const char* name : {"init-3.mp4", "part-105-2.m4s", "seg-0.m4s"}) EXPECT_EQ(mediaName(*parseMediaName(name)), name);
}

TEST(LiveNames, RefusesAnythingElse)
{
    for (const char* bad :
         {"", "seg-.m4s", "seg--1.m4s", "seg-+1.m4s", "seg-1.mp4", "seg-1.m4s/..", "../seg-1.m4s", "part-1.m4s", "part-1-.m4s",
          "part-1-99999.m4s", "seg-99999999999999.m4s", "init-x.mp4", "init-1.m4s", "seg-0x1.m4s", "seg-1 .m4s"})
        EXPECT_FALSE(parseMediaName(bad)) << bad;
}

TEST(LiveNames, RenditionPlaylistNamesAreShortLowerCaseWords)
{
    EXPECT_EQ(playlistRendition("720p.m3u8"), std::optional<std::string>("720p"));
    EXPECT_EQ(playlistRendition("audio.m3u8"), std::optional<std::string>("audio"));
    EXPECT_FALSE(playlistRendition("master.m3u"));
    EXPECT_FALSE(playlistRendition(".m3u8"));
    EXPECT_FALSE(playlistRendition("../x.m3u8"));
    EXPECT_FALSE(playlistRendition("Audio.m3u8"));
    EXPECT_FALSE(playlistRendition("abcdefghijklmnopq.m3u8"));
}
