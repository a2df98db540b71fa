#pragma once

#include "timetable/Instance.hpp"
#include "timetable/Solution.hpp"

#include <cstdint>
#include <vector>

namespace vtp::courses::timetable {

// A timetable under local search, with every cost kept up to date as lectures are inserted and
// removed, so that a move costs O(curricula of the course) instead of a full evaluation; what a
// move would change can be asked for without making it (moveDelta).
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
    int roomCapacity(int room) const { return roomCapacity_[static_cast<size_t>(room)]; }
    int lectureAt(int period, int room) const { return slot_[static_cast<size_t>(period * rooms_ + room)]; }
    bool unavailable(int course, int period) const { return unavailable_[static_cast<size_t>(course * periods_ + period)] != 0; }
    // Lectures in conflict with a lecture of `course` placed at `period` (teacher or curriculum).
    int conflictsAt(int course, int period) const;
    // Whether lectures of two courses may not share a period: one course, one teacher, or a
    // common curriculum.
    bool clash(int courseA, int courseB) const
    {
        if (clashBits_.empty()) return clashSlow(courseA, courseB);
        const size_t bit = static_cast<size_t>(courseA) * static_cast<size_t>(courses()) + static_cast<size_t>(courseB);
        return (clashBits_[bit >> 6] >> (bit & 63) & 1) != 0;
    }

    // Hard violations this lecture takes part in (1 if it is unscheduled).
    int hardOf(int lecture) const;

    // Places an unscheduled lecture in a free room and period.
    void insert(int lecture, int period, int room);
    // Unschedules a scheduled lecture.
    void remove(int lecture);

    // What a move would change: hard violations and soft cost (weighted as in Costs).
    struct Delta {
        int hard = 0;
        int soft = 0;
        int64_t weighted(int hardWeight) const { return static_cast<int64_t>(hardWeight) * hard + soft; }
    };
    // Moves a scheduled lecture to (period, room); the lecture there, if any, takes its old place.
    // That lecture must belong to another course (swapping two lectures of a course is a no-op
    // that moveDelta would misjudge), and the target must differ from the lecture's own place.
    void move(int lecture, int period, int room);
    // The change move() would make, computed from the counters alone; the state is not touched.
    Delta moveDelta(int lecture, int period, int room) const;
    // The hard part of moveDelta alone, which is cheaper: a search that keeps the timetable
    // feasible rejects most moves on it before their soft cost is looked at.
    int moveHardDelta(int lecture, int period, int room) const;
    // The hard change if the lecture alone moved to `period` (into a free room).
    int periodHardDelta(int lecture, int period) const
    {
        const int from = periodOf(lecture);
        return period == from ? 0 : periodHard(courseOf(lecture), -1, from, period);
    }
    // The soft cost change (capacity and stability) if the lecture alone changed to `room`.
    int roomDelta(int lecture, int room) const
    {
        Delta delta;
        roomChange(courseOf(lecture), roomOf(lecture), room, delta);
        return delta.soft;
    }

    const Costs& costs() const { return costs_; }
    int64_t weighted(int hardWeight) const { return static_cast<int64_t>(hardWeight) * costs_.hard() + costs_.soft(); }

    // Replaces the timetable. Lectures that would share a room and period with an earlier one stay
    // unscheduled. Throws std::invalid_argument if the solution does not fit the instance.
    void load(const Solution& solution);
    Solution toSolution() const;
    // Raw placement (period, room per lecture) for cheap snapshots by the search.
    const std::vector<int>& periodsOfLectures() const { return period_; }
    const std::vector<int>& roomsOfLectures() const { return room_; }
    // Replaces the timetable by such a snapshot (of this instance, without clashing rooms).
    void restore(const std::vector<int>& periods, const std::vector<int>& rooms);

    // Costs computed from scratch from the placement alone, to check the incremental ones.
    Costs recomputeForTest() const;

private:
    // Tables rather than division, which is slow on the hot path.
    int dayOf(int period) const { return periodDay_[static_cast<size_t>(period)]; }
    int slotOf(int period) const { return periodSlot_[static_cast<size_t>(period)]; }
    int curriculumLoad(int curriculum, int period) const { return curriculumCount_[static_cast<size_t>(curriculum * periods_ + period)]; }
    // Change in isolated lectures when a curriculum's load at `period` goes up (+1) or down (-1),
    // its load at `lowered` (if not -1) taken as one less than counted.
    int compactnessDelta(int curriculum, int period, int direction, int lowered = -1) const;
    // The parts of moveDelta for one lecture of `course` changing period or room; `partner` is the
    // course of the lecture it swaps with (-1 if none): the teacher and curricula they share keep
    // their loads.
    void periodChange(int course, int partner, int from, int to, Delta& delta) const;
    // Hard part of periodChange.
    int periodHard(int course, int partner, int from, int to) const;
    // Change in isolated lectures when a lecture of the curriculum is inserted at or removed from
    // `period` (bit operations on the day masks while the day has no crowded period).
    int insertCompactness(int curriculum, int period) const;
    int removeCompactness(int curriculum, int period) const;
    // Change in isolated lectures when one lecture of a curriculum moves between periods.
    int compactnessMoveDelta(int curriculum, int from, int to) const;
    bool clashSlow(int courseA, int courseB) const;
    // Keeps the day masks below in step when a curriculum's load at `period` changes.
    void markLoad(int curriculum, int period, int load);
    void roomChange(int course, int from, int to, Delta& delta) const;

    const Instance& instance_;
    int periods_ = 0;
    int rooms_ = 0;
    int days_ = 0;
    int periodsPerDay_ = 0;
    std::vector<int> periodDay_;
    std::vector<int> periodSlot_;
    std::vector<int> lectureCourse_;
    std::vector<int> courseTeacher_;
    std::vector<int> courseCurriculaStart_; // CSR: curricula of course c are
    std::vector<int> courseCurricula_;      // courseCurricula_[start[c] .. start[c+1])
    std::vector<int> courseStudents_;
    std::vector<int> courseMinDays_;
    std::vector<int> roomCapacity_;
    std::vector<char> unavailable_;   // course * periods + period
    std::vector<uint64_t> clashBits_; // course * courses + course, when there are few courses
    int teachers_ = 0;
    int curricula_ = 0;

    std::vector<int> period_; // per lecture, -1 if unscheduled
    std::vector<int> room_;
    std::vector<int> slot_;            // period * rooms + room -> lecture or -1
    std::vector<int> teacherCount_;    // teacher * periods + period
    std::vector<int> curriculumCount_; // curriculum * periods + period
    // With at most 64 periods a day, bit s of curriculum * days + day is set when period s of the
    // day has a lecture of the curriculum (busy_) or more than one (crowded_): while no period of
    // the days involved is crowded, a move's compactness change is a matter of bit operations.
    bool dayMasks_ = false;
    std::vector<uint64_t> busy_;
    std::vector<uint64_t> crowded_;
    std::vector<int> courseDayCount_;  // course * days + day
    std::vector<int> courseDays_;      // per course, days with a lecture
    std::vector<int> courseRoomCount_; // course * rooms + room
    std::vector<int> courseRooms_;     // per course, rooms used
    Costs costs_;
};

} // namespace vtp::courses::timetable
