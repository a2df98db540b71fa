// The ingest URLs an encoder is given: the key after the RTMP application, and SRT's access-control
// stream id percent-encoded as a query value.
#include "IngestUrls.hpp"

#include <gtest/gtest.h>

using namespace vtp::streaming;

TEST(IngestUrls, RtmpAppendsTheKeyToTheApplication)
{
    EXPECT_EQ(rtmpIngestUrl("rtmp://127.0.0.1:1935/live", "Ab-_09"), "rtmp://127.0.0.1:1935/live/Ab-_09");
    EXPECT_EQ(rtmpIngestUrl("rtmp://ingest.example/live/", "k"), "rtmp://ingest.example/live/k");
}

TEST(IngestUrls, SrtCarriesThePublishStreamIdPercentEncoded)
{
    EXPECT_EQ(srtIngestUrl("srt://127.0.0.1:9000", "Ab-_09"), "srt://127.0.0.1:9000?streamid=%23%21%3A%3Ar%3Dlive%2FAb-_09%2Cm%3Dpublish");
    // A base with options of its own keeps them.
    EXPECT_EQ(srtIngestUrl("srt://h:9000?latency=200", "k"), "srt://h:9000?latency=200&streamid=%23%21%3A%3Ar%3Dlive%2Fk%2Cm%3Dpublish");
}

TEST(IngestUrls, PercentEncodeLeavesOnlyUnreservedCharacters)
{
    EXPECT_EQ(percentEncode("aZ09-._~"), "aZ09-._~");
    EXPECT_EQ(percentEncode("a b/?#&=+%\n\xff"), "a%20b%2F%3F%23%26%3D%2B%25%0A%FF");
    EXPECT_EQ(percentEncode(""), "");
}

TEST(IngestUrls, EachStreamsPortReplacesTheBasesPort)
{
    EXPECT_EQ(withPort("rtmp://ingest.example/live", 19350), "rtmp://ingest.example:19350/live");
    EXPECT_EQ(withPort("rtmp://127.0.0.1:1935/live/", 19351), "rtmp://127.0.0.1:19351/live/");
    EXPECT_EQ(withPort("srt://ingest.example:9000", 19450), "srt://ingest.example:19450");
    EXPECT_EQ(withPort("srt://ingest.example:9000?latency=200", 19450), "srt://ingest.example:19450?latency=200");
    EXPECT_EQ(withPort("srt://[2001:db8::1]:9000", 7), "srt://[2001:db8::1]:7");
    EXPECT_EQ(withPort("srt://[2001:db8::1]", 7), "srt://[2001:db8::1]:7");
}

TEST(IngestUrls, RtmpApplicationIsTheBasesPath)
{
    EXPECT_EQ(rtmpApplication("rtmp://ingest.example/live"), "live");
    EXPECT_EQ(rtmpApplication("rtmp://ingest.example:1935/live/"), "live");
    EXPECT_EQ(rtmpApplication("rtmp://ingest.example"), "");
}

TEST(IngestUrls, PortRangesAreCheckedStrictly)
{
    const auto r = parsePortRange("19350-19449");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->first, 19350);
    EXPECT_EQ(r->last, 19449);
    EXPECT_TRUE(r->contains(19449));
    EXPECT_FALSE(r->contains(19450));
    const auto one = parsePortRange("9000");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->last, 9000);
    for (const char* bad : {"", "-", "0-10", "10-5", "1-70000", "a-b", "10-", " 10-20", "10-20x"}) EXPECT_FALSE(parsePortRange(bad)) << bad;
}
