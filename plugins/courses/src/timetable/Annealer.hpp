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

// Tuning of the annealing, in UD2 cost units. Defaults were chosen on comp01..comp21.
struct AnnealerTuning {
    double startTemperature = 3.0;
    double endTemperature = 0.08;
    int hardWeight = 10;           // cost of one hard violation while annealing
    double roomMoveRate = 0.3;     // moves that keep the period and only change the room
    double keepRoomRate = 0.5;     // of the other moves, the share that keeps the room
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
    Annealer(const Instance& instance, const SolverOptions& options, uint64_t seed, Clock::time_point start,
             AnnealerStatus& status, SharedBest* shared, AnnealerTuning tuning = {});

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
    bool pickMove(int lecture, Move& move);
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
    std::vector<int> bestPeriods_;
    std::vector<int> bestRooms_;
    SearchState::Costs bestCosts_;
    bool haveBest_ = false;
    uint64_t iterations_ = 0;
    bool cancelled_ = false;
    bool timeUp_ = false;
};

} // namespace vtp::courses::timetable
