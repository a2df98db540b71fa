// A user's timetable across all their sections (as student or as staff), and the same as an
// iCalendar feed behind a secret URL that calendar clients subscribe to without a token.
#include "ApiSchemas.hpp"
#include "CoursesService.hpp"

#include "Dates.hpp"
#include "Queries.hpp"
#include "RequestFields.hpp"

#include <vtp/random.hpp>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace vtp::courses {

namespace {

// Calendar tokens are stored as their hashes.
std::string sha256Hex(std::string_view data)
{
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(data.data(), static_cast<unsigned>(data.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

// Sessions of every section the user is enrolled in (not waitlisted) or teaches.
const char* kMySessions =
    "SELECT x.id, x.section_id, x.session_date, x.start_time, x.end_time, x.starts_at, x.ends_at, x.room_id, x.status, x.note, "
    "x.sequence, x.recorded, r.name AS room_name, c.code AS course_code, c.title AS course_title, s.name AS section_name, t.time_zone "
    "FROM courses_sessions x JOIN courses_sections s ON s.id = x.section_id JOIN courses_courses c ON c.id = s.course_id "
    "JOIN courses_terms t ON t.id = s.term_id LEFT JOIN courses_rooms r ON r.id = x.room_id "
    "WHERE (x.section_id IN (SELECT section_id FROM courses_enrollments WHERE user_id = ? AND status = 'enrolled') "
    "OR x.section_id IN (SELECT section_id FROM courses_section_staff WHERE user_id = ?))";

} // namespace

void CoursesService::registerScheduleRoutes()
{
    route({.method = "GET",
           .path = "/api/v1/users/me/schedule",
           .summary = "The caller's sessions across their sections (?from, ?to dates, default the coming 7 days; ?status; ?limit, ?cursor)",
           .responseSchema = schemas::page("sessions", schemas::session()),
           .errors = {{400, "invalid-parameter"}},
           .query = pageQuery({{"from", Query::String, "the first day, YYYY-MM-DD (default: today)"},
                               {"to", Query::String, "the last day, YYYY-MM-DD (default: six days after from; at most 366 days)"},
                               {"status", Query::String, "scheduled or cancelled"}})},
          &CoursesService::mySchedule);
    route({.method = "POST",
           .path = "/api/v1/users/me/calendar",
           .summary = "Creates or rotates the caller's secret calendar feed URL (the previous one stops working)",
           .responseSchema = schemas::calendarToken(),
           .successStatus = 201},
          &CoursesService::createCalendarToken);
    route(
        {.method = "DELETE", .path = "/api/v1/users/me/calendar", .summary = "Turns the caller's calendar feed off", .successStatus = 204},
        &CoursesService::deleteCalendarToken);
    route({.method = "GET",
           .path = "/api/v1/calendar/{file}",
           .role = Role::Public,
           .summary = "A user's iCalendar feed (RFC 5545); {file} is the secret token followed by .ics",
           .responseSchema = R"({"type":"string","contentMediaType":"text/calendar"})",
           .errors = {{404, "not-found"}},
           .secretParams = {"file"}},
          &CoursesService::calendarFeed);
}

Response CoursesService::mySchedule(const Request& req)
{
    const std::string me(req.subject());
    const int64_t from = queryDate(req, "from").value_or(unixNow() / 86400);
    const int64_t to = queryDate(req, "to").value_or(from + 6);
    if (to < from) throw BadRequest("'to' is before 'from'", "invalid-parameter");
    if (to - from > 366) throw BadRequest("at most 366 days at once", "invalid-parameter");
    PageQuery q{.sql = std::string(kMySessions) + " AND x.session_date >= ? AND x.session_date <= ?",
                .args = {me, me, formatDate(from), formatDate(to)},
                .sortColumn = "x.starts_at",
                .idColumn = "x.id",
                .sortIsInteger = true,
                .sortAlias = "starts_at"};
    if (const auto status = queryChoice(req, "status", {"scheduled", "cancelled"})) {
        q.sql += " AND x.status = ?";
        q.args.emplace_back(*status);
    }
    return Response::json(listPage(host_.db(), req, q, "sessions", [this](const Rows::Row& r) { return sessionJson(r); }));
}

Response CoursesService::createCalendarToken(const Request& req)
{
    const std::string me(req.subject());
    const std::string token = randomHex(24);
    host_.db().transaction([&](Tx& tx) {
        tx.exec("DELETE FROM courses_calendar_tokens WHERE user_id = ?", {me});
        tx.exec("INSERT INTO courses_calendar_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)",
                {me, sha256Hex(token), static_cast<long long>(unixNow())});
    });
    const std::string path = "/api/v1/calendar/" + token + ".ics";
    return Response::created(Json{{"token", token}, {"path", path}, {"url", calendarBaseUrl_ + path}});
}

Response CoursesService::deleteCalendarToken(const Request& req)
{
    host_.db().exec("DELETE FROM courses_calendar_tokens WHERE user_id = ?", {std::string(req.subject())});
    return Response::noContent();
}

Response CoursesService::calendarFeed(const Request& req)
{
    const std::string file = req.param("file");
    // Every refusal looks the same, so the route tells nothing about which tokens exist.
    if (file.size() < 5 || file.size() > 100 || file.compare(file.size() - 4, 4, ".ics") != 0) throw NotFound("no such calendar");
    const std::string token = file.substr(0, file.size() - 4);
    const Rows owner = host_.db().query("SELECT user_id FROM courses_calendar_tokens WHERE token_hash = ?", {sha256Hex(token)});
    if (owner.empty()) throw NotFound("no such calendar");
    const std::string user = owner[0][0].asString();
    const int64_t now = unixNow();
    const Rows rows = host_.db().query(
        std::string(kMySessions) + " AND x.ends_at >= ? AND x.starts_at <= ? ORDER BY x.starts_at, x.id",
        {user, user, static_cast<long long>(now - calendarPastDays_ * 86400), static_cast<long long>(now + calendarFutureDays_ * 86400)});
    std::vector<CalendarEvent> events;
    events.reserve(rows.size());
    for (const auto& r : rows) {
        CalendarEvent e;
        e.uid = r["id"].asString() + "@courses.vtp";
        e.startUtc = r["starts_at"].asInt();
        e.endUtc = r["ends_at"].asInt();
        e.summary = r["course_code"].asString() + " " + r["section_name"].asString() + ": " + r["course_title"].asString();
        e.location = r["room_name"].asOptionalString().value_or("");
        e.description = r["note"].asOptionalString().value_or("");
        e.cancelled = r["status"].asString() == "cancelled";
        e.sequence = r["sequence"].asInt();
        events.push_back(std::move(e));
    }
    Response resp = Response::text(writeICalendar("VTP classes", events, now), 200, "text/calendar; charset=utf-8");
    resp.header("Cache-Control", "private, max-age=300");
    return resp;
}

} // namespace vtp::courses
