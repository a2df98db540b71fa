#include "TestInstances.hpp"

#include "timetable/CttFormat.hpp"
#include "timetable/Evaluator.hpp"

#include <gtest/gtest.h>

namespace vtp::courses::timetable {
namespace {

Assignment at(int day, int period, int room)
{
    return Assignment{day, period, room};
}

// The toy instance's timetable whose cost is worked out by hand in the test below.
Solution toySolution()
{
    return Solution{{at(0, 1, 1), at(1, 1, 1), at(0, 2, 0), at(1, 0, 0), at(0, 0, 1), at(1, 1, 0)}};
}

TEST(Evaluator, ToyTimetableCostsWhatWasComputedByHand)
{
    const Instance instance = parseCtt(test::toyCtt);
    const Evaluation e = Evaluator(instance).evaluate(toySolution());
    EXPECT_TRUE(e.feasible());
    EXPECT_EQ(e.soft.roomCapacity, 10);         // cC: 50 students in rBig (40)
    EXPECT_EQ(e.soft.minWorkingDays, 0);        // cA on days 0 and 1
    EXPECT_EQ(e.soft.curriculumCompactness, 2); // q2: cB at day 0 period 2 has no cD/cB beside it
    EXPECT_EQ(e.soft.roomStability, 0);
    EXPECT_EQ(e.soft.total(), 12);
}

TEST(Evaluator, RoomCapacityCostsOnePerStudentOverPerLecture)
{
    const Instance instance = test::makeInstance(2, 2, {{"c", "t", 2, 0, 30}}, {{"r20", 20}, {"r25", 25}});
    const Evaluation e = Evaluator(instance).evaluate(Solution{{at(0, 0, 0), at(1, 0, 1)}});
    EXPECT_EQ(e.soft.roomCapacity, 10 + 5);
    EXPECT_EQ(e.soft.roomStability, 1);
    EXPECT_EQ(e.soft.total(), 16);
}

TEST(Evaluator, MinWorkingDaysCostsFivePerMissingDay)
{
    const Instance instance = test::makeInstance(3, 3, {{"c", "t", 3, 3, 1}, {"idle", "u", 0, 1, 1}}, {{"r", 10}});
    const Evaluation e = Evaluator(instance).evaluate(Solution{{at(1, 0, 0), at(1, 1, 0), at(1, 2, 0)}});
    // c is on one day of three; a course without lectures misses its one day too (as the validator says).
    EXPECT_EQ(e.soft.minWorkingDays, 5 * 2 + 5);
    EXPECT_EQ(e.soft.total(), 15);
}

TEST(Evaluator, CurriculumCompactnessCostsTwoPerIsolatedLecture)
{
    const Instance instance = test::makeInstance(2, 4, {{"a", "t1", 2, 0, 1}, {"b", "t2", 2, 0, 1}, {"x", "t3", 1, 0, 1}},
                                                 {{"r1", 10}, {"r2", 10}}, {{"q", {0, 1}}});
    const Evaluator evaluator(instance);
    // All four isolated: x between a and a gap is no curriculum neighbour, and day 0 period 3 is
    // not adjacent to day 1 period 0.
    EXPECT_EQ(evaluator.evaluate(Solution{{at(0, 0, 0), at(0, 3, 0), at(1, 0, 1), at(1, 2, 1), at(0, 1, 1)}}).soft.curriculumCompactness,
              2 * 4);
    // a, b, a, b back to back on day 0: nobody isolated; x belongs to no curriculum.
    EXPECT_EQ(evaluator.evaluate(Solution{{at(0, 0, 0), at(0, 2, 0), at(0, 1, 1), at(0, 3, 1), at(1, 0, 0)}}).soft.curriculumCompactness,
              0);
    // The first and last periods of a day have one neighbour each.
    EXPECT_EQ(evaluator.evaluate(Solution{{at(1, 3, 0), at(0, 0, 0), at(1, 2, 1), at(0, 1, 1), at(1, 0, 0)}}).soft.curriculumCompactness,
              0);
}

TEST(Evaluator, RoomStabilityCostsOnePerExtraRoom)
{
    const Instance instance = test::makeInstance(1, 4, {{"c", "t", 4, 0, 1}}, {{"r1", 10}, {"r2", 10}, {"r3", 10}});
    const Evaluation e = Evaluator(instance).evaluate(Solution{{at(0, 0, 0), at(0, 1, 1), at(0, 2, 2), at(0, 3, 1)}});
    EXPECT_EQ(e.soft.roomStability, 2);
    EXPECT_EQ(e.soft.total(), 2);
}

TEST(Evaluator, CountsUnscheduledLectures)
{
    const Instance instance = parseCtt(test::toyCtt);
    Solution solution = toySolution();
    solution.lectures[3] = Assignment{};
    solution.lectures[5] = Assignment{};
    const Evaluation e = Evaluator(instance).evaluate(solution);
    EXPECT_EQ(e.hard.unscheduled, 2);
    EXPECT_EQ(e.hard.total(), 2);
}

TEST(Evaluator, CountsRoomConflictsBeyondTheFirstLecture)
{
    const Instance instance = test::makeInstance(1, 2, {{"a", "t1", 1, 0, 1}, {"b", "t2", 1, 0, 1}, {"c", "t3", 1, 0, 1}}, {{"r", 10}});
    const Evaluation e = Evaluator(instance).evaluate(Solution{{at(0, 1, 0), at(0, 1, 0), at(0, 1, 0)}});
    EXPECT_EQ(e.hard.roomConflicts, 2);
    EXPECT_EQ(e.hard.total(), 2);
}

TEST(Evaluator, CountsTeacherConflictsPerPairOfCourses)
{
    const Instance instance = test::makeInstance(1, 2, {{"a", "t", 1, 0, 1}, {"b", "t", 1, 0, 1}, {"c", "t", 1, 0, 1}, {"d", "u", 1, 0, 1}},
                                                 {{"r1", 10}, {"r2", 10}, {"r3", 10}, {"r4", 10}});
    const Evaluation e = Evaluator(instance).evaluate(Solution{{at(0, 0, 0), at(0, 0, 1), at(0, 0, 2), at(0, 0, 3)}});
    EXPECT_EQ(e.hard.teacherConflicts, 3); // a-b, a-c, b-c
    EXPECT_EQ(e.hard.curriculumConflicts, 0);
    EXPECT_EQ(e.hard.total(), 3);
}

TEST(Evaluator, CountsCurriculumConflictsOncePerPair)
{
    // a and b share two curricula: one conflict. c shares a curriculum and the teacher with a: it
    // counts once, as a teacher conflict.
    const Instance instance = test::makeInstance(1, 2, {{"a", "t1", 1, 0, 1}, {"b", "t2", 1, 0, 1}, {"c", "t1", 1, 0, 1}},
                                                 {{"r1", 10}, {"r2", 10}, {"r3", 10}}, {{"q1", {0, 1}}, {"q2", {0, 1, 2}}});
    const Evaluation e = Evaluator(instance).evaluate(Solution{{at(0, 0, 0), at(0, 0, 1), at(0, 1, 2)}});
    EXPECT_EQ(e.hard.curriculumConflicts, 1);
    EXPECT_EQ(e.hard.teacherConflicts, 0);
    const Evaluation all = Evaluator(instance).evaluate(Solution{{at(0, 0, 0), at(0, 0, 1), at(0, 0, 2)}});
    EXPECT_EQ(all.hard.curriculumConflicts, 2); // a-b, b-c
    EXPECT_EQ(all.hard.teacherConflicts, 1);    // a-c
}

TEST(Evaluator, CountsUnavailability)
{
    const Instance instance = parseCtt(test::toyCtt);
    Solution solution = toySolution();
    solution.lectures[5] = at(1, 2, 0); // cD is unavailable on day 1, period 2
    const Evaluation e = Evaluator(instance).evaluate(solution);
    EXPECT_EQ(e.hard.unavailability, 1);
    EXPECT_EQ(e.hard.total(), 1);
}

TEST(Evaluator, CountsTwoLecturesOfOneCourseInOnePeriodAsAConflict)
{
    const Instance instance = test::makeInstance(1, 2, {{"a", "t", 2, 0, 1}}, {{"r1", 10}, {"r2", 10}});
    const Evaluation e = Evaluator(instance).evaluate(Solution{{at(0, 0, 0), at(0, 0, 1)}});
    EXPECT_EQ(e.hard.total(), 1);
}

} // namespace
} // namespace vtp::courses::timetable
