#pragma once

#include "timetable/SearchState.hpp"

#include <mutex>
#include <vector>

namespace vtp::courses::timetable {

// The best feasible timetable the search threads have found, for the others to continue from.
// Thread-safe. Only clock-limited runs share: an iteration-limited run keeps its threads
// independent, so that it depends on the seed alone.
class SharedBest {
public:
    // Keeps the timetable (placement as SearchState snapshots it) if it beats the one held.
    void offer(const SearchState::Costs& costs, const std::vector<int>& periods, const std::vector<int>& rooms)
    {
        std::lock_guard lock(mutex_);
        if (have_ && !better(costs, costs_)) return;
        have_ = true;
        costs_ = costs;
        periods_ = periods;
        rooms_ = rooms;
    }

    // Copies the timetable held into the arguments if it beats `costs`; false otherwise.
    bool takeIfBetter(SearchState::Costs& costs, std::vector<int>& periods, std::vector<int>& rooms) const
    {
        std::lock_guard lock(mutex_);
        if (!have_ || !better(costs_, costs)) return false;
        costs = costs_;
        periods = periods_;
        rooms = rooms_;
        return true;
    }

    static bool better(const SearchState::Costs& a, const SearchState::Costs& b)
    {
        return a.hard() < b.hard() || (a.hard() == b.hard() && a.soft() < b.soft());
    }

private:
    mutable std::mutex mutex_;
    bool have_ = false;
    SearchState::Costs costs_;
    std::vector<int> periods_;
    std::vector<int> rooms_;
};

} // namespace vtp::courses::timetable
