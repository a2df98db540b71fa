#pragma once

#include "timetable/Instance.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace vtp::courses::timetable {

// Where one lecture takes place; day < 0 means not scheduled.
struct Assignment {
    int day = -1;
    int period = -1; // within the day
    int room = -1;   // index into Instance::rooms
    bool scheduled() const { return day >= 0; }
    bool operator==(const Assignment&) const = default;
};

// A timetable: one Assignment per lecture, lectures numbered as Instance::firstLectures() says
// (course by course).
struct Solution {
    std::vector<Assignment> lectures;
    bool operator==(const Solution&) const = default;

    static Solution unscheduled(const Instance& instance)
    {
        return Solution{std::vector<Assignment>(static_cast<size_t>(instance.lectureCount()))};
    }
};

// Reads the ITC-2007 solution format: one line per scheduled lecture, "courseId roomId day period".
// A course's lines fill its lectures in order; lectures without a line stay unscheduled (the
// Evaluator reports them). Throws CttError naming the line for an unknown course or room, a day
// or period out of range, a wrong field count, or more lines for a course than it has lectures.
Solution parseSol(const Instance& instance, std::string_view text);

// The ITC-2007 solution text of the scheduled lectures. Throws std::invalid_argument if the
// solution does not fit the instance (wrong lecture count, index out of range).
std::string writeSol(const Instance& instance, const Solution& solution);

// Throws std::invalid_argument unless the solution has one entry per lecture and every scheduled
// entry is in range.
void checkFits(const Instance& instance, const Solution& solution);

} // namespace vtp::courses::timetable
