#include "timetable/Annealer.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <numeric>

namespace vtp::courses::timetable {

Annealer::Annealer(const Instance& instance, const SolverOptions& options, uint64_t seed, Clock::time_point start,
                   AnnealerStatus& status, AnnealerTuning tuning)
    : instance_(instance), options_(options), tuning_(tuning), start_(start), status_(status), rng_(seed),
      state_(instance) {}

double Annealer::elapsed() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
}

bool Annealer::shouldStop() {
    if (options_.cancel != nullptr && options_.cancel->load(std::memory_order_relaxed)) {
        cancelled_ = true;
        return true;
    }
    if (options_.timeLimitSeconds > 0 && elapsed() >= options_.timeLimitSeconds) {
        timeUp_ = true;
        return true;
    }
    return false;
}

void Annealer::run() {
    construct();
    keepIfBest();
    // A construction that repair cannot fix is retried from another random order.
    while (!repair()) {
        if (cancelled_ || timeUp_)
            return;
        for (int l = 0; l < state_.lectures(); ++l)
            state_.remove(l);
        construct();
        keepIfBest();
    }
    anneal();
}

void Annealer::construct() {
    const int lectures = state_.lectures();
    const int periods = state_.periods();
    const int rooms = state_.rooms();
    std::vector<int> pending(static_cast<size_t>(lectures));
    std::iota(pending.begin(), pending.end(), 0);
    std::vector<uint64_t> tieBreak(static_cast<size_t>(lectures));
    for (auto& key : tieBreak)
        key = rng_();
    std::vector<int> freeRooms(static_cast<size_t>(periods), rooms);

    while (!pending.empty()) {
        // Saturation degree: the lecture with the fewest conflict-free periods left goes first.
        size_t chosen = 0;
        int chosenOptions = INT_MAX;
        for (size_t i = 0; i < pending.size(); ++i) {
            const int c = state_.courseOf(pending[i]);
            int options = 0;
            for (int p = 0; p < periods; ++p) {
                if (freeRooms[static_cast<size_t>(p)] > 0 && !state_.unavailable(c, p) && state_.conflictsAt(c, p) == 0)
                    ++options;
            }
            if (options < chosenOptions ||
                (options == chosenOptions &&
                 tieBreak[static_cast<size_t>(pending[i])] < tieBreak[static_cast<size_t>(pending[chosen])])) {
                chosen = i;
                chosenOptions = options;
            }
        }
        const int lecture = pending[chosen];
        pending[chosen] = pending.back();
        pending.pop_back();

        // The free place that costs least, hard violations first; ties broken at random.
        int64_t bestCost = INT64_MAX;
        int bestPeriod = -1;
        int bestRoom = -1;
        int ties = 0;
        const int64_t base = state_.weighted(1000);
        for (int p = 0; p < periods; ++p) {
            if (freeRooms[static_cast<size_t>(p)] == 0)
                continue;
            for (int r = 0; r < rooms; ++r) {
                if (state_.lectureAt(p, r) >= 0)
                    continue;
                state_.insert(lecture, p, r);
                const int64_t cost = state_.weighted(1000) - base;
                state_.remove(lecture);
                if (cost < bestCost) {
                    bestCost = cost;
                    bestPeriod = p;
                    bestRoom = r;
                    ties = 1;
                } else if (cost == bestCost && below(static_cast<uint64_t>(++ties)) == 0) {
                    bestPeriod = p;
                    bestRoom = r;
                }
            }
        }
        // Solver::checkSatisfiable guarantees rooms * periods >= lectures, so a place is free.
        state_.insert(lecture, bestPeriod, bestRoom);
        --freeRooms[static_cast<size_t>(bestPeriod)];
    }
}

bool Annealer::repair() {
    // Tabu search on the lectures in violation: each step moves one of them to the best place
    // (a free room, or a swap), hard violations first and soft cost second. Returning a lecture to
    // a period it just left is tabu for a while, which breaks the cycles plain descent falls into.
    const int lectures = state_.lectures();
    const int periods = state_.periods();
    const int rooms = state_.rooms();
    if (lectures == 0 || state_.costs().hard() == 0)
        return true;
    std::vector<uint64_t> tabuUntil(static_cast<size_t>(lectures) * static_cast<size_t>(periods), 0);
    std::vector<int> violating;
    int bestHard = state_.costs().hard();
    for (uint64_t step = 1; step <= tuning_.repairSteps; ++step) {
        if ((step & 63) == 0 && shouldStop())
            return false;
        violating.clear();
        for (int l = 0; l < lectures; ++l) {
            if (state_.hardOf(l) > 0)
                violating.push_back(l);
        }
        const int lecture = violating[below(violating.size())];
        const int64_t base = state_.weighted(1000);
        int64_t bestDelta = INT64_MAX;
        Move best;
        int ties = 0;
        Move move;
        move.lecture = lecture;
        move.fromPeriod = state_.periodOf(lecture);
        move.fromRoom = state_.roomOf(lecture);
        for (int p = 0; p < periods; ++p) {
            for (int r = 0; r < rooms; ++r) {
                move.toPeriod = p;
                move.toRoom = r;
                move.other = state_.lectureAt(p, r);
                if (move.other == lecture || (move.other >= 0 && state_.courseOf(move.other) == state_.courseOf(lecture)))
                    continue;
                apply(move);
                const int64_t delta = state_.weighted(1000) - base;
                const bool aspiration = state_.costs().hard() < bestHard;
                undo(move);
                const bool tabu =
                    tabuUntil[static_cast<size_t>(lecture) * static_cast<size_t>(periods) + static_cast<size_t>(p)] > step ||
                    (move.other >= 0 &&
                     tabuUntil[static_cast<size_t>(move.other) * static_cast<size_t>(periods) +
                               static_cast<size_t>(move.fromPeriod)] > step);
                if (tabu && !aspiration)
                    continue;
                if (delta < bestDelta) {
                    bestDelta = delta;
                    best = move;
                    ties = 1;
                } else if (delta == bestDelta && below(static_cast<uint64_t>(++ties)) == 0) {
                    best = move;
                }
            }
        }
        if (best.lecture < 0)
            continue;
        apply(best);
        const uint64_t tenure = 5 + below(10);
        tabuUntil[static_cast<size_t>(lecture) * static_cast<size_t>(periods) + static_cast<size_t>(best.fromPeriod)] =
            step + tenure;
        if (best.other >= 0)
            tabuUntil[static_cast<size_t>(best.other) * static_cast<size_t>(periods) + static_cast<size_t>(best.toPeriod)] =
                step + tenure;
        bestHard = std::min(bestHard, state_.costs().hard());
        if (state_.costs().hard() == 0) {
            keepIfBest();
            return true;
        }
    }
    keepIfBest();
    return false;
}

void Annealer::anneal() {
    const int lectures = state_.lectures();
    if (lectures == 0)
        return;
    const double t0 = tuning_.startTemperature;
    const double logRatio = std::log(tuning_.endTemperature / t0);
    const uint64_t limit = options_.iterationLimit;
    const int weight = tuning_.hardWeight;
    double temperature = t0;
    int64_t current = state_.weighted(weight);
    for (;;) {
        if (limit > 0 && iterations_ >= limit)
            break;
        if ((iterations_ & 1023) == 0) {
            if (shouldStop())
                break;
            // Geometric cooling over the run: by iterations when limited, else by the clock.
            const double progress = limit > 0 ? static_cast<double>(iterations_) / static_cast<double>(limit)
                                              : elapsed() / options_.timeLimitSeconds;
            temperature = t0 * std::exp(logRatio * std::min(1.0, progress));
        }
        ++iterations_;
        Move move;
        if (!pickMove(static_cast<int>(below(static_cast<uint64_t>(lectures))), move))
            continue;
        apply(move);
        const int64_t next = state_.weighted(weight);
        const int64_t delta = next - current;
        if (delta <= 0 || uniform() < std::exp(-static_cast<double>(delta) / temperature)) {
            current = next;
            if (state_.costs().hard() == 0 && state_.costs().soft() < bestCosts_.soft())
                keepIfBest();
        } else {
            undo(move);
        }
    }
}

bool Annealer::pickMove(int lecture, Move& move) {
    move.lecture = lecture;
    move.fromPeriod = state_.periodOf(lecture);
    move.fromRoom = state_.roomOf(lecture);
    if (uniform() < tuning_.roomMoveRate) {
        move.toPeriod = move.fromPeriod;
        move.toRoom = static_cast<int>(below(static_cast<uint64_t>(state_.rooms())));
    } else {
        move.toPeriod = static_cast<int>(below(static_cast<uint64_t>(state_.periods())));
        move.toRoom = uniform() < tuning_.keepRoomRate ? move.fromRoom
                                                       : static_cast<int>(below(static_cast<uint64_t>(state_.rooms())));
    }
    move.other = state_.lectureAt(move.toPeriod, move.toRoom);
    if (move.other == lecture)
        return false;
    // Swapping two lectures of one course changes nothing.
    return move.other < 0 || state_.courseOf(move.other) != state_.courseOf(lecture);
}

void Annealer::apply(const Move& move) {
    state_.remove(move.lecture);
    if (move.other >= 0) {
        state_.remove(move.other);
        state_.insert(move.other, move.fromPeriod, move.fromRoom);
    }
    state_.insert(move.lecture, move.toPeriod, move.toRoom);
}

void Annealer::undo(const Move& move) {
    state_.remove(move.lecture);
    if (move.other >= 0) {
        state_.remove(move.other);
        state_.insert(move.other, move.toPeriod, move.toRoom);
    }
    state_.insert(move.lecture, move.fromPeriod, move.fromRoom);
}

void Annealer::keepIfBest() {
    const SearchState::Costs& costs = state_.costs();
    if (haveBest_ && (costs.hard() > bestCosts_.hard() ||
                      (costs.hard() == bestCosts_.hard() && costs.soft() >= bestCosts_.soft())))
        return;
    haveBest_ = true;
    bestCosts_ = costs;
    bestPeriods_ = state_.periodsOfLectures();
    bestRooms_ = state_.roomsOfLectures();
    status_.best.store(static_cast<int64_t>(costs.hard()) << 32 | costs.soft(), std::memory_order_relaxed);
}

Solution Annealer::bestSolution() const {
    Solution solution = Solution::unscheduled(instance_);
    const int ppd = instance_.periodsPerDay;
    for (size_t l = 0; l < bestPeriods_.size(); ++l) {
        if (bestPeriods_[l] >= 0)
            solution.lectures[l] = Assignment{bestPeriods_[l] / ppd, bestPeriods_[l] % ppd, bestRooms_[l]};
    }
    return solution;
}

} // namespace vtp::courses::timetable
