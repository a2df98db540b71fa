#include "Instants.hpp"

#include <gtest/gtest.h>

using namespace vtp::streaming;

TEST(Instants, ReadsUnixSecondsDaysAndUtcInstants)
{
    EXPECT_EQ(parseInstant("1767225600")->seconds, 1767225600);
    EXPECT_FALSE(parseInstant("1767225600")->day);
    const auto day = parseInstant("2026-01-01");
    ASSERT_TRUE(day);
    EXPECT_EQ(day->seconds, 1767225600);
    EXPECT_TRUE(day->day);
    EXPECT_EQ(parseInstant("2026-01-01T09:30:05Z")->seconds, 1767225600 + 9 * 3600 + 30 * 60 + 5);
    EXPECT_EQ(parseInstant("1970-01-01")->seconds, 0);
}

TEST(Instants, RefusesWhatIsNoneOfTheForms)
{
    for (const char* t : {"", "-5", "2026-02-30", "2026-13-01", "1969-12-31", "2026-01-01T25:00:00Z", "2026-01-01T09:30:05+01:00",
                          "2026-1-1", "12e9", "99999999999999", "2026-01-01 09:30:05Z", "tomorrow"})
        EXPECT_FALSE(parseInstant(t)) << t;
}
