// Terms, sections and their sessions: read from their rows, written as JSON, sessions regenerated from
// the meeting patterns and announced.

#include "CoursesService.hpp"

#include "Dates.hpp"
#include "Queries.hpp"
#include "RequestFields.hpp"
#include "TimeZone.hpp"

#include "timetable/Commands.hpp"

#include <vtp/random.hpp>

#include <functional>

namespace vtp::courses {

namespace {

const char* kTermColumns = "id, name, start_date, end_date, time_zone, holidays, teaching_days, periods, created_at";

} // namespace

Term CoursesService::termFromRow(const Rows::Row& row)
{
    Term t;
    t.id = row["id"].asString();
    t.name = row["name"].asString();
    t.start = parseDate(row["start_date"].asString()).value_or(0);
    t.end = parseDate(row["end_date"].asString()).value_or(0);
    t.timeZone = row["time_zone"].asString();
    const Json holidays = parseJsonText(row["holidays"].asString());
    for (size_t i = 0; i < holidays.size(); ++i)
        if (auto d = parseDate(holidays.at(i).asString())) t.holidays.insert(*d);
    const Json days = parseJsonText(row["teaching_days"].asString());
    for (size_t i = 0; i < days.size(); ++i) t.teachingDays.push_back(static_cast<int>(days.at(i).asInt()));
    const Json periods = parseJsonText(row["periods"].asString());
    for (size_t i = 0; i < periods.size(); ++i)
        t.periods.push_back(
            {parseTime(periods.at(i)["start"].asString()).value_or(0), parseTime(periods.at(i)["end"].asString(), true).value_or(0)});
    return t;
}

Term CoursesService::loadTerm(const std::string& id) const
{
    const Rows rows = host_.db().query(std::string("SELECT ") + kTermColumns + " FROM courses_terms WHERE id = ?", {id});
    if (rows.empty()) throw NotFound("no such term");
    return termFromRow(rows[0]);
}

Term CoursesService::loadTerm(Tx& tx, const std::string& id) const
{
    const Rows rows = tx.query(std::string("SELECT ") + kTermColumns + " FROM courses_terms WHERE id = ?", {id});
    if (rows.empty()) throw NotFound("no such term");
    return termFromRow(rows[0]);
}

Json CoursesService::termJson(const Term& t, int64_t createdAt) const
{
    Json holidays = Json::array();
    for (int64_t d : t.holidays) holidays.push(formatDate(d));
    Json days = Json::array();
    for (int d : t.teachingDays) days.push(d);
    Json periods = Json::array();
    for (const auto& p : t.periods) periods.push(Json{{"start", formatTime(p.start)}, {"end", formatTime(p.end)}});
    return Json{{"id", t.id},
                {"name", t.name},
                {"start_date", formatDate(t.start)},
                {"end_date", formatDate(t.end)},
                {"time_zone", t.timeZone},
                {"holidays", holidays},
                {"teaching_days", days},
                {"periods", periods},
                {"created_at", createdAt}};
}

Section CoursesService::sectionFromRow(const Rows::Row& row)
{
    Section s;
    s.id = row["id"].asString();
    s.courseId = row["course_id"].asString();
    s.termId = row["term_id"].asString();
    s.name = row["name"].asString();
    s.capacity = row["capacity"].asInt();
    s.waitlistCapacity = row["waitlist_capacity"].asInt();
    auto date = [&](const char* col) -> std::optional<int64_t> {
        const auto v = row[col].asOptionalString();
        return v ? parseDate(*v) : std::nullopt;
    };
    s.opens = date("enrollment_opens");
    s.closes = date("enrollment_closes");
    s.dropDeadline = date("drop_deadline");
    return s;
}

Section CoursesService::loadSection(const std::string& id) const
{
    const Rows rows = host_.db().query(
        "SELECT id, course_id, term_id, name, capacity, waitlist_capacity, enrollment_opens, enrollment_closes, drop_deadline "
        "FROM courses_sections WHERE id = ?",
        {id});
    if (rows.empty()) throw NotFound("no such section");
    return sectionFromRow(rows[0]);
}

Json CoursesService::sectionJson(const Rows::Row& row) const
{
    const std::string id = row["id"].asString();
    Json instructors = Json::array(), assistants = Json::array();
    for (const auto& r : host_.db().query("SELECT user_id, role FROM courses_section_staff WHERE section_id = ? ORDER BY user_id", {id}))
        (r["role"].asString() == "instructor" ? instructors : assistants).push(r["user_id"].asString());
    auto optional = [&](const char* col) {
        const auto v = row[col].asOptionalString();
        return v ? Json(*v) : Json();
    };
    return Json{{"id", id},
                {"course_id", row["course_id"].asString()},
                {"term_id", row["term_id"].asString()},
                {"course_code", row["course_code"].asString()},
                {"name", row["name"].asString()},
                {"capacity", row["capacity"].asInt()},
                {"waitlist_capacity", row["waitlist_capacity"].asInt()},
                {"enrolled", row["enrolled"].asInt()},
                {"waitlisted", row["waitlisted"].asInt()},
                {"enrollment_opens", optional("enrollment_opens")},
                {"enrollment_closes", optional("enrollment_closes")},
                {"drop_deadline", optional("drop_deadline")},
                {"instructors", instructors},
                {"assistants", assistants},
                {"created_at", row["created_at"].asInt()}};
}

Json CoursesService::sessionJson(const Rows::Row& row) const
{
    const std::string id = row["id"].asString();
    const auto roomId = row["room_id"].asOptionalString();
    const auto roomName = row["room_name"].asOptionalString();
    const auto note = row["note"].asOptionalString();
    return Json{{"id", id},
                {"section_id", row["section_id"].asString()},
                {"course_code", row["course_code"].asString()},
                {"course_title", row["course_title"].asString()},
                {"section_name", row["section_name"].asString()},
                {"date", row["session_date"].asString()},
                {"start_time", row["start_time"].asString()},
                {"end_time", row["end_time"].asString()},
                {"time_zone", row["time_zone"].asString()},
                {"starts_at", row["starts_at"].asInt()},
                {"ends_at", row["ends_at"].asInt()},
                {"room_id", roomId ? Json(*roomId) : Json()},
                {"room_name", roomName ? Json(*roomName) : Json()},
                {"status", row["status"].asString()},
                {"note", note ? Json(*note) : Json()},
                {"recorded", row["recorded"].asInt() != 0},
                {"live_room", "courses:" + id}};
}

int64_t CoursesService::localInstant(const Term& term, int64_t date, int minutes)
{
    return TimeZone::load(term.timeZone)->toUtc(date * 86400 + static_cast<int64_t>(minutes) * 60);
}

int64_t CoursesService::today(const std::string& timeZone)
{
    const int64_t local = TimeZone::load(timeZone)->toLocal(unixNow());
    return (local >= 0 ? local : local - 86399) / 86400;
}

int64_t CoursesService::regenerateSessions(Tx& tx, const std::string& sectionId, const Term& term) const
{
    std::vector<MeetingPattern> patterns;
    for (const auto& r : tx.query(
             "SELECT id, weekday, start_time, end_time, room_id, recorded FROM courses_meeting_patterns WHERE section_id = ?", {sectionId}))
        patterns.push_back({r["id"].asString(), static_cast<int>(r["weekday"].asInt()), parseTime(r["start_time"].asString()).value_or(0),
                            parseTime(r["end_time"].asString(), true).value_or(0), r["room_id"].asOptionalString(),
                            r["recorded"].asInt() != 0});
    tx.exec("DELETE FROM courses_sessions WHERE section_id = ?", {sectionId});
    const auto planned = expandPatterns(patterns, term.start, term.end, term.holidays);
    for (const auto& p : planned) {
        const std::string id = randomUuid(), date = formatDate(p.date), start = formatTime(p.start), end = formatTime(p.end);
        tx.exec(
            "INSERT INTO courses_sessions (id, section_id, pattern_id, session_date, start_time, end_time, starts_at, ends_at, room_id, "
            "status, sequence, recorded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', 0, ?)",
            {id, sectionId, p.patternId, date, start, end, static_cast<long long>(localInstant(term, p.date, p.start)),
             static_cast<long long>(localInstant(term, p.date, p.end)), p.roomId, p.recorded ? 1 : 0});
    }
    return static_cast<int64_t>(planned.size());
}

void CoursesService::publishScheduled(const std::string& sectionId, const std::string& termId, int64_t sessions) const
{
    host_.publish("session.scheduled", Json{{"section_id", sectionId}, {"term_id", termId}, {"sessions", sessions}});
}

} // namespace vtp::courses
