#include "PlaybackProgress.hpp"

#include <gtest/gtest.h>

using namespace vtp::streaming;
using Ranges = std::vector<std::pair<double, double>>;

TEST(PlaybackProgress, JoinsAdjacentSegmentsAndKeepsSeeksApart)
{
    PlaybackProgress p(30000);
    p.watched(0, 0, 4);
    p.watched(100, 4, 8);
    p.watched(200, 40, 44);
    p.watched(300, 8, 12);
    EXPECT_EQ(p.ranges(), (Ranges{{0, 12}, {40, 44}}));
    EXPECT_EQ(p.position(), 12.0);
    p.watched(400, 10, 42); // bridges both
    EXPECT_EQ(p.ranges(), (Ranges{{0, 44}}));
}

TEST(PlaybackProgress, IsDueOnlyEveryIntervalOfWatching)
{
    PlaybackProgress p(30000);
    int due = 0;
    // A segment every second for two minutes: an event every 30 s, no more.
    for (int64_t t = 0; t <= 120000; t += 1000)
        if (p.watched(t, static_cast<double>(t) / 1000.0, static_cast<double>(t) / 1000.0 + 1)) {
            ++due;
            EXPECT_TRUE(p.unpublished());
            p.published(t);
            EXPECT_FALSE(p.unpublished());
        }
    EXPECT_EQ(due, 4);
}

TEST(PlaybackProgress, BoundsItsRangesByJoiningTheClosest)
{
    PlaybackProgress p(30000, 4);
    for (double s : {0.0, 10.0, 20.0, 30.0, 31.5}) p.watched(0, s, s + 1);
    ASSERT_EQ(p.ranges().size(), 4u);
    EXPECT_EQ(p.ranges().back(), (std::pair<double, double>{30, 32.5})); // 30..31 and 31.5..32.5 were the closest
}

TEST(PlaybackProgress, RefusesEmptyOrNegativeRanges)
{
    PlaybackProgress p;
    EXPECT_FALSE(p.watched(0, 5, 5));
    EXPECT_FALSE(p.watched(0, -4, 0));
    EXPECT_FALSE(p.anyWatched());
}
