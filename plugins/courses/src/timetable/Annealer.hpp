#pragma once

#include "timetable/SearchState.hpp"
#include "timetable/Solver.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

// One search thread of the Solver; internal to the timetable library.
namespace vtp::courses::timetable {

// Tuning of the annealing, in UD2 cost units. Defaults were chosen on comp01..comp21.
struct AnnealerTuning {
    double startTemperature = 3.0;
    double endTemperature = 0.08;
    int hardWeight = 30;           // cost of one hard violation while annealing
    double roomMoveRate = 0.3;     // moves that keep the period and only change the room
    double keepRoomRate = 0.5;     // of the other moves, the share that keeps the room
    uint64_t repairSteps = 200000; // tabu steps towards feasibility before a fresh construction
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

    Annealer(const Instance& instance, const SolverOptions& options, uint64_t seed, Clock::time_point start,
             AnnealerStatus& status, AnnealerTuning tuning = {});

    // Builds a timetable, repairs it to feasibility, then anneals until a limit or cancellation.
    void run();

    Solution bestSolution() const;
    const SearchState::Costs& bestCosts() const { return bestCosts_; }
    uint64_t iterations() const { return iterations_; }
    bool cancelled() const { return cancelled_; }

private:
    struct Move {
        int lecture = -1;
        int fromPeriod = -1;
        int fromRoom = -1;
        int other = -1; // the lecture swapped with, or -1 for a move into a free room
        int toPeriod = -1;
        int toRoom = -1;
    };

    uint64_t below(uint64_t n) { return ((rng_() >> 32) * n) >> 32; }
    double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
    double elapsed() const;
    // True when the search must stop: cancelled or out of time (checked every few thousand moves).
    bool shouldStop();
    void construct();
    bool repair();
    void anneal();
    // Picks a move or swap for `lecture`; false if the pick is a no-op.
    bool pickMove(int lecture, Move& move);
    void apply(const Move& move);
    void undo(const Move& move);
    int hardOf(int lecture) const;
    void keepIfBest();

    const Instance& instance_;
    const SolverOptions& options_;
    AnnealerTuning tuning_;
    Clock::time_point start_;
    AnnealerStatus& status_;
    std::mt19937_64 rng_;
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
