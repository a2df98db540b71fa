#pragma once

#include "timetable/Instance.hpp"
#include "timetable/Solution.hpp"

#include <cstdint>
#include <vector>

namespace vtp::courses::timetable {

// A timetable under local search, with every cost kept up to date as lectures are inserted and
// removed, so that a move costs O(curricula of the course) instead of a full evaluation.
// Periods are flattened (day * periodsPerDay + period). At most one lecture per room and period:
// the search keeps room occupancy by construction and penalises the other hard constraints.
// Not thread-safe; each search thread owns one.
class SearchState {
public:
    // Costs by component. Soft components are weighted as UD2 weighs them and equal what the
    // Evaluator reports; `conflicts` counts, per period, pairs of lectures sharing a teacher and
    // pairs sharing a curriculum (zero exactly when the Evaluator finds no conflict).
    struct Costs {
        int unscheduled = 0;
        int conflicts = 0;
        int unavailable = 0;
        int roomCapacity = 0;
        int minWorkingDays = 0;
        int curriculumCompactness = 0;
        int roomStability = 0;
        int hard() const { return unscheduled + conflicts + unavailable; }
        int soft() const { return roomCapacity + minWorkingDays + curriculumCompactness + roomStability; }
        bool operator==(const Costs&) const = default;
    };

    // All lectures start unscheduled. Throws std::invalid_argument if the instance is invalid.
    explicit SearchState(const Instance& instance);

    int lectures() const { return static_cast<int>(lectureCourse_.size()); }
    int periods() const { return periods_; }
    int rooms() const { return rooms_; }
    int periodsPerDay() const { return periodsPerDay_; }
    int courses() const { return static_cast<int>(courseTeacher_.size()); }
    int courseOf(int lecture) const { return lectureCourse_[static_cast<size_t>(lecture)]; }
    int periodOf(int lecture) const { return period_[static_cast<size_t>(lecture)]; }
    int roomOf(int lecture) const { return room_[static_cast<size_t>(lecture)]; }
    int lectureAt(int period, int room) const { return slot_[static_cast<size_t>(period * rooms_ + room)]; }
    bool unavailable(int course, int period) const {
        return unavailable_[static_cast<size_t>(course * periods_ + period)] != 0;
    }
    // Lectures in conflict with a lecture of `course` placed at `period` (teacher or curriculum).
    int conflictsAt(int course, int period) const;

    // Hard violations this lecture takes part in (1 if it is unscheduled).
    int hardOf(int lecture) const;

    // Places an unscheduled lecture in a free room and period.
    void insert(int lecture, int period, int room);
    // Unschedules a scheduled lecture.
    void remove(int lecture);

    const Costs& costs() const { return costs_; }
    int64_t weighted(int hardWeight) const {
        return static_cast<int64_t>(hardWeight) * costs_.hard() + costs_.soft();
    }

    // Replaces the timetable. Lectures that would share a room and period with an earlier one stay
    // unscheduled. Throws std::invalid_argument if the solution does not fit the instance.
    void load(const Solution& solution);
    Solution toSolution() const;
    // Raw placement (period, room per lecture) for cheap snapshots by the search.
    const std::vector<int>& periodsOfLectures() const { return period_; }
    const std::vector<int>& roomsOfLectures() const { return room_; }

    // Costs computed from scratch from the placement alone, to check the incremental ones.
    Costs recomputeForTest() const;

private:
    int curriculumLoad(int curriculum, int period) const {
        return curriculumCount_[static_cast<size_t>(curriculum * periods_ + period)];
    }
    // Change in isolated lectures when a curriculum's load at `period` goes up (+1) or down (-1).
    int compactnessDelta(int curriculum, int period, int direction) const;

    const Instance& instance_;
    int periods_ = 0;
    int rooms_ = 0;
    int days_ = 0;
    int periodsPerDay_ = 0;
    std::vector<int> lectureCourse_;
    std::vector<int> courseTeacher_;
    std::vector<int> courseCurriculaStart_; // CSR: curricula of course c are
    std::vector<int> courseCurricula_;      // courseCurricula_[start[c] .. start[c+1])
    std::vector<int> courseStudents_;
    std::vector<int> courseMinDays_;
    std::vector<int> roomCapacity_;
    std::vector<char> unavailable_;       // course * periods + period
    int teachers_ = 0;
    int curricula_ = 0;

    std::vector<int> period_; // per lecture, -1 if unscheduled
    std::vector<int> room_;
    std::vector<int> slot_;             // period * rooms + room -> lecture or -1
    std::vector<int> teacherCount_;     // teacher * periods + period
    std::vector<int> curriculumCount_;  // curriculum * periods + period
    std::vector<int> courseDayCount_;   // course * days + day
    std::vector<int> courseDays_;       // per course, days with a lecture
    std::vector<int> courseRoomCount_;  // course * rooms + room
    std::vector<int> courseRooms_;      // per course, rooms used
    Costs costs_;
};

} // namespace vtp::courses::timetable
