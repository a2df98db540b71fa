#include "CoursesService.hpp"

#include "Dates.hpp"
#include "Queries.hpp"
#include "RequestFields.hpp"
#include "TimeZone.hpp"

#include "timetable/Commands.hpp"

#include <vtp/random.hpp>

#include <cstdio>
#include <cstring>
#include <functional>

namespace vtp::courses {

CoursesService::CoursesService(Host& host) : host_(host)
{
    const Config& c = host.config();
    defaultTimeZone_ = c.getString("default_time_zone");
    if (!TimeZone::exists(defaultTimeZone_)) throw PluginError("default_time_zone: unknown time zone '" + defaultTimeZone_ + "'");
    calendarBaseUrl_ = c.getString("calendar.base_url");
    while (!calendarBaseUrl_.empty() && calendarBaseUrl_.back() == '/') calendarBaseUrl_.pop_back();
    calendarPastDays_ = c.getInt("calendar.past_days");
    calendarFutureDays_ = c.getInt("calendar.future_days");
    defaultTimeLimit_ = c.getInt("timetable.default_time_limit_seconds");
    maxTimeLimit_ = c.getInt("timetable.max_time_limit_seconds");
    if (defaultTimeLimit_ > maxTimeLimit_)
        throw PluginError("timetable.default_time_limit_seconds exceeds timetable.max_time_limit_seconds");
    threads_ = static_cast<int>(c.getInt("timetable.threads"));
    maxCsvBytes_ = static_cast<size_t>(c.getInt("roster.max_csv_bytes"));

    rooms_ = std::make_unique<RoomAccess>([this](const std::string& key, const std::string& user) { return roomFacts(key, user); },
                                          c.getInt("rooms.early_join_minutes") * 60, c.getInt("rooms.grace_minutes") * 60);
    host.offer(std::string(VTP_ROOM_PROVIDER_PREFIX) + "courses", VTP_ROOM_PROVIDER_VERSION, rooms_->table());
    sections_.struct_size = sizeof sections_;
    sections_.context = this;
    sections_.relation = [](void* context, const char* sectionId, const char* userId, char* out, size_t cap) noexcept -> int {
        if (!sectionId || !userId || !out || cap < 16) return VTP_INVALID;
        try {
            const auto relation = static_cast<const CoursesService*>(context)->sectionRelation(sectionId, userId);
            if (!relation) return VTP_NOT_FOUND;
            std::snprintf(out, cap, "%s", relation->c_str());
            return VTP_OK;
        } catch (...) {
            return VTP_ERROR;
        }
    };
    sections_.describe = [](void* context, const char* sectionId, char* out, size_t cap) noexcept -> int {
        if (!sectionId || !out || cap == 0) return VTP_INVALID;
        try {
            const auto about = static_cast<const CoursesService*>(context)->describeSection(sectionId);
            if (!about) return VTP_NOT_FOUND;
            const std::string text = about->dump();
            if (text.size() + 1 > cap) return VTP_INVALID;
            std::memcpy(out, text.c_str(), text.size() + 1);
            return VTP_OK;
        } catch (...) {
            return VTP_ERROR;
        }
    };
    host.offer(VTP_SECTIONS_SERVICE, VTP_SECTIONS_VERSION, &sections_);
    sessions_.struct_size = sizeof sessions_;
    sessions_.context = this;
    sessions_.recorded_sessions = [](void* context, int64_t at, vtp_session_visitor each, void* user) noexcept -> int {
        if (!each) return VTP_INVALID;
        try {
            for (const auto& session : static_cast<const CoursesService*>(context)->recordedSessions(at)) {
                const std::string text = session.dump();
                each(user, text.c_str(), text.size());
            }
            return VTP_OK;
        } catch (...) {
            return VTP_ERROR;
        }
    };
    host.offer(VTP_SESSIONS_SERVICE, VTP_SESSIONS_VERSION, &sessions_);

    host.job({.kind = "courses.timetable",
              .summary = "Solves a term's timetable (ITC-2007 curriculum-based course timetabling)",
              .maxAttempts = 1,
              .run = [this](Job& job, const Json& params) { return runTimetableJob(job, params); }});

    enrollmentChanges_ = host.counter("enrollment_changes_total", "Enrollment changes by resulting status (enrolled, waitlisted, dropped)");
    timetables_ = host.counter("timetables_total", "Finished timetable jobs by outcome (proposed, infeasible, cancelled, failed)");

    registerTermRoutes();
    registerClassroomRoutes();
    registerCourseRoutes();
    registerCurriculumRoutes();
    registerSectionRoutes();
    registerEnrollmentRoutes();
    registerScheduleRoutes();
    registerTimetableRoutes();
    registerCommands();
}

void CoursesService::start()
{
    // auth is a dependency, so its directory is offered by now.
    directory_ = host_.find<vtp_directory_v1>(VTP_DIRECTORY_SERVICE, VTP_DIRECTORY_VERSION, VTP_DIRECTORY_V1_SIZE);
    if (!directory_) host_.log().warn("vtp.auth.directory is not offered: rosters import user ids only and export no emails");
}

void CoursesService::stop() {}

void CoursesService::route(Route r, Handler h)
{
    if (r.body == Body::Json && r.maxBodyBytes == 0) r.maxBodyBytes = 64 * 1024;
    host_.route(r, [this, h](const Request& req) { return (this->*h)(req); });
}

void CoursesService::registerCommands()
{
    host_.command({.name = "timetable solve",
                   .summary = "Solves an ITC-2007 .ctt instance offline and writes the timetable in the ITC-2007 solution format",
                   .usage = "FILE.ctt [--time-limit SECONDS] [--seed N] [--threads N] [-o FILE.sol] [--quiet]",
                   .run = [](const std::vector<std::string>& args) { return timetable::runSolveCommand(args); }});
    host_.command({.name = "timetable check",
                   .summary = "Prints a timetable's hard violations and its soft cost by component",
                   .usage = "FILE.ctt FILE.sol",
                   .run = [](const std::vector<std::string>& args) { return timetable::runCheckCommand(args); }});
}

// ------------------------------------------------------------------ the room provider

std::optional<RoomFacts> CoursesService::roomFacts(const std::string& sessionId, const std::string& userId) const
{
    const Rows rows = host_.db().query(
        "SELECT s.starts_at, s.ends_at, s.status, s.session_date, sec.id AS section_id, sec.name AS section_name, sec.capacity, "
        "c.code, c.title, t.time_zone FROM courses_sessions s JOIN courses_sections sec ON sec.id = s.section_id "
        "JOIN courses_courses c ON c.id = sec.course_id JOIN courses_terms t ON t.id = sec.term_id WHERE s.id = ?",
        {sessionId});
    if (rows.empty()) return std::nullopt;
    const auto row = rows[0];
    RoomFacts f;
    const std::string sectionId = row["section_id"].asString();
    f.name = row["code"].asString() + " " + row["section_name"].asString() + ": " + row["title"].asString() + " (" +
             row["session_date"].asString() + ")";
    f.startsAt = row["starts_at"].asInt();
    f.endsAt = row["ends_at"].asInt();
    f.cancelled = row["status"].asString() == "cancelled";
    f.capacity = row["capacity"].asInt();
    f.timeZone = row["time_zone"].asString();
    f.sectionId = sectionId;
    f.sessionId = sessionId;
    f.staff = host_.db().query("SELECT COUNT(*) FROM courses_section_staff WHERE section_id = ?", {sectionId})[0][0].asInt();
    if (!userId.empty()) {
        if (const auto role = staffRole(sectionId, userId)) {
            f.relation = *role == "instructor" ? Relation::Instructor : Relation::Assistant;
        } else {
            const Rows e =
                host_.db().query("SELECT status FROM courses_enrollments WHERE section_id = ? AND user_id = ?", {sectionId, userId});
            if (!e.empty()) f.relation = e[0][0].asString() == "enrolled" ? Relation::Enrolled : Relation::Waitlisted;
        }
    }
    return f;
}

std::vector<Json> CoursesService::recordedSessions(int64_t at) const
{
    const Rows rows = host_.db().query(
        "SELECT s.id, s.section_id, s.starts_at, s.ends_at, s.session_date, sec.name AS section_name, c.code, c.title "
        "FROM courses_sessions s JOIN courses_sections sec ON sec.id = s.section_id JOIN courses_courses c ON c.id = sec.course_id "
        "WHERE s.recorded = 1 AND s.status = 'scheduled' AND s.starts_at <= ? AND s.ends_at > ? ORDER BY s.starts_at, s.id",
        {static_cast<long long>(at), static_cast<long long>(at)});
    std::vector<Json> out;
    for (const auto row : rows) {
        const std::string id = row["id"].asString(), sectionId = row["section_id"].asString();
        Json instructors = Json::array();
        for (const auto staff : host_.db().query(
                 "SELECT user_id FROM courses_section_staff WHERE section_id = ? AND role = 'instructor' ORDER BY user_id", {sectionId}))
            instructors.push(staff["user_id"].asString());
        out.push_back(Json{{"id", id},
                           {"section_id", sectionId},
                           {"room", "courses:" + id},
                           {"name", row["code"].asString() + " " + row["section_name"].asString() + ": " + row["title"].asString() + " (" +
                                        row["session_date"].asString() + ")"},
                           {"starts_at", row["starts_at"].asInt()},
                           {"ends_at", row["ends_at"].asInt()},
                           {"instructors", instructors}});
    }
    return out;
}

std::optional<std::string> CoursesService::sectionRelation(const std::string& sectionId, const std::string& userId) const
{
    if (host_.db().query("SELECT 1 FROM courses_sections WHERE id = ?", {sectionId}).empty()) return std::nullopt;
    if (auto role = staffRole(sectionId, userId)) return role;
    const Rows e = host_.db().query("SELECT status FROM courses_enrollments WHERE section_id = ? AND user_id = ?", {sectionId, userId});
    return e.empty() ? std::string() : e[0][0].asString();
}

std::optional<Json> CoursesService::describeSection(const std::string& sectionId) const
{
    const Rows rows = host_.db().query(
        "SELECT sec.name AS section_name, c.id AS course_id, c.code, c.title, t.id AS term_id, t.name AS term_name, t.start_date, "
        "t.end_date, t.time_zone FROM courses_sections sec JOIN courses_courses c ON c.id = sec.course_id JOIN courses_terms t ON "
        "t.id = sec.term_id WHERE sec.id = ?",
        {sectionId});
    if (rows.empty()) return std::nullopt;
    const auto row = rows[0];
    const auto zone = TimeZone::load(row["time_zone"].asString());
    const auto first = parseDate(row["start_date"].asString());
    const auto last = parseDate(row["end_date"].asString());
    if (!first || !last) throw std::runtime_error("term " + row["term_id"].asString() + " has a malformed date");
    return Json{{"section_id", sectionId},
                {"section_name", row["section_name"].asString()},
                {"course_id", row["course_id"].asString()},
                {"course_code", row["code"].asString()},
                {"course_title", row["title"].asString()},
                {"term_id", row["term_id"].asString()},
                {"term_name", row["term_name"].asString()},
                // Local midnights in the term's zone: the first day's start, the day after the last.
                {"term_starts_at", zone->toUtc(*first * 86400)},
                {"term_ends_at", zone->toUtc((*last + 1) * 86400)}};
}

} // namespace vtp::courses
