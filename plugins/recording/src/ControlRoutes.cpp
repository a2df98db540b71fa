// The control REST API: start and stop recordings, list, read, change and delete them.
#include "ApiSchemas.hpp"
#include "RecordingService.hpp"
#include "RequestFields.hpp"

#include <vtp/random.hpp>

#include <algorithm>

namespace vtp::recording {

namespace {

std::string hexEncode(std::string_view s)
{
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (const unsigned char c : s) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

std::optional<std::string> hexDecode(std::string_view s)
{
    if (s.size() % 2) return std::nullopt;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    std::string out;
    for (size_t i = 0; i < s.size(); i += 2) {
        const int hi = nibble(s[i]), lo = nibble(s[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

Json nullable(const std::optional<std::string>& s)
{
    return s ? Json(*s) : Json();
}

} // namespace

void RecordingService::registerControlRoutes()
{
    auto route = [this](Route r, Response (RecordingService::*h)(const Request&)) {
        if (r.body == Body::Json && r.maxBodyBytes == 0) r.maxBodyBytes = 16 * 1024;
        host_.route(r, [this, h](const Request& req) { return (this->*h)(req); });
    };
    route({.method = "POST",
           .path = "/api/v1/recordings",
           .summary = "Starts recording a live room or a course section's class (its moderators or instructors, admins)",
           .body = Body::Json,
           .requestSchema = kCreateRecordingSchema,
           .responseSchema = kRecordingSchema,
           .successStatus = 201,
           .errors = {{400, "invalid-body"},
                      {403, "forbidden"},
                      {409, "recording-in-progress"},
                      {422, "invalid-field"},
                      {422, "invalid-title"},
                      {422, "invalid-target"},
                      {422, "invalid-visibility"},
                      {422, "unknown-section"},
                      {503, "unavailable"}}},
          &RecordingService::createRecording);
    route({.method = "POST",
           .path = "/api/v1/recordings/{id}/stop",
           .summary = "Stops a recording; its sources' uploads may still finish",
           .responseSchema = kRecordingSchema,
           .errors = {{403, "forbidden"}, {404, "not-found"}, {409, "not-recording"}, {503, "unavailable"}}},
          &RecordingService::stopRecording);
    route({.method = "GET",
           .path = "/api/v1/recordings",
           .summary = "Recordings the caller may see (?room, ?section, ?owner, ?state, ?limit, ?cursor), oldest first",
           .responseSchema = recordingListSchema(),
           .errors = {{400, "invalid-parameter"}, {503, "unavailable"}},
           .query = pageQuery({{"room", Query::String, "only recordings of this room"},
                               {"section", Query::String, "only recordings of this section"},
                               {"owner", Query::String, "only recordings this user started"},
                               {"state", Query::String, "recording, processing, ready or failed"}})},
          &RecordingService::listRecordings);
    route({.method = "GET",
           .path = "/api/v1/sections/{id}/recordings",
           .summary = "A section's recordings (its staff see all; its students those not for staff only)",
           .responseSchema = recordingListSchema(),
           .errors = {{400, "invalid-parameter"}, {403, "forbidden"}, {404, "not-found"}, {503, "unavailable"}},
           .query = pageQuery({{"room", Query::String, "only recordings of this room"},
                               {"owner", Query::String, "only recordings this user started"},
                               {"state", Query::String, "recording, processing, ready or failed"}})},
          &RecordingService::listSectionRecordings);
    route({.method = "GET",
           .path = "/api/v1/recordings/{id}",
           .summary = "A recording: state, failure, duration, size and sources",
           .responseSchema = kRecordingSchema,
           .errors = {{404, "not-found"}, {503, "unavailable"}}},
          &RecordingService::getRecording);
    route({.method = "PATCH",
           .path = "/api/v1/recordings/{id}",
           .summary = "Changes a recording's title or who may watch it (participants, staff, link)",
           .body = Body::Json,
           .requestSchema = kUpdateRecordingSchema,
           .responseSchema = kRecordingSchema,
           .errors = {{400, "invalid-body"},
                      {403, "forbidden"},
                      {404, "not-found"},
                      {422, "invalid-field"},
                      {422, "invalid-title"},
                      {422, "invalid-visibility"},
                      {503, "unavailable"}}},
          &RecordingService::updateRecording);
    route({.method = "DELETE",
           .path = "/api/v1/recordings/{id}",
           .summary = "Deletes a recording and every file of it",
           .successStatus = 204,
           .errors = {{403, "forbidden"}, {404, "not-found"}, {503, "unavailable"}}},
          &RecordingService::deleteRecording);
    route({.method = "POST",
           .path = "/api/v1/recordings/{id}/reprocess",
           .summary = "Processes a ready or failed recording's sources again",
           .responseSchema = kRecordingSchema,
           .errors = {{403, "forbidden"}, {404, "not-found"}, {409, "not-processed"}, {503, "unavailable"}}},
          &RecordingService::reprocessRecording);
}

RecordingRow RecordingService::rowToRecording(const Rows::Row& row)
{
    RecordingRow r;
    r.id = row["id"].asString();
    r.title = row["title"].asString();
    r.state = row["state"].asString();
    r.visibility = row["visibility"].asString();
    r.subject.roomId = row["room_id"].asOptionalString();
    r.subject.sectionId = row["section_id"].asOptionalString();
    r.subject.ownerId = row["owner_id"].asString();
    r.subject.visibility = r.visibility;
    return r;
}

RecordingRow RecordingService::loadRecording(const std::string& id) const
{
    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {id});
    if (rows.empty()) throw NotFound("no recording " + id);
    return rowToRecording(rows[0]);
}

Json RecordingService::sourcesJson(const std::string& recordingId, int64_t recordingStartMs) const
{
    Json sources = Json::array();
    const Rows rows = host_.db().query("SELECT * FROM recording_uploads WHERE recording_id = ? ORDER BY created_at, id", {recordingId});
    for (const auto row : rows) {
        const std::string id = row["id"].asString();
        const std::string state = row["state"].asString();
        const auto length = row["upload_length"].asOptionalInt();
        sources.push(Json{{"id", id},
                          {"kind", row["kind"].asString()},
                          {"filename", nullable(row["filename"].asOptionalString())},
                          {"media_type", nullable(row["media_type"].asOptionalString())},
                          {"length", length ? Json(*length) : Json()},
                          {"offset", row["received"].asInt()},
                          {"state", state},
                          {"started_at_ms", row["started_at_ms"].asInt()},
                          {"offset_ms", row["started_at_ms"].asInt() - recordingStartMs},
                          {"expires_at", state == "uploading" ? Json(row["expires_at"].asInt()) : Json()},
                          {"upload_url", "/api/v1/recordings/" + recordingId + "/uploads/" + id}});
    }
    return sources;
}

Json RecordingService::recordingJson(const Rows::Row& row) const
{
    const std::string id = row["id"].asString();
    const int64_t startMs = row["started_at_ms"].asInt();
    const auto stopMs = row["stopped_at_ms"].asOptionalInt();
    const auto durationMs = row["duration_ms"].asOptionalInt();
    // The media's own duration once processing knows it; until then the wall-clock time recorded.
    const int64_t ms = durationMs ? *durationMs : (stopMs ? *stopMs : unixNowMs()) - startMs;
    const Json sources = sourcesJson(id, startMs);
    int64_t size = 0;
    for (size_t i = 0; i < sources.size(); ++i) size += sources.at(i)["offset"].asInt();
    return Json{
        {"id", id},
        {"title", row["title"].asString()},
        {"room_id", nullable(row["room_id"].asOptionalString())},
        {"section_id", nullable(row["section_id"].asOptionalString())},
        {"owner_id", row["owner_id"].asString()},
        {"state", row["state"].asString()},
        {"failure", nullable(row["failure"].asOptionalString())},
        {"visibility", row["visibility"].asString()},
        {"started_at", startMs / 1000},
        {"stopped_at", stopMs ? Json(*stopMs / 1000) : Json()},
        {"duration_s", static_cast<double>(std::max<int64_t>(ms, 0)) / 1000.0},
        {"size_bytes", size},
        {"sources", sources},
        {"progress", row["state"].asString() == "processing" ? Json(row["progress"].isNull() ? 0.0 : row["progress"].asDouble()) : Json()},
        {"media", row["media"].asOptionalString() ? Json::parse(*row["media"].asOptionalString()) : Json()},
        {"created_at", row["created_at"].asInt()}};
}

Json RecordingService::announcement(const Rows::Row& row) const
{
    const std::string id = row["id"].asString();
    return Json{{"id", id},
                {"title", row["title"].asString()},
                {"room", nullable(row["room_id"].asOptionalString())},
                {"section_id", nullable(row["section_id"].asOptionalString())},
                {"owner_id", row["owner_id"].asString()},
                {"session_id", nullable(row["session_id"].asOptionalString())},
                {"started_at_ms", row["started_at_ms"].asInt()},
                {"upload_url", "/api/v1/recordings/" + id + "/uploads"}};
}

std::optional<Json> RecordingService::activeRoomRecording(const std::string& roomId) const
{
    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE room_id = ? AND state = 'recording'", {roomId});
    if (rows.empty()) return std::nullopt;
    return announcement(rows[0]);
}

Json RecordingService::eventPayload(const RecordingRow& r) const
{
    return Json{{"id", r.id},
                {"title", r.title},
                {"room_id", nullable(r.subject.roomId)},
                {"section_id", nullable(r.subject.sectionId)},
                {"owner_id", r.subject.ownerId}};
}

Response RecordingService::createRecording(const Request& req)
{
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"room_id", "section_id", "title", "visibility"});
    Subject s;
    s.roomId = optionalString(body, "room_id", 1, 128);
    s.sectionId = optionalString(body, "section_id", 1, 128);
    if (s.roomId.has_value() == s.sectionId.has_value())
        throw Unprocessable("name exactly one of 'room_id' (a live room) and 'section_id' (a course section)", "invalid-target");
    const std::string title = requireString(body, "title", 1, maxTitleChars_);
    s.visibility = optionalChoice(body, "visibility", {"participants", "staff", "link"}).value_or("participants");
    s.ownerId = std::string(req.subject());
    const Json recording = beginRecording(Caller::of(req), s, title);
    return Response::created(recording, "/api/v1/recordings/" + recording["id"].asString());
}

Json RecordingService::beginRecording(const Caller& caller, const Subject& subject, const std::string& title)
{
    access_.requireMayStart(caller, subject);
    Subject s = subject;
    // A class room's recording is its section's (in the section's list, its roster may watch,
    // its course's quota): set after the check, which a room's moderators pass. Its session is
    // set only by the schedule (one scheduled recording per session; by hand, any number).
    if (s.roomId && !s.sectionId)
        if (const auto of = access_.classOfRoom(*s.roomId)) s.sectionId = of->first;
    const std::string id = randomUuid();
    const int64_t nowMs = unixNowMs();
    // The section's course, kept for quotas and usage per course (a section never changes course).
    std::optional<std::string> course;
    if (s.sectionId)
        if (const auto about = access_.describeSection(*s.sectionId)) course = (*about)["course_id"].asString();
    try {
        host_.db().exec("INSERT INTO recording_recordings (id, title, room_id, section_id, owner_id, state, visibility, started_at_ms, "
                        "created_at, updated_at, course_id, session_id) VALUES (?, ?, ?, ?, ?, 'recording', ?, ?, ?, ?, ?, ?)",
                        {id, title, s.roomId, s.sectionId, s.ownerId, s.visibility, static_cast<long long>(nowMs),
                         static_cast<long long>(nowMs / 1000), static_cast<long long>(nowMs / 1000), course, s.sessionId});
    } catch (const DbError& e) {
        if (!e.conflict()) throw;
        throw Conflict(std::string("this ") + (s.roomId ? (s.sectionId ? "room or its section" : "room") : "section") +
                           " is being recorded already: stop that recording first",
                       "recording-in-progress");
    }
    recordingsStarted_.inc();
    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {id});
    Json payload = eventPayload(rowToRecording(rows[0]));
    payload.set("started_at_ms", nowMs);
    host_.publish("recording.started", payload);
    host_.log().info("recording started", {{"recording_id", id}, {"user_id", caller.userId}});
    if (roomControl_ && s.roomId) roomControl_->started(*s.roomId, announcement(rows[0]));
    return recordingJson(rows[0]);
}

Response RecordingService::stopRecording(const Request& req)
{
    return Response::json(endRecording(Caller::of(req), req.param("id")));
}

Json RecordingService::endRecording(const Caller& caller, const std::string& id)
{
    const RecordingRow r = loadRecording(id);
    access_.requireManager(caller, r.subject);
    const int64_t nowMs = unixNowMs();
    // Conditional on the state, so that of two concurrent stops exactly one succeeds.
    if (host_.db().exec("UPDATE recording_recordings SET state = 'processing', stopped_at_ms = ?, updated_at = ? WHERE id = ? AND state = "
                        "'recording'",
                        {static_cast<long long>(nowMs), static_cast<long long>(nowMs / 1000), r.id}) == 0)
        throw Conflict("this recording is not recording (it is " + r.state + ")", "not-recording");
    settleRecording(r.id);
    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {r.id});
    const Json out = recordingJson(rows[0]);
    Json payload = eventPayload(r);
    payload.set("stopped_at_ms", nowMs);
    // Published with what the stop itself did: processing's outcome has events of its own.
    payload.set("duration_s", out["duration_s"]);
    host_.publish("recording.stopped", payload);
    host_.log().info("recording stopped", {{"recording_id", r.id}, {"user_id", caller.userId}});
    if (roomControl_ && r.subject.roomId) {
        Json a = announcement(rows[0]);
        a.set("state", out["state"]);
        a.set("stopped_at_ms", nowMs);
        a.set("duration_s", out["duration_s"]);
        roomControl_->stopped(*r.subject.roomId, a);
    }
    return out;
}

Json RecordingService::list(const Request& req, std::optional<std::string> sectionFilter)
{
    const int64_t limit = req.queryInt("limit", 50, 1, 200);
    std::string sql = "SELECT * FROM recording_recordings WHERE 1 = 1";
    std::vector<std::string> args;
    const auto room = req.query("room");
    const auto owner = req.query("owner");
    const auto state = req.query("state");
    if (!sectionFilter) sectionFilter = req.query("section");
    if (state && *state != "recording" && *state != "processing" && *state != "ready" && *state != "failed")
        throw BadRequest("'state' must be recording, processing, ready or failed", "invalid-parameter");
    auto filter = [&](const char* column, const std::optional<std::string>& value) {
        if (!value) return;
        sql += std::string(" AND ") + column + " = ?";
        args.push_back(*value);
    };
    filter("room_id", room);
    filter("section_id", sectionFilter);
    filter("owner_id", owner);
    filter("state", state);

    // What the caller may see: admins everything; a section's staff its recordings, its students
    // those not for staff only; a class room's moderators its recordings; anyone their own.
    const std::string me(req.subject());
    if (!req.hasRole("admin")) {
        std::string scope = "owner_id = ?";
        std::vector<std::string> scopeArgs{me};
        if (sectionFilter) {
            const auto relation = access_.sectionRelation(*sectionFilter, me);
            if (relation == std::optional<std::string>("instructor") || relation == std::optional<std::string>("assistant")) {
                scope = "1 = 1";
                scopeArgs.clear();
            } else if (relation == std::optional<std::string>("enrolled")) {
                scope += " OR visibility IN ('participants', 'link')";
            }
        } else if (room && access_.moderatesRoom(req, *room)) {
            scope = "1 = 1";
            scopeArgs.clear();
        }
        sql += " AND (" + scope + ")";
        args.insert(args.end(), scopeArgs.begin(), scopeArgs.end());
    }

    std::vector<Param> params(args.begin(), args.end());
    long long cursorTime = 0;
    std::string cursorId;
    if (const auto cursor = req.query("cursor"); cursor && !cursor->empty()) {
        const auto decoded = cursor->size() <= 512 ? hexDecode(*cursor) : std::nullopt;
        const size_t sep = decoded ? decoded->find('\n') : std::string::npos;
        try {
            if (sep == std::string::npos) throw std::invalid_argument("no separator");
            size_t used = 0;
            cursorTime = std::stoll(decoded->substr(0, sep), &used);
            if (used != sep) throw std::invalid_argument("trailing text");
        } catch (const std::exception&) {
            throw BadRequest("invalid cursor; pass next_cursor unchanged", "invalid-parameter");
        }
        cursorId = decoded->substr(sep + 1);
        sql += " AND (created_at > ? OR (created_at = ? AND id > ?))";
        params.emplace_back(cursorTime);
        params.emplace_back(cursorTime);
        params.emplace_back(cursorId);
    }
    sql += " ORDER BY created_at, id LIMIT " + std::to_string(limit + 1);
    const Rows rows = host_.db().query(sql, params);
    Json items = Json::array();
    const size_t n = std::min<size_t>(rows.size(), static_cast<size_t>(limit));
    for (size_t i = 0; i < n; ++i) items.push(recordingJson(rows[i]));
    Json next;
    if (rows.size() > n && n > 0) next = Json(hexEncode(rows[n - 1]["created_at"].asString() + "\n" + rows[n - 1]["id"].asString()));
    return Json{{"recordings", items}, {"next_cursor", next}};
}

Response RecordingService::listRecordings(const Request& req)
{
    return Response::json(list(req, std::nullopt));
}

Response RecordingService::listSectionRecordings(const Request& req)
{
    const std::string section = req.param("id");
    if (access_.sectionsAvailable()) {
        const auto relation = access_.sectionRelation(section, std::string(req.subject()));
        if (!relation) throw NotFound("no section " + section);
        if (relation->empty() && !req.hasRole("admin")) throw Forbidden("only the section's staff and students see its recordings");
    }
    return Response::json(list(req, section));
}

Response RecordingService::getRecording(const Request& req)
{
    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {req.param("id")});
    // Someone who may not see it learns nothing, not even that it exists.
    if (rows.empty() || !access_.mayView(req, rowToRecording(rows[0]).subject)) throw NotFound("no recording " + req.param("id"));
    return Response::json(recordingJson(rows[0]));
}

Response RecordingService::updateRecording(const Request& req)
{
    const RecordingRow r = loadRecording(req.param("id"));
    access_.requireManager(req, r.subject);
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"title", "visibility"});
    const auto title = body.has("title") ? std::optional(requireString(body, "title", 1, maxTitleChars_)) : std::nullopt;
    const auto visibility = optionalChoice(body, "visibility", {"participants", "staff", "link"});
    host_.db().exec("UPDATE recording_recordings SET title = ?, visibility = ?, updated_at = ? WHERE id = ?",
                    {title.value_or(r.title), visibility.value_or(r.visibility), static_cast<long long>(unixNow()), r.id});
    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {r.id});
    return Response::json(recordingJson(rows[0]));
}

Response RecordingService::deleteRecording(const Request& req)
{
    const RecordingRow r = loadRecording(req.param("id"));
    access_.requireManager(req, r.subject);
    removeRecording(r, std::string(req.subject()), "request");
    return Response::noContent();
}

void RecordingService::removeRecording(const RecordingRow& r, const std::string& by, const std::string& reason)
{
    // Rows first: an upload racing the delete then finds nothing to write to (404), and a crash
    // between the two steps leaves files without rows, never rows without files.
    bool existed = false;
    host_.db().transaction([&](Tx& tx) {
        tx.exec("DELETE FROM recording_uploads WHERE recording_id = ?", {r.id});
        existed = tx.exec("DELETE FROM recording_recordings WHERE id = ?", {r.id}) > 0;
    });
    store_->removeRecording(r.id);
    usageChanged();
    if (!existed) return; // deleted meanwhile by someone else, who said so
    Json payload = eventPayload(r);
    payload.set("reason", reason);
    payload.set("deleted_by", by.empty() ? Json() : Json(by));
    host_.publish("recording.deleted", payload);
    host_.log().info("recording deleted", {{"recording_id", r.id}, {"title", r.title}, {"user_id", by}, {"reason", reason}});
}

} // namespace vtp::recording
