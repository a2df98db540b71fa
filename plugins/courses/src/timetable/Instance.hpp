#pragma once

#include <string>
#include <vector>

// A curriculum-based course timetabling problem (ITC-2007 track 3). A plain struct, so that the
// courses plugin can fill one from its own tables as easily as parseCtt() fills one from a file:
// ids are strings (as users see them), cross references are indexes into the vectors.
namespace vtp::courses::timetable {

struct Course {
    std::string id;
    std::string teacher;    // teacher id; courses with the same teacher never share a period
    int lectures = 0;       // lectures to schedule, each in its own period
    int minWorkingDays = 0; // soft: the lectures should spread over at least this many days
    int students = 0;       // soft: rooms should seat them all
    bool operator==(const Course&) const = default;
};

struct Room {
    std::string id;
    int capacity = 0;
    bool operator==(const Room&) const = default;
};

// Courses that students take together: no two of them in the same period.
struct Curriculum {
    std::string id;
    std::vector<int> courses; // indexes into Instance::courses, no duplicates
    bool operator==(const Curriculum&) const = default;
};

// A period in which a course must not be taught.
struct Unavailability {
    int course = 0; // index into Instance::courses
    int day = 0;    // 0-based
    int period = 0; // 0-based period within the day
    bool operator==(const Unavailability&) const = default;
};

struct Instance {
    std::string name;
    int days = 0;
    int periodsPerDay = 0;
    std::vector<Course> courses;
    std::vector<Room> rooms;
    std::vector<Curriculum> curricula;
    std::vector<Unavailability> unavailability;

    bool operator==(const Instance&) const = default;

    int periods() const { return days * periodsPerDay; }
    int lectureCount() const;
    // Lectures are numbered course by course: course c owns [firstLecture(c), firstLecture(c+1)).
    std::vector<int> firstLectures() const;  // size courses.size() + 1
    std::vector<int> lectureCourses() const; // course index of each lecture

    // Throws std::invalid_argument naming the first inconsistency (an index out of range, a
    // negative count, an empty or duplicate id, an id with whitespace). Instances built in memory
    // should be checked with this before they reach the Evaluator or the Solver, which call it too.
    void validate() const;
};

} // namespace vtp::courses::timetable
