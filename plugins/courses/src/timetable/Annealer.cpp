#include "timetable/Annealer.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <numeric>

namespace vtp::courses::timetable {

Annealer::Annealer(const Instance& instance, const SolverOptions& options, uint64_t seed, Clock::time_point start, AnnealerStatus& status,
                   SharedBest* shared, AnnealerTuning tuning)
    : instance_(instance), options_(options), tuning_(tuning), start_(start), status_(status), shared_(shared), rng_(seed), state_(instance)
{
}

double Annealer::elapsed() const
{
    return std::chrono::duration<double>(Clock::now() - start_).count();
}

bool Annealer::shouldStop()
{
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

void Annealer::run()
{
    construct();
    keepIfBest();
    // A construction that repair cannot fix is retried from another random order.
    while (!repair()) {
        if (cancelled_ || timeUp_) return;
        for (int l = 0; l < state_.lectures(); ++l) state_.remove(l);
        construct();
        keepIfBest();
    }
    anneal();
}

void Annealer::construct()
{
    const int lectures = state_.lectures();
    const int periods = state_.periods();
    const int rooms = state_.rooms();
    std::vector<int> pending(static_cast<size_t>(lectures));
    std::iota(pending.begin(), pending.end(), 0);
    std::vector<uint64_t> tieBreak(static_cast<size_t>(lectures));
    for (auto& key : tieBreak) key = rng_();
    std::vector<int> freeRooms(static_cast<size_t>(periods), rooms);

    while (!pending.empty()) {
        // Saturation degree: the lecture with the fewest conflict-free periods left goes first.
        size_t chosen = 0;
        int chosenOptions = INT_MAX;
        for (size_t i = 0; i < pending.size(); ++i) {
            const int c = state_.courseOf(pending[i]);
            int options = 0;
            for (int p = 0; p < periods; ++p) {
                if (freeRooms[static_cast<size_t>(p)] > 0 && !state_.unavailable(c, p) && state_.conflictsAt(c, p) == 0) ++options;
            }
            if (options < chosenOptions ||
                (options == chosenOptions && tieBreak[static_cast<size_t>(pending[i])] < tieBreak[static_cast<size_t>(pending[chosen])])) {
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
            if (freeRooms[static_cast<size_t>(p)] == 0) continue;
            for (int r = 0; r < rooms; ++r) {
                if (state_.lectureAt(p, r) >= 0) continue;
                state_.insert(lecture, p, r);
                const int64_t cost = state_.weighted(1000) - base;
                state_.remove(lecture);
                if (cost < bestCost) {
                    bestCost = cost;
                    bestPeriod = p;
                    bestRoom = r;
                    ties = 1;
                } else if (cost == bestCost && below(static_cast<size_t>(++ties)) == 0) {
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

bool Annealer::repair()
{
    // Tabu search on the lectures in violation: each step moves one of them to the best place
    // (a free room, or a swap), hard violations first and soft cost second. Returning a lecture to
    // a period it just left is tabu for a while, which breaks the cycles plain descent falls into.
    const int lectures = state_.lectures();
    const int periods = state_.periods();
    const int rooms = state_.rooms();
    if (lectures == 0 || state_.costs().hard() == 0) return true;
    constexpr int weight = 1000;
    std::vector<uint64_t> tabuUntil(static_cast<size_t>(lectures) * static_cast<size_t>(periods), 0);
    auto tabu = [&](int lecture, int period) -> uint64_t& {
        return tabuUntil[static_cast<size_t>(lecture) * static_cast<size_t>(periods) + static_cast<size_t>(period)];
    };
    std::vector<int> violating;
    int bestHard = state_.costs().hard();
    for (uint64_t step = 1; step <= tuning_.repairSteps; ++step) {
        if ((step & 63) == 0 && shouldStop()) return false;
        violating.clear();
        for (int l = 0; l < lectures; ++l) {
            if (state_.hardOf(l) > 0) violating.push_back(l);
        }
        const int lecture = violating[below(violating.size())];
        const int fromPeriod = state_.periodOf(lecture);
        int64_t bestDelta = INT64_MAX;
        Move best;
        int ties = 0;
        for (int p = 0; p < periods; ++p) {
            for (int r = 0; r < rooms; ++r) {
                if (!isMove(lecture, p, r)) continue;
                const int other = state_.lectureAt(p, r);
                const SearchState::Delta delta = state_.moveDelta(lecture, p, r);
                const bool aspiration = state_.costs().hard() + delta.hard < bestHard;
                if (!aspiration && (tabu(lecture, p) > step || (other >= 0 && tabu(other, fromPeriod) > step))) continue;
                const int64_t weighted = delta.weighted(weight);
                if (weighted < bestDelta) {
                    bestDelta = weighted;
                    best = Move{lecture, p, r};
                    ties = 1;
                } else if (weighted == bestDelta && below(static_cast<size_t>(++ties)) == 0) {
                    best = Move{lecture, p, r};
                }
            }
        }
        if (best.lecture < 0) continue;
        const int other = state_.lectureAt(best.period, best.room);
        state_.move(lecture, best.period, best.room);
        const uint64_t tenure = 5 + below(10);
        tabu(lecture, fromPeriod) = step + tenure;
        if (other >= 0) tabu(other, best.period) = step + tenure;
        bestHard = std::min(bestHard, state_.costs().hard());
        if (state_.costs().hard() == 0) {
            keepIfBest();
            return true;
        }
    }
    keepIfBest();
    return false;
}

void Annealer::anneal()
{
    const int lectures = state_.lectures();
    if (lectures == 0) return;
    const double t0 = tuning_.startTemperature;
    const double logRatio = std::log(tuning_.endTemperature / t0);
    const uint64_t limit = options_.iterationLimit;
    int weight = tuning_.hardWeight;
    uint64_t infeasibleChecks = 0;
    double temperature = t0;
    // Moves worse than this are accepted with probability below e^-30: skip the exponential.
    double cutoff = 30 * temperature;
    // Sharing is for clock-limited runs (SharedBest says why).
    const bool sharing = shared_ != nullptr && limit == 0;
    const double annealStart = limit > 0 ? 0 : elapsed();
    double nextShare = tuning_.shareEvery;
    for (;;) {
        if (limit > 0 && iterations_ >= limit) break;
        if ((iterations_ & 1023) == 0) {
            if (shouldStop()) break;
            // Geometric cooling over the run: by iterations when limited, else by the clock.
            const double now = limit > 0 ? 0 : elapsed();
            const double progress =
                limit > 0 ? static_cast<double>(iterations_) / static_cast<double>(limit) : now / options_.timeLimitSeconds;
            // On the clock, cooling spans the time left once annealing starts: where repair takes
            // a good part of the limit (comp05, comp12), the search still starts hot.
            const double cooled = limit > 0 ? progress : (now - annealStart) / std::max(1e-3, options_.timeLimitSeconds - annealStart);
            temperature = t0 * std::exp(logRatio * std::min(1.0, cooled));
            cutoff = 30 * temperature;
            // A low weight lets the search cross infeasible ground, but it can also settle there:
            // the weight doubles each time the timetable stays infeasible for a while.
            if (state_.costs().hard() == 0) {
                weight = tuning_.hardWeight;
                infeasibleChecks = 0;
            } else if (++infeasibleChecks >= tuning_.infeasiblePatience) {
                weight = std::min(2 * weight, 1 << 20);
                infeasibleChecks = 0;
            }
            if (sharing && progress >= nextShare) {
                share();
                while (nextShare <= progress) nextShare += tuning_.shareEvery;
            }
        }
        ++iterations_;
        if (rng_.uniform() < tuning_.kempeRate) {
            kempeMove(static_cast<int>(below(static_cast<size_t>(lectures))), temperature, weight);
            continue;
        }
        Move move;
        // Below strictBelow a feasible timetable stays feasible: moves that break a hard constraint
        // are rejected on their cheap hard part alone, before a room is sought or soft cost counted.
        const bool strict = temperature < tuning_.strictBelow && state_.costs().hard() == 0;
        const int lecture = static_cast<int>(below(static_cast<size_t>(lectures)));
        if (!pickMove(lecture, move, strict)) continue;
        if (strict && state_.moveHardDelta(move.lecture, move.period, move.room) > 0) continue;
        const auto delta = static_cast<double>(state_.moveDelta(move.lecture, move.period, move.room).weighted(weight));
        if (delta <= 0 || (delta < cutoff && rng_.uniform() < std::exp(-delta / temperature))) {
            state_.move(move.lecture, move.period, move.room);
            if (state_.costs().hard() == 0 && state_.costs().soft() < bestCosts_.soft()) keepIfBest();
        }
    }
}

bool Annealer::isMove(int lecture, int period, int room) const
{
    const int other = state_.lectureAt(period, room);
    return other != lecture && (other < 0 || state_.courseOf(other) != state_.courseOf(lecture));
}

void Annealer::kempeMove(int lecture, double temperature, int weight)
{
    const int from = state_.periodOf(lecture);
    const int to = static_cast<int>(below(static_cast<size_t>(state_.periods())));
    if (to == from) return;
    const int rooms = state_.rooms();
    // Breadth first from the lecture: each lecture in the chain pulls in those of the other period
    // it clashes with. Long chains are left alone: they rarely pay and cost much to try.
    chain_.assign(1, lecture);
    int atFrom = 1;
    int atTo = 0;
    constexpr size_t maxChain = 16;
    for (size_t i = 0; i < chain_.size(); ++i) {
        const int x = chain_[i];
        const int other = state_.periodOf(x) == from ? to : from;
        for (int r = 0; r < rooms; ++r) {
            const int y = state_.lectureAt(other, r);
            if (y < 0 || !state_.clash(state_.courseOf(x), state_.courseOf(y)) ||
                std::find(chain_.begin(), chain_.end(), y) != chain_.end())
                continue;
            if (chain_.size() == maxChain) return;
            chain_.push_back(y);
            ++(other == from ? atFrom : atTo);
        }
    }
    if (atTo == 0) return; // a plain move, which pickMove covers
    // Rooms: the lectures leaving a period free theirs for those arriving.
    int freeAtTo = 0;
    int freeAtFrom = 0;
    for (int r = 0; r < rooms; ++r) {
        freeAtTo += state_.lectureAt(to, r) < 0 ? 1 : 0;
        freeAtFrom += state_.lectureAt(from, r) < 0 ? 1 : 0;
    }
    if (atFrom > freeAtTo + atTo || atTo > freeAtFrom + atFrom) return;
    // From a feasible timetable a closed chain creates no conflict; only unavailability can break
    // it, and a chain that does is not worth applying to find out by how much.
    if (state_.costs().hard() == 0) {
        for (int x : chain_) {
            if (state_.unavailable(state_.courseOf(x), state_.periodOf(x) == from ? to : from)) return;
        }
    }
    const int64_t before = state_.weighted(weight);
    chainPeriods_.clear();
    chainRooms_.clear();
    for (int x : chain_) {
        chainPeriods_.push_back(state_.periodOf(x));
        chainRooms_.push_back(state_.roomOf(x));
        state_.remove(x);
    }
    // Each lecture keeps its room if it is free in the other period, else takes the largest free one.
    for (size_t i = 0; i < chain_.size(); ++i) {
        const int target = chainPeriods_[i] == from ? to : from;
        if (state_.lectureAt(target, chainRooms_[i]) < 0) state_.insert(chain_[i], target, chainRooms_[i]);
    }
    for (size_t i = 0; i < chain_.size(); ++i) {
        if (state_.periodOf(chain_[i]) >= 0) continue;
        const int target = chainPeriods_[i] == from ? to : from;
        int best = -1;
        for (int r = 0; r < rooms; ++r) {
            if (state_.lectureAt(target, r) < 0 && (best < 0 || state_.roomCapacity(r) > state_.roomCapacity(best))) best = r;
        }
        state_.insert(chain_[i], target, best);
    }
    const auto delta = static_cast<double>(state_.weighted(weight) - before);
    if (delta <= 0 || rng_.uniform() < std::exp(-delta / temperature)) {
        if (state_.costs().hard() == 0 && state_.costs().soft() < bestCosts_.soft()) keepIfBest();
        return;
    }
    for (int x : chain_) state_.remove(x);
    for (size_t i = 0; i < chain_.size(); ++i) state_.insert(chain_[i], chainPeriods_[i], chainRooms_[i]);
}

int Annealer::bestFreeRoom(int lecture, int period)
{
    const int rooms = state_.rooms();
    const int first = static_cast<int>(below(static_cast<size_t>(rooms))); // ties go to a random room
    int best = -1;
    int bestDelta = INT_MAX;
    for (int i = 0; i < rooms; ++i) {
        const int r = first + i < rooms ? first + i : first + i - rooms;
        if (state_.lectureAt(period, r) >= 0) continue;
        const int delta = state_.roomDelta(lecture, r);
        if (delta < bestDelta) {
            bestDelta = delta;
            best = r;
        }
    }
    return best;
}

bool Annealer::pickMove(int lecture, Move& move, bool strict)
{
    move.lecture = lecture;
    const double kind = rng_.uniform();
    if (kind < tuning_.roomMoveRate) {
        move.period = state_.periodOf(lecture);
        move.room = static_cast<int>(below(static_cast<size_t>(state_.rooms())));
        return isMove(lecture, move.period, move.room);
    }
    move.period = static_cast<int>(below(static_cast<size_t>(state_.periods())));
    if (move.period == state_.periodOf(lecture)) return false;
    if (kind < tuning_.roomMoveRate + tuning_.freeRoomRate) {
        if (strict && state_.periodHardDelta(lecture, move.period) > 0) return false;
        move.room = bestFreeRoom(lecture, move.period);
        if (move.room < 0) move.room = state_.roomOf(lecture);
    } else {
        move.room =
            rng_.uniform() < tuning_.keepRoomRate ? state_.roomOf(lecture) : static_cast<int>(below(static_cast<size_t>(state_.rooms())));
    }
    return isMove(lecture, move.period, move.room);
}

void Annealer::keepIfBest()
{
    const SearchState::Costs& costs = state_.costs();
    if (haveBest_ && (costs.hard() > bestCosts_.hard() || (costs.hard() == bestCosts_.hard() && costs.soft() >= bestCosts_.soft()))) return;
    haveBest_ = true;
    bestCosts_ = costs;
    bestPeriods_ = state_.periodsOfLectures();
    bestRooms_ = state_.roomsOfLectures();
    status_.best.store(static_cast<int64_t>(costs.hard()) << 32 | costs.soft(), std::memory_order_relaxed);
}

void Annealer::share()
{
    if (!haveBest_) return;
    shared_->offer(bestCosts_, bestPeriods_, bestRooms_);
    if (shared_->takeIfBetter(bestCosts_, bestPeriods_, bestRooms_)) {
        state_.restore(bestPeriods_, bestRooms_);
        status_.best.store(static_cast<int64_t>(bestCosts_.hard()) << 32 | bestCosts_.soft(), std::memory_order_relaxed);
    }
}

Solution Annealer::bestSolution() const
{
    Solution solution = Solution::unscheduled(instance_);
    const int ppd = instance_.periodsPerDay;
    for (size_t l = 0; l < bestPeriods_.size(); ++l) {
        if (bestPeriods_[l] >= 0) solution.lectures[l] = Assignment{bestPeriods_[l] / ppd, bestPeriods_[l] % ppd, bestRooms_[l]};
    }
    return solution;
}

} // namespace vtp::courses::timetable
