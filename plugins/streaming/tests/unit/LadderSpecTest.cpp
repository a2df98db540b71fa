#include "LadderSpec.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using vtp::streaming::parseLadder;

TEST(LadderSpec, ParsesHighestFirst)
{
    const auto rungs = parseLadder({"360:800", "1080:5000", "720:2800"});
    ASSERT_EQ(rungs.size(), 3u);
    EXPECT_EQ(rungs[0].height, 1080);
    EXPECT_EQ(rungs[0].videoKbps, 5000);
    EXPECT_EQ(rungs[0].name, "1080p");
    EXPECT_EQ(rungs[2].height, 360);
}

TEST(LadderSpec, RefusesWhatIsNotARung)
{
    for (const char* bad : {"", "720", "720:", ":800", "720:x", "abc:800", "721:800", "100:800", "5000:800", "720:10", "720:999999",
                            "720:800:1", " 720:800", "-720:800", "720:+800"})
        EXPECT_THROW(parseLadder({bad}), std::invalid_argument) << bad;
    EXPECT_THROW(parseLadder({}), std::invalid_argument);
    EXPECT_THROW(parseLadder({"720:800", "720:1000"}), std::invalid_argument);
    EXPECT_THROW(parseLadder({"144:100", "240:200", "360:300", "480:400", "540:500", "720:600", "900:700", "1080:800", "1440:900"}),
                 std::invalid_argument);
}
