#include "MediaFile.hpp"

#include <gtest/gtest.h>

using namespace vtp::streaming;
using T = MediaFile::Type;

TEST(MediaFile, ReadsTheLadderSegmentsRenditionAndNumber)
{
    EXPECT_EQ(parseMediaFile("abr-seg-3-00007.m4s"), (MediaFile{T::Segment, true, 3, 7}));
    EXPECT_EQ(parseMediaFile("seg-0-00001.m4s"), (MediaFile{T::Segment, false, 0, 1}));
}

TEST(MediaFile, ReadsPlaylistsAndInitSegments)
{
    EXPECT_EQ(parseMediaFile("abr-media_12.m3u8"), (MediaFile{T::Manifest, true, 12, std::nullopt}));
    EXPECT_EQ(parseMediaFile("abr-init-2.mp4"), (MediaFile{T::Init, true, 2, std::nullopt}));
    EXPECT_EQ(parseMediaFile("abr-master.m3u8"), (MediaFile{T::Manifest, true, std::nullopt, std::nullopt}));
    EXPECT_EQ(parseMediaFile("abr.mpd"), (MediaFile{T::Manifest, false, std::nullopt, std::nullopt}));
    EXPECT_EQ(parseMediaFile("master.m3u8"), (MediaFile{T::Manifest, false, std::nullopt, std::nullopt}));
}

TEST(MediaFile, NamesThatAreNotMediaSayNothing)
{
    for (const char* name : {"poster.jpg", "abr-seg-x-00001.m4s", "abr-seg-1-.m4s", "abr-seg--1-00001.m4s", "abr-seg-1-+0001.m4s",
                             "abr-seg-1-1234567890.m4s", "abr-init-.mp4", "recording.mp4", ""}) {
        const MediaFile f = parseMediaFile(name);
        EXPECT_NE(f.type, T::Segment) << name;
        EXPECT_FALSE(f.number) << name;
    }
}
