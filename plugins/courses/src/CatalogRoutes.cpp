// Terms, rooms, courses and curricula: read by everyone signed in, managed by admins.
#include "ApiSchemas.hpp"
#include "CoursesService.hpp"

#include "Dates.hpp"
#include "Queries.hpp"
#include "RequestFields.hpp"
#include "TimeZone.hpp"

#include <vtp/random.hpp>

#include <algorithm>

namespace vtp::courses {

namespace {

std::string likeContains(const std::string& q)
{
    if (q.size() > 200) throw BadRequest("search text is too long", "invalid-parameter");
    std::string out = "%";
    for (char c : q) {
        const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == '%' || lower == '_' || lower == '!') out += '!';
        out += lower;
    }
    return out + "%";
}

std::string jsonText(const Json& j)
{
    return j.dump();
}

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

Json roomJson(const Rows::Row& r)
{
    return Json{{"id", r["id"].asString()},
                {"name", r["name"].asString()},
                {"kind", r["kind"].asString()},
                {"capacity", r["capacity"].asInt()},
                {"features", parseJsonText(r["features"].asString())},
                {"created_at", r["created_at"].asInt()}};
}

Json courseJson(const Rows::Row& r)
{
    return Json{{"id", r["id"].asString()},
                {"term_id", r["term_id"].asString()},
                {"code", r["code"].asString()},
                {"title", r["title"].asString()},
                {"description", r["description"].asString()},
                {"credits", r["credits"].asInt()},
                {"department", r["department"].asString()},
                {"lectures_per_week", r["lectures_per_week"].asInt()},
                {"min_working_days", r["min_working_days"].asInt()},
                {"created_at", r["created_at"].asInt()}};
}

const char* kCourseColumns = "id, term_id, code, title, description, credits, department, lectures_per_week, min_working_days, created_at";

} // namespace

void CoursesService::registerCatalogRoutes()
{
    const std::string admin = "admin";
    route({.method = "GET",
           .path = "/api/v1/terms",
           .summary = "Terms (?q name contains, ?active_on date, ?limit, ?cursor), by start date",
           .responseSchema = schemas::page("terms", schemas::term()),
           .errors = {{400, "invalid-parameter"}}},
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

    route({.method = "GET",
           .path = "/api/v1/classrooms",
           .summary = "Rooms (?kind virtual|physical, ?min_capacity, ?feature, ?q, ?limit, ?cursor), by name",
           .responseSchema = schemas::page("rooms", schemas::room()),
           .errors = {{400, "invalid-parameter"}}},
          &CoursesService::listRooms);
    route(
        {.method = "POST",
         .path = "/api/v1/classrooms",
         .role = admin,
         .summary = "Creates a room",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","properties":{"name":{"type":"string"},"kind":{"type":"string","enum":["virtual","physical"]},"capacity":{"type":"integer"},"features":{"type":"array","items":{"type":"string"}}},"required":["name","kind","capacity"]})",
         .responseSchema = schemas::room(),
         .successStatus = 201,
         .errors = {{400, "invalid-body"},
                    {409, "duplicate-room"},
                    {422, "invalid-capacity"},
                    {422, "invalid-features"},
                    {422, "invalid-field"},
                    {422, "invalid-kind"},
                    {422, "invalid-name"}}},
        &CoursesService::createRoom);
    route({.method = "GET",
           .path = "/api/v1/classrooms/{id}",
           .summary = "One room",
           .responseSchema = schemas::room(),
           .errors = {{404, "not-found"}}},
          &CoursesService::getRoom);
    route(
        {.method = "PATCH",
         .path = "/api/v1/classrooms/{id}",
         .role = admin,
         .summary = "Changes a room",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","additionalProperties":false,"properties":{"name":{"type":"string","minLength":1,"maxLength":100},"kind":{"enum":["virtual","physical"]},"capacity":{"type":"integer","minimum":1,"maximum":100000},"features":{"type":"array","maxItems":50,"items":{"type":"string"}}}})",
         .responseSchema = schemas::room(),
         .errors = {{400, "invalid-body"},
                    {404, "not-found"},
                    {409, "duplicate-room"},
                    {422, "invalid-capacity"},
                    {422, "invalid-features"},
                    {422, "invalid-field"},
                    {422, "invalid-kind"},
                    {422, "invalid-name"}}},
        &CoursesService::updateRoom);
    route({.method = "DELETE",
           .path = "/api/v1/classrooms/{id}",
           .role = admin,
           .summary = "Deletes a room (its meetings keep no room)",
           .successStatus = 204,
           .errors = {{404, "not-found"}}},
          &CoursesService::deleteRoom);

    route({.method = "GET",
           .path = "/api/v1/courses",
           .summary = "Courses (?term_id, ?department, ?code, ?q title or code, ?limit, ?cursor), by code",
           .responseSchema = schemas::page("courses", schemas::course()),
           .errors = {{400, "invalid-parameter"}}},
          &CoursesService::listCourses);
    route(
        {.method = "POST",
         .path = "/api/v1/courses",
         .role = admin,
         .summary = "Creates a course in a term (code unique per term)",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","properties":{"term_id":{"type":"string"},"code":{"type":"string"},"title":{"type":"string"},"description":{"type":"string"},"credits":{"type":"integer"},"department":{"type":"string"},"lectures_per_week":{"type":"integer"},"min_working_days":{"type":"integer"}},"required":["term_id","code","title"]})",
         .responseSchema = schemas::course(),
         .successStatus = 201,
         .errors = {{400, "invalid-body"},
                    {409, "duplicate-code"},
                    {422, "invalid-code"},
                    {422, "invalid-credits"},
                    {422, "invalid-department"},
                    {422, "invalid-description"},
                    {422, "invalid-field"},
                    {422, "invalid-lectures-per-week"},
                    {422, "invalid-min-working-days"},
                    {422, "invalid-term-id"},
                    {422, "invalid-title"},
                    {422, "unknown-term"}}},
        &CoursesService::createCourse);
    route({.method = "GET",
           .path = "/api/v1/courses/{id}",
           .summary = "One course",
           .responseSchema = schemas::courseWithUnavailability(),
           .errors = {{404, "not-found"}}},
          &CoursesService::getCourse);
    route(
        {.method = "PATCH",
         .path = "/api/v1/courses/{id}",
         .role = admin,
         .summary = "Changes a course",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","additionalProperties":false,"properties":{"code":{"type":"string","minLength":1,"maxLength":32},"title":{"type":"string","minLength":1,"maxLength":200},"description":{"type":["string","null"],"maxLength":5000},"credits":{"type":"integer","minimum":0,"maximum":100},"department":{"type":["string","null"],"maxLength":100},"lectures_per_week":{"type":"integer","minimum":0,"maximum":50},"min_working_days":{"type":"integer","minimum":0,"maximum":7}}})",
         .responseSchema = schemas::course(),
         .errors = {{400, "invalid-body"},
                    {404, "not-found"},
                    {409, "duplicate-code"},
                    {422, "invalid-code"},
                    {422, "invalid-credits"},
                    {422, "invalid-department"},
                    {422, "invalid-description"},
                    {422, "invalid-field"},
                    {422, "invalid-lectures-per-week"},
                    {422, "invalid-min-working-days"},
                    {422, "invalid-title"}}},
        &CoursesService::updateCourse);
    route({.method = "DELETE",
           .path = "/api/v1/courses/{id}",
           .role = admin,
           .summary = "Deletes a course with its sections",
           .successStatus = 204,
           .errors = {{404, "not-found"}}},
          &CoursesService::deleteCourse);
    route(
        {.method = "PUT",
         .path = "/api/v1/courses/{id}/unavailability",
         .role = admin,
         .summary =
             "Replaces the periods the timetabler must avoid for a course ([{\"day\": i, \"period\": j}], indexes into the term's grid)",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","additionalProperties":false,"required":["periods"],"properties":{"periods":{"type":"array","items":{"type":"object","required":["day","period"],"properties":{"day":{"type":"integer","minimum":0},"period":{"type":"integer","minimum":0}}}}}})",
         .responseSchema = schemas::anyObject(),
         .errors = {{400, "invalid-body"},
                    {404, "not-found"},
                    {422, "invalid-day"},
                    {422, "invalid-field"},
                    {422, "invalid-period"},
                    {422, "invalid-periods"}}},
        &CoursesService::putUnavailability);

    route({.method = "GET",
           .path = "/api/v1/curricula",
           .summary = "Curricula (?term_id, ?course_id, ?limit, ?cursor), by name",
           .responseSchema = schemas::page("curricula", schemas::curriculum()),
           .errors = {{400, "invalid-parameter"}}},
          &CoursesService::listCurricula);
    route(
        {.method = "POST",
         .path = "/api/v1/curricula",
         .role = admin,
         .summary = "Creates a curriculum: courses taken together, whose lectures must not overlap",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","properties":{"term_id":{"type":"string"},"name":{"type":"string"},"course_ids":{"type":"array","items":{"type":"string"}}},"required":["term_id","name","course_ids"]})",
         .responseSchema = schemas::curriculum(),
         .successStatus = 201,
         .errors = {{400, "invalid-body"},
                    {409, "duplicate-curriculum"},
                    {422, "invalid-course-ids"},
                    {422, "invalid-field"},
                    {422, "invalid-name"},
                    {422, "invalid-term-id"},
                    {422, "unknown-course"},
                    {422, "unknown-term"}}},
        &CoursesService::createCurriculum);
    route({.method = "GET",
           .path = "/api/v1/curricula/{id}",
           .summary = "One curriculum",
           .responseSchema = schemas::curriculum(),
           .errors = {{404, "not-found"}}},
          &CoursesService::getCurriculum);
    route(
        {.method = "PATCH",
         .path = "/api/v1/curricula/{id}",
         .role = admin,
         .summary = "Renames a curriculum or replaces its courses",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","additionalProperties":false,"properties":{"name":{"type":"string","minLength":1,"maxLength":100},"course_ids":{"type":"array","maxItems":500,"items":{"type":"string"}}}})",
         .responseSchema = schemas::curriculum(),
         .errors = {{400, "invalid-body"},
                    {404, "not-found"},
                    {409, "duplicate-curriculum"},
                    {422, "invalid-course-ids"},
                    {422, "invalid-field"},
                    {422, "invalid-name"},
                    {422, "unknown-course"}}},
        &CoursesService::updateCurriculum);
    route({.method = "DELETE",
           .path = "/api/v1/curricula/{id}",
           .role = admin,
           .summary = "Deletes a curriculum",
           .successStatus = 204,
           .errors = {{404, "not-found"}}},
          &CoursesService::deleteCurriculum);
}

// ------------------------------------------------------------------ terms

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

// ------------------------------------------------------------------ rooms

Response CoursesService::listRooms(const Request& req)
{
    PageQuery q{.sql = "SELECT id, name, kind, capacity, features, created_at FROM courses_rooms r WHERE 1 = 1",
                .sortColumn = "r.name",
                .idColumn = "r.id",
                .sortAlias = "name"};
    if (const auto kind = queryChoice(req, "kind", {"virtual", "physical"})) {
        q.sql += " AND r.kind = ?";
        q.args.emplace_back(*kind);
    }
    if (req.query("min_capacity")) {
        q.sql += " AND r.capacity >= ?";
        q.args.emplace_back(req.queryInt("min_capacity", 0, 0, 1000000));
    }
    if (const auto f = req.query("feature"); f && !f->empty()) {
        // Features are stored as a JSON array of strings: match one element exactly.
        q.sql += " AND r.features LIKE ? ESCAPE '!'";
        std::string pattern = "%";
        for (char c : Json(*f).dump()) {
            if (c == '%' || c == '_' || c == '!') pattern += '!';
            pattern += c;
        }
        q.args.emplace_back(pattern + "%");
    }
    if (const auto text = req.query("q"); text && !text->empty()) {
        q.sql += " AND LOWER(r.name) LIKE ? ESCAPE '!'";
        q.args.emplace_back(likeContains(*text));
    }
    return Response::json(listPage(host_.db(), req, q, "rooms", roomJson));
}

namespace {

void validateRoomKind(const std::string& kind)
{
    if (kind != "virtual" && kind != "physical") throw Unprocessable("'kind' must be \"virtual\" or \"physical\"", "invalid-kind");
}

} // namespace

Response CoursesService::createRoom(const Request& req)
{
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"name", "kind", "capacity", "features"});
    const std::string name = requireString(body, "name", 1, 100);
    const std::string kind = requireString(body, "kind", 1, 20);
    validateRoomKind(kind);
    const int64_t capacity = requireInt(body, "capacity", 1, 100000);
    const Json features = Json::arrayOf(stringArray(body, "features", 50, 50));
    const std::string id = randomUuid();
    const int64_t now = unixNow();
    try {
        host_.db().exec("INSERT INTO courses_rooms (id, name, kind, capacity, features, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        {id, name, kind, static_cast<long long>(capacity), jsonText(features), static_cast<long long>(now)});
    } catch (const DbError& e) {
        if (e.conflict()) throw Conflict("a room with this name exists", "duplicate-room");
        throw;
    }
    return Response::created(
        Json{{"id", id}, {"name", name}, {"kind", kind}, {"capacity", capacity}, {"features", features}, {"created_at", now}},
        "/api/v1/classrooms/" + id);
}

Response CoursesService::getRoom(const Request& req)
{
    const Rows rows =
        host_.db().query("SELECT id, name, kind, capacity, features, created_at FROM courses_rooms WHERE id = ?", {req.param("id")});
    if (rows.empty()) throw NotFound("no such room");
    return Response::json(roomJson(rows[0]));
}

Response CoursesService::updateRoom(const Request& req)
{
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"name", "kind", "capacity", "features"});
    const Rows rows =
        host_.db().query("SELECT id, name, kind, capacity, features, created_at FROM courses_rooms WHERE id = ?", {req.param("id")});
    if (rows.empty()) throw NotFound("no such room");
    std::string name = rows[0]["name"].asString(), kind = rows[0]["kind"].asString(), features = rows[0]["features"].asString();
    int64_t capacity = rows[0]["capacity"].asInt();
    if (body.has("name")) name = requireString(body, "name", 1, 100);
    if (body.has("kind")) validateRoomKind(kind = requireString(body, "kind", 1, 20));
    if (body.has("capacity")) capacity = requireInt(body, "capacity", 1, 100000);
    if (body.has("features")) features = jsonText(Json::arrayOf(stringArray(body, "features", 50, 50)));
    try {
        host_.db().exec("UPDATE courses_rooms SET name = ?, kind = ?, capacity = ?, features = ? WHERE id = ?",
                        {name, kind, static_cast<long long>(capacity), features, req.param("id")});
    } catch (const DbError& e) {
        if (e.conflict()) throw Conflict("a room with this name exists", "duplicate-room");
        throw;
    }
    return getRoom(req);
}

Response CoursesService::deleteRoom(const Request& req)
{
    if (host_.db().exec("DELETE FROM courses_rooms WHERE id = ?", {req.param("id")}) == 0) throw NotFound("no such room");
    return Response::noContent();
}

// ------------------------------------------------------------------ courses

Response CoursesService::listCourses(const Request& req)
{
    PageQuery q{.sql = std::string("SELECT ") + kCourseColumns + " FROM courses_courses c WHERE 1 = 1",
                .sortColumn = "c.code",
                .idColumn = "c.id",
                .sortAlias = "code"};
    for (const char* col : {"term_id", "department", "code"})
        if (const auto v = req.query(col); v && !v->empty()) {
            q.sql += std::string(" AND c.") + col + " = ?";
            q.args.emplace_back(*v);
        }
    if (const auto text = req.query("q"); text && !text->empty()) {
        q.sql += " AND (LOWER(c.title) LIKE ? ESCAPE '!' OR LOWER(c.code) LIKE ? ESCAPE '!')";
        q.args.emplace_back(likeContains(*text));
        q.args.emplace_back(likeContains(*text));
    }
    return Response::json(listPage(host_.db(), req, q, "courses", courseJson));
}

Response CoursesService::createCourse(const Request& req)
{
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"term_id", "code", "title", "description", "credits", "department", "lectures_per_week", "min_working_days"});
    const std::string termId = requireString(body, "term_id", 1, 64);
    const std::string code = requireString(body, "code", 1, 32);
    if (code.find_first_of(" \t") != std::string::npos) throw Unprocessable("'code' must not contain spaces", "invalid-code");
    const std::string title = requireString(body, "title", 1, 200);
    const std::string description = optionalString(body, "description", 5000).value_or("");
    const int64_t credits = optionalInt(body, "credits", 0, 100).value_or(0);
    const std::string department = optionalString(body, "department", 100).value_or("");
    const int64_t lectures = optionalInt(body, "lectures_per_week", 0, 50).value_or(2);
    const int64_t minDays = optionalInt(body, "min_working_days", 0, 7).value_or(lectures > 0 ? std::min<int64_t>(lectures, 5) : 0);
    if (minDays > lectures) throw Unprocessable("'min_working_days' cannot exceed 'lectures_per_week'", "invalid-min-working-days");
    if (host_.db().query("SELECT 1 FROM courses_terms WHERE id = ?", {termId}).empty())
        throw Unprocessable("'term_id' names no term", "unknown-term");
    const std::string id = randomUuid();
    const int64_t now = unixNow();
    try {
        host_.db().exec("INSERT INTO courses_courses (id, term_id, code, title, description, credits, department, lectures_per_week, "
                        "min_working_days, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        {id, termId, code, title, description, static_cast<long long>(credits), department,
                         static_cast<long long>(lectures), static_cast<long long>(minDays), static_cast<long long>(now)});
    } catch (const DbError& e) {
        if (e.conflict()) throw Conflict("the term already has a course with code " + code, "duplicate-code");
        throw;
    }
    host_.publish("course.created", Json{{"course_id", id}, {"term_id", termId}, {"code", code}, {"title", title}});
    const Rows rows = host_.db().query(std::string("SELECT ") + kCourseColumns + " FROM courses_courses WHERE id = ?", {id});
    return Response::created(courseJson(rows[0]), "/api/v1/courses/" + id);
}

Response CoursesService::getCourse(const Request& req)
{
    const Rows rows = host_.db().query(std::string("SELECT ") + kCourseColumns + " FROM courses_courses WHERE id = ?", {req.param("id")});
    if (rows.empty()) throw NotFound("no such course");
    Json j = courseJson(rows[0]);
    Json unavailable = Json::array();
    for (const auto& r : host_.db().query("SELECT day_index, period_index FROM courses_unavailability WHERE course_id = ? "
                                          "ORDER BY day_index, period_index",
                                          {req.param("id")}))
        unavailable.push(Json{{"day", r[0].asInt()}, {"period", r[1].asInt()}});
    j.set("unavailability", unavailable);
    return Response::json(j);
}

Response CoursesService::updateCourse(const Request& req)
{
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"code", "title", "description", "credits", "department", "lectures_per_week", "min_working_days"});
    const Rows rows = host_.db().query(std::string("SELECT ") + kCourseColumns + " FROM courses_courses WHERE id = ?", {req.param("id")});
    if (rows.empty()) throw NotFound("no such course");
    const auto r = rows[0];
    std::string code = r["code"].asString(), title = r["title"].asString(), description = r["description"].asString(),
                department = r["department"].asString();
    int64_t credits = r["credits"].asInt(), lectures = r["lectures_per_week"].asInt(), minDays = r["min_working_days"].asInt();
    if (body.has("code")) {
        code = requireString(body, "code", 1, 32);
        if (code.find_first_of(" \t") != std::string::npos) throw Unprocessable("'code' must not contain spaces", "invalid-code");
    }
    if (body.has("title")) title = requireString(body, "title", 1, 200);
    if (body.has("description")) description = optionalString(body, "description", 5000).value_or("");
    if (body.has("department")) department = optionalString(body, "department", 100).value_or("");
    if (body.has("credits")) credits = requireInt(body, "credits", 0, 100);
    if (body.has("lectures_per_week")) lectures = requireInt(body, "lectures_per_week", 0, 50);
    if (body.has("min_working_days")) minDays = requireInt(body, "min_working_days", 0, 7);
    if (minDays > lectures) throw Unprocessable("'min_working_days' cannot exceed 'lectures_per_week'", "invalid-min-working-days");
    try {
        host_.db().exec(
            "UPDATE courses_courses SET code = ?, title = ?, description = ?, credits = ?, department = ?, lectures_per_week = ?, "
            "min_working_days = ? WHERE id = ?",
            {code, title, description, static_cast<long long>(credits), department, static_cast<long long>(lectures),
             static_cast<long long>(minDays), req.param("id")});
    } catch (const DbError& e) {
        if (e.conflict()) throw Conflict("the term already has a course with code " + code, "duplicate-code");
        throw;
    }
    return getCourse(req);
}

Response CoursesService::deleteCourse(const Request& req)
{
    if (host_.db().exec("DELETE FROM courses_courses WHERE id = ?", {req.param("id")}) == 0) throw NotFound("no such course");
    return Response::noContent();
}

Response CoursesService::putUnavailability(const Request& req)
{
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"periods"});
    const Rows rows = host_.db().query("SELECT term_id FROM courses_courses WHERE id = ?", {req.param("id")});
    if (rows.empty()) throw NotFound("no such course");
    const Term term = loadTerm(rows[0][0].asString());
    const Json list = body["periods"];
    if (!list.isArray() || list.size() > 7 * 48)
        throw Unprocessable("'periods' must be an array of {\"day\": i, \"period\": j}", "invalid-periods");
    std::set<std::pair<int64_t, int64_t>> slots;
    for (size_t i = 0; i < list.size(); ++i) {
        const Json p = list.at(i);
        const int64_t day = requireInt(p, "day", 0, static_cast<int64_t>(term.teachingDays.size()) - 1);
        const int64_t period = requireInt(p, "period", 0, static_cast<int64_t>(term.periods.size()) - 1);
        slots.emplace(day, period);
    }
    host_.db().transaction([&](Tx& tx) {
        tx.exec("DELETE FROM courses_unavailability WHERE course_id = ?", {req.param("id")});
        for (const auto& [d, p] : slots)
            tx.exec("INSERT INTO courses_unavailability (course_id, day_index, period_index) VALUES (?, ?, ?)",
                    {req.param("id"), static_cast<long long>(d), static_cast<long long>(p)});
    });
    return getCourse(req);
}

// ------------------------------------------------------------------ curricula

namespace {

Json curriculumJson(const Db& db, const Rows::Row& r)
{
    Json courses = Json::array();
    for (const auto& c :
         db.query("SELECT course_id FROM courses_curriculum_courses WHERE curriculum_id = ? ORDER BY course_id", {r["id"].asString()}))
        courses.push(c[0].asString());
    return Json{{"id", r["id"].asString()},
                {"term_id", r["term_id"].asString()},
                {"name", r["name"].asString()},
                {"course_ids", courses},
                {"created_at", r["created_at"].asInt()}};
}

// The distinct course ids of `body.course_ids`, each a course of `termId`.
std::vector<std::string> curriculumCourses(const Db& db, const Json& body, const std::string& termId)
{
    std::vector<std::string> ids = stringArray(body, "course_ids", 500, 64);
    if (!body["course_ids"].isArray()) throw Unprocessable("'course_ids' is required: an array of course ids", "invalid-course-ids");
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (const auto& id : ids)
        if (db.query("SELECT 1 FROM courses_courses WHERE id = ? AND term_id = ?", {id, termId}).empty())
            throw Unprocessable("course " + id + " is not a course of this term", "unknown-course");
    return ids;
}

} // namespace

Response CoursesService::listCurricula(const Request& req)
{
    PageQuery q{.sql = "SELECT id, term_id, name, created_at FROM courses_curricula k WHERE 1 = 1",
                .sortColumn = "k.name",
                .idColumn = "k.id",
                .sortAlias = "name"};
    if (const auto v = req.query("term_id"); v && !v->empty()) {
        q.sql += " AND k.term_id = ?";
        q.args.emplace_back(*v);
    }
    if (const auto v = req.query("course_id"); v && !v->empty()) {
        q.sql += " AND k.id IN (SELECT curriculum_id FROM courses_curriculum_courses WHERE course_id = ?)";
        q.args.emplace_back(*v);
    }
    const Db& db = host_.db();
    return Response::json(listPage(db, req, q, "curricula", [&db](const Rows::Row& r) { return curriculumJson(db, r); }));
}

Response CoursesService::createCurriculum(const Request& req)
{
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"term_id", "name", "course_ids"});
    const std::string termId = requireString(body, "term_id", 1, 64);
    const std::string name = requireString(body, "name", 1, 100);
    if (host_.db().query("SELECT 1 FROM courses_terms WHERE id = ?", {termId}).empty())
        throw Unprocessable("'term_id' names no term", "unknown-term");
    const auto courses = curriculumCourses(host_.db(), body, termId);
    const std::string id = randomUuid();
    try {
        host_.db().transaction([&](Tx& tx) {
            tx.exec("INSERT INTO courses_curricula (id, term_id, name, created_at) VALUES (?, ?, ?, ?)",
                    {id, termId, name, static_cast<long long>(unixNow())});
            for (const auto& c : courses)
                tx.exec("INSERT INTO courses_curriculum_courses (curriculum_id, course_id) VALUES (?, ?)", {id, c});
        });
    } catch (const DbError& e) {
        if (e.conflict()) throw Conflict("the term already has a curriculum named " + name, "duplicate-curriculum");
        throw;
    }
    const Rows rows = host_.db().query("SELECT id, term_id, name, created_at FROM courses_curricula WHERE id = ?", {id});
    return Response::created(curriculumJson(host_.db(), rows[0]), "/api/v1/curricula/" + id);
}

Response CoursesService::getCurriculum(const Request& req)
{
    const Rows rows = host_.db().query("SELECT id, term_id, name, created_at FROM courses_curricula WHERE id = ?", {req.param("id")});
    if (rows.empty()) throw NotFound("no such curriculum");
    return Response::json(curriculumJson(host_.db(), rows[0]));
}

Response CoursesService::updateCurriculum(const Request& req)
{
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"name", "course_ids"});
    const Rows rows = host_.db().query("SELECT id, term_id, name FROM courses_curricula WHERE id = ?", {req.param("id")});
    if (rows.empty()) throw NotFound("no such curriculum");
    const std::string termId = rows[0]["term_id"].asString();
    const std::string name = body.has("name") ? requireString(body, "name", 1, 100) : rows[0]["name"].asString();
    std::optional<std::vector<std::string>> courses;
    if (body.has("course_ids")) courses = curriculumCourses(host_.db(), body, termId);
    try {
        host_.db().transaction([&](Tx& tx) {
            tx.exec("UPDATE courses_curricula SET name = ? WHERE id = ?", {name, req.param("id")});
            if (courses) {
                tx.exec("DELETE FROM courses_curriculum_courses WHERE curriculum_id = ?", {req.param("id")});
                for (const auto& c : *courses)
                    tx.exec("INSERT INTO courses_curriculum_courses (curriculum_id, course_id) VALUES (?, ?)", {req.param("id"), c});
            }
        });
    } catch (const DbError& e) {
        if (e.conflict()) throw Conflict("the term already has a curriculum named " + name, "duplicate-curriculum");
        throw;
    }
    return getCurriculum(req);
}

Response CoursesService::deleteCurriculum(const Request& req)
{
    if (host_.db().exec("DELETE FROM courses_curricula WHERE id = ?", {req.param("id")}) == 0) throw NotFound("no such curriculum");
    return Response::noContent();
}

} // namespace vtp::courses
