#include "TestInstances.hpp"

#include "timetable/CttFormat.hpp"
#include "timetable/Evaluator.hpp"
#include "timetable/SearchState.hpp"
#include "timetable/Solver.hpp"

#include <gtest/gtest.h>

#include <random>

namespace vtp::courses::timetable {
namespace {

// Random moves, swaps, removals and insertions; after each, the incremental costs must equal a
// recomputation from scratch, and the soft cost must equal the Evaluator's.
void checkNoDrift(const Instance& instance, int steps, uint64_t seed)
{
    SearchState state(instance);
    const Evaluator evaluator(instance);
    std::mt19937_64 rng(seed);
    auto below = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    const int lectures = state.lectures();
    auto placeAnywhere = [&](int l) {
        for (;;) {
            const int p = below(state.periods());
            const int r = below(state.rooms());
            if (state.lectureAt(p, r) < 0) {
                state.insert(l, p, r);
                return;
            }
        }
    };
    for (int l = 0; l < lectures; ++l) placeAnywhere(l);
    ASSERT_EQ(state.costs(), state.recomputeForTest());

    for (int step = 0; step < steps; ++step) {
        const int l = below(lectures);
        const int kind = below(10);
        if (state.periodOf(l) < 0) {
            placeAnywhere(l);
        } else if (kind == 0) {
            state.remove(l); // stays unscheduled until picked again
        } else {
            const int p = below(state.periods());
            const int r = below(state.rooms());
            const int other = state.lectureAt(p, r);
            const int fromPeriod = state.periodOf(l);
            const int fromRoom = state.roomOf(l);
            state.remove(l);
            if (other >= 0 && other != l) {
                state.remove(other);
                state.insert(other, fromPeriod, fromRoom);
            }
            state.insert(l, p, r);
        }
        const SearchState::Costs incremental = state.costs();
        ASSERT_EQ(incremental, state.recomputeForTest()) << "step " << step;
        if (step % 50 == 0) {
            const Evaluation full = evaluator.evaluate(state.toSolution());
            ASSERT_EQ(incremental.roomCapacity, full.soft.roomCapacity) << "step " << step;
            ASSERT_EQ(incremental.minWorkingDays, full.soft.minWorkingDays) << "step " << step;
            ASSERT_EQ(incremental.curriculumCompactness, full.soft.curriculumCompactness) << "step " << step;
            ASSERT_EQ(incremental.roomStability, full.soft.roomStability) << "step " << step;
            ASSERT_EQ(incremental.unscheduled, full.hard.unscheduled) << "step " << step;
            ASSERT_EQ(incremental.unavailable, full.hard.unavailability) << "step " << step;
            ASSERT_EQ(incremental.conflicts == 0, full.hard.teacherConflicts + full.hard.curriculumConflicts == 0) << "step " << step;
            ASSERT_EQ(full.hard.roomConflicts, 0);
        }
    }
}

TEST(SearchState, IncrementalCostsNeverDriftOnTheToyInstance)
{
    checkNoDrift(parseCtt(test::toyCtt), 20000, 1);
}

TEST(SearchState, IncrementalCostsNeverDriftOnComp01)
{
    checkNoDrift(parseCtt(test::readItcInstance("comp01.ctt")), 10000, 2);
}

TEST(SearchState, IncrementalCostsNeverDriftOnComp05)
{
    // Six days of six periods and 139 curricula: compactness on every side of a period.
    checkNoDrift(parseCtt(test::readItcInstance("comp05.ctt")), 5000, 3);
}

// Random moves and swaps: moveDelta must predict exactly the change move() then makes.
void checkMoveDelta(const Instance& instance, int steps, uint64_t seed)
{
    SearchState state(instance);
    std::mt19937_64 rng(seed);
    auto below = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    for (int l = 0; l < state.lectures(); ++l) {
        for (;;) {
            const int p = below(state.periods());
            const int r = below(state.rooms());
            if (state.lectureAt(p, r) < 0) {
                state.insert(l, p, r);
                break;
            }
        }
    }
    int checked = 0;
    for (int step = 0; step < steps; ++step) {
        const int l = below(state.lectures());
        // Half the moves keep the period or the room, where the parts of the delta interact.
        const int kind = below(4);
        const int p = kind == 0 ? state.periodOf(l) : below(state.periods());
        const int r = kind == 1 ? state.roomOf(l) : below(state.rooms());
        const int other = state.lectureAt(p, r);
        if (other == l || (other >= 0 && state.courseOf(other) == state.courseOf(l))) continue;
        const SearchState::Costs before = state.costs();
        const SearchState::Delta delta = state.moveDelta(l, p, r);
        ASSERT_EQ(state.moveHardDelta(l, p, r), delta.hard) << "step " << step;
        if (other < 0) {
            ASSERT_EQ(state.periodHardDelta(l, p), delta.hard) << "step " << step;
        }
        state.move(l, p, r);
        ASSERT_EQ(delta.hard, state.costs().hard() - before.hard()) << "step " << step;
        ASSERT_EQ(delta.soft, state.costs().soft() - before.soft()) << "step " << step;
        ++checked;
    }
    EXPECT_EQ(state.costs(), state.recomputeForTest());
    EXPECT_GT(checked, steps / 2);
}

TEST(SearchState, MoveDeltaPredictsTheMoveOnTheToyInstance)
{
    checkMoveDelta(parseCtt(test::toyCtt), 20000, 4);
}

TEST(SearchState, MoveDeltaPredictsTheMoveOnComp01)
{
    checkMoveDelta(parseCtt(test::readItcInstance("comp01.ctt")), 50000, 5);
}

TEST(SearchState, MoveDeltaPredictsTheMoveOnComp05)
{
    checkMoveDelta(parseCtt(test::readItcInstance("comp05.ctt")), 50000, 6);
}

TEST(SearchState, IncrementalCostsNeverDriftWhileMovesKeepTheTimetableFeasible)
{
    // In a feasible timetable no curriculum has two lectures in a period, so insert and remove take
    // their bit-mask shortcut for compactness nearly every time: check it against a recomputation.
    const Instance instance = parseCtt(test::readItcInstance("comp07.ctt"));
    SolverOptions options;
    options.timeLimitSeconds = 0;
    options.iterationLimit = 20000;
    options.threads = 1;
    const SolverResult result = Solver(instance).solve(options);
    ASSERT_TRUE(result.evaluation.feasible());
    SearchState state(instance);
    state.load(result.solution);
    ASSERT_EQ(state.costs().hard(), 0);
    std::mt19937_64 rng(8);
    auto below = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    int moved = 0;
    for (int step = 0; step < 200000 && moved < 3000; ++step) {
        const int l = below(state.lectures());
        const int p = below(state.periods());
        const int r = below(state.rooms());
        const int other = state.lectureAt(p, r);
        if (other == l || (other >= 0 && state.courseOf(other) == state.courseOf(l)) || state.moveHardDelta(l, p, r) > 0) continue;
        const SearchState::Costs before = state.costs();
        const SearchState::Delta delta = state.moveDelta(l, p, r);
        state.move(l, p, r);
        ++moved;
        ASSERT_EQ(state.costs().hard(), 0) << "step " << step;
        ASSERT_EQ(delta.soft, state.costs().soft() - before.soft()) << "step " << step;
        ASSERT_EQ(state.costs(), state.recomputeForTest()) << "step " << step;
    }
    EXPECT_EQ(moved, 3000);
    EXPECT_EQ(Evaluator(instance).evaluate(state.toSolution()).soft.total(), state.costs().soft());
}

TEST(SearchState, ClashMeansOneCourseTeacherOrCurriculum)
{
    const Instance instance = parseCtt(test::toyCtt); // cA cB cC cD; cA and cC share tX
    const SearchState state(instance);
    EXPECT_TRUE(state.clash(0, 0));
    EXPECT_TRUE(state.clash(0, 2)); // teacher tX
    EXPECT_TRUE(state.clash(0, 1)); // curriculum q1
    EXPECT_TRUE(state.clash(3, 1)); // curriculum q2
    EXPECT_FALSE(state.clash(0, 3));
    EXPECT_FALSE(state.clash(2, 3));
}

TEST(SearchState, LoadAndToSolutionRoundTrip)
{
    const Instance instance = parseCtt(test::toyCtt);
    const Solution solution{{{0, 1, 1}, {1, 1, 1}, {0, 2, 0}, {1, 0, 0}, {0, 0, 1}, {1, 1, 0}}};
    SearchState state(instance);
    state.load(solution);
    EXPECT_EQ(state.toSolution(), solution);
    EXPECT_EQ(state.costs().hard(), 0);
    EXPECT_EQ(state.costs().soft(), 12);
}

} // namespace
} // namespace vtp::courses::timetable
