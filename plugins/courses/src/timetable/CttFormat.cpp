#include "timetable/CttFormat.hpp"

#include "timetable/CttError.hpp"
#include "timetable/TextLines.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

namespace vtp::courses::timetable {

namespace {

std::string range(long min, long max)
{
    return "from " + std::to_string(min) + " to " + std::to_string(max);
}

class CttParser {
public:
    explicit CttParser(std::string_view text) : lines_(text) {}

    Instance parse()
    {
        Instance instance;
        instance.name = headerWord("Name");
        const int courses = headerInt("Courses", 0, CttLimits::maxCourses);
        const int rooms = headerInt("Rooms", 0, CttLimits::maxRooms);
        instance.days = headerInt("Days", 1, CttLimits::maxDays);
        instance.periodsPerDay = headerInt("Periods_per_day", 1, CttLimits::maxPeriodsPerDay);
        const int curricula = headerInt("Curricula", 0, CttLimits::maxCurricula);
        const int constraints = headerInt("Constraints", 0, CttLimits::maxConstraints);

        section("COURSES:", std::nullopt);
        long lectures = 0;
        for (int i = 0; i < courses; ++i) {
            entry("course line", i, courses, "Courses");
            expectTokens(5, "5 fields (course teacher lectures min_working_days students)");
            Course course;
            course.id = std::string(tok(0));
            course.teacher = std::string(tok(1));
            course.lectures = number(tok(2), 0, CttLimits::maxLecturesPerCourse, "lecture count");
            course.minWorkingDays = number(tok(3), 0, instance.days, "minimum working days");
            course.students = number(tok(4), 0, CttLimits::maxStudents, "student count");
            lectures += course.lectures;
            if (lectures > CttLimits::maxLectures)
                fail("at most " + std::to_string(CttLimits::maxLectures) + " lectures in all", lines_.quoted());
            define(courseIds_, course.id, static_cast<int>(instance.courses.size()), "course");
            instance.courses.push_back(std::move(course));
        }

        section("ROOMS:", SectionEnd{"Courses", courses, "course"});
        for (int i = 0; i < rooms; ++i) {
            entry("room line", i, rooms, "Rooms");
            expectTokens(2, "2 fields (room capacity)");
            Room room{std::string(tok(0)), number(tok(1), 0, CttLimits::maxStudents, "room capacity")};
            define(roomIds_, room.id, static_cast<int>(instance.rooms.size()), "room");
            instance.rooms.push_back(std::move(room));
        }

        section("CURRICULA:", SectionEnd{"Rooms", rooms, "room"});
        std::unordered_map<std::string, std::pair<int, int>> curriculumIds;
        for (int i = 0; i < curricula; ++i) {
            entry("curriculum line", i, curricula, "Curricula");
            if (lines_.tokens().size() < 2) fail("at least 2 fields (curriculum member_count course...)", lines_.quoted());
            Curriculum curriculum;
            curriculum.id = std::string(tok(0));
            const int members = number(tok(1), 0, courses, "member count");
            if (lines_.tokens().size() != static_cast<size_t>(members) + 2)
                fail(std::to_string(members) + " course ids (the member count)",
                     std::to_string(lines_.tokens().size() - 2) + " in " + lines_.quoted());
            for (int m = 0; m < members; ++m) {
                const std::string_view id = tok(static_cast<size_t>(m) + 2);
                const int c = course(id);
                if (std::find(curriculum.courses.begin(), curriculum.courses.end(), c) != curriculum.courses.end())
                    fail("distinct courses in curriculum '" + curriculum.id + "'", quoteForError(id) + " twice");
                curriculum.courses.push_back(c);
            }
            define(curriculumIds, curriculum.id, static_cast<int>(instance.curricula.size()), "curriculum");
            instance.curricula.push_back(std::move(curriculum));
        }

        section("UNAVAILABILITY_CONSTRAINTS:", SectionEnd{"Curricula", curricula, "curriculum"});
        std::set<std::tuple<int, int, int>> seen;
        for (int i = 0; i < constraints; ++i) {
            entry("unavailability line", i, constraints, "Constraints");
            expectTokens(3, "3 fields (course day period)");
            Unavailability u;
            u.course = course(tok(0));
            u.day = number(tok(1), 0, instance.days - 1, "day");
            u.period = number(tok(2), 0, instance.periodsPerDay - 1, "period");
            if (!seen.emplace(u.course, u.day, u.period).second) fail("each (course, day, period) once", lines_.quoted() + ", a repeat");
            instance.unavailability.push_back(u);
        }

        section("END.", SectionEnd{"Constraints", constraints, "unavailability"});
        if (lines_.next()) fail("end of file after END.", lines_.quoted());
        return instance;
    }

private:
    struct SectionEnd {
        const char* headerKey;
        int count;
        const char* what;
    };

    [[noreturn]] void fail(const std::string& expected, const std::string& found) const { throw CttError(lines_.line(), expected, found); }

    // The current line, or "end of file".
    std::string found() const { return lines_.tokens().empty() ? std::string("end of file") : lines_.quoted(); }

    std::string_view tok(size_t i) const { return lines_.tokens()[i]; }

    bool advance()
    {
        if (lines_.next()) return true;
        return false;
    }

    void headerLine(const std::string& key)
    {
        if (!advance()) fail("'" + key + ": ...'", "end of file");
        const auto& tokens = lines_.tokens();
        if (tokens[0] != key + ":" || tokens.size() != 2) fail("'" + key + ": <value>'", lines_.quoted());
    }

    std::string headerWord(const std::string& key)
    {
        headerLine(key);
        return std::string(tok(1));
    }

    int headerInt(const std::string& key, int min, int max)
    {
        headerLine(key);
        return number(tok(1), min, max, key);
    }

    int number(std::string_view token, long min, long max, const std::string& what) const
    {
        int value = 0;
        if (!parseBoundedInt(token, min, max, value)) fail(what + " as an integer " + range(min, max), quoteForError(token));
        return value;
    }

    void expectTokens(size_t count, const std::string& expected) const
    {
        if (lines_.tokens().size() != count) fail(expected, lines_.quoted());
    }

    // A section's heading; before it, the previous section must have ended after its count.
    void section(const std::string& heading, std::optional<SectionEnd> previous)
    {
        if (!advance()) fail("'" + heading + "'", "end of file");
        if (lines_.tokens().size() == 1 && tok(0) == heading) return;
        if (previous)
            fail("'" + heading + "' after " + std::to_string(previous->count) + " " + previous->what + " lines (" + previous->headerKey +
                     ": " + std::to_string(previous->count) + " in the header)",
                 lines_.quoted());
        fail("'" + heading + "'", lines_.quoted());
    }

    // The next entry of a section; a heading or the end here means the header's count was too high.
    void entry(const std::string& what, int index, int count, const std::string& headerKey)
    {
        const bool more = advance();
        const bool heading = more && lines_.tokens().size() == 1 && (tok(0) == "END." || (!tok(0).empty() && tok(0).back() == ':'));
        if (!more || heading)
            fail(what + " " + std::to_string(index + 1) + " of " + std::to_string(count) + " (" + headerKey + ": " + std::to_string(count) +
                     " in the header)",
                 found());
    }

    void define(std::unordered_map<std::string, std::pair<int, int>>& ids, const std::string& id, int index, const std::string& what)
    {
        const auto [it, added] = ids.emplace(id, std::make_pair(index, lines_.line()));
        if (!added) fail("a new " + what + " id", quoteForError(id) + ", already defined on line " + std::to_string(it->second.second));
    }

    int course(std::string_view id) const
    {
        const auto it = courseIds_.find(std::string(id));
        if (it == courseIds_.end()) fail("a course id from COURSES", quoteForError(id) + ", an unknown course");
        return it->second.first;
    }

    TextLines lines_;
    std::unordered_map<std::string, std::pair<int, int>> courseIds_; // id -> (index, line)
    std::unordered_map<std::string, std::pair<int, int>> roomIds_;
};

// The name is one token in the format; names from a database may hold spaces.
std::string nameToken(const std::string& name)
{
    std::string out = name.empty() ? std::string("unnamed") : name;
    for (char& ch : out) {
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f') ch = '_';
    }
    return out;
}

} // namespace

Instance parseCtt(std::string_view text)
{
    return CttParser(text).parse();
}

std::string writeCtt(const Instance& instance)
{
    instance.validate();
    std::ostringstream out;
    out << "Name: " << nameToken(instance.name) << "\n"
        << "Courses: " << instance.courses.size() << "\n"
        << "Rooms: " << instance.rooms.size() << "\n"
        << "Days: " << instance.days << "\n"
        << "Periods_per_day: " << instance.periodsPerDay << "\n"
        << "Curricula: " << instance.curricula.size() << "\n"
        << "Constraints: " << instance.unavailability.size() << "\n\nCOURSES:\n";
    for (const Course& c : instance.courses)
        out << c.id << ' ' << c.teacher << ' ' << c.lectures << ' ' << c.minWorkingDays << ' ' << c.students << "\n";
    out << "\nROOMS:\n";
    for (const Room& r : instance.rooms) out << r.id << ' ' << r.capacity << "\n";
    out << "\nCURRICULA:\n";
    for (const Curriculum& q : instance.curricula) {
        out << q.id << ' ' << q.courses.size();
        for (int c : q.courses) out << ' ' << instance.courses[static_cast<size_t>(c)].id;
        out << "\n";
    }
    out << "\nUNAVAILABILITY_CONSTRAINTS:\n";
    for (const Unavailability& u : instance.unavailability)
        out << instance.courses[static_cast<size_t>(u.course)].id << ' ' << u.day << ' ' << u.period << "\n";
    out << "\nEND.\n";
    return out.str();
}

} // namespace vtp::courses::timetable
