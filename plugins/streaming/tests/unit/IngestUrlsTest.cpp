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
