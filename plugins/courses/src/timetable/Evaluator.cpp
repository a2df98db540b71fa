#include "timetable/Evaluator.hpp"

#include <algorithm>
#include <unordered_map>

namespace vtp::courses::timetable {

Evaluator::Evaluator(const Instance& instance) : instance_(instance)
{
    instance.validate();
    lectureCourse_ = instance.lectureCourses();
    std::unordered_map<std::string, int> teachers;
    for (const Course& course : instance.courses)
        teacher_.push_back(teachers.emplace(course.teacher, static_cast<int>(teachers.size())).first->second);
    courseCurricula_.resize(instance.courses.size());
    for (size_t q = 0; q < instance.curricula.size(); ++q) {
        for (int c : instance.curricula[q].courses) courseCurricula_[static_cast<size_t>(c)].push_back(static_cast<int>(q));
    }
    unavailable_.assign(instance.courses.size() * static_cast<size_t>(instance.periods()), 0);
    for (const Unavailability& u : instance.unavailability)
        unavailable_[static_cast<size_t>(u.course * instance.periods() + u.day * instance.periodsPerDay + u.period)] = 1;
}

bool Evaluator::shareCurriculum(int a, int b) const
{
    const auto& x = courseCurricula_[static_cast<size_t>(a)];
    const auto& y = courseCurricula_[static_cast<size_t>(b)];
    auto i = x.begin();
    auto j = y.begin();
    while (i != x.end() && j != y.end()) {
        if (*i == *j) return true;
        if (*i < *j)
            ++i;
        else
            ++j;
    }
    return false;
}

Evaluation Evaluator::evaluate(const Solution& solution) const
{
    checkFits(instance_, solution);
    const int periods = instance_.periods();
    const int ppd = instance_.periodsPerDay;
    const size_t courseCount = instance_.courses.size();
    const size_t roomCount = instance_.rooms.size();
    Evaluation result;

    // Lectures per course and period, per room and period; days and rooms each course uses.
    std::vector<int> at(courseCount * static_cast<size_t>(periods), 0);
    std::vector<int> roomAt(roomCount * static_cast<size_t>(periods), 0);
    std::vector<char> dayUsed(courseCount * static_cast<size_t>(instance_.days), 0);
    std::vector<char> roomUsed(courseCount * roomCount, 0);
    for (size_t l = 0; l < solution.lectures.size(); ++l) {
        const Assignment& a = solution.lectures[l];
        if (!a.scheduled()) {
            ++result.hard.unscheduled;
            continue;
        }
        const auto c = static_cast<size_t>(lectureCourse_[l]);
        const int p = a.day * ppd + a.period;
        ++at[c * static_cast<size_t>(periods) + static_cast<size_t>(p)];
        ++roomAt[static_cast<size_t>(a.room) * static_cast<size_t>(periods) + static_cast<size_t>(p)];
        dayUsed[c * static_cast<size_t>(instance_.days) + static_cast<size_t>(a.day)] = 1;
        roomUsed[c * roomCount + static_cast<size_t>(a.room)] = 1;
        if (unavailable_[c * static_cast<size_t>(periods) + static_cast<size_t>(p)]) ++result.hard.unavailability;
        result.soft.roomCapacity += std::max(0, instance_.courses[c].students - instance_.rooms[static_cast<size_t>(a.room)].capacity);
    }
    for (int n : roomAt) result.hard.roomConflicts += std::max(0, n - 1);

    // Conflicts: each pair of conflicting courses once per period, as the validator counts them.
    std::vector<int> present;
    for (int p = 0; p < periods; ++p) {
        present.clear();
        for (size_t c = 0; c < courseCount; ++c) {
            const int n = at[c * static_cast<size_t>(periods) + static_cast<size_t>(p)];
            if (n > 0) present.push_back(static_cast<int>(c));
            result.hard.teacherConflicts += std::max(0, n - 1);
        }
        for (size_t i = 0; i < present.size(); ++i) {
            for (size_t j = i + 1; j < present.size(); ++j) {
                if (teacher_[static_cast<size_t>(present[i])] == teacher_[static_cast<size_t>(present[j])])
                    ++result.hard.teacherConflicts;
                else if (shareCurriculum(present[i], present[j]))
                    ++result.hard.curriculumConflicts;
            }
        }
    }

    for (size_t c = 0; c < courseCount; ++c) {
        int days = 0;
        for (int d = 0; d < instance_.days; ++d) days += dayUsed[c * static_cast<size_t>(instance_.days) + static_cast<size_t>(d)];
        result.soft.minWorkingDays += 5 * std::max(0, instance_.courses[c].minWorkingDays - days);
        int rooms = 0;
        for (size_t r = 0; r < roomCount; ++r) rooms += roomUsed[c * roomCount + r];
        result.soft.roomStability += std::max(0, rooms - 1);
    }

    std::vector<int> load(static_cast<size_t>(periods));
    for (const Curriculum& curriculum : instance_.curricula) {
        std::fill(load.begin(), load.end(), 0);
        for (int c : curriculum.courses) {
            for (int p = 0; p < periods; ++p)
                load[static_cast<size_t>(p)] += at[static_cast<size_t>(c) * static_cast<size_t>(periods) + static_cast<size_t>(p)];
        }
        for (int p = 0; p < periods; ++p) {
            if (load[static_cast<size_t>(p)] == 0) continue;
            const bool before = p % ppd > 0 && load[static_cast<size_t>(p - 1)] > 0;
            const bool after = p % ppd < ppd - 1 && load[static_cast<size_t>(p + 1)] > 0;
            if (!before && !after) result.soft.curriculumCompactness += 2 * load[static_cast<size_t>(p)];
        }
    }
    return result;
}

} // namespace vtp::courses::timetable
