#include "HlsParams.hpp"

#include <gtest/gtest.h>

using namespace vtp::streaming;

TEST(HlsParams, ParsesTheBlockingReloadArguments)
{
    const auto r = parsePlaylistQuery("_HLS_msn=273&_HLS_part=2&_HLS_skip=YES");
    ASSERT_TRUE(r) << r.error;
    EXPECT_EQ(r.value->msn, 273u);
    EXPECT_EQ(r.value->part, 2u);
    EXPECT_TRUE(r.value->skip);

    const auto plain = parsePlaylistQuery("");
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain.value->blocking());
    EXPECT_FALSE(plain.value->skip);

    // Unknown arguments (a CDN token, CMCD) are ignored; escapes and leading zeros are allowed.
    const auto other = parsePlaylistQuery("token=abc&&CMCD=br%3D3200&%5FHLS%5Fmsn=%30%37&_HLS_skip=v2&x");
    ASSERT_TRUE(other) << other.error;
    EXPECT_EQ(other.value->msn, 7u);
    EXPECT_FALSE(other.value->part);
    EXPECT_TRUE(other.value->skip);

    EXPECT_EQ(parsePlaylistQuery("_HLS_msn=999999999999").value->msn, kMaxMsn);
    EXPECT_EQ(parsePlaylistQuery("_HLS_msn=1&_HLS_part=9999").value->part, kMaxPart);
}

TEST(HlsParams, RefusesMalformedArgumentsWithAReason)
{
    for (const char* bad :
         {"_HLS_part=1", "_HLS_msn=", "_HLS_msn", "_HLS_msn=-1", "_HLS_msn=+1", "_HLS_msn=1.0", "_HLS_msn=0x10", "_HLS_msn=1000000000000",
          "_HLS_msn=99999999999999999999999", "_HLS_msn=1&_HLS_part=10000", "_HLS_msn=1&_HLS_msn=1", "_HLS_msn=1&_HLS_part=1&_HLS_part=2",
          "_HLS_skip=NO", "_HLS_skip=yes", "_HLS_skip=YES&_HLS_skip=YES", "_HLS_msn=%3", "_HLS_msn=%zz", "_HLS_msn= 1"}) {
        const auto r = parsePlaylistQuery(bad);
        EXPECT_FALSE(r) << bad;
        EXPECT_FALSE(r.error.empty()) << bad;
    }
    EXPECT_EQ(parsePlaylistQuery("_HLS_part=1").error, "_HLS_part needs _HLS_msn");
}

TEST(HlsParams, FormatsWhatItParses)
{
    PlaylistRequest r;
    r.msn = 12;
    r.part = 3;
    r.skip = true;
    EXPECT_EQ(formatPlaylistQuery(r), "_HLS_msn=12&_HLS_part=3&_HLS_skip=YES");
    const auto back = parsePlaylistQuery(formatPlaylistQuery(r));
    ASSERT_TRUE(back);
    EXPECT_EQ(back.value->msn, r.msn);
    EXPECT_EQ(back.value->part, r.part);
    EXPECT_EQ(formatPlaylistQuery({}), "");
}

namespace {

// Segments up to 272 complete (4 parts each), segment 273 being written with parts 0 and 1.
EdgeState liveEdge()
{
    EdgeState e;
    e.firstMsn = 250;
    e.nextMsn = 273;
    e.partsInProgress = 2;
    e.lastSegmentParts = 4;
    e.nominalPartsPerSegment = 4;
    e.partTargetSeconds = 1.0;
    return e;
}

PlaylistRequest ask(uint64_t msn, std::optional<uint32_t> part = std::nullopt)
{
    PlaylistRequest r;
    r.msn = msn;
    r.part = part;
    return r;
}

} // namespace

TEST(HlsParams, AnswersNowWhatTheEdgeAlreadyHas)
{
    const auto e = liveEdge();
    EXPECT_EQ(decideBlocking({}, e).answer, BlockingAnswer::Now);          // not blocking
    EXPECT_EQ(decideBlocking(ask(272), e).answer, BlockingAnswer::Now);    // complete
    EXPECT_EQ(decideBlocking(ask(273, 1), e).answer, BlockingAnswer::Now); // published part
    EXPECT_EQ(decideBlocking(ask(273, 0), e).answer, BlockingAnswer::Now);
    EXPECT_EQ(decideBlocking(ask(200, 3), e).answer, BlockingAnswer::Now); // trimmed: anything later will do
    EXPECT_EQ(decideBlocking(ask(272, 9), e).answer, BlockingAnswer::Now); // 272 is complete
}

TEST(HlsParams, WaitsForTheNextPartsAndSegments)
{
    const auto e = liveEdge();
    EXPECT_EQ(decideBlocking(ask(273, 2), e).answer, BlockingAnswer::Wait);
    EXPECT_EQ(decideBlocking(ask(273), e).answer, BlockingAnswer::Wait); // the whole segment
    EXPECT_EQ(decideBlocking(ask(273, 4), e).answer, BlockingAnswer::Wait);
    EXPECT_EQ(decideBlocking(ask(274, 0), e).answer, BlockingAnswer::Wait);
    EXPECT_EQ(decideBlocking(ask(275), e).answer, BlockingAnswer::Wait); // two past the last segment
}

TEST(HlsParams, RefusesRequestsTooFarAheadOfTheEdge)
{
    const auto e = liveEdge();
    const auto tooFar = decideBlocking(ask(276), e); // three past the last (273, which has parts)
    EXPECT_EQ(tooFar.answer, BlockingAnswer::BadRequest);
    EXPECT_FALSE(tooFar.why.empty());
    // The Advance Part Limit is 3 parts for a 1 s part target: 273.1 is the last part.
    EXPECT_EQ(decideBlocking(ask(273, 5), e).answer, BlockingAnswer::BadRequest);
    EXPECT_EQ(decideBlocking(ask(274, 1), e).answer, BlockingAnswer::BadRequest); // 273.2, 273.3, 274.0, 274.1

    // With a 0.25 s part target, 3 s of parts (12) are allowed ahead.
    auto quick = e;
    quick.partTargetSeconds = 0.25;
    quick.nominalPartsPerSegment = 16;
    EXPECT_EQ(decideBlocking(ask(273, 13), quick).answer, BlockingAnswer::Wait);
    EXPECT_EQ(decideBlocking(ask(273, 14), quick).answer, BlockingAnswer::BadRequest);

    // Before anything is published, segment 0 part 0 waits, segment 2 is too far.
    EdgeState start;
    EXPECT_EQ(decideBlocking(ask(0, 0), start).answer, BlockingAnswer::Wait);
    EXPECT_EQ(decideBlocking(ask(1), start).answer, BlockingAnswer::Wait);
    EXPECT_EQ(decideBlocking(ask(2), start).answer, BlockingAnswer::BadRequest);
}

TEST(HlsParams, AnEndedStreamAnswersEverythingNow)
{
    auto e = liveEdge();
    e.ended = true;
    EXPECT_EQ(decideBlocking(ask(273, 3), e).answer, BlockingAnswer::Now);
    EXPECT_EQ(decideBlocking(ask(400), e).answer, BlockingAnswer::Now);
}

TEST(HlsParams, EveryResponseIsCacheable)
{
    LlHlsConfig config;
    config.targetDurationSeconds = 4;
    config.dvrWindowSeconds = 7200;
    auto e = liveEdge();
    EXPECT_EQ(playlistCacheControl(ask(274, 0), e, config), "public, max-age=24");
    EXPECT_EQ(playlistCacheControl({}, e, config), "public, max-age=1");
    e.ended = true;
    EXPECT_EQ(playlistCacheControl({}, e, config), "public, max-age=3600");
    EXPECT_EQ(mediaCacheControl(config), "public, max-age=7200, immutable");
}
