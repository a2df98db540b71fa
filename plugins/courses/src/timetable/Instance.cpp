#include "timetable/Instance.hpp"

#include <stdexcept>
#include <unordered_set>

namespace vtp::courses::timetable {

namespace {

void checkId(const std::string& id, const char* what, std::unordered_set<std::string>& seen)
{
    if (id.empty()) throw std::invalid_argument(std::string("empty ") + what + " id");
    for (char ch : id) {
        // Ids are whitespace-separated tokens in .ctt and .sol files.
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f')
            throw std::invalid_argument(std::string(what) + " id '" + id + "' contains whitespace");
    }
    if (!seen.insert(id).second) throw std::invalid_argument(std::string("duplicate ") + what + " id '" + id + "'");
}

} // namespace

int Instance::lectureCount() const
{
    long total = 0;
    for (const Course& course : courses) total += course.lectures;
    return static_cast<int>(total);
}

std::vector<int> Instance::firstLectures() const
{
    std::vector<int> first(courses.size() + 1, 0);
    for (size_t c = 0; c < courses.size(); ++c) first[c + 1] = first[c] + courses[c].lectures;
    return first;
}

std::vector<int> Instance::lectureCourses() const
{
    std::vector<int> owner;
    owner.reserve(static_cast<size_t>(lectureCount()));
    for (size_t c = 0; c < courses.size(); ++c) owner.insert(owner.end(), static_cast<size_t>(courses[c].lectures), static_cast<int>(c));
    return owner;
}

void Instance::validate() const
{
    if (days < 0 || periodsPerDay < 0) throw std::invalid_argument("negative days or periods per day");
    // Caps keep index arithmetic (course * periods, period * rooms) far from int overflow.
    if (days > 1000 || periodsPerDay > 1000) throw std::invalid_argument("more than 1000 days or periods per day");
    if (courses.size() > 100000 || rooms.size() > 100000 || curricula.size() > 1000000)
        throw std::invalid_argument("too many courses, rooms or curricula");
    std::unordered_set<std::string> seen;
    long lectures = 0;
    for (const Course& course : courses) {
        checkId(course.id, "course", seen);
        if (course.teacher.empty()) throw std::invalid_argument("course '" + course.id + "' has no teacher");
        if (course.lectures < 0 || course.minWorkingDays < 0 || course.students < 0)
            throw std::invalid_argument("course '" + course.id + "' has a negative count");
        lectures += course.lectures;
    }
    if (lectures > 10000000) throw std::invalid_argument("more than 10000000 lectures");
    seen.clear();
    for (const Room& room : rooms) {
        checkId(room.id, "room", seen);
        if (room.capacity < 0) throw std::invalid_argument("room '" + room.id + "' has a negative capacity");
    }
    seen.clear();
    const int courseCount = static_cast<int>(courses.size());
    for (const Curriculum& curriculum : curricula) {
        checkId(curriculum.id, "curriculum", seen);
        std::unordered_set<int> members;
        for (int c : curriculum.courses) {
            if (c < 0 || c >= courseCount)
                throw std::invalid_argument("curriculum '" + curriculum.id + "' refers to course index " + std::to_string(c) +
                                            ", out of range");
            if (!members.insert(c).second)
                throw std::invalid_argument("curriculum '" + curriculum.id + "' lists course '" + courses[static_cast<size_t>(c)].id +
                                            "' twice");
        }
    }
    for (const Unavailability& u : unavailability) {
        if (u.course < 0 || u.course >= courseCount)
            throw std::invalid_argument("unavailability refers to course index " + std::to_string(u.course) + ", out of range");
        if (u.day < 0 || u.day >= days || u.period < 0 || u.period >= periodsPerDay)
            throw std::invalid_argument("unavailability of course '" + courses[static_cast<size_t>(u.course)].id + "' at day " +
                                        std::to_string(u.day) + " period " + std::to_string(u.period) + " is out of range");
    }
}

} // namespace vtp::courses::timetable
