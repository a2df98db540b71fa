#pragma once

#include "timetable/Random.hpp"
#include "timetable/SearchState.hpp"
#include "timetable/SharedBest.hpp"
#include "timetable/Solver.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

// One search thread of the Solver; internal to the timetable library.
namespace vtp::courses::timetable {

// Tuning of the annealing, in UD2 cost units. Defaults were chosen on comp02, comp07, comp10 and
// comp16 (runs of 60 M moves, one thread).
struct AnnealerTuning {
    // Temperature falls geometrically from start to end over the time or iteration limit.
    double startTemperature = 3.0;
    double endTemperature = 0.08;
    // Cost of one hard violation while annealing. Low enough for the search to cross infeasible
    // ground; it doubles after `infeasiblePatience` checks (one per 1024 moves) spent there.
    int hardWeight = 10;
    uint64_t infeasiblePatience = 1000;
    // Kinds of move, by share: Kempe chain swaps between two periods; moves that keep the period
    // and change the room; moves to another period, into its free room that suits best; the rest
    // go to another period and (keepRoomRate of them) the same room or a random one, swapping with
    // the lecture there, if any. A Kempe chain costs several plain moves: at equal time 10% did
    // better than 20% (comp02, comp07, comp10, comp18, two seeds).
    double kempeRate = 0.1;
    double roomMoveRate = 0.2;
    double freeRoomRate = 0.5;
    double keepRoomRate = 0.5;
    // Below this temperature a feasible timetable is kept feasible: hard-violating moves are
    // rejected without weighing them, which is cheaper and, that cold, rarely changes a decision.
    double strictBelow = 1.0;
    uint64_t repairSteps = 200000; // tabu steps towards feasibility before a fresh construction
    // How often (as a share of the time limit) a thread offers its best to the others and takes
    // theirs if it is better.
    double shareEvery = 0.05;
};

// What a search thread shares with solve()'s thread while it runs.
struct AnnealerStatus {
    // Best so far packed as hard << 32 | soft, for lock-free reads by the progress reporter.
    std::atomic<int64_t> best{INT64_MAX};
    std::atomic<bool> done{false};
};

class Annealer {
public:
    using Clock = std::chrono::steady_clock;

    // `shared` (may be null) is where the threads of one solve() trade their best timetables.
    Annealer(const Instance& instance, const SolverOptions& options, uint64_t seed, Clock::time_point start, AnnealerStatus& status,
             SharedBest* shared, AnnealerTuning tuning = {});

    // Builds a timetable, repairs it to feasibility, then anneals until a limit or cancellation.
    void run();

    Solution bestSolution() const;
    const SearchState::Costs& bestCosts() const { return bestCosts_; }
    uint64_t iterations() const { return iterations_; }
    bool cancelled() const { return cancelled_; }

private:
    // A lecture to (period, room); the lecture there, if any, swaps with it (SearchState::move).
    struct Move {
        int lecture = -1;
        int period = -1;
        int room = -1;
    };

    uint32_t below(size_t n) { return rng_.below(static_cast<uint32_t>(n)); }
    double elapsed() const;
    // True when the search must stop: cancelled or out of time (checked every few thousand moves).
    bool shouldStop();
    void construct();
    bool repair();
    void anneal();
    // Picks a move or swap for `lecture`; false if the pick is a no-op.
    // With `strict`, may also return false for a move that would break a hard constraint.
    bool pickMove(int lecture, Move& move, bool strict);
    // Tries a Kempe chain move for the lecture, made and judged, undone if not accepted.
    void kempeMove(int lecture, double temperature, int weight);
    // The free room at `period` whose capacity and stability suit the lecture best; -1 if none.
    int bestFreeRoom(int lecture, int period);
    // False for a lecture's own place and for a swap within one course (both no-ops).
    bool isMove(int lecture, int period, int room) const;
    void keepIfBest();
    // Offers the best to the other threads and continues from theirs if it is better.
    void share();

    const Instance& instance_;
    const SolverOptions& options_;
    AnnealerTuning tuning_;
    Clock::time_point start_;
    AnnealerStatus& status_;
    SharedBest* shared_;
    Random rng_;
    SearchState state_;
    std::vector<int> chain_; // Kempe chain scratch: lectures, and where they were
    std::vector<int> chainPeriods_;
    std::vector<int> chainRooms_;
    std::vector<int> bestPeriods_;
    std::vector<int> bestRooms_;
    SearchState::Costs bestCosts_;
    bool haveBest_ = false;
    uint64_t iterations_ = 0;
    bool cancelled_ = false;
    bool timeUp_ = false;
};

} // namespace vtp::courses::timetable
