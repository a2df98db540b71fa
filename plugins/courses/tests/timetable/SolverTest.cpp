#include "TestInstances.hpp"

#include "timetable/CttFormat.hpp"
#include "timetable/InfeasibleError.hpp"
#include "timetable/SharedBest.hpp"
#include "timetable/Solver.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace vtp::courses::timetable {
namespace {

SolverOptions byIterations(uint64_t iterations, uint64_t seed, int threads)
{
    SolverOptions options;
    options.timeLimitSeconds = 0;
    options.iterationLimit = iterations;
    options.seed = seed;
    options.threads = threads;
    return options;
}

// Expects InfeasibleError from the Solver's constructor with a message containing `fragment`.
void expectInfeasible(const Instance& instance, const std::string& fragment)
{
    try {
        Solver solver(instance);
        ADD_FAILURE() << "no InfeasibleError; expected " << fragment;
    } catch (const InfeasibleError& e) {
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
}

TEST(Solver, SameSeedAndIterationLimitGiveTheSameTimetable)
{
    const Instance instance = parseCtt(test::readItcInstance("comp01.ctt"));
    const Solver solver(instance);
    const SolverResult first = solver.solve(byIterations(300000, 42, 2));
    const SolverResult second = solver.solve(byIterations(300000, 42, 2));
    EXPECT_EQ(first.solution, second.solution);
    EXPECT_EQ(first.evaluation.soft.total(), second.evaluation.soft.total());
    EXPECT_EQ(first.iterations, second.iterations);
    const SolverResult single = solver.solve(byIterations(300000, 42, 1));
    EXPECT_EQ(single.solution, solver.solve(byIterations(300000, 42, 1)).solution);
}

TEST(SharedBest, KeepsTheBestOfferAndHandsItOnlyToWorseThreads)
{
    SharedBest shared;
    SearchState::Costs mine;
    mine.curriculumCompactness = 10;
    std::vector<int> periods{1, 2};
    std::vector<int> rooms{0, 0};
    EXPECT_FALSE(shared.takeIfBetter(mine, periods, rooms)); // nothing offered yet

    SearchState::Costs good;
    good.roomStability = 4;
    shared.offer(good, {3, 4}, {1, 1});
    SearchState::Costs infeasible; // lower soft cost, but a hard violation: not better
    infeasible.conflicts = 1;
    shared.offer(infeasible, {5, 5}, {0, 1});
    EXPECT_TRUE(shared.takeIfBetter(mine, periods, rooms));
    EXPECT_EQ(mine, good);
    EXPECT_EQ(periods, (std::vector<int>{3, 4}));
    EXPECT_EQ(rooms, (std::vector<int>{1, 1}));
    EXPECT_FALSE(shared.takeIfBetter(mine, periods, rooms)); // equal is not better
}

TEST(Solver, TwoThreadsOnTheClockFinishFeasible)
{
    // Exercises sharing between threads, which only clock-limited runs do.
    const Instance instance = parseCtt(test::readItcInstance("comp01.ctt"));
    SolverOptions options;
    options.timeLimitSeconds = 1.5;
    options.threads = 2;
    const SolverResult result = Solver(instance).solve(options);
    EXPECT_TRUE(result.evaluation.feasible());
    EXPECT_LT(result.evaluation.soft.total(), 100);
}

TEST(Solver, ShortSolveOfComp01IsFeasible)
{
    const Instance instance = parseCtt(test::readItcInstance("comp01.ctt"));
    SolverOptions options;
    options.timeLimitSeconds = 3;
    options.seed = 1;
    int reports = 0;
    options.progress = [&](const SolverProgress&) { ++reports; };
    const auto start = std::chrono::steady_clock::now();
    const SolverResult result = Solver(instance).solve(options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_TRUE(result.evaluation.feasible());
    EXPECT_EQ(result.evaluation.hard.total(), 0);
    EXPECT_LT(result.evaluation.soft.total(), 60); // best known 5; a fresh construction costs hundreds
    EXPECT_LT(seconds, 4.5);
    EXPECT_GE(reports, 3);
    EXPECT_LE(reports, 3 * 5 + 2); // at most about four a second
    EXPECT_EQ(Evaluator(instance).evaluate(result.solution).soft.total(), result.evaluation.soft.total());
}

TEST(Solver, CancelReturnsTheBestSoFar)
{
    const Instance instance = parseCtt(test::readItcInstance("comp01.ctt"));
    std::atomic<bool> cancel{false};
    SolverOptions options;
    options.timeLimitSeconds = 60;
    options.cancel = &cancel;
    SolverProgress last;
    options.progress = [&](const SolverProgress& p) {
        last = p;
        if (p.elapsedSeconds > 0.6) cancel = true;
    };
    const auto start = std::chrono::steady_clock::now();
    const SolverResult result = Solver(instance).solve(options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_TRUE(result.cancelled);
    EXPECT_LT(seconds, 5);
    EXPECT_TRUE(result.evaluation.feasible());
    EXPECT_LE(result.evaluation.soft.total(), last.bestSoft);
    EXPECT_EQ(result.solution.lectures.size(), 160u);
}

TEST(Solver, CancelBeforeStartStillReturnsACompleteTimetable)
{
    const Instance instance = parseCtt(test::toyCtt);
    std::atomic<bool> cancel{true};
    SolverOptions options;
    options.cancel = &cancel;
    const SolverResult result = Solver(instance).solve(options);
    EXPECT_TRUE(result.cancelled);
    EXPECT_EQ(result.evaluation.hard.unscheduled, 0);
}

TEST(Solver, SolvesTheToyInstanceToItsOptimum)
{
    // cC's 50 students fit no room (10 over, at best). cB's two lectures each need cD beside them
    // (curriculum q2) unless they sit together on one day, and then cA, which needs two days, is
    // alone in q1 on one of them: one isolated lecture (2) at least. So 12 is optimal.
    const SolverResult result = Solver(parseCtt(test::toyCtt)).solve(byIterations(200000, 7, 2));
    EXPECT_TRUE(result.evaluation.feasible());
    EXPECT_EQ(result.evaluation.soft.total(), 12);
}

TEST(Solver, ReportsTooFewPlacesForAllLectures)
{
    expectInfeasible(test::makeInstance(1, 2, {{"a", "t1", 2, 0, 1}, {"b", "t2", 1, 0, 1}}, {{"r", 10}}),
                     "room occupancy: 3 lectures but only 1 rooms x 2 periods = 2 places");
    expectInfeasible(test::makeInstance(1, 2, {{"a", "t1", 1, 0, 1}}, {}), "room occupancy");
}

TEST(Solver, ReportsACourseWithMoreLecturesThanAvailablePeriods)
{
    expectInfeasible(test::makeInstance(2, 2, {{"a", "t", 3, 0, 1}}, {{"r1", 10}, {"r2", 10}}, {}, {{0, 0, 0}, {0, 1, 1}}),
                     "course 'a': 3 lectures, each in its own period, but it is available in only 2 of 4 periods");
    expectInfeasible(test::makeInstance(1, 2, {{"a", "t", 3, 0, 1}}, {{"r1", 10}, {"r2", 10}}), "course 'a'");
}

TEST(Solver, ReportsATeacherOrCurriculumWithMoreLecturesThanPeriods)
{
    expectInfeasible(test::makeInstance(1, 3, {{"a", "t", 2, 0, 1}, {"b", "t", 2, 0, 1}}, {{"r1", 10}, {"r2", 10}}),
                     "teacher 't': 4 lectures but only 3 periods");
    expectInfeasible(test::makeInstance(1, 3, {{"a", "t1", 2, 0, 1}, {"b", "t2", 2, 0, 1}}, {{"r1", 10}, {"r2", 10}}, {{"year1", {0, 1}}}),
                     "curriculum 'year1': its courses have 4 lectures");
}

TEST(Solver, RejectsInconsistentInstancesAndMissingLimits)
{
    Instance instance = test::makeInstance(1, 2, {{"a", "t", 1, 0, 1}}, {{"r", 10}}, {{"q", {3}}});
    EXPECT_THROW(Solver{instance}, std::invalid_argument);
    instance.curricula.clear();
    SolverOptions options;
    options.timeLimitSeconds = 0;
    EXPECT_THROW(Solver(instance).solve(options), std::invalid_argument);
}

TEST(Solver, SolvesAnInstanceWithoutLectures)
{
    const Instance instance = test::makeInstance(1, 1, {}, {});
    const SolverResult result = Solver(instance).solve(byIterations(10, 1, 2));
    EXPECT_TRUE(result.evaluation.feasible());
    EXPECT_TRUE(result.solution.lectures.empty());
}

} // namespace
} // namespace vtp::courses::timetable
