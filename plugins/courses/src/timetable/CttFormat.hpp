#pragma once

#include "timetable/Instance.hpp"

#include <string>
#include <string_view>

// The ITC-2007 track 3 (.ctt) text format; see /work/shared/data/itc2007-cbctt/README.md.
namespace vtp::courses::timetable {

// Limits on what a .ctt file may declare, so that a hostile file cannot make the parser (or the
// solver's per-course, per-period tables) allocate gigabytes. Real instances are far below them.
struct CttLimits {
    static constexpr int maxCourses = 5000;
    static constexpr int maxRooms = 1000;
    static constexpr int maxDays = 14;
    static constexpr int maxPeriodsPerDay = 48;
    static constexpr int maxCurricula = 10000;
    static constexpr int maxConstraints = 1000000;
    static constexpr int maxLecturesPerCourse = 1000;
    static constexpr int maxLectures = 100000;
    static constexpr int maxStudents = 1000000; // also the largest room capacity
};

// Parses a .ctt file strictly: header counts must match the sections, every id must be known and
// unique, days and periods in range, and the file must end with END. Throws CttError naming the
// line and what was expected and found. Accepts tabs, CRLF line ends and blank lines anywhere.
Instance parseCtt(std::string_view text);

// The .ctt text of an instance (what parseCtt reads back to an equal Instance). Throws
// std::invalid_argument if the instance fails Instance::validate().
std::string writeCtt(const Instance& instance);

} // namespace vtp::courses::timetable
