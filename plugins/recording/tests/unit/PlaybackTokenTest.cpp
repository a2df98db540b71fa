// The playback token's codec and the media files' answers: only a token's canonical text parses,
// the MAC's input tells every field apart, and the download's file name is always a safe header.
#include "MediaFiles.hpp"
#include "PlaybackToken.hpp"

#include <vtp/base64.hpp>

#include <gtest/gtest.h>

using namespace vtp::recording;
using namespace vtp::recording::playback;

namespace {

Token sample()
{
    Token t;
    t.expiresAt = 1765000000;
    t.admin = false;
    t.userId = "3f2c1a9e-0b7d-4c55-9f1e-2a6b8c4d0e11";
    t.mac = std::string(kMacBytes, '\x5a');
    return t;
}

} // namespace

TEST(PlaybackToken, FormatsAndParsesBack)
{
    const Token t = sample();
    const std::string text = format(t);
    EXPECT_EQ(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"), std::string::npos) << text;
    const auto back = parse(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->expiresAt, t.expiresAt);
    EXPECT_EQ(back->admin, false);
    EXPECT_EQ(back->userId, t.userId);
    EXPECT_EQ(back->mac, t.mac);
    Token a = t;
    a.admin = true;
    EXPECT_TRUE(parse(format(a))->admin);
}

TEST(PlaybackToken, RefusesEverythingButTheCanonicalText)
{
    const std::string good = format(sample());
    const std::string mac = vtp::base64UrlEncode(std::string(kMacBytes, '\x5a'));
    const std::string user = vtp::base64UrlEncode("u1");
    for (const std::string& bad : std::vector<std::string>{
             std::string(), std::string("1"), std::string("...."), "2.1765000000.u." + user + "." + mac,
             "1.01765000000.u." + user + "." + mac, "1.-5.u." + user + "." + mac, "1.0.u." + user + "." + mac,
             "1.99999999999999999999.u." + user + "." + mac, "1.1765000000.x." + user + "." + mac, "1.1765000000.u.." + mac,
             "1.1765000000.u." + user + "." + mac.substr(1), "1.1765000000.u." + user + "." + mac + "A",
             "1.1765000000.u." + user + "." + mac + ".x", "1.1765000000.u.dTE=." + mac, "1.1765000000.u.dTF." + mac, good + " ",
             good.substr(0, good.size() - 1) + "=",
             "1.1765000000.u." + vtp::base64UrlEncode(std::string(kMaxUserIdBytes + 1, 'u')) + "." + mac,
             std::string(kMaxTokenChars + 1, 'A')})
        EXPECT_FALSE(parse(bad)) << bad;
}

TEST(PlaybackToken, SignedTextSeparatesEveryField)
{
    Token a = sample(), b = sample();
    EXPECT_EQ(signedText("rec-1", a), signedText("rec-1", b));
    EXPECT_NE(signedText("rec-1", a), signedText("rec-2", a));
    b.admin = true;
    EXPECT_NE(signedText("rec-1", a), signedText("rec-1", b));
    b = a;
    b.expiresAt += 1;
    EXPECT_NE(signedText("rec-1", a), signedText("rec-1", b));
    // Moving characters between the recording id and the user id changes the text.
    Token u = sample();
    u.userId = "b\nc";
    Token v = sample();
    v.userId = "c";
    EXPECT_NE(signedText("a", u), signedText("a\nb", v));
}

TEST(PlaybackToken, ConstantTimeEqualComparesWholeStrings)
{
    EXPECT_TRUE(constantTimeEqual("abc", "abc"));
    EXPECT_FALSE(constantTimeEqual("abc", "abd"));
    EXPECT_FALSE(constantTimeEqual("abc", "ab"));
    EXPECT_TRUE(constantTimeEqual("", ""));
}

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
