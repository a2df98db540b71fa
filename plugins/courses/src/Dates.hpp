#pragma once

// Dates and times as the courses plugin stores them: Unix seconds, civil dates as day numbers,
// times of day as minutes after midnight, and their "YYYY-MM-DD" and "HH:MM" forms.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vtp::courses {

int64_t unixNow();

// Civil dates as days since 1970-01-01 (proleptic Gregorian), and back.
int64_t daysFromCivil(int y, int m, int d);
void civilFromDays(int64_t days, int& y, int& m, int& d);
// "YYYY-MM-DD" that names a real date, or nothing.
std::optional<int64_t> parseDate(std::string_view s);
std::string formatDate(int64_t days);
// ISO weekday of a day number: 1 = Monday ... 7 = Sunday.
int isoWeekday(int64_t days);
// "HH:MM" (00:00 to 23:59, or 24:00 when allowEndOfDay) as minutes after midnight, or nothing.
std::optional<int> parseTime(std::string_view s, bool allowEndOfDay = false);
std::string formatTime(int minutes);

} // namespace vtp::courses
