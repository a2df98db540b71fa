#include "timetable/Solution.hpp"

#include "timetable/CttError.hpp"
#include "timetable/TextLines.hpp"

#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace vtp::courses::timetable {

Solution parseSol(const Instance& instance, std::string_view text)
{
    std::unordered_map<std::string_view, int> courses;
    std::unordered_map<std::string_view, int> rooms;
    for (size_t c = 0; c < instance.courses.size(); ++c) courses.emplace(instance.courses[c].id, static_cast<int>(c));
    for (size_t r = 0; r < instance.rooms.size(); ++r) rooms.emplace(instance.rooms[r].id, static_cast<int>(r));
    const std::vector<int> first = instance.firstLectures();
    std::vector<int> used(instance.courses.size(), 0);
    Solution solution = Solution::unscheduled(instance);

    TextLines lines(text);
    while (lines.next()) {
        const auto& tokens = lines.tokens();
        auto fail = [&](const std::string& expected, const std::string& found) { throw CttError(lines.line(), expected, found); };
        if (tokens.size() != 4) fail("4 fields (course room day period)", lines.quoted());
        const auto course = courses.find(tokens[0]);
        if (course == courses.end()) fail("a course id of the instance", quoteForError(tokens[0]) + ", an unknown course");
        const auto room = rooms.find(tokens[1]);
        if (room == rooms.end()) fail("a room id of the instance", quoteForError(tokens[1]) + ", an unknown room");
        Assignment a;
        a.room = room->second;
        if (!parseBoundedInt(tokens[2], 0, instance.days - 1, a.day))
            fail("a day from 0 to " + std::to_string(instance.days - 1), quoteForError(tokens[2]));
        if (!parseBoundedInt(tokens[3], 0, instance.periodsPerDay - 1, a.period))
            fail("a period from 0 to " + std::to_string(instance.periodsPerDay - 1), quoteForError(tokens[3]));
        const auto c = static_cast<size_t>(course->second);
        if (used[c] >= instance.courses[c].lectures)
            fail("at most " + std::to_string(instance.courses[c].lectures) + " lines for course '" + instance.courses[c].id +
                     "' (its lecture count)",
                 "one more: " + lines.quoted());
        solution.lectures[static_cast<size_t>(first[c] + used[c]++)] = a;
    }
    return solution;
}

void checkFits(const Instance& instance, const Solution& solution)
{
    if (solution.lectures.size() != static_cast<size_t>(instance.lectureCount()))
        throw std::invalid_argument("solution has " + std::to_string(solution.lectures.size()) + " lectures, the instance " +
                                    std::to_string(instance.lectureCount()));
    for (const Assignment& a : solution.lectures) {
        if (!a.scheduled()) continue;
        if (a.day >= instance.days || a.period < 0 || a.period >= instance.periodsPerDay || a.room < 0 ||
            a.room >= static_cast<int>(instance.rooms.size()))
            throw std::invalid_argument("solution has a lecture at day " + std::to_string(a.day) + " period " + std::to_string(a.period) +
                                        " room " + std::to_string(a.room) + ", out of range");
    }
}

std::string writeSol(const Instance& instance, const Solution& solution)
{
    checkFits(instance, solution);
    const std::vector<int> owner = instance.lectureCourses();
    std::ostringstream out;
    for (size_t l = 0; l < solution.lectures.size(); ++l) {
        const Assignment& a = solution.lectures[l];
        if (!a.scheduled()) continue;
        out << instance.courses[static_cast<size_t>(owner[l])].id << ' ' << instance.rooms[static_cast<size_t>(a.room)].id << ' ' << a.day
            << ' ' << a.period << "\n";
    }
    return out.str();
}

} // namespace vtp::courses::timetable
