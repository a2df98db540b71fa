// Curricula: the courses of a term that one group of students takes together (the timetabler keeps them apart); read by everyone signed in, managed by admins.
#include "ApiSchemas.hpp"
#include "CoursesService.hpp"

#include "Dates.hpp"
#include "Queries.hpp"
#include "RequestFields.hpp"

#include <vtp/random.hpp>

#include <algorithm>

namespace vtp::courses {

void CoursesService::registerCurriculumRoutes()
{
    const std::string admin = "admin";
    route({.method = "GET",
           .path = "/api/v1/curricula",
           .summary = "Curricula (?term_id, ?course_id, ?limit, ?cursor), by name",
           .responseSchema = schemas::page("curricula", schemas::curriculum()),
           .errors = {{400, "invalid-parameter"}},
           .query = pageQuery({{"term_id", Query::String, "only curricula of this term"},
                               {"course_id", Query::String, "only curricula that hold this course"}})},
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
