#pragma once

#include "timetable/Instance.hpp"
#include "timetable/Solution.hpp"

#include <vector>

namespace vtp::courses::timetable {

// Hard constraint violations, counted as the official ITC-2007 validator counts them. Its
// "conflicts" are split here into teacher and curriculum ones (a pair sharing both counts once, as
// a teacher conflict). Two lectures of one course in one period count as a teacher conflict; the
// validator, which keeps one room per course and period, counts a missing lecture instead: the
// total is the same.
struct HardViolations {
    int unscheduled = 0;         // lectures without a period and room
    int roomConflicts = 0;       // per room and period, lectures beyond the first
    int teacherConflicts = 0;    // per period, pairs of courses of one teacher (and repeats of a course)
    int curriculumConflicts = 0; // per period, pairs of courses sharing a curriculum but not a teacher
    int unavailability = 0;      // lectures in a period their course is unavailable
    int total() const { return unscheduled + roomConflicts + teacherConflicts + curriculumConflicts + unavailability; }
};

// The UD2 soft cost (the ITC-2007 objective), by component, already weighted.
struct SoftCost {
    int roomCapacity = 0;   // 1 per student over a room's capacity, per lecture
    int minWorkingDays = 0; // 5 per day a course falls short of its minimum working days
    // 2 per lecture with no lecture of the same curriculum adjacent that day. With one period a
    // day every lecture is isolated (the validator reads past its table there).
    int curriculumCompactness = 0;
    int roomStability = 0; // 1 per room a course uses beyond its first
    int total() const { return roomCapacity + minWorkingDays + curriculumCompactness + roomStability; }
};

struct Evaluation {
    HardViolations hard;
    SoftCost soft;
    bool feasible() const { return hard.total() == 0; }
};

// Evaluates whole timetables from scratch (the reference the solver's incremental state is tested
// against). Stateless after construction; evaluate() may be called from several threads at once.
class Evaluator {
public:
    // Throws std::invalid_argument if the instance fails Instance::validate().
    explicit Evaluator(const Instance& instance);

    // Throws std::invalid_argument if the solution does not fit the instance.
    Evaluation evaluate(const Solution& solution) const;

private:
    bool shareCurriculum(int a, int b) const;

    const Instance& instance_;
    std::vector<int> lectureCourse_;
    std::vector<int> teacher_;                      // per course, a dense teacher index
    std::vector<std::vector<int>> courseCurricula_; // per course, sorted curriculum indexes
    std::vector<char> unavailable_;                 // course * periods + period
};

} // namespace vtp::courses::timetable
