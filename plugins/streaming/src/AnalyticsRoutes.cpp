#include "AnalyticsRoutes.hpp"

#include "Cursor.hpp"
#include "ApiSchemas.hpp"
#include "Instants.hpp"

#include <vtp/base64.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <set>

namespace vtp::streaming {

namespace {

constexpr int64_t kEndOfTime = 253402300800; // 10000-01-01: past every `to`
constexpr int64_t kConcurrentSeconds = 30;

Json nullable(const std::optional<std::string>& s)
{
    return s ? Json(*s) : Json();
}

Json nullable(const std::optional<int64_t>& v)
{
    return v ? Json(*v) : Json();
}

int64_t instantArg(const Request& req, const char* name, bool end)
{
    const auto text = req.query(name);
    if (!text) return end ? kEndOfTime : 0;
    const auto at = parseInstant(*text);
    if (!at)
        throw BadRequest(std::string("'") + name + "' must be Unix seconds, a day (YYYY-MM-DD) or an instant (YYYY-MM-DDTHH:MM:SSZ)",
                         "invalid-parameter");
    // A `to` day includes that whole day.
    return end && at->day ? at->seconds + 86400 : at->seconds;
}

Json rungsJson(const std::map<std::string, uint64_t>& rungs)
{
    Json out = Json::object();
    for (const auto& [name, n] : rungs) out.set(name, static_cast<int64_t>(n));
    return out;
}

Json sessionJson(const QoeSessionRow& r)
{
    Json watched = Json::array();
    for (const auto& [a, b] : r.watched) {
        Json pair = Json::array();
        pair.push(a);
        pair.push(b);
        watched.push(pair);
    }
    return Json{{"id", r.id},
                {"kind", r.kind},
                {"subject_id", r.subjectId},
                {"section_id", nullable(r.sectionId)},
                {"course_id", nullable(r.courseId)},
                {"user_id", r.userId},
                {"sid", nullable(r.sid)},
                {"live", r.live},
                {"started_at", r.startedAt},
                {"ended_at", r.endedAt},
                {"startup_ms", nullable(r.startupMs)},
                {"rebuffer_count", r.rebufferCount},
                {"rebuffer_seconds", r.rebufferSeconds},
                {"rebuffer_ratio", r.rebufferRatio},
                {"bitrate_switches", r.bitrateSwitches},
                {"avg_kbps", nullable(r.avgKbps)},
                {"min_kbps", nullable(r.minKbps)},
                {"errors", r.errors},
                {"watch_seconds", r.watchSeconds},
                {"requests", static_cast<int64_t>(r.requests)},
                {"bytes", static_cast<int64_t>(r.bytes)},
                {"requests_per_rung", rungsJson(r.rungs)},
                {"position_s", r.positionS ? Json(*r.positionS) : Json()},
                {"watched", watched}};
}

QoeSessionRow rowOf(const Rows::Row& row)
{
    QoeSessionRow r;
    r.id = row["id"].asString();
    r.kind = row["kind"].asString();
    r.subjectId = row["subject_id"].asString();
    r.sectionId = row["section_id"].asOptionalString();
    r.courseId = row["course_id"].asOptionalString();
    r.ownerId = row["owner_id"].asOptionalString();
    r.userId = row["user_id"].asString();
    r.sid = row["sid"].asOptionalString();
    r.startedAt = row["started_at"].asInt();
    r.endedAt = row["ended_at"].asInt();
    r.startupMs = row["startup_ms"].asOptionalInt();
    r.rebufferCount = row["rebuffer_count"].asInt();
    r.rebufferSeconds = row["rebuffer_seconds"].asDouble();
    r.rebufferRatio = row["rebuffer_ratio"].asDouble();
    r.bitrateSwitches = row["bitrate_switches"].asInt();
    r.avgKbps = row["avg_kbps"].asOptionalInt();
    r.minKbps = row["min_kbps"].asOptionalInt();
    r.errors = row["errors"].asInt();
    r.watchSeconds = row["watch_seconds"].asDouble();
    r.requests = static_cast<uint64_t>(row["requests"].asInt());
    r.bytes = static_cast<uint64_t>(row["bytes"].asInt());
    if (!row["position_s"].isNull()) r.positionS = row["position_s"].asDouble();
    try {
        const Json w = Json::parse(row["watched"].asString());
        for (size_t i = 0; w.isArray() && i < w.size(); ++i) r.watched.emplace_back(w.at(i).at(0).asDouble(), w.at(i).at(1).asDouble());
    } catch (const std::exception&) {
        // Written by this plugin as JSON: unreadable means nothing watched to show.
    }
    return r;
}

} // namespace

// What a report covers: stored rows (an SQL condition on alias s, its text parameters) and the
// sessions still in memory that it covers.
struct AnalyticsRoutes::Scope {
    std::string where;
    std::vector<std::string> args;
    std::vector<QoeSessionRow> live;
    uint32_t concurrent = 0;
    uint64_t malformed = 0;
};

AnalyticsRoutes::AnalyticsRoutes(Host& host, Analytics& analytics) : host_(host), analytics_(analytics), access_(host)
{
    const auto query =
        pageQuery({{"from", Query::String, "sessions that end at or after: Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)"},
                   {"to", Query::String, "sessions that start before: Unix seconds, an instant, or a day (included whole)"}},
                  kDefaultLimit, kMaxLimit);
    host_.route({.method = "GET",
                 .path = "/api/v1/recordings/{id}/qoe",
                 .summary = "How well a recording was watched (CMCD stream analytics): a summary and its playback sessions, oldest first "
                            "(its owner, its section's instructors, admins)",
                 .responseSchema = kQoeReportSchema,
                 .errors = {{400, "invalid-parameter"}, {403, "forbidden"}, {404, "not-found"}, {503, "unavailable"}},
                 .query = query},
                [this](const Request& req) { return recording(req); });
    host_.route({.method = "GET",
                 .path = "/api/v1/streams/{id}/qoe",
                 .summary = "How well a live stream is and was watched (CMCD stream analytics): a summary and its playback sessions, "
                            "oldest first (its owner, its section's instructors, admins)",
                 .responseSchema = kQoeReportSchema,
                 .errors = {{400, "invalid-parameter"}, {403, "forbidden"}, {404, "not-found"}, {503, "unavailable"}},
                 .query = query},
                [this](const Request& req) { return stream(req); });
    host_.route({.method = "GET",
                 .path = "/api/v1/streaming/courses/{id}/qoe",
                 .role = "instructor",
                 .summary = "How well a course's recordings and live streams were watched: the sections the caller teaches and what "
                            "they made (admins: all)",
                 .responseSchema = kQoeReportSchema,
                 .errors = {{400, "invalid-parameter"}, {503, "unavailable"}},
                 .query = query},
                [this](const Request& req) { return course(req); });
}

void AnalyticsRoutes::start()
{
    access_.start();
}

Response AnalyticsRoutes::recording(const Request& req)
{
    const std::string id = req.param("id"), me(req.subject());
    const bool admin = req.hasRole("admin");
    std::optional<Analytics::Subject> s;
    try {
        s = analytics_.subject(QoeKind::Recording, id, true);
    } catch (const std::runtime_error&) {
        throw ServiceUnavailable("the recording plugin could not say what this recording is");
    }
    if (!s) throw NotFound("no recording " + id);
    if (!admin && s->ownerId != me) {
        const auto relation = s->sectionId ? access_.sectionRelation(*s->sectionId, me) : std::nullopt;
        if (relation != std::optional<std::string>("instructor")) {
            // As the recording plugin decides who may watch: then the report is forbidden, else
            // the recording does not exist for them.
            const bool watches = s->visibility == "link" || relation == std::optional<std::string>("assistant") ||
                                 (s->visibility == "participants" && relation == std::optional<std::string>("enrolled"));
            if (watches) throw Forbidden("only the recording's owner, its section's instructors and admins may read its analytics");
            throw NotFound("no recording " + id);
        }
    }
    const auto consistent = analytics_.reportLock();
    Scope scope;
    scope.where = "s.kind = 'recording' AND s.subject_id = ?";
    scope.args = {id};
    scope.live = analytics_.liveSessions(QoeKind::Recording, id, std::nullopt);
    scope.concurrent = analytics_.concurrentViewers(QoeKind::Recording, id);
    scope.malformed = analytics_.malformedCmcd(QoeKind::Recording, id);
    return report(req, scope);
}

Response AnalyticsRoutes::stream(const Request& req)
{
    const std::string id = req.param("id"), me(req.subject());
    const bool admin = req.hasRole("admin");
    const Rows rows = host_.db().query("SELECT room_id, section_id, owner_id FROM streaming_streams WHERE id = ?", {id});
    if (rows.empty()) throw NotFound("no stream " + id);
    const StreamSubject subject{rows[0]["room_id"].asOptionalString(), rows[0]["section_id"].asOptionalString(),
                                rows[0]["owner_id"].asString()};
    if (!access_.isManager(me, admin, subject)) {
        if (access_.mayView(me, admin, subject))
            throw Forbidden("only the stream's owner, its section's instructors and admins may read its analytics");
        throw NotFound("no stream " + id);
    }
    const auto consistent = analytics_.reportLock();
    Scope scope;
    scope.where = "s.kind = 'stream' AND s.subject_id = ?";
    scope.args = {id};
    scope.live = analytics_.liveSessions(QoeKind::Stream, id, std::nullopt);
    scope.concurrent = analytics_.concurrentViewers(QoeKind::Stream, id);
    scope.malformed = analytics_.malformedCmcd(QoeKind::Stream, id);
    return report(req, scope);
}

Response AnalyticsRoutes::course(const Request& req)
{
    const std::string id = req.param("id"), me(req.subject());
    const auto consistent = analytics_.reportLock();
    Scope scope;
    scope.where = "s.course_id = ?";
    scope.args = {id};
    scope.live = analytics_.liveSessions(std::nullopt, {}, id);
    if (!req.hasRole("admin")) {
        // The sections of the course that sessions name, each asked once: the caller's if they teach it.
        std::set<std::string> sections;
        const Rows rows = host_.db().query("SELECT DISTINCT section_id FROM streaming_qoe_sessions WHERE course_id = ? AND section_id IS "
                                           "NOT NULL ORDER BY section_id LIMIT " +
                                               std::to_string(kMaxCourseSections),
                                           {id});
        for (const auto& r : rows) sections.insert(r["section_id"].asString());
        for (const auto& l : scope.live)
            if (l.sectionId && sections.size() < kMaxCourseSections) sections.insert(*l.sectionId);
        std::set<std::string> taught;
        for (const auto& s : sections)
            if (access_.sectionRelation(s, me) == std::optional<std::string>("instructor")) taught.insert(s);
        scope.where += " AND (s.owner_id = ?";
        scope.args.push_back(me);
        for (const auto& s : taught) {
            scope.where += " OR s.section_id = ?";
            scope.args.push_back(s);
        }
        scope.where += ")";
        std::erase_if(scope.live,
                      [&](const QoeSessionRow& r) { return r.ownerId != me && !(r.sectionId && taught.contains(*r.sectionId)); });
    }
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (const auto& r : scope.live)
        if (r.endedAt >= now - kConcurrentSeconds) ++scope.concurrent;
    scope.malformed = analytics_.malformedCmcdOfCourse(id);
    return report(req, scope);
}

Response AnalyticsRoutes::report(const Request& req, const Scope& scope)
{
    const int64_t limit = req.queryInt("limit", kDefaultLimit, 1, kMaxLimit);
    const long long from = instantArg(req, "from", false), to = instantArg(req, "to", true);
    if (to <= from) throw BadRequest("'to' must be after 'from'", "invalid-parameter");
    std::optional<std::pair<long long, std::string>> after;
    if (const auto cursor = req.query("cursor"); cursor && !cursor->empty()) after = decodeCursor(*cursor);

    const std::string where = scope.where + " AND s.ended_at >= ? AND s.started_at < ?";
    std::vector<Param> params(scope.args.begin(), scope.args.end());
    params.emplace_back(from);
    params.emplace_back(to);

    std::vector<QoeSessionRow> live;
    for (const auto& r : scope.live)
        if (r.endedAt >= from && r.startedAt < to) live.push_back(r);

    // The summary: stored rows summed by the database, the live ones here.
    const Rows sums = host_.db().query(
        "SELECT COUNT(*) AS n, COUNT(s.startup_ms) AS startups, CAST(SUM(s.startup_ms) AS BIGINT) AS startup_sum, "
        "CAST(SUM(s.rebuffer_count) AS BIGINT) AS rebuffers, CAST(SUM(s.rebuffer_seconds) AS DOUBLE PRECISION) AS stall, "
        "CAST(SUM(s.watch_seconds) AS DOUBLE PRECISION) AS watch, CAST(SUM(s.bitrate_switches) AS BIGINT) AS switches, "
        "CAST(SUM(s.errors) AS BIGINT) AS errors, CAST(SUM(s.bytes) AS BIGINT) AS bytes, CAST(SUM(s.requests) AS BIGINT) AS requests, "
        "MIN(s.min_kbps) AS min_kbps, CAST(SUM(s.avg_kbps * s.watch_seconds) AS DOUBLE PRECISION) AS kbps_weighted, "
        "CAST(SUM(CASE WHEN s.avg_kbps IS NULL THEN 0 ELSE s.watch_seconds END) AS DOUBLE PRECISION) AS kbps_weight, "
        "COUNT(s.avg_kbps) AS kbps_n, CAST(SUM(s.avg_kbps) AS BIGINT) AS kbps_sum FROM streaming_qoe_sessions s WHERE " +
            where,
        params);
    const auto& t = sums[0];
    auto intOf = [](const Value& v) { return v.isNull() ? int64_t{0} : v.asInt(); };
    auto realOf = [](const Value& v) { return v.isNull() ? 0.0 : v.asDouble(); };
    int64_t sessions = intOf(t["n"]), startups = intOf(t["startups"]), startupSum = intOf(t["startup_sum"]);
    int64_t rebuffers = intOf(t["rebuffers"]), switches = intOf(t["switches"]), errors = intOf(t["errors"]);
    int64_t bytes = intOf(t["bytes"]), requests = intOf(t["requests"]), kbpsN = intOf(t["kbps_n"]), kbpsSum = intOf(t["kbps_sum"]);
    double stall = realOf(t["stall"]), watch = realOf(t["watch"]), kbpsWeighted = realOf(t["kbps_weighted"]),
           kbpsWeight = realOf(t["kbps_weight"]);
    std::optional<int64_t> minKbps = t["min_kbps"].asOptionalInt();
    std::map<std::string, uint64_t> perRung;
    for (const auto& r : host_.db().query("SELECT r.rung, CAST(SUM(r.requests) AS BIGINT) AS n FROM streaming_qoe_rungs r JOIN "
                                          "streaming_qoe_sessions s ON s.id = r.session_id WHERE " +
                                              where + " GROUP BY r.rung",
                                          params))
        perRung[r["rung"].asString()] += static_cast<uint64_t>(r["n"].asInt());
    std::set<std::string> viewers;
    for (const auto& r : host_.db().query("SELECT DISTINCT s.user_id FROM streaming_qoe_sessions s WHERE " + where, params))
        viewers.insert(r["user_id"].asString());
    for (const auto& r : live) {
        ++sessions;
        if (r.startupMs) {
            ++startups;
            startupSum += *r.startupMs;
        }
        rebuffers += r.rebufferCount;
        switches += r.bitrateSwitches;
        errors += r.errors;
        bytes += static_cast<int64_t>(r.bytes);
        requests += static_cast<int64_t>(r.requests);
        stall += r.rebufferSeconds;
        watch += r.watchSeconds;
        if (r.avgKbps) {
            ++kbpsN;
            kbpsSum += *r.avgKbps;
            kbpsWeighted += static_cast<double>(*r.avgKbps) * r.watchSeconds;
            kbpsWeight += r.watchSeconds;
        }
        if (r.minKbps) minKbps = minKbps ? std::min(*minKbps, *r.minKbps) : *r.minKbps;
        for (const auto& [name, n] : r.rungs) perRung[name] += n;
        viewers.insert(r.userId);
    }
    std::optional<int64_t> avgKbps;
    if (kbpsWeight > 0)
        avgKbps = static_cast<int64_t>(kbpsWeighted / kbpsWeight + 0.5);
    else if (kbpsN > 0)
        avgKbps = (kbpsSum + kbpsN / 2) / kbpsN;
    Json summary{{"sessions", sessions},
                 {"viewers", static_cast<int64_t>(viewers.size())},
                 {"concurrent_viewers", static_cast<int64_t>(scope.concurrent)},
                 {"avg_startup_ms", startups > 0 ? Json((startupSum + startups / 2) / startups) : Json()},
                 {"rebuffer_count", rebuffers},
                 {"rebuffer_seconds", stall},
                 {"rebuffer_ratio", watch > 0 ? stall / watch : 0.0},
                 {"bitrate_switches", switches},
                 {"avg_kbps", nullable(avgKbps)},
                 {"min_kbps", nullable(minKbps)},
                 {"errors", errors},
                 {"watch_seconds", watch},
                 {"egress_bytes", bytes},
                 {"requests", requests},
                 {"requests_per_rung", rungsJson(perRung)},
                 {"malformed_cmcd", static_cast<int64_t>(scope.malformed)}};

    // The page: stored rows and live ones merged in (started_at, id) order.
    std::string sql = "SELECT s.* FROM streaming_qoe_sessions s WHERE " + where;
    if (after) {
        sql += " AND (s.started_at > ? OR (s.started_at = ? AND s.id > ?))";
        params.emplace_back(after->first);
        params.emplace_back(after->first);
        params.emplace_back(after->second);
    }
    sql += " ORDER BY s.started_at, s.id LIMIT " + std::to_string(limit + 1);
    std::vector<QoeSessionRow> page;
    std::set<std::string> stored;
    for (const auto& r : host_.db().query(sql, params)) {
        page.push_back(rowOf(r));
        stored.insert(page.back().id);
    }
    const auto before = [](const QoeSessionRow& a, const QoeSessionRow& b) {
        return std::tie(a.startedAt, a.id) < std::tie(b.startedAt, b.id);
    };
    for (auto& r : live) {
        if (stored.contains(r.id)) continue; // not expected under reportLock(); shown once all the same
        if (after && std::tie(r.startedAt, r.id) <= std::tie(after->first, after->second)) continue;
        page.push_back(std::move(r));
    }
    std::sort(page.begin(), page.end(), before);
    const bool more = page.size() > static_cast<size_t>(limit);
    if (more) page.resize(static_cast<size_t>(limit));

    // Requests per rung of the stored rows shown (one query for the page).
    if (!stored.empty()) {
        std::vector<Param> ids;
        std::string in;
        for (const auto& r : page)
            if (!r.live) {
                ids.emplace_back(r.id);
                in += in.empty() ? "?" : ", ?";
            }
        std::map<std::string, std::map<std::string, uint64_t>> rungs;
        if (!ids.empty())
            for (const auto& r :
                 host_.db().query("SELECT session_id, rung, requests FROM streaming_qoe_rungs WHERE session_id IN (" + in + ")", ids))
                rungs[r["session_id"].asString()][r["rung"].asString()] = static_cast<uint64_t>(r["requests"].asInt());
        for (auto& r : page)
            if (!r.live) r.rungs = rungs[r.id];
    }
    Json items = Json::array();
    for (const auto& r : page) items.push(sessionJson(r));
    Json next;
    if (more && !page.empty()) next = Json(encodeCursor(page.back().startedAt, page.back().id));
    return Response::json(Json{{"summary", summary}, {"sessions", items}, {"next_cursor", next}});
}

} // namespace vtp::streaming
