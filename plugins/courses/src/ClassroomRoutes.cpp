// Rooms where classes meet (physical or virtual), with capacity and features; read by everyone signed in, managed by admins.
#include "ApiSchemas.hpp"
#include "CoursesService.hpp"

#include "Dates.hpp"
#include "Queries.hpp"
#include "RequestFields.hpp"

#include <vtp/random.hpp>

namespace vtp::courses {

namespace {

std::string jsonText(const Json& j)
{
    return j.dump();
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

} // namespace

void CoursesService::registerClassroomRoutes()
{
    const std::string admin = "admin";
    route({.method = "GET",
           .path = "/api/v1/classrooms",
           .summary = "Rooms (?kind virtual|physical, ?min_capacity, ?feature, ?q, ?limit, ?cursor), by name",
           .responseSchema = schemas::page("rooms", schemas::room()),
           .errors = {{400, "invalid-parameter"}},
           .query = pageQuery({{"kind", Query::String, "virtual or physical"},
                               {"min_capacity", Query::Integer, "only rooms holding at least this many people"},
                               {"feature", Query::String, "only rooms with this feature"},
                               {"q", Query::String, "only rooms whose name contains this text"}})},
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
}

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

} // namespace vtp::courses
