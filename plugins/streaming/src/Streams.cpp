#include "Streams.hpp"

#include "Cursor.hpp"
#include "ApiSchemas.hpp"
#include "IngestUrls.hpp"
#include "RequestFields.hpp"

#include <vtp/base64.hpp>
#include <vtp/random.hpp>

#include <algorithm>
#include <ctime>
#include <map>
#include <vector>

namespace vtp::streaming {

namespace {

int64_t unixNow()
{
    return static_cast<int64_t>(::time(nullptr));
}

Json nullable(const std::optional<std::string>& s)
{
    return s ? Json(*s) : Json();
}

Json nullable(const std::optional<int64_t>& v)
{
    return v ? Json(*v) : Json();
}

// 32 random bytes: as hard to guess as the playback key; base64url, so it fits a URL path as is.
std::string newStreamKey()
{
    const auto bytes = randomBytes(32);
    return base64UrlEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

constexpr size_t kMaxDecisions = 8192;

} // namespace

Streams::Streams(Host& host) : host_(host), access_(host)
{
    rtmpBase_ = host.config().getString("ingest.rtmp_url");
    srtBase_ = host.config().getString("ingest.srt_url");
    tokenSeconds_ = host.config().getInt("playback.url_lifetime_seconds");

    auto route = [this](Route r, Response (Streams::*h)(const Request&)) {
        if (r.body == Body::Json && r.maxBodyBytes == 0) r.maxBodyBytes = 16 * 1024;
        host_.route(r, [this, h](const Request& req) { return (this->*h)(req); });
    };
    // Creating, rotating and deleting need the instructor role (admins hold every role); who may
    // do it to which stream is the handler's (StreamAccess).
    route({.method = "POST",
           .path = "/api/v1/streams",
           .role = "instructor",
           .summary = "Creates a live stream of a course section (its instructors, admins) or a live room (admins): its ingest URLs "
                      "with its key, and signed playback URLs",
           .body = Body::Json,
           .requestSchema = kCreateStreamSchema,
           .responseSchema = kStreamSchema,
           .successStatus = 201,
           .errors = {{400, "invalid-body"},
                      {403, "forbidden"},
                      {422, "invalid-field"},
                      {422, "invalid-title"},
                      {422, "invalid-target"},
                      {422, "unknown-section"},
                      {503, "no-ingest-port"},
                      {503, "unavailable"}}},
          &Streams::create);
    route({.method = "GET",
           .path = "/api/v1/streams",
           .summary = "Live streams the caller may see (?section, ?room, ?state, ?limit, ?cursor), oldest first",
           .responseSchema = streamListSchema(),
           .errors = {{400, "invalid-parameter"}, {503, "unavailable"}},
           .query = pageQuery({{"section", Query::String, "only streams of this section (its staff and students see them all)"},
                               {"room", Query::String, "only streams of this room"},
                               {"state", Query::String, "idle, live or ended"}})},
          &Streams::list);
    route({.method = "GET",
           .path = "/api/v1/streams/{id}",
           .summary = "A live stream: state, playback URLs, and for its managers its key and ingest URLs",
           .responseSchema = kStreamSchema,
           .errors = {{404, "not-found"}, {503, "unavailable"}}},
          &Streams::get);
    route({.method = "POST",
           .path = "/api/v1/streams/{id}/rotate-key",
           .role = "instructor",
           .summary = "Replaces a live stream's key: the old one stops working at once",
           .responseSchema = kStreamSchema,
           .errors = {{403, "forbidden"}, {404, "not-found"}, {503, "unavailable"}}},
          &Streams::rotateKey);
    route({.method = "DELETE",
           .path = "/api/v1/streams/{id}",
           .role = "instructor",
           .summary = "Deletes a live stream (ending it first if it is live)",
           .successStatus = 204,
           .errors = {{403, "forbidden"}, {404, "not-found"}, {503, "unavailable"}}},
          &Streams::remove);
}

void Streams::start()
{
    access_.start();
    // The first node to start makes the key; every other node (and every later start) reads it.
    host_.db().exec("INSERT INTO streaming_keys (name, secret, created_at) VALUES ('playback', ?, ?) ON CONFLICT (name) DO NOTHING",
                    {randomHex(32), static_cast<long long>(unixNow())});
    const Rows rows = host_.db().query("SELECT secret FROM streaming_keys WHERE name = 'playback'");
    if (rows.empty()) throw std::runtime_error("the live playback signing key could not be stored");
    signingKey_ = rows[0]["secret"].asString();
}

StreamSubject Streams::subjectOf(const Rows::Row& row)
{
    return StreamSubject{row["room_id"].asOptionalString(), row["section_id"].asOptionalString(), row["owner_id"].asString()};
}

Json Streams::streamJson(const Rows::Row& row, const std::string& userId, bool admin, std::optional<bool> manager) const
{
    const std::string id = row["id"].asString();
    const int64_t expiresAt = unixNow() + tokenSeconds_;
    const std::string base = "/api/v1/streams/" + id + "/live/" + playback::issue(signingKey_, kTokenDomain, id, userId, admin, expiresAt);
    Json out{{"id", id},
             {"title", row["title"].asString()},
             {"room_id", nullable(row["room_id"].asOptionalString())},
             {"section_id", nullable(row["section_id"].asOptionalString())},
             {"owner_id", row["owner_id"].asString()},
             {"state", row["state"].asString()},
             {"started_at", nullable(row["started_at"].asOptionalInt())},
             {"ended_at", nullable(row["ended_at"].asOptionalInt())},
             {"recording_id", nullable(row["recording_id"].asOptionalString())},
             {"key_rotated_at", row["key_rotated_at"].asInt()},
             {"playback", Json{{"hls", base + "/master.m3u8"}, {"dash", base + "/manifest.mpd"}, {"expires_at", expiresAt}}},
             {"created_at", row["created_at"].asInt()},
             {"updated_at", row["updated_at"].asInt()}};
    if (manager.value_or(false) || (!manager && access_.isManager(userId, admin, subjectOf(row)))) {
        const std::string key = row["stream_key"].asString();
        out.set("key", key);
        // Each stream's worker listens on ports of its own (a stream made without ingest keeps the bases').
        const auto rtmpPort = row["rtmp_port"].asOptionalInt(), srtPort = row["srt_port"].asOptionalInt();
        const std::string rtmp = rtmpPort ? withPort(rtmpBase_, static_cast<int>(*rtmpPort)) : rtmpBase_;
        const std::string srt = srtPort ? withPort(srtBase_, static_cast<int>(*srtPort)) : srtBase_;
        out.set("ingest", Json{{"rtmp", rtmpIngestUrl(rtmp, key)}, {"srt", srtIngestUrl(srt, key)}});
    }
    return out;
}

Json Streams::eventPayload(const Rows::Row& row)
{
    return Json{{"id", row["id"].asString()},
                {"title", row["title"].asString()},
                {"room_id", nullable(row["room_id"].asOptionalString())},
                {"section_id", nullable(row["section_id"].asOptionalString())},
                {"owner_id", row["owner_id"].asString()},
                {"state", row["state"].asString()}};
}

Rows Streams::visibleRow(const Request& req) const
{
    const std::string id = req.param("id");
    Rows rows = host_.db().query("SELECT * FROM streaming_streams WHERE id = ?", {id});
    // Someone who may not see it learns nothing, not even that it exists.
    if (rows.empty() || !access_.mayView(std::string(req.subject()), req.hasRole("admin"), subjectOf(rows[0])))
        throw NotFound("no stream " + id);
    return rows;
}

Response Streams::create(const Request& req)
{
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"room_id", "section_id", "title"});
    StreamSubject s;
    s.roomId = optionalString(body, "room_id", 1, 128, "invalid-field");
    s.sectionId = optionalString(body, "section_id", 1, 128, "invalid-field");
    if (s.roomId.has_value() == s.sectionId.has_value())
        throw Unprocessable("name exactly one of 'room_id' (a live room) and 'section_id' (a course section)", "invalid-target");
    const std::string title = requireString(body, "title", 1, kMaxTitleChars, "invalid-title");
    const std::string me(req.subject());
    const bool admin = req.hasRole("admin");
    s.ownerId = me;
    access_.requireMayCreate(me, admin, s);

    const std::string id = randomUuid();
    const long long now = unixNow();
    const std::optional<IngestPorts> ports = ingest_ ? std::optional(ingest_->reservePorts()) : std::nullopt;
    try {
        host_.db().exec("INSERT INTO streaming_streams (id, title, room_id, section_id, owner_id, state, stream_key, key_rotated_at, "
                        "created_at, updated_at, rtmp_port, srt_port) VALUES (?, ?, ?, ?, ?, 'idle', ?, ?, ?, ?, ?, ?)",
                        {id, title, s.roomId, s.sectionId, me, newStreamKey(), now, now, now, ports ? Param(ports->rtmp) : Param(nullptr),
                         ports ? Param(ports->srt) : Param(nullptr)});
    } catch (...) {
        if (ports) ingest_->releasePorts(*ports);
        throw;
    }
    if (ingest_) ingest_->created(id);
    const Rows rows = host_.db().query("SELECT * FROM streaming_streams WHERE id = ?", {id});
    host_.publish("stream.created", eventPayload(rows[0]));
    host_.log().info("stream created", {{"stream_id", id}, {"user_id", me}});
    return Response::created(streamJson(rows[0], me, admin), "/api/v1/streams/" + id);
}

Response Streams::list(const Request& req)
{
    const int64_t limit = req.queryInt("limit", 50, 1, 200);
    const auto section = req.query("section");
    const auto room = req.query("room");
    const auto state = req.query("state");
    if (state && *state != "idle" && *state != "live" && *state != "ended")
        throw BadRequest("'state' must be idle, live or ended", "invalid-parameter");
    std::string sql = "SELECT * FROM streaming_streams WHERE 1 = 1";
    std::vector<std::string> args;
    auto filter = [&](const char* column, const std::optional<std::string>& value) {
        if (!value) return;
        sql += std::string(" AND ") + column + " = ?";
        args.push_back(*value);
    };
    filter("section_id", section);
    filter("room_id", room);
    filter("state", state);

    // What the caller may see: admins everything; a section's instructors and roster the
    // section's streams (asked with ?section: the courses plugin answers per section); anyone the
    // streams they created.
    const std::string me(req.subject());
    const bool admin = req.hasRole("admin");
    const auto relation = section && !admin ? access_.sectionRelation(*section, me) : std::nullopt;
    if (!admin) {
        const bool roster = relation == std::optional<std::string>("instructor") || relation == std::optional<std::string>("assistant") ||
                            relation == std::optional<std::string>("enrolled");
        if (!roster) {
            sql += " AND owner_id = ?";
            args.push_back(me);
        }
    }

    std::vector<Param> params(args.begin(), args.end());
    std::pair<long long, std::string> after;
    if (const auto cursor = req.query("cursor"); cursor && !cursor->empty()) {
        after = decodeCursor(*cursor);
        sql += " AND (created_at > ? OR (created_at = ? AND id > ?))";
        params.emplace_back(after.first);
        params.emplace_back(after.first);
        params.emplace_back(after.second);
    }
    sql += " ORDER BY created_at, id LIMIT " + std::to_string(limit + 1);
    const Rows rows = host_.db().query(sql, params);
    Json items = Json::array();
    const size_t n = std::min<size_t>(rows.size(), static_cast<size_t>(limit));
    // Whether the caller teaches a section, asked once per section of the page, not per stream.
    std::map<std::string, bool> teaches;
    if (relation) teaches[*section] = relation == std::optional<std::string>("instructor");
    for (size_t i = 0; i < n; ++i) {
        bool manager = admin || rows[i]["owner_id"].asString() == me;
        if (const auto of = rows[i]["section_id"].asOptionalString(); !manager && of) {
            if (!teaches.contains(*of)) teaches[*of] = access_.sectionRelation(*of, me) == std::optional<std::string>("instructor");
            manager = teaches[*of];
        }
        items.push(streamJson(rows[i], me, admin, manager));
    }
    Json next;
    if (rows.size() > n && n > 0) next = Json(encodeCursor(rows[n - 1]["created_at"].asInt(), rows[n - 1]["id"].asString()));
    return Response::json(Json{{"streams", items}, {"next_cursor", next}});
}

Response Streams::get(const Request& req)
{
    const Rows rows = visibleRow(req);
    return Response::json(streamJson(rows[0], std::string(req.subject()), req.hasRole("admin")));
}

Response Streams::rotateKey(const Request& req)
{
    const Rows found = visibleRow(req);
    const std::string me(req.subject());
    const bool admin = req.hasRole("admin");
    if (!access_.isManager(me, admin, subjectOf(found[0])))
        throw Forbidden("only whoever created this stream, its section's instructors and admins may rotate its key");
    const std::string id = found[0]["id"].asString();
    const long long now = unixNow();
    // Ingest looks the key up in this row: once replaced, the old key matches no stream.
    if (host_.db().exec("UPDATE streaming_streams SET stream_key = ?, key_rotated_at = ?, updated_at = ? WHERE id = ?",
                        {newStreamKey(), now, now, id}) == 0)
        throw NotFound("no stream " + id);
    if (ingest_) ingest_->keyRotated(id);
    host_.log().info("stream key rotated", {{"stream_id", id}, {"user_id", me}});
    const Rows rows = host_.db().query("SELECT * FROM streaming_streams WHERE id = ?", {id});
    if (rows.empty()) throw NotFound("no stream " + id);
    return Response::json(streamJson(rows[0], me, admin));
}

Response Streams::remove(const Request& req)
{
    const Rows rows = visibleRow(req);
    const std::string me(req.subject());
    if (!access_.isManager(me, req.hasRole("admin"), subjectOf(rows[0])))
        throw Forbidden("only whoever created this stream, its section's instructors and admins may delete it");
    const std::string id = rows[0]["id"].asString();
    Json payload = eventPayload(rows[0]);
    // A live stream ends first, as if its encoder had stopped: watchers and the recording-to-be
    // hear stream.ended before the stream is gone. Conditional, so that it is said once.
    const long long now = unixNow();
    if (host_.db().exec("UPDATE streaming_streams SET state = 'ended', ended_at = ?, updated_at = ? WHERE id = ? AND state = 'live'",
                        {now, now, id}) > 0) {
        Json ended = payload;
        ended.set("state", "ended");
        ended.set("ended_at", now);
        ended.set("reason", "deleted");
        ended.set("recording_id", Json()); // a deleted stream becomes no recording
        host_.publish("stream.ended", ended);
        payload.set("state", "ended");
    }
    if (host_.db().exec("DELETE FROM streaming_streams WHERE id = ?", {id}) == 0) return Response::noContent(); // deleted meanwhile
    {
        std::lock_guard lock(cacheMutex_); // its playback URLs stop at once on this node
        subjects_.erase(id);
    }
    if (ingest_) ingest_->deleted(id);
    payload.set("deleted_by", me);
    host_.publish("stream.deleted", payload);
    host_.log().info("stream deleted", {{"stream_id", id}, {"user_id", me}});
    return Response::noContent();
}

template <typename Map>
void Streams::boundLocked(Map& map, std::chrono::steady_clock::time_point now)
{
    if (map.size() < kMaxDecisions) return;
    std::erase_if(map, [&](const auto& kv) { return kv.second.until <= now; });
    if (map.size() >= kMaxDecisions) map.clear();
}

bool Streams::mayWatch(const std::string& streamId, const std::string& userId, bool admin, const StreamSubject& s)
{
    const std::string key = streamId + '\n' + userId + '\n' + (admin ? "a" : "u");
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(cacheMutex_);
        if (const auto it = decisions_.find(key); it != decisions_.end() && it->second.until > now) return it->second.allowed;
    }
    const bool allowed = access_.mayView(userId, admin, s);
    std::lock_guard lock(cacheMutex_);
    boundLocked(decisions_, now);
    decisions_[key] = Decision{allowed, now + kRecheck};
    return allowed;
}

std::string Streams::verifyPlayback(const std::string& streamId, const std::string& token)
{
    const auto now = std::chrono::steady_clock::now();
    const int64_t unixTime = unixNow();
    const std::string tokenKey = streamId + '\n' + token;
    std::optional<playback::Token> genuine;
    std::optional<StreamSubject> subject;
    {
        std::lock_guard lock(cacheMutex_);
        if (const auto it = tokens_.find(tokenKey); it != tokens_.end() && it->second.until > now) genuine = it->second.token;
        if (const auto it = subjects_.find(streamId); it != subjects_.end() && it->second.until > now) subject = it->second.subject;
    }
    if (!genuine) {
        // The token is never logged, nor echoed in a problem's detail.
        auto checked = playback::check(signingKey_, kTokenDomain, streamId, token, unixTime);
        if (checked.verdict == playback::Verdict::Invalid)
            throw HttpError(403, "invalid-token", "Forbidden", "this playback URL is not valid for this stream: ask for the stream again");
        genuine = std::move(checked.token);
        std::lock_guard lock(cacheMutex_);
        boundLocked(tokens_, now);
        tokens_[tokenKey] = GenuineToken{*genuine, now + kRecheck};
    }
    if (unixTime >= genuine->expiresAt)
        throw HttpError(403, "token-expired", "Forbidden", "this playback URL has expired: ask for the stream again");
    if (!subject) {
        const Rows rows = host_.db().query("SELECT room_id, section_id, owner_id FROM streaming_streams WHERE id = ?", {streamId});
        if (rows.empty()) throw NotFound("no stream " + streamId);
        subject = subjectOf(rows[0]);
        std::lock_guard lock(cacheMutex_);
        boundLocked(subjects_, now);
        subjects_[streamId] = KnownStream{*subject, now + kRecheck};
    }
    if (!mayWatch(streamId, genuine->userId, genuine->admin, *subject))
        throw Forbidden("the user this URL was made for may no longer watch this stream");
    return genuine->userId;
}

} // namespace vtp::streaming
