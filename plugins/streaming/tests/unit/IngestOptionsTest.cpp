#include "IngestOptions.hpp"

#include <gtest/gtest.h>

using namespace vtp::streaming::ingest;

TEST(IngestOptions, RtmpUrlGivesAppAndKey)
{
    ListenTarget t;
    ASSERT_EQ(parseListenUrl("rtmp://127.0.0.1:1935/live/abc_DEF-9", t), "");
    EXPECT_EQ(t.protocol, Protocol::Rtmp);
    EXPECT_EQ(t.host, "127.0.0.1");
    EXPECT_EQ(t.port, 1935);
    EXPECT_EQ(t.app, "live");
    EXPECT_EQ(t.key, "abc_DEF-9");
}

TEST(IngestOptions, SrtUrlTakesTheKeyFromStreamIdAndPassesOnlyKnownOptions)
{
    ListenTarget t;
    ASSERT_EQ(parseListenUrl("srt://0.0.0.0:9000?mode=listener&streamid=k1&latency=200000", t), "");
    EXPECT_EQ(t.protocol, Protocol::Srt);
    EXPECT_EQ(t.key, "k1");
    ASSERT_EQ(t.srtOptions.size(), 1u);
    EXPECT_EQ(t.srtOptions[0].first, "latency");
    EXPECT_NE(parseListenUrl("srt://0.0.0.0:9000?mode=caller&streamid=k1", t), "");
    EXPECT_NE(parseListenUrl("srt://0.0.0.0:9000?mode=listener&streamid=k1&streamid=k2", t), "");
    EXPECT_NE(parseListenUrl("srt://0.0.0.0:9000?mode=listener&streamid=k1&pkt_size=1", t), "");
}

TEST(IngestOptions, RefusesKeysFfmpegCannotCompareOrThatHoldUrlSyntax)
{
    ListenTarget t;
    EXPECT_NE(parseListenUrl("rtmp://127.0.0.1:1935/live/", t), "");
    EXPECT_NE(parseListenUrl("rtmp://127.0.0.1:1935/live/a.flv", t), "");
    EXPECT_NE(parseListenUrl("rtmp://127.0.0.1:1935/live/" + std::string(64, 'k'), t), ""); // FFmpeg reads 63
    EXPECT_EQ(parseListenUrl("rtmp://127.0.0.1:1935/live/" + std::string(63, 'k'), t), "");
    EXPECT_NE(parseListenUrl("srt://127.0.0.1:9000?mode=listener&streamid=a%20b", t), "");
    EXPECT_NE(parseListenUrl("rtmp://127.0.0.1:0/live/key", t), "");
    EXPECT_NE(parseListenUrl("http://127.0.0.1:80/live/key", t), "");
}

TEST(IngestOptions, CommandLineSortsRungsAndNeedsPartsThatDivideSegments)
{
    const char* ok[] = {"w",
                        "--listen",
                        "rtmp://127.0.0.1:1935/live/k",
                        "--out-dir",
                        "/tmp/x",
                        "--rung",
                        "360:800",
                        "--rung",
                        "720:2800",
                        "--idle-timeout-ms",
                        "1000"};
    IngestOptions o;
    ASSERT_EQ(parseCommandLine(11, ok, o), "");
    ASSERT_EQ(o.rungs.size(), 2u);
    EXPECT_EQ(o.rungs[0].height, 720);
    const char* badParts[] = {"w",
                              "--listen",
                              "rtmp://127.0.0.1:1935/live/k",
                              "--out-dir",
                              "/tmp/x",
                              "--rung",
                              "360:800",
                              "--idle-timeout-ms",
                              "1000",
                              "--segment-ms",
                              "2000",
                              "--part-ms",
                              "300"};
    EXPECT_NE(parseCommandLine(13, badParts, o), "");
    const char* missing[] = {"w", "--listen", "rtmp://127.0.0.1:1935/live/k", "--out-dir", "/tmp/x"};
    EXPECT_NE(parseCommandLine(5, missing, o), "");
}

TEST(IngestOptions, SrtStreamIdInAccessControlFormGivesTheResourcesKey)
{
    EXPECT_EQ(srtStreamIdKey("plainKey"), "plainKey");
    EXPECT_EQ(srtStreamIdKey("#!::r=live/k-1,m=publish"), "k-1");
    EXPECT_EQ(srtStreamIdKey("#!::m=publish,r=k2"), "k2");
    EXPECT_EQ(srtStreamIdKey("#!::u=ada,r=live/k3"), "k3");
    // As the plugin's ingest URL carries it, passed on undecoded by FFmpeg 5.1.
    EXPECT_EQ(srtStreamIdKey("%23%21%3A%3Ar%3Dlive%2Fk-4%2Cm%3Dpublish"), "k-4");
    EXPECT_EQ(srtStreamIdKey("%23%21%3A%3Ar%3Dlive%2Fk-4%2Cm%3Drequest"), "");
    EXPECT_EQ(srtStreamIdKey("%2"), "%2");
    // A player (m=request), a malformed item or two resources present no key.
    EXPECT_EQ(srtStreamIdKey("#!::r=live/k-1,m=request"), "");
    EXPECT_EQ(srtStreamIdKey("#!::r=live/k-1,junk"), "");
    EXPECT_EQ(srtStreamIdKey("#!::r=live/k1,r=live/k2"), "");
    EXPECT_EQ(srtStreamIdKey("#!::m=publish"), "");
}
