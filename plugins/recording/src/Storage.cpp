// Storage: usage for the whole store and per course (REST and /metrics), quotas (the whole
// store's, a default per course and an admin's override per course, enforced where bytes arrive)
// and retention (after retention.days, or retention.end_of_term_days after a section's term
// ended), swept on one node at a time. Usage is counted in the database (bytes acknowledged and
// the processed output's size), never by walking the store.
#include "ApiSchemas.hpp"
#include "RecordingService.hpp"
#include "RequestFields.hpp"

#include <vtp/random.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace vtp::recording {

namespace {

constexpr int64_t kDay = 86400;
constexpr const char* kStates[] = {"recording", "processing", "ready", "failed"};

// The bytes of the whole store or of one course.
struct Figures {
    int64_t sources = 0, reserved = 0, media = 0, recordings = 0;
    int64_t used() const { return sources + media; }
};

// Sources count what was acknowledged (an expired upload's bytes are removed); an unfinished
// upload of known length reserves the rest of its length.
constexpr const char* kSourceSums =
    "SELECT r.course_id, CAST(COALESCE(SUM(u.received), 0) AS BIGINT) AS sources, CAST(COALESCE(SUM(CASE WHEN u.state = 'uploading' AND "
    "u.upload_length > u.received THEN u.upload_length - u.received ELSE 0 END), 0) AS BIGINT) AS reserved FROM recording_uploads u JOIN "
    "recording_recordings r ON r.id = u.recording_id WHERE u.state <> 'expired'";
constexpr const char* kRecordingSums =
    "SELECT r.course_id, CAST(COALESCE(SUM(r.media_bytes), 0) AS BIGINT) AS media, COUNT(*) AS n FROM recording_recordings r WHERE 1 = 1";

Figures figures(const Db& db, const std::optional<std::string>& course)
{
    const std::string where = course ? " AND r.course_id = ?" : "";
    std::vector<Param> args;
    if (course) args.emplace_back(*course);
    Figures f;
    const Rows a = db.query(std::string(kSourceSums) + where + " GROUP BY r.course_id", args);
    for (const auto row : a) {
        f.sources += row["sources"].asInt();
        f.reserved += row["reserved"].asInt();
    }
    const Rows b = db.query(std::string(kRecordingSums) + where + " GROUP BY r.course_id", args);
    for (const auto row : b) {
        f.media += row["media"].asInt();
        f.recordings += row["n"].asInt();
    }
    return f;
}

// Every course's figures (recordings of no course under "").
std::map<std::string, Figures> figuresByCourse(const Db& db)
{
    std::map<std::string, Figures> out;
    for (const auto row : db.query(std::string(kSourceSums) + " GROUP BY r.course_id")) {
        Figures& f = out[row["course_id"].asOptionalString().value_or("")];
        f.sources = row["sources"].asInt();
        f.reserved = row["reserved"].asInt();
    }
    for (const auto row : db.query(std::string(kRecordingSums) + " GROUP BY r.course_id")) {
        Figures& f = out[row["course_id"].asOptionalString().value_or("")];
        f.media = row["media"].asInt();
        f.recordings = row["n"].asInt();
    }
    return out;
}

Json limitJson(uint64_t quota)
{
    return quota ? Json(static_cast<int64_t>(quota)) : Json();
}

Json figuresJson(Json out, const Figures& f, uint64_t quota)
{
    out.set("recordings", f.recordings);
    out.set("used_bytes", f.used());
    out.set("source_bytes", f.sources);
    out.set("media_bytes", f.media);
    out.set("reserved_bytes", f.reserved);
    out.set("quota_bytes", limitJson(quota));
    return out;
}

Json quotaRowJson(const Rows::Row& row)
{
    return Json{{"course_id", row["course_id"].asString()},
                {"max_bytes", row["max_bytes"].asInt()},
                {"updated_by", row["updated_by"].asString()},
                {"updated_at", row["updated_at"].asInt()}};
}

} // namespace

void RecordingService::configureStorage()
{
    const Config& c = host_.config();
    quotaTotal_ = static_cast<uint64_t>(c.getInt("quota.total_bytes"));
    quotaCourse_ = static_cast<uint64_t>(c.getInt("quota.course_bytes"));
    retentionDays_ = c.getInt("retention.days");
    retentionEndOfTerm_ = c.getBool("retention.end_of_term");
    retentionTermDays_ = c.getInt("retention.end_of_term_days");
    retentionSweepSeconds_ = c.getInt("retention.sweep_seconds");
    leaseHolder_ = randomHex(16);

    storageUsed_ =
        host_.gauge("storage_used_bytes", "Bytes the recordings take in the store, sources and processed output (all nodes), by store");
    storageFree_ = host_.gauge("storage_free_bytes", "Bytes still free where the store keeps its files, by store");
    recordingsByState_ = host_.gauge("recordings", "Recordings by state (all nodes)");
    retentionDeleted_ = host_.counter("retention_deleted_total", "Recordings deleted by the retention policy, by rule (days, end_of_term)");
    quotaRefusals_ = host_.counter("quota_refusals_total", "Upload requests refused because a quota was reached, by scope (course, store)");

    auto route = [this](Route r, Response (RecordingService::*h)(const Request&)) {
        if (r.body == Body::Json && r.maxBodyBytes == 0) r.maxBodyBytes = 4 * 1024;
        host_.route(r, [this, h](const Request& req) { return (this->*h)(req); });
    };
    route({.method = "GET",
           .path = "/api/v1/recordings/usage",
           .summary = "Bytes the recordings take: the whole store and every course (admins), or the courses the caller teaches",
           .responseSchema = kUsageSchema,
           .errors = {{403, "forbidden"}, {404, "not-found"}, {503, "unavailable"}},
           .query = {{"course", Query::String, "only this course (a course id)"}}},
          &RecordingService::usage);
    route({.method = "GET",
           .path = "/api/v1/recordings/quotas",
           .role = "admin",
           .summary = "The store's quota, the default per course and every course's own quota",
           .responseSchema = quotaListSchema()},
          &RecordingService::listQuotas);
    route({.method = "PUT",
           .path = "/api/v1/recordings/quotas/courses/{course_id}",
           .role = "admin",
           .summary = "Sets a course's recording quota in place of quota.course_bytes (0: no limit)",
           .body = Body::Json,
           .requestSchema = kPutQuotaSchema,
           .responseSchema = kQuotaSchema,
           .errors = {{400, "invalid-body"}, {422, "invalid-field"}, {422, "invalid-course"}}},
          &RecordingService::putQuota);
    route({.method = "DELETE",
           .path = "/api/v1/recordings/quotas/courses/{course_id}",
           .role = "admin",
           .summary = "Removes a course's own quota: quota.course_bytes applies again",
           .successStatus = 204,
           .errors = {{404, "not-found"}}},
          &RecordingService::deleteQuota);
}

// ------------------------------------------------------------------ quotas

uint64_t RecordingService::quotaOf(const std::string& courseId) const
{
    const Rows rows = host_.db().query("SELECT max_bytes FROM recording_quotas WHERE course_id = ?", {courseId});
    return rows.empty() ? quotaCourse_ : static_cast<uint64_t>(rows[0]["max_bytes"].asInt());
}

std::optional<std::string> RecordingService::courseOf(const std::string& recordingId) const
{
    const Rows rows = host_.db().query("SELECT course_id FROM recording_recordings WHERE id = ?", {recordingId});
    return rows.empty() ? std::nullopt : rows[0]["course_id"].asOptionalString();
}

RecordingService::Room RecordingService::roomLeft(const std::optional<std::string>& courseId) const
{
    Room room;
    auto consider = [&](uint64_t quota, const Figures& f, const char* scope) {
        const auto committed = static_cast<uint64_t>(f.used() + f.reserved);
        const uint64_t left = committed >= quota ? 0 : quota - committed;
        if (!room.bytes || left < *room.bytes) room = Room{left, scope, quota};
    };
    if (courseId)
        if (const uint64_t q = quotaOf(*courseId)) consider(q, figures(host_.db(), courseId), "course");
    if (quotaTotal_) consider(quotaTotal_, figures(host_.db(), std::nullopt), "store");
    return room;
}

void RecordingService::requireRoom(const Room& room, uint64_t more)
{
    if (!room.bytes || more <= *room.bytes) return;
    quotaRefusals_.inc(1, {{"scope", room.scope}});
    HttpError e(507, "quota-exceeded", "Insufficient storage",
                std::string(room.scope == "course" ? "the course's" : "the recording store's") + " quota of " + std::to_string(room.quota) +
                    " bytes has " + std::to_string(*room.bytes) + " bytes left; this needs " + std::to_string(more));
    e.header("Tus-Resumable", "1.0.0");
    throw e;
}

Response RecordingService::listQuotas(const Request&)
{
    Json courses = Json::array();
    for (const auto row : host_.db().query("SELECT * FROM recording_quotas ORDER BY course_id")) courses.push(quotaRowJson(row));
    return Response::json(Json{{"total_bytes", limitJson(quotaTotal_)}, {"course_bytes", limitJson(quotaCourse_)}, {"courses", courses}});
}

Response RecordingService::putQuota(const Request& req)
{
    const std::string course = req.param("course_id");
    if (!safeId(course)) throw Unprocessable("not a course id", "invalid-course");
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"max_bytes"});
    const int64_t maxBytes = body.intField("max_bytes", 0, INT64_MAX);
    host_.db().exec("INSERT INTO recording_quotas (course_id, max_bytes, updated_by, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT "
                    "(course_id) DO UPDATE SET max_bytes = excluded.max_bytes, updated_by = excluded.updated_by, updated_at = "
                    "excluded.updated_at",
                    {course, static_cast<long long>(maxBytes), std::string(req.subject()), static_cast<long long>(unixNow())});
    host_.log().info("course quota set",
                     {{"course_id", course}, {"max_bytes", std::to_string(maxBytes)}, {"user_id", std::string(req.subject())}});
    const Rows rows = host_.db().query("SELECT * FROM recording_quotas WHERE course_id = ?", {course});
    return Response::json(quotaRowJson(rows[0]));
}

Response RecordingService::deleteQuota(const Request& req)
{
    const std::string course = req.param("course_id");
    if (host_.db().exec("DELETE FROM recording_quotas WHERE course_id = ?", {course}) == 0)
        throw NotFound("course " + course + " has no quota of its own");
    host_.log().info("course quota removed", {{"course_id", course}, {"user_id", std::string(req.subject())}});
    return Response::noContent();
}

// ------------------------------------------------------------------ usage

Json RecordingService::usageOf(const std::optional<std::string>& onlyCourse) const
{
    Json courses = Json::array();
    std::map<std::string, Figures> all = figuresByCourse(host_.db());
    std::set<std::string> ids;
    for (const auto& [id, f] : all)
        if (!id.empty()) ids.insert(id);
    for (const auto row : host_.db().query("SELECT course_id FROM recording_quotas")) ids.insert(row["course_id"].asString());
    for (const auto& id : ids) {
        if (onlyCourse && *onlyCourse != id) continue;
        Json c{{"course_id", id}, {"course_code", Json()}, {"course_title", Json()}};
        // Names from the courses plugin, through any section of the course recorded.
        const Rows s =
            host_.db().query("SELECT section_id FROM recording_recordings WHERE course_id = ? AND section_id IS NOT NULL LIMIT 1", {id});
        if (!s.empty()) try {
                if (const auto about = access_.describeSection(s[0]["section_id"].asString())) {
                    c.set("course_code", (*about)["course_code"]);
                    c.set("course_title", (*about)["course_title"]);
                }
            } catch (const std::exception&) {
                // Names are a courtesy: the figures stand without them.
            }
        const bool own = !host_.db().query("SELECT 1 FROM recording_quotas WHERE course_id = ?", {id}).empty();
        const uint64_t quota = quotaOf(id);
        c.set("quota_source", own ? "course" : quota ? "default" : "none");
        courses.push(figuresJson(c, all.count(id) ? all[id] : Figures{}, quota));
    }
    return courses;
}

Response RecordingService::usage(const Request& req)
{
    const auto course = req.query("course");
    if (req.hasRole("admin")) {
        const Figures f = figures(host_.db(), std::nullopt);
        Json byState = Json::object();
        for (const char* st : kStates) byState.set(st, 0);
        for (const auto row : host_.db().query("SELECT state, COUNT(*) AS n FROM recording_recordings GROUP BY state"))
            byState.set(row["state"].asString(), row["n"].asInt());
        const auto free = store_->freeBytes();
        Json store = figuresJson(
            Json{{"kind", store_->kind()}, {"free_bytes", free ? Json(static_cast<int64_t>(*free)) : Json()}, {"by_state", byState}}, f,
            quotaTotal_);
        Json courses = usageOf(course);
        if (course && courses.size() == 0) throw NotFound("no recordings or quota of course " + *course);
        return Response::json(Json{{"store", store}, {"courses", courses}});
    }
    // A course's instructors see their course: those of a section of it that has recordings.
    const std::string me(req.subject());
    std::set<std::string> mine;
    std::string sql =
        "SELECT DISTINCT section_id, course_id FROM recording_recordings WHERE course_id IS NOT NULL AND section_id IS NOT NULL";
    std::vector<Param> args;
    if (course) {
        sql += " AND course_id = ?";
        args.emplace_back(*course);
    }
    for (const auto row : host_.db().query(sql, args)) {
        const std::string id = row["course_id"].asString();
        if (!mine.count(id) && access_.sectionRelation(row["section_id"].asString(), me) == std::optional<std::string>("instructor"))
            mine.insert(id);
    }
    if (course && mine.empty()) throw NotFound("no recordings of course " + *course + " that you teach");
    if (mine.empty() && !req.hasRole("instructor")) throw Forbidden("only admins and the instructors of a course see its usage");
    Json courses = Json::array();
    const Json all = usageOf(course);
    for (size_t i = 0; i < all.size(); ++i)
        if (mine.count(all.at(i)["course_id"].asString())) courses.push(all.at(i));
    return Response::json(Json{{"store", Json()}, {"courses", courses}});
}

void RecordingService::refreshStorageMetrics()
{
    if (!store_) return;
    const std::string kind = store_->kind();
    storageUsed_.set(static_cast<double>(figures(host_.db(), std::nullopt).used()), {{"store", kind}});
    if (const auto free = store_->freeBytes()) storageFree_.set(static_cast<double>(*free), {{"store", kind}});
    std::map<std::string, int64_t> counts;
    for (const char* st : kStates) counts[st] = 0;
    for (const auto row : host_.db().query("SELECT state, COUNT(*) AS n FROM recording_recordings GROUP BY state"))
        counts[row["state"].asString()] = row["n"].asInt();
    for (const auto& [state, n] : counts) recordingsByState_.set(static_cast<double>(n), {{"state", state}});
}

// ------------------------------------------------------------------ retention

bool RecordingService::holdRetentionLease()
{
    // One node at a time: the holder renews its lease each sweep; another node takes it over
    // once it has run out (its holder stopped or died).
    const int64_t now = unixNow();
    const int64_t until = now + std::max<int64_t>(2 * retentionSweepSeconds_, 60);
    return host_.db().exec(
               "UPDATE recording_leases SET holder = ?, expires_at = ? WHERE name = 'retention' AND (holder = ? OR expires_at <= ?)",
               {leaseHolder_, static_cast<long long>(until), leaseHolder_, static_cast<long long>(now)}) == 1;
}

int64_t RecordingService::sweepRetention()
{
    if (retentionDays_ == 0 && !retentionEndOfTerm_) return 0;
    if (!holdRetentionLease()) return 0;
    const int64_t now = unixNow();
    // Only finished recordings: one still recording, uploading or processing is not over yet.
    std::vector<std::pair<RecordingRow, std::string>> doomed;
    std::set<std::string> seen;
    auto take = [&](const Rows& rows, const char* rule) {
        for (const auto row : rows)
            if (seen.insert(row["id"].asString()).second) doomed.emplace_back(rowToRecording(row), rule);
    };
    if (retentionDays_ > 0)
        take(host_.db().query("SELECT * FROM recording_recordings WHERE state IN ('ready', 'failed') AND COALESCE(stopped_at_ms, "
                              "started_at_ms) <= ? ORDER BY created_at, id",
                              {static_cast<long long>((now - retentionDays_ * kDay) * 1000)}),
             "days");
    if (retentionEndOfTerm_) {
        for (const auto s : host_.db().query(
                 "SELECT DISTINCT section_id FROM recording_recordings WHERE section_id IS NOT NULL AND state IN ('ready', 'failed')")) {
            const std::string section = s["section_id"].asString();
            std::optional<Json> about;
            try {
                about = access_.describeSection(section);
            } catch (const std::exception& e) {
                host_.log().warn("retention: the courses plugin could not describe a section",
                                 {{"section_id", section}, {"error", e.what()}});
                continue;
            }
            // A section that is gone (or a courses plugin that cannot say) keeps its recordings:
            // retention deletes only what it knows to be due.
            if (!about || !about->has("term_ends_at")) continue;
            if ((*about)["term_ends_at"].asInt() + retentionTermDays_ * kDay > now) continue;
            take(host_.db().query("SELECT * FROM recording_recordings WHERE section_id = ? AND state IN ('ready', 'failed') ORDER BY "
                                  "created_at, id",
                                  {section}),
                 "end_of_term");
        }
    }
    int64_t deleted = 0;
    for (const auto& [r, rule] : doomed) {
        try {
            removeRecording(r, "", std::string("retention.") + rule);
            retentionDeleted_.inc(1, {{"rule", rule}});
            ++deleted;
        } catch (const std::exception& e) {
            host_.log().warn("retention: could not delete a recording", {{"recording_id", r.id}, {"error", e.what()}});
        }
    }
    return deleted;
}

} // namespace vtp::recording
