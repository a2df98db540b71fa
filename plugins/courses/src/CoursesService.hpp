#pragma once

// The courses plugin's working parts, created in init(): terms, rooms, courses, sections and
// curricula; enrollment with waitlists; schedules, calendar feeds and class rooms; timetables
// solved as kernel jobs. Routes are registered by the *Routes.cpp files, one per area.

#include "RoomAccess.hpp"
#include "Schedule.hpp"

#include "timetable/Instance.hpp"

#include <vtp/sdk.hpp>
#include <vtp/services/directory.h>
#include <vtp/services/sections.h>
#include <vtp/services/sessions.h>

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace vtp::courses {

struct Period {
    int start = 0, end = 0; // minutes after midnight
};

struct Term {
    std::string id, name, timeZone;
    int64_t start = 0, end = 0; // day numbers
    std::set<int64_t> holidays;
    std::vector<int> teachingDays; // ISO weekdays
    std::vector<Period> periods;
};

struct Section {
    std::string id, courseId, termId, name;
    int64_t capacity = 0, waitlistCapacity = 0;
    std::optional<int64_t> opens, closes, dropDeadline; // day numbers
};

// A user resolved through auth's directory service.
struct DirectoryEntry {
    std::string id, email, displayName;
};

class CoursesService {
public:
    explicit CoursesService(Host& host);
    void start();
    void stop();

    // For the room provider: the facts of session `sessionId` for `userId` (empty: describe).
    std::optional<RoomFacts> roomFacts(const std::string& sessionId, const std::string& userId) const;
    // For the sections service: "instructor", "assistant", "enrolled", "waitlisted" or ""; nothing
    // if no such section.
    std::optional<std::string> sectionRelation(const std::string& sectionId, const std::string& userId) const;
    // For the sections service's describe: the section's course and term (with the term's first
    // and last instants in its zone); nothing if no such section.
    std::optional<Json> describeSection(const std::string& sectionId) const;

private:
    using Handler = Response (CoursesService::*)(const Request&);
    void route(Route r, Handler h);

    void registerTermRoutes();
    void registerClassroomRoutes();
    void registerCourseRoutes();
    void registerCurriculumRoutes();
    void registerSectionRoutes();
    void registerEnrollmentRoutes();
    void registerScheduleRoutes();
    void registerTimetableRoutes();
    void registerCommands();

    // Catalog: terms, rooms, courses, curricula (TermRoutes, ClassroomRoutes, CourseRoutes, CurriculumRoutes.cpp).
    Response listTerms(const Request&);
    Response createTerm(const Request&);
    Response getTerm(const Request&);
    Response updateTerm(const Request&);
    Response deleteTerm(const Request&);
    Response listRooms(const Request&);
    Response createRoom(const Request&);
    Response getRoom(const Request&);
    Response updateRoom(const Request&);
    Response deleteRoom(const Request&);
    Response listCourses(const Request&);
    Response createCourse(const Request&);
    Response getCourse(const Request&);
    Response updateCourse(const Request&);
    Response deleteCourse(const Request&);
    Response putUnavailability(const Request&);
    Response listCurricula(const Request&);
    Response createCurriculum(const Request&);
    Response getCurriculum(const Request&);
    Response updateCurriculum(const Request&);
    Response deleteCurriculum(const Request&);

    // Sections, meeting patterns and sessions (SectionRoutes.cpp).
    Response listSections(const Request&);
    Response createSection(const Request&);
    Response getSection(const Request&);
    Response updateSection(const Request&);
    Response deleteSection(const Request&);
    Response getMeetings(const Request&);
    Response putMeetings(const Request&);
    Response listSessions(const Request&);
    Response updateSession(const Request&);

    // Enrollment and rosters (EnrollmentRoutes.cpp).
    Response enrollSelf(const Request&);
    Response dropSelf(const Request&);
    Response listRoster(const Request&);
    Response addToRoster(const Request&);
    Response removeFromRoster(const Request&);
    Response importRoster(const Request&);
    Response exportRoster(const Request&);
    Response myEnrollments(const Request&);

    // Schedules and calendar feeds (ScheduleRoutes.cpp).
    Response mySchedule(const Request&);
    Response createCalendarToken(const Request&);
    Response deleteCalendarToken(const Request&);
    Response calendarFeed(const Request&);

    // Timetables and .ctt import/export (TimetableRoutes.cpp).
    Response startTimetable(const Request&);
    Response listTimetables(const Request&);
    Response getTimetable(const Request&);
    Response acceptTimetable(const Request&);
    Response exportCtt(const Request&);
    Response importCtt(const Request&);
    Json runTimetableJob(Job& job, const Json& params);
    // A term as a timetabling instance: one ITC-2007 course per section with lectures, every
    // room, curricula expanded to their courses' sections; ids are readable and mapped back.
    struct BuiltInstance {
        timetable::Instance instance;
        std::vector<std::string> sectionIds; // by instance course index
        std::vector<std::string> roomIds;    // by instance room index
    };
    BuiltInstance buildInstance(const Term& term) const;
    Json timetableJson(const Rows::Row& row, bool detail) const;

    // Shared helpers: terms, sections and sessions from rows, as JSON, regenerated (Records.cpp);
    // staff roles, section managers and accounts through the directory (Access.cpp).
    Term loadTerm(const std::string& id) const;
    Term loadTerm(Tx& tx, const std::string& id) const;
    Section loadSection(const std::string& id) const;
    static Term termFromRow(const Rows::Row& row);
    static Section sectionFromRow(const Rows::Row& row);
    Json termJson(const Term& t, int64_t createdAt) const;
    Json sectionJson(const Rows::Row& row) const;
    Json sessionJson(const Rows::Row& row) const;
    // "instructor", "assistant", or nothing.
    std::optional<std::string> staffRole(const std::string& sectionId, const std::string& userId) const;
    // Admins, and the section's instructors; 403 for anyone else (404 if no such section).
    Section requireSectionManager(const Request& req, const std::string& sectionId) const;
    // Also the section's teaching assistants (read-only roster and sessions).
    Section requireSectionStaff(const Request& req, const std::string& sectionId) const;
    // Replaces the section's sessions by its meeting patterns expanded over the term.
    int64_t regenerateSessions(Tx& tx, const std::string& sectionId, const Term& term) const;
    void publishScheduled(const std::string& sectionId, const std::string& termId, int64_t sessions) const;
    std::optional<DirectoryEntry> lookupEmail(const std::string& email) const;
    std::optional<DirectoryEntry> lookupId(const std::string& id) const;
    // 422 unknown-user naming the first id in `ids` (a section's `field`) no account has; without
    // the auth directory nothing can be checked.
    void requireAccounts(const std::vector<std::string>& ids, const char* field) const;
    // Today's date in a zone (day number).
    static int64_t today(const std::string& timeZone);
    static int64_t localInstant(const Term& term, int64_t date, int minutes);

    // Enrollment primitives: each runs in one transaction with the section row locked.
    struct EnrollOutcome {
        std::string status; // enrolled | waitlisted
        int64_t position = 0, seq = 0;
    };
    EnrollOutcome enroll(const std::string& sectionId, const std::string& userId, bool byStaff, const std::string& actor);
    void drop(const std::string& sectionId, const std::string& userId, bool byStaff, const std::string& actor);
    // Fills free seats from the waitlist, in order; returns the promoted users.
    std::vector<std::string> promoteWaitlisted(Tx& tx, const std::string& sectionId) const;
    void lockSectionRow(Tx& tx, const std::string& sectionId) const;
    std::mutex& sectionMutex(const std::string& sectionId);
    void publishEnrollment(const std::string& sectionId, const std::string& userId, const std::string& status,
                           const std::string& actor) const;

    Host& host_;
    std::string defaultTimeZone_;
    std::string calendarBaseUrl_;
    int64_t calendarPastDays_ = 30, calendarFutureDays_ = 200;
    int64_t defaultTimeLimit_ = 30, maxTimeLimit_ = 600;
    int threads_ = 2;
    size_t maxCsvBytes_ = 1 << 20;
    const vtp_directory_v1* directory_ = nullptr;
    Metric enrollmentChanges_, timetables_;
    std::unique_ptr<RoomAccess> rooms_;
    vtp_sections_v1 sections_{}; // the service "vtp.courses.sections"
    vtp_sessions_v1 sessions_{}; // the service "vtp.courses.sessions"
    // The recorded sessions in progress at `at`, as vtp.courses.sessions hands them out.
    std::vector<Json> recordedSessions(int64_t at) const;
    // Striped locks: in-process serialisation of one section's enrollments, so that SQLite's
    // writers do not queue on its busy timeout; PostgreSQL's row lock is what holds across nodes.
    std::array<std::mutex, 64> sectionLocks_;
};

} // namespace vtp::courses
