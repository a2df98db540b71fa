// The media files' answers: content types, safe names, and a download's file name that is always
// a safe header. (The playback token's codec is the SDK's: tests/sdk/PlaybackTokenTest.cpp.)
#include "MediaFiles.hpp"

#include <gtest/gtest.h>

using namespace vtp::recording;

TEST(MediaFiles, ContentTypesByExtension)
{
    EXPECT_EQ(media::contentType("master.m3u8"), "application/vnd.apple.mpegurl");
    EXPECT_EQ(media::contentType("manifest.mpd"), "application/dash+xml");
    EXPECT_EQ(media::contentType("init-stream0.m4s"), "video/iso.segment");
    EXPECT_EQ(media::contentType("recording.mp4"), "video/mp4");
    EXPECT_EQ(media::contentType("thumbnails.vtt"), "text/vtt; charset=utf-8");
    EXPECT_EQ(media::contentType("poster.jpg"), "image/jpeg");
    EXPECT_EQ(media::contentType("notes"), "application/octet-stream");
    EXPECT_TRUE(media::isPlaylist("media_0.m3u8"));
    EXPECT_TRUE(media::isPlaylist("manifest.mpd"));
    EXPECT_FALSE(media::isPlaylist("chunk-stream0-00001.m4s"));
    EXPECT_FALSE(media::isPlaylist("thumbnails-0.jpg"));
}

TEST(MediaFiles, SafeMediaNamesAreFlat)
{
    for (const char* good : {"master.m3u8", "chunk-stream0-00001.m4s", "thumbnails-12.jpg", "a_b"})
        EXPECT_TRUE(media::safeName(good)) << good;
    for (const char* bad : {"", ".", "..", "../x", "a/b", ".hidden", "a\\b", "a b", "a%2Fb", "a\nb"})
        EXPECT_FALSE(media::safeName(bad)) << bad;
    EXPECT_FALSE(media::safeName(std::string(129, 'a')));
}

TEST(MediaFiles, DownloadFilenameIsASafeQuotedString)
{
    EXPECT_EQ(media::downloadDisposition("Lecture 1"), "attachment; filename=\"Lecture 1.mp4\"");
    const std::string d = media::downloadDisposition("a\"b\\c\r\n/../Ünïcode");
    EXPECT_EQ(d.find_first_of("\r\n"), std::string::npos) << d;
    EXPECT_EQ(d.substr(0, d.find(';', 12)), "attachment; filename=\"a_b_c___..___n__code.mp4\"");
    EXPECT_NE(d.find("filename*=UTF-8''a%22b%5Cc%0D%0A%2F..%2F%C3%9Cn%C3%AFcode.mp4"), std::string::npos) << d;
    EXPECT_EQ(media::downloadDisposition("..."), "attachment; filename=\"recording.mp4\"");
}
