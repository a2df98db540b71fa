// The plugin's pure parts: dates, time zones, pattern expansion, iCalendar text and CSV.
#include "Csv.hpp"
#include "Schedule.hpp"
#include "TimeZone.hpp"
#include "Dates.hpp"

#include <gtest/gtest.h>

namespace vtp::courses {
namespace {

int64_t day(const char* s)
{
    return parseDate(s).value();
}

TEST(Dates, ParseRefusesImpossibleDatesAndKnowsWeekdays)
{
    EXPECT_FALSE(parseDate("2025-02-29"));
    EXPECT_TRUE(parseDate("2024-02-29"));
    EXPECT_FALSE(parseDate("2025-13-01"));
    EXPECT_FALSE(parseDate("2025-1-01"));
    EXPECT_EQ(formatDate(day("2025-09-01")), "2025-09-01");
    EXPECT_EQ(isoWeekday(day("2025-09-01")), 1); // a Monday
    EXPECT_EQ(isoWeekday(day("2025-09-07")), 7);
    EXPECT_EQ(isoWeekday(day("1970-01-01")), 4);
    EXPECT_EQ(parseTime("09:30"), 570);
    EXPECT_FALSE(parseTime("24:00"));
    EXPECT_EQ(parseTime("24:00", true), 1440);
    EXPECT_FALSE(parseTime("9:30"));
}

TEST(TimeZones, ZurichWallClockMapsToUtcAcrossDaylightSaving)
{
    const auto zurich = TimeZone::load("Europe/Zurich");
    // Summer (CEST, UTC+2) and winter (CET, UTC+1).
    EXPECT_EQ(zurich->toUtc(day("2025-07-01") * 86400 + 9 * 3600), day("2025-07-01") * 86400 + 7 * 3600);
    EXPECT_EQ(zurich->toUtc(day("2025-12-01") * 86400 + 9 * 3600), day("2025-12-01") * 86400 + 8 * 3600);
    // 2025-03-30 02:30 does not exist (clocks jump 02:00 -> 03:00): read with the offset before.
    EXPECT_EQ(zurich->toUtc(day("2025-03-30") * 86400 + 2 * 3600 + 1800), day("2025-03-30") * 86400 + 1 * 3600 + 1800);
    // 2025-10-26 02:30 happens twice: the earlier (CEST) instant.
    EXPECT_EQ(zurich->toUtc(day("2025-10-26") * 86400 + 2 * 3600 + 1800), day("2025-10-26") * 86400 + 1800);
    // Far beyond the file's listed transitions the POSIX rule in its footer applies.
    EXPECT_EQ(zurich->offsetAt(day("2061-07-01") * 86400), 7200);
    EXPECT_EQ(zurich->offsetAt(day("2061-01-15") * 86400), 3600);
}

TEST(TimeZones, SouthernHemisphereAndUtc)
{
    const auto sydney = TimeZone::load("Australia/Sydney");
    EXPECT_EQ(sydney->offsetAt(day("2025-01-15") * 86400), 11 * 3600); // AEDT
    EXPECT_EQ(sydney->offsetAt(day("2025-07-15") * 86400), 10 * 3600); // AEST
    EXPECT_EQ(sydney->offsetAt(day("2070-01-15") * 86400), 11 * 3600);
    const auto utc = TimeZone::load("UTC");
    EXPECT_EQ(utc->toUtc(12345), 12345);
    EXPECT_THROW(TimeZone::load("Mars/Olympus_Mons"), std::runtime_error);
    EXPECT_THROW(TimeZone::load("../etc/passwd"), std::runtime_error);
}

// Greenland's rule changes clocks at -1:00 ("M3.5.0/-1"), which the date library's POSIX parser
// refuses as written; past 2037 that rule still gives summer and winter time.
TEST(TimeZones, RulesWithNegativeChangeTimesHoldPastTheListedTransitions)
{
    const auto nuuk = TimeZone::load("America/Nuuk");
    EXPECT_EQ(nuuk->offsetAt(day("2061-07-01") * 86400), -3600);
    EXPECT_EQ(nuuk->offsetAt(day("2061-01-15") * 86400), -7200);
    EXPECT_TRUE(TimeZone::exists("Europe/Zurich"));
    EXPECT_FALSE(TimeZone::exists("Europe/Atlantis"));
    EXPECT_FALSE(TimeZone::exists("posix/../../etc/passwd"));
}

TEST(Schedule, PatternsExpandOverTheTermSkippingHolidays)
{
    const std::vector<MeetingPattern> patterns{{"mon", 1, 9 * 60, 10 * 60 + 30, "r1"}, {"wed", 3, 14 * 60, 15 * 60, std::nullopt}};
    // 2025-09-01 (Mon) to 2025-09-14 (Sun): two Mondays, two Wednesdays; 2025-09-10 is a holiday.
    const auto sessions = expandPatterns(patterns, day("2025-09-01"), day("2025-09-14"), {day("2025-09-10")});
    ASSERT_EQ(sessions.size(), 3u);
    EXPECT_EQ(formatDate(sessions[0].date), "2025-09-01");
    EXPECT_EQ(sessions[0].patternId, "mon");
    EXPECT_EQ(sessions[0].roomId, std::optional<std::string>("r1"));
    EXPECT_EQ(formatDate(sessions[1].date), "2025-09-03");
    EXPECT_EQ(sessions[1].start, 14 * 60);
    EXPECT_EQ(formatDate(sessions[2].date), "2025-09-08");
    EXPECT_TRUE(expandPatterns(patterns, day("2025-09-02"), day("2025-09-02"), {}).empty());
}

TEST(ICalendar, LinesAreFoldedAndTextEscaped)
{
    CalendarEvent e;
    e.uid = "abc@courses.vtp";
    e.startUtc = day("2025-09-01") * 86400 + 7 * 3600;
    e.endUtc = e.startUtc + 5400;
    e.summary = "CS101 A: Algorithms, data; structures\\" + std::string(80, 'x') + "\xC3\xA9\xC3\xA9";
    e.location = "Room 1";
    const std::string ics = writeICalendar("My classes", {e}, 0);
    EXPECT_EQ(ics.rfind("BEGIN:VCALENDAR\r\n", 0), 0u);
    EXPECT_NE(ics.find("DTSTART:20250901T070000Z\r\n"), std::string::npos);
    EXPECT_NE(ics.find("DTEND:20250901T083000Z\r\n"), std::string::npos);
    EXPECT_NE(ics.find("Algorithms\\, data\\; structures\\\\"), std::string::npos);
    size_t pos = 0;
    while (pos < ics.size()) {
        const size_t end = ics.find("\r\n", pos);
        ASSERT_NE(end, std::string::npos) << "every line ends with CRLF";
        EXPECT_LE(end - pos, 75u) << ics.substr(pos, end - pos);
        // A fold never splits a UTF-8 sequence: a continuation line never starts with a continuation byte.
        if (ics[pos] == ' ' && end > pos + 1) {
            EXPECT_NE(static_cast<unsigned char>(ics[pos + 1]) & 0xC0, 0x80);
        }
        pos = end + 2;
    }
    EXPECT_EQ(icalEscape("a\nb"), "a\\nb");
}

TEST(Csv, QuotedFieldsLineNumbersAndMalformedRecords)
{
    const auto lines = parseCsv("email\r\n\"a@x.org\"\n\nb@x.org,extra\n\"multi\nline\"\n\"unclosed@x.org\n");
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[0].fields, std::vector<std::string>{"email"});
    EXPECT_EQ(lines[1].fields, std::vector<std::string>{"a@x.org"});
    EXPECT_EQ(lines[1].number, 2u);
    EXPECT_EQ(lines[2].number, 4u);
    EXPECT_EQ(lines[2].fields.size(), 2u);
    EXPECT_EQ(lines[3].fields[0], "multi\nline");
    EXPECT_EQ(lines[4].number, 7u);
    EXPECT_TRUE(lines[4].error);
    EXPECT_EQ(csvRecord({"a,b", "say \"hi\"", "=1+1"}), "\"a,b\",\"say \"\"hi\"\"\",'=1+1\r\n");
}

} // namespace
} // namespace vtp::courses
