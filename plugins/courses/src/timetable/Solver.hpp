#pragma once

#include "timetable/Evaluator.hpp"
#include "timetable/Instance.hpp"
#include "timetable/Solution.hpp"

#include <atomic>
#include <cstdint>
#include <functional>

namespace vtp::courses::timetable {

struct SolverProgress {
    double elapsedSeconds = 0;
    bool feasible = false; // a feasible timetable has been found; bestSoft is meaningful
    int bestHard = 0;      // hard violations of the best timetable so far (search's own measure)
    int bestSoft = 0;
};

struct SolverOptions {
    double timeLimitSeconds = 60; // wall clock; <= 0 means none (then set iterationLimit)
    // Annealing iterations per thread; 0 means none. When set, the cooling schedule follows the
    // iteration count instead of the clock, so a run that ends by this limit depends only on the
    // seed (and the thread count), never on the machine's speed.
    uint64_t iterationLimit = 0;
    uint64_t seed = 1;
    // Searches with seeds derived from `seed`; the best one wins. On the clock they trade their
    // best timetables every 5% of the time limit; by iterations they stay independent.
    int threads = 2;
    // Called on solve()'s own thread, at most about four times a second. Must not throw.
    std::function<void(const SolverProgress&)> progress;
    // When it becomes true, solve() returns the best timetable found so far (soon, not at once).
    std::atomic<bool>* cancel = nullptr;
};

struct SolverResult {
    Solution solution;
    Evaluation evaluation;   // by the Evaluator, as the ITC-2007 validator counts
    uint64_t iterations = 0; // over all threads
    double elapsedSeconds = 0;
    bool cancelled = false;
};

// Curriculum-based course timetabling: a saturation-degree construction repaired to feasibility,
// then simulated annealing on several threads: moves and swaps judged from incremental counters
// before they are made, and Kempe chain swaps between two periods. solve() is const and may run
// on several threads for one Solver.
class Solver {
public:
    // Throws std::invalid_argument for an inconsistent instance and InfeasibleError for one that
    // is over-constrained (see checkSatisfiable). Keeps a reference: the instance must outlive it.
    explicit Solver(const Instance& instance);

    // Throws std::invalid_argument if neither a time limit nor an iteration limit is set.
    SolverResult solve(const SolverOptions& options) const;

    // Necessary conditions for a feasible timetable: enough rooms × periods for all lectures, and
    // enough periods for each course (given its unavailability), teacher and curriculum.
    // Throws InfeasibleError naming the first one that fails.
    static void checkSatisfiable(const Instance& instance);

private:
    const Instance& instance_;
};

} // namespace vtp::courses::timetable
