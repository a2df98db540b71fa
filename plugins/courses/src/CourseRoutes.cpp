// Courses of a term, and the periods the timetabler must avoid for each; read by everyone signed in, managed by admins.
#include "ApiSchemas.hpp"
#include "CoursesService.hpp"

#include "Dates.hpp"
#include "Queries.hpp"
#include "RequestFields.hpp"

#include <vtp/random.hpp>

#include <algorithm>

namespace vtp::courses {

namespace {

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

void CoursesService::registerCourseRoutes()
{
    const std::string admin = "admin";
    route({.method = "GET",
           .path = "/api/v1/courses",
           .summary = "Courses (?term_id, ?department, ?code, ?q title or code, ?limit, ?cursor), by code",
           .responseSchema = schemas::page("courses", schemas::course()),
           .errors = {{400, "invalid-parameter"}},
           .query = pageQuery({{"term_id", Query::String, "only courses of this term"},
                               {"department", Query::String, "only courses of this department"},
                               {"code", Query::String, "only the course with this code"},
                               {"q", Query::String, "only courses whose title or code contains this text"}})},
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
}

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

} // namespace vtp::courses
