#pragma once

// A section's weekly meeting patterns expanded into dated sessions over a term, and the
// iCalendar (RFC 5545) text of a user's sessions. Pure functions, unit-tested without a kernel.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vtp::courses {

struct MeetingPattern {
    std::string id;
    int weekday = 1; // ISO: 1 = Monday ... 7 = Sunday
    int start = 0;   // minutes after local midnight
    int end = 0;     // minutes after local midnight, > start
    std::optional<std::string> roomId;
    bool recorded = false; // its sessions are recorded
};

struct PlannedSession {
    std::string patternId;
    int64_t date = 0; // days since 1970-01-01, a local date in the term's zone
    int start = 0, end = 0;
    std::optional<std::string> roomId;
    bool recorded = false;
};

// Every date from termStart to termEnd (inclusive) on a pattern's weekday, except holidays, in
// date then start order.
std::vector<PlannedSession> expandPatterns(const std::vector<MeetingPattern>& patterns, int64_t termStart, int64_t termEnd,
                                           const std::set<int64_t>& holidays);

struct CalendarEvent {
    std::string uid;
    int64_t startUtc = 0, endUtc = 0;
    std::string summary, description, location;
    bool cancelled = false;
    int64_t sequence = 0; // bumped when a session is moved or cancelled, so clients update it
};

// A VCALENDAR with one VEVENT per event, times in UTC, CRLF line ends and lines folded at 75
// octets, as RFC 5545 requires.
std::string writeICalendar(const std::string& calendarName, const std::vector<CalendarEvent>& events, int64_t stampUtc);
// TEXT value escaping (backslash, semicolon, comma, newline).
std::string icalEscape(const std::string& text);

} // namespace vtp::courses
