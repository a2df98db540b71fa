// Terms: a teaching period with its time zone, holidays, teaching days and period grid; read by everyone signed in, managed by admins.
#include "ApiSchemas.hpp"
#include "CoursesService.hpp"

#include "Dates.hpp"
#include "Queries.hpp"
#include "RequestFields.hpp"
#include "TimeZone.hpp"

#include <vtp/random.hpp>

#include <algorithm>
#include <set>

namespace vtp::courses {

namespace {

// Teaching days: ISO weekdays, distinct, ascending.
std::vector<int> parseTeachingDays(const Json& body)
{
    std::vector<int> days;
    const Json a = body["teaching_days"];
    if (!a.isArray() || a.size() == 0 || a.size() > 7)
        throw Unprocessable("'teaching_days' must be an array of 1 to 7 ISO weekdays (1 = Monday)", "invalid-teaching-days");
    for (size_t i = 0; i < a.size(); ++i) days.push_back(static_cast<int>(a.intAt(i, "teaching_days", 1, 7, "invalid-teaching-days")));
    std::sort(days.begin(), days.end());
    if (std::adjacent_find(days.begin(), days.end()) != days.end())
        throw Unprocessable("'teaching_days' lists a weekday twice", "invalid-teaching-days");
    return days;
}

std::vector<Period> parsePeriods(const Json& body)
{
    std::vector<Period> out;
    const Json a = body["periods"];
    if (!a.isArray() || a.size() == 0 || a.size() > 48)
        throw Unprocessable("'periods' must be an array of 1 to 48 {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}", "invalid-periods");
    for (size_t i = 0; i < a.size(); ++i) {
        const Json p = a.at(i);
        const auto s = p["start"].isString() ? parseTime(p["start"].asString()) : std::nullopt;
        const auto e = p["end"].isString() ? parseTime(p["end"].asString(), true) : std::nullopt;
        if (!s || !e || *e <= *s)
            throw Unprocessable("period " + std::to_string(i + 1) + " needs 'start' and 'end' times HH:MM with start before end",
                                "invalid-periods");
        if (!out.empty() && *s < out.back().end)
            throw Unprocessable("periods must be in order and must not overlap (period " + std::to_string(i + 1) + ")", "invalid-periods");
        out.push_back({*s, *e});
    }
    return out;
}

} // namespace

void CoursesService::registerTermRoutes()
{
    const std::string admin = "admin";
    route({.method = "GET",
           .path = "/api/v1/terms",
           .summary = "Terms (?q name contains, ?active_on date, ?limit, ?cursor), by start date",
           .responseSchema = schemas::page("terms", schemas::term()),
           .errors = {{400, "invalid-parameter"}},
           .query = pageQuery({{"q", Query::String, "only terms whose name contains this text"},
                               {"active_on", Query::String, "only terms that include this day, YYYY-MM-DD"}})},
          &CoursesService::listTerms);
    route(
        {.method = "POST",
         .path = "/api/v1/terms",
         .role = admin,
         .summary = "Creates a term",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","properties":{"name":{"type":"string"},"start_date":{"type":"string","format":"date"},"end_date":{"type":"string","format":"date"},"time_zone":{"type":"string"},"holidays":{"type":"array","items":{"type":"string","format":"date"}},"teaching_days":{"type":"array","items":{"type":"integer"}},"periods":{"type":"array","items":{"type":"object"}}},"required":["name","start_date","end_date"]})",
         .responseSchema = schemas::term(),
         .successStatus = 201,
         .errors = {{422, "holiday-outside-term"},
                    {400, "invalid-body"},
                    {404, "not-found"},
                    {409, "duplicate-term"},
                    {422, "invalid-dates"},
                    {422, "invalid-end-date"},
                    {422, "invalid-field"},
                    {422, "invalid-holidays"},
                    {422, "invalid-name"},
                    {422, "invalid-periods"},
                    {422, "invalid-start-date"},
                    {422, "invalid-teaching-days"},
                    {422, "invalid-time-zone"}}},
        &CoursesService::createTerm);
    route({.method = "GET",
           .path = "/api/v1/terms/{id}",
           .summary = "One term",
           .responseSchema = schemas::term(),
           .errors = {{404, "not-found"}}},
          &CoursesService::getTerm);
    route(
        {.method = "PATCH",
         .path = "/api/v1/terms/{id}",
         .role = admin,
         .summary = "Changes a term; new dates, holidays or time zone reschedule its sections' sessions",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","additionalProperties":false,"properties":{"name":{"type":"string","minLength":1,"maxLength":100},"start_date":{"type":"string","format":"date"},"end_date":{"type":"string","format":"date"},"time_zone":{"type":"string"},"holidays":{"type":"array","maxItems":400,"items":{"type":"string","format":"date"}},"teaching_days":{"type":"array","minItems":1,"maxItems":7,"items":{"type":"integer","minimum":1,"maximum":7}},"periods":{"type":"array","minItems":1,"maxItems":48,"items":{"type":"object","required":["start","end"],"properties":{"start":{"type":"string"},"end":{"type":"string"}}}}}})",
         .responseSchema = schemas::term(),
         .errors = {{422, "holiday-outside-term"},
                    {400, "invalid-body"},
                    {404, "not-found"},
                    {409, "duplicate-term"},
                    {422, "invalid-dates"},
                    {422, "invalid-end-date"},
                    {422, "invalid-field"},
                    {422, "invalid-holidays"},
                    {422, "invalid-name"},
                    {422, "invalid-periods"},
                    {422, "invalid-start-date"},
                    {422, "invalid-teaching-days"},
                    {422, "invalid-time-zone"}}},
        &CoursesService::updateTerm);
    route({.method = "DELETE",
           .path = "/api/v1/terms/{id}",
           .role = admin,
           .summary = "Deletes a term with its courses and sections",
           .successStatus = 204,
           .errors = {{404, "not-found"}}},
          &CoursesService::deleteTerm);
}

Response CoursesService::listTerms(const Request& req)
{
    PageQuery q{.sql = "SELECT id, name, start_date, end_date, time_zone, holidays, teaching_days, periods, created_at FROM courses_terms "
                       "t WHERE 1 = 1",
                .sortColumn = "t.start_date",
                .idColumn = "t.id",
                .sortAlias = "start_date"};
    if (const auto text = req.query("q"); text && !text->empty()) {
        q.sql += " AND LOWER(t.name) LIKE ? ESCAPE '!'";
        q.args.emplace_back(likeContains(*text));
    }
    if (const auto d = queryDate(req, "active_on")) {
        q.sql += " AND t.start_date <= ? AND t.end_date >= ?";
        q.args.emplace_back(formatDate(*d));
        q.args.emplace_back(formatDate(*d));
    }
    return Response::json(
        listPage(host_.db(), req, q, "terms", [this](const Rows::Row& r) { return termJson(termFromRow(r), r["created_at"].asInt()); }));
}

namespace {

struct TermInput {
    std::string name, timeZone;
    int64_t start = 0, end = 0;
    std::set<int64_t> holidays;
    std::vector<int> days;
    std::vector<Period> periods;
};

void validateTerm(const TermInput& t)
{
    if (t.end < t.start) throw Unprocessable("'end_date' is before 'start_date'", "invalid-dates");
    if (t.end - t.start > 731) throw Unprocessable("a term may last at most two years", "invalid-dates");
    if (!TimeZone::exists(t.timeZone))
        throw Unprocessable("'time_zone' must be an IANA time zone such as \"Europe/Zurich\"", "invalid-time-zone");
    // A holiday outside the term cancels nothing and hides a typo (a wrong year, say). Checked on
    // the term as it will be, so narrowing a term's dates past one of its holidays is refused too.
    for (const int64_t d : t.holidays)
        if (d < t.start || d > t.end)
            throw Unprocessable("the holiday " + formatDate(d) + " is outside the term (" + formatDate(t.start) + " to " +
                                    formatDate(t.end) + ")",
                                "holiday-outside-term");
}

std::set<int64_t> parseHolidays(const Json& body)
{
    std::set<int64_t> out;
    for (const auto& h : stringArray(body, "holidays", 400, 10)) {
        const auto d = parseDate(h);
        if (!d) throw Unprocessable("'holidays' must hold dates YYYY-MM-DD ('" + h + "' is not one)", "invalid-holidays");
        out.insert(*d);
    }
    return out;
}

std::string holidaysText(const std::set<int64_t>& h)
{
    Json a = Json::array();
    for (int64_t d : h) a.push(formatDate(d));
    return a.dump();
}

std::string daysText(const std::vector<int>& days)
{
    Json a = Json::array();
    for (int d : days) a.push(d);
    return a.dump();
}

std::string periodsText(const std::vector<Period>& periods)
{
    Json a = Json::array();
    for (const auto& p : periods) a.push(Json{{"start", formatTime(p.start)}, {"end", formatTime(p.end)}});
    return a.dump();
}

} // namespace

std::vector<Period> defaultPeriods()
{
    return {{8 * 60 + 15, 10 * 60}, {10 * 60 + 15, 12 * 60}, {13 * 60 + 15, 15 * 60}, {15 * 60 + 15, 17 * 60}};
}

Response CoursesService::createTerm(const Request& req)
{
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"name", "start_date", "end_date", "time_zone", "holidays", "teaching_days", "periods"});
    TermInput t;
    t.name = requireString(body, "name", 1, 100);
    t.start = requireDate(body, "start_date");
    t.end = requireDate(body, "end_date");
    t.timeZone = body.has("time_zone") ? requireString(body, "time_zone", 1, 64) : defaultTimeZone_;
    t.holidays = parseHolidays(body);
    t.days = body.has("teaching_days") ? parseTeachingDays(body) : std::vector<int>{1, 2, 3, 4, 5};
    t.periods = body.has("periods") ? parsePeriods(body) : defaultPeriods();
    validateTerm(t);
    const std::string id = randomUuid();
    const int64_t now = unixNow();
    try {
        host_.db().exec(
            "INSERT INTO courses_terms (id, name, start_date, end_date, time_zone, holidays, teaching_days, periods, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {id, t.name, formatDate(t.start), formatDate(t.end), t.timeZone, holidaysText(t.holidays), daysText(t.days),
             periodsText(t.periods), static_cast<long long>(now)});
    } catch (const DbError& e) {
        if (e.conflict()) throw Conflict("a term with this name exists", "duplicate-term");
        throw;
    }
    return Response::created(termJson(loadTerm(id), now), "/api/v1/terms/" + id);
}

Response CoursesService::getTerm(const Request& req)
{
    const Rows rows = host_.db().query("SELECT created_at FROM courses_terms WHERE id = ?", {req.param("id")});
    if (rows.empty()) throw NotFound("no such term");
    return Response::json(termJson(loadTerm(req.param("id")), rows[0][0].asInt()));
}

Response CoursesService::updateTerm(const Request& req)
{
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"name", "start_date", "end_date", "time_zone", "holidays", "teaching_days", "periods"});
    const std::string id = req.param("id");
    Term term = loadTerm(id);
    TermInput t{term.name, term.timeZone, term.start, term.end, term.holidays, term.teachingDays, term.periods};
    if (body.has("name")) t.name = requireString(body, "name", 1, 100);
    if (body.has("start_date")) t.start = requireDate(body, "start_date");
    if (body.has("end_date")) t.end = requireDate(body, "end_date");
    if (body.has("time_zone")) t.timeZone = requireString(body, "time_zone", 1, 64);
    if (body.has("holidays")) t.holidays = parseHolidays(body);
    if (body.has("teaching_days")) t.days = parseTeachingDays(body);
    if (body.has("periods")) t.periods = parsePeriods(body);
    validateTerm(t);
    const bool reschedule = t.start != term.start || t.end != term.end || t.timeZone != term.timeZone || t.holidays != term.holidays;
    std::vector<std::pair<std::string, int64_t>> rescheduled;
    try {
        host_.db().transaction([&](Tx& tx) {
            tx.exec("UPDATE courses_terms SET name = ?, start_date = ?, end_date = ?, time_zone = ?, holidays = ?, teaching_days = ?, "
                    "periods = ? "
                    "WHERE id = ?",
                    {t.name, formatDate(t.start), formatDate(t.end), t.timeZone, holidaysText(t.holidays), daysText(t.days),
                     periodsText(t.periods), id});
            if (reschedule) {
                const Term next = loadTerm(tx, id);
                for (const auto& r : tx.query("SELECT id FROM courses_sections WHERE term_id = ?", {id})) {
                    const std::string sid = r[0].asString();
                    rescheduled.emplace_back(sid, regenerateSessions(tx, sid, next));
                }
            }
        });
    } catch (const DbError& e) {
        if (e.conflict()) throw Conflict("a term with this name exists", "duplicate-term");
        throw;
    }
    for (const auto& [sid, n] : rescheduled) publishScheduled(sid, id, n);
    return getTerm(req);
}

Response CoursesService::deleteTerm(const Request& req)
{
    if (host_.db().exec("DELETE FROM courses_terms WHERE id = ?", {req.param("id")}) == 0) throw NotFound("no such term");
    return Response::noContent();
}

} // namespace vtp::courses
