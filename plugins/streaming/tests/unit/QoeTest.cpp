#include "Qoe.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace vtp::streaming;
using std::chrono::milliseconds;

namespace {

CmcdData media(const std::string& sid, int64_t br, int64_t d, bool su = false, bool bs = false, std::optional<int64_t> bl = std::nullopt)
{
    CmcdData c;
    c.sid = sid;
    c.ot = CmcdObjectType::Video;
    c.br = br;
    c.d = d;
    if (su) c.su = true;
    if (bs) c.bs = true;
    c.bl = bl;
    c.keyCount = 5;
    return c;
}

CmcdData manifest(const std::string& sid)
{
    CmcdData c;
    c.sid = sid;
    c.ot = CmcdObjectType::Manifest;
    c.su = true;
    c.keyCount = 3;
    return c;
}

void see(QoeAggregator& q, int64_t at, const CmcdData& c, uint64_t bytes = 1000, const char* rung = "720p", const char* stream = "class-1")
{
    q.observe({milliseconds(at), stream, &c, bytes, rung});
}

const SessionStats* find(const QoeSnapshot& s, const std::string& sid)
{
    for (const auto& x : s.sessions)
        if (x.sid == sid) return &x;
    return nullptr;
}

const StreamStats* findStream(const QoeSnapshot& s, const std::string& name)
{
    for (const auto& x : s.streams)
        if (x.stream == name) return &x;
    return nullptr;
}

QoeConfig config(size_t maxSessions, int64_t concurrentMs, int64_t idleGapMs)
{
    QoeConfig c;
    c.maxSessions = maxSessions;
    c.concurrentWindow = milliseconds(concurrentMs);
    c.idleGap = milliseconds(idleGapMs);
    return c;
}

} // namespace

TEST(Qoe, AggregatesAPlaybackSession)
{
    QoeAggregator q;
    see(q, 1000, manifest("s1"), 500, "");                           // t0: the master playlist
    see(q, 1200, media("s1", 800, 4000, /*su=*/true), 4000, "360p"); // starting: low rung
    see(q, 1900, media("s1", 800, 4000, true), 4000, "360p");
    see(q, 2500, media("s1", 2800, 4000), 9000, "720p"); // playing: startup ends here
    see(q, 6500, media("s1", 2800, 4000, false, false, 8000), 9000, "720p");
    // The buffer held 8 s at 6.5 s; a starved request 12 s later: about 4 s of stall.
    see(q, 18500, media("s1", 800, 4000, false, /*bs=*/true), 4000, "360p");
    q.recordError(milliseconds(19000), "class-1", "s1");

    const auto snap = q.snapshot(milliseconds(20000));
    const auto* s = find(snap, "s1");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->startupMs, 1500);
    EXPECT_EQ(s->rebuffers, 1u);
    EXPECT_DOUBLE_EQ(s->rebufferSeconds, 4.0);
    EXPECT_EQ(s->bitrateSwitches, 2u); // 800 -> 2800 -> 800
    EXPECT_EQ(s->lowestKbps, 800);
    EXPECT_EQ(s->averageKbps, (800 * 3 + 2800 * 2) / 5); // equal durations: a plain mean
    EXPECT_DOUBLE_EQ(s->watchSeconds, 20.0);             // five 4 s video objects
    EXPECT_DOUBLE_EQ(s->rebufferRatio, 4.0 / 20.0);
    EXPECT_EQ(s->errors, 1u);
    EXPECT_EQ(s->requests, 6u);
    EXPECT_EQ(s->bytes, 500u + 4000 * 3 + 9000 * 2);

    const auto* st = findStream(snap, "class-1");
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(st->egressBytes, 500u + 4000 * 3 + 9000 * 2);
    EXPECT_EQ(st->requestsPerRung.at("360p"), 3u);
    EXPECT_EQ(st->requestsPerRung.at("720p"), 2u);
    EXPECT_EQ(st->concurrentViewers, 1u);
}

TEST(Qoe, WeightsTheAverageBitrateByDuration)
{
    QoeAggregator q;
    see(q, 0, media("s", 1000, 1000));
    see(q, 1000, media("s", 4000, 3000));
    EXPECT_EQ(find(q.snapshot(milliseconds(2000)), "s")->averageKbps, (1000 * 1000 + 4000 * 3000) / 4000);
}

TEST(Qoe, StarvationDuringStartupIsNotARebuffer)
{
    QoeAggregator q;
    see(q, 0, media("s", 800, 4000, /*su=*/true, /*bs=*/true));
    see(q, 500, media("s", 800, 4000, true, true));
    const auto snapshot = q.snapshot(milliseconds(600)); // kept: find() points into it
    const auto* s = find(snapshot, "s");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->rebuffers, 0u);
    EXPECT_FALSE(s->startupMs); // still starting
}

TEST(Qoe, WatchTimeWithoutDurationsCapsIdleGaps)
{
    QoeAggregator q(config(100, 30000, 10000));
    CmcdData c;
    c.sid = "s";
    c.ot = CmcdObjectType::Video;
    c.keyCount = 2;
    see(q, 0, c);
    see(q, 4000, c);
    see(q, 104000, c); // a pause of 100 s counts as 10 s
    EXPECT_DOUBLE_EQ(find(q.snapshot(milliseconds(104000)), "s")->watchSeconds, 14.0);
}

TEST(Qoe, CountsConcurrentViewersWithinTheWindow)
{
    QoeAggregator q(config(100, 30000, 30000));
    see(q, 0, media("old", 800, 4000));
    see(q, 40000, media("a", 800, 4000));
    see(q, 45000, media("b", 800, 4000));
    see(q, 45000, media("x", 800, 4000), 1000, "720p", "class-2");
    const auto snap = q.snapshot(milliseconds(50000));
    EXPECT_EQ(findStream(snap, "class-1")->concurrentViewers, 2u); // "old" was last seen 50 s ago
    EXPECT_EQ(findStream(snap, "class-2")->concurrentViewers, 1u);
}

TEST(Qoe, RequestsWithoutSessionAndMalformedCmcdAreCounted)
{
    QoeAggregator q;
    q.observe({milliseconds(0), "class-1", nullptr, 700, "480p"});
    q.recordMalformedCmcd(milliseconds(0), "class-1");
    const auto snap = q.snapshot(milliseconds(0));
    EXPECT_TRUE(snap.sessions.empty());
    const auto* st = findStream(snap, "class-1");
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(st->requestsWithoutSession, 1u);
    EXPECT_EQ(st->malformedCmcd, 1u);
    EXPECT_EQ(st->egressBytes, 700u);
    EXPECT_EQ(st->requestsPerRung.at("480p"), 1u);
}

TEST(Qoe, EvictsOnlyIdleSessionsAtTheLimit)
{
    QoeAggregator q(config(2, 30000, 30000));
    see(q, 0, media("a", 800, 4000));
    see(q, 1000, media("b", 800, 4000));
    see(q, 2000, media("c", 800, 4000)); // a and b are active: c is not tracked
    auto snap = q.snapshot(milliseconds(2000));
    EXPECT_EQ(snap.sessions.size(), 2u);
    EXPECT_EQ(snap.refusedSessions, 1u);
    EXPECT_EQ(find(snap, "c"), nullptr);

    see(q, 31500, media("b", 800, 4000)); // b again: a is now the least recently seen, and idle
    see(q, 32000, media("c", 800, 4000));
    snap = q.snapshot(milliseconds(32000));
    EXPECT_EQ(snap.evictedSessions, 1u);
    EXPECT_EQ(find(snap, "a"), nullptr);
    EXPECT_NE(find(snap, "b"), nullptr);
    EXPECT_NE(find(snap, "c"), nullptr);
}

TEST(Qoe, DrainIdleHandsOverFinishedSessions)
{
    QoeAggregator q;
    see(q, 0, media("a", 800, 4000));
    see(q, 50000, media("b", 800, 4000));
    const auto done = q.drainIdle(milliseconds(70000), milliseconds(60000));
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].sid, "a");
    const auto snap = q.snapshot(milliseconds(70000));
    ASSERT_EQ(snap.sessions.size(), 1u);
    EXPECT_EQ(snap.sessions[0].sid, "b");
}

TEST(Qoe, SameSidOnTwoStreamsIsTwoSessions)
{
    QoeAggregator q;
    see(q, 0, media("s", 800, 4000), 1, "720p", "class-1");
    see(q, 0, media("s", 800, 4000), 1, "720p", "class-2");
    EXPECT_EQ(q.snapshot(milliseconds(0)).sessions.size(), 2u);
}
