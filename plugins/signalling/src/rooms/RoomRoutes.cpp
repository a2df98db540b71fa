// The REST API over rooms and their chat history.

#include "rooms/RoomService.hpp"

#include "rooms/RoomCommon.hpp"

#include <algorithm>

namespace vtp::signalling {

using namespace rooms;

void RoomService::registerRoutes()
{
    auto route = [this](Route r, Response (RoomService::*fn)(const Request&)) {
        if (r.body == Body::Json && r.maxBodyBytes == 0) r.maxBodyBytes = 64 * 1024;
        host_.route(r, [this, fn](const Request& req) { return (this->*fn)(req); });
    };
    const std::string roomProperties =
        R"("id":{"type":"string"},"name":{"type":"string"},"created_by":{"type":"string"},"max_participants":{"type":"integer"},)"
        R"("locked":{"type":"boolean"},"access":{"type":"object","required":["type"],"properties":{"type":{"enum":["authenticated","users"]},)"
        R"("users":{"type":"array","items":{"type":"string"}}}},"created_at":{"type":"integer"},"ended_at":{"type":["integer","null"]})";
    const std::string roomRequired = R"("id","name","created_by","max_participants","locked","access","created_at","ended_at")";
    const std::string roomSchema = R"({"type":"object","required":[)" + roomRequired + R"(],"properties":{)" + roomProperties + "}}";
    const std::string participantSchema =
        R"({"type":"object","required":["id","user"],"properties":{"id":{"type":"string"},"user":{"type":"string"},)"
        R"("moderator":{"type":"boolean"},"presence":{"type":"object"},"joined_at":{"type":"integer"}}})";
    route(
        {.method = "POST",
         .path = "/api/v1/rooms",
         .role = "instructor",
         .summary = "Creates a live room (instructors and admins); its creator moderates it",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","additionalProperties":false,"properties":{"name":{"type":"string","minLength":1,"maxLength":200},"max_participants":{"type":"integer","minimum":1},"locked":{"type":"boolean"},"access":{"oneOf":[{"type":"string","enum":["authenticated"]},{"type":"object","required":["users"],"properties":{"users":{"type":"array","maxItems":10000,"items":{"type":"string"}}}}]}},"required":["name"]})",
         .responseSchema = roomSchema,
         .successStatus = 201,
         .errors = {{400, "invalid-body"}, {422, "invalid-field"}, {422, "invalid-name"}}},
        &RoomService::createRoom);
    route(
        {.method = "GET",
         .path = "/api/v1/rooms",
         .role = Role::Authenticated,
         .summary = "Rooms, newest first (?state=active|ended|all, ?mine=true, ?limit, ?cursor)",
         .responseSchema =
             R"({"type":"object","required":["rooms","next_cursor"],"properties":{"rooms":{"type":"array","items":{"type":"object","required":[)" +
             roomRequired + R"(,"participant_count"],"properties":{)" + roomProperties +
             R"(,"participant_count":{"type":"integer"}}}},"next_cursor":{"type":["string","null"]}}})",
         .errors = {{400, "invalid-parameter"}},
         .query = pageQuery(
             {{"state", Query::String, "active (default), ended or all"}, {"mine", Query::Boolean, "true: only rooms you created"}})},
        &RoomService::listRooms);
    route({.method = "GET",
           .path = "/api/v1/rooms/{id}",
           .role = Role::Authenticated,
           .summary = "A room with its live participants",
           .responseSchema = R"({"type":"object","required":[)" + roomRequired + R"(,"participants"],"properties":{)" + roomProperties +
                             R"(,"participants":{"type":"array","items":)" + participantSchema + "}}}",
           .errors = {{404, "not-found"}}},
          &RoomService::getRoom);
    route({.method = "DELETE",
           .path = "/api/v1/rooms/{id}",
           .role = Role::Authenticated,
           .summary = "Ends a room for everyone (its creator or an admin)",
           .successStatus = 204,
           .errors = {{403, "forbidden"}, {404, "not-found"}, {409, "provided-room"}}},
          &RoomService::deleteRoom);
    route(
        {.method = "GET",
         .path = "/api/v1/rooms/{id}/chat",
         .role = Role::Authenticated,
         .summary = "A room's chat history, newest first (?limit, ?cursor); private messages only to their two ends",
         .responseSchema =
             R"({"type":"object","required":["messages","next_cursor"],"properties":{"messages":{"type":"array","items":{"type":"object","required":["id","room","from","user","text","ts"],"properties":{"id":{"type":"string"},"room":{"type":"string"},"from":{"type":"string"},"user":{"type":"string"},"to":{"type":"string"},"text":{"type":"string"},"ts":{"type":"integer"}}}},"next_cursor":{"type":["string","null"]}}})",
         .errors = {{400, "invalid-parameter"}, {403, "forbidden"}, {404, "not-found"}},
         .query = pageQuery()},
        &RoomService::chatHistory);
}

RoomService::RoomRecord RoomService::requireRoom(const std::string& id)
{
    std::string why;
    auto r = loadRoom(id, why);
    if (!r) throw NotFound(why.empty() ? "no such room" : why);
    return *r;
}

Response RoomService::createRoom(const Request& req)
{
    const Json body = req.json();
    if (!body.isObject()) throw BadRequest("the body must be a JSON object", "invalid-body");
    for (const auto& k : body.keys())
        if (k != "name" && k != "max_participants" && k != "locked" && k != "access")
            throw Unprocessable("unknown field '" + k + "'", "invalid-field");
    RoomRecord r;
    const Json name = body["name"];
    if (!name.isString() || codePoints(name.asString()) < 1 || codePoints(name.asString()) > 200)
        throw Unprocessable("'name' must be a string of 1 to 200 characters", "invalid-name");
    r.name = name.asString();
    r.maxParticipants = options_.defaultMaxParticipants;
    if (body.has("max_participants")) r.maxParticipants = body.intField("max_participants", 1, options_.maxParticipantsLimit);
    if (body.has("locked")) {
        if (!body["locked"].isBool()) throw Unprocessable("'locked' must be a boolean", "invalid-field");
        r.locked = body["locked"].asBool();
    }
    r.access = Json{{"type", "authenticated"}};
    if (body.has("access")) {
        const Json a = body["access"];
        if (a.isString() && a.asString() == "authenticated") {
        } else if (a.isObject() && a["users"].isArray() && a["users"].size() <= 10000) {
            Json users = Json::array();
            for (size_t i = 0; i < a["users"].size(); ++i) {
                if (!a["users"].at(i).isString()) throw Unprocessable("'access.users' must list user ids", "invalid-field");
                users.push(a["users"].at(i));
            }
            r.access = Json{{"type", "users"}, {"users", users}};
        } else {
            throw Unprocessable("'access' must be \"authenticated\" or {\"users\": [user ids]}", "invalid-field");
        }
    }
    r.id = randomId();
    r.createdBy = std::string(req.subject());
    r.createdAt = nowSeconds();
    host_.db().exec(
        "INSERT INTO signalling_rooms (id, name, created_by, max_participants, locked, access, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {r.id, r.name, r.createdBy, r.maxParticipants, r.locked ? 1 : 0, r.access.dump(), r.createdAt});
    host_.publish("room.created", Json{{"room", r.id}, {"created_by", r.createdBy}});
    return Response::created(roomJson(r), "/api/v1/rooms/" + r.id);
}

Response RoomService::listRooms(const Request& req)
{
    const int64_t limit = req.queryInt("limit", 50, 1, 200);
    const std::string state = req.query("state").value_or("active");
    if (state != "active" && state != "ended" && state != "all")
        throw BadRequest("'state' must be active, ended or all", "invalid-parameter");
    std::string sql = std::string("SELECT ") + kRoomColumns + " FROM signalling_rooms WHERE 1 = 1";
    std::vector<std::string> keep;
    keep.reserve(4);
    if (state == "active") sql += " AND ended_at IS NULL";
    if (state == "ended") sql += " AND ended_at IS NOT NULL";
    if (req.query("mine").value_or("") == "true") {
        keep.push_back(std::string(req.subject()));
        sql += " AND created_by = ?";
    }
    std::vector<Param> params(keep.begin(), keep.end());
    int64_t beforeTs = 0;
    std::string beforeId;
    if (const auto cursor = req.query("cursor"); cursor && !cursor->empty()) {
        const auto sep = cursor->find('_');
        try {
            if (sep == std::string::npos) throw std::invalid_argument("cursor");
            beforeTs = std::stoll(cursor->substr(0, sep));
            beforeId = cursor->substr(sep + 1);
        } catch (const std::exception&) {
            throw BadRequest("invalid cursor; pass next_cursor unchanged", "invalid-parameter");
        }
        sql += " AND (created_at < ? OR (created_at = ? AND id < ?))";
        params.emplace_back(beforeTs);
        params.emplace_back(beforeTs);
        params.emplace_back(beforeId);
    }
    sql += " ORDER BY created_at DESC, id DESC LIMIT " + std::to_string(limit + 1);
    const Rows rows = host_.db().query(sql, params);
    Json list = Json::array();
    const size_t n = std::min<size_t>(rows.size(), static_cast<size_t>(limit));
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < n; ++i) {
        const RoomRecord r = recordFromRow(rows, i);
        Json j = roomJson(r);
        const LiveRoom* lr = live(r.id);
        j.set("participant_count", static_cast<int64_t>(lr ? lr->participants.size() : 0));
        list.push(j);
    }
    Json next;
    if (rows.size() > n && n > 0) next = std::to_string(rows[n - 1][6].asInt()) + "_" + rows[n - 1][0].asString();
    return Response::json(Json{{"rooms", list}, {"next_cursor", next}});
}

Response RoomService::getRoom(const Request& req)
{
    std::lock_guard lock(mutex_);
    const RoomRecord r = requireRoom(req.param("id"));
    Json j = roomJson(r);
    const LiveRoom* lr = live(r.id);
    j.set("participants", lr ? participantsJson(*lr) : Json::array());
    return Response::json(j);
}

Response RoomService::deleteRoom(const Request& req)
{
    std::lock_guard lock(mutex_);
    const RoomRecord r = requireRoom(req.param("id"));
    if (r.provided) throw Conflict("this room belongs to another plugin; end it there", "provided-room");
    if (r.createdBy != req.subject() && !req.hasRole("admin")) throw Forbidden("only the room's creator or an admin may end it");
    if (r.endedAt) return Response::noContent();
    endRoom(r.id, true);
    return Response::noContent();
}

Response RoomService::chatHistory(const Request& req)
{
    const int64_t limit = req.queryInt("limit", 50, 1, 200);
    Principal user;
    user.userId = std::string(req.subject());
    user.roles = req.roles();
    {
        std::lock_guard lock(mutex_);
        const RoomRecord r = requireRoom(req.param("id"));
        bool moderator = false;
        if (auto refusal = mayJoin(r, user, moderator)) throw Forbidden(refusal->message);
    }
    return Response::json(chat_->history(req.param("id"), user.userId, limit, req.query("cursor").value_or("")));
}

} // namespace vtp::signalling
