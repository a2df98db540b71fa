// Enrollment: students enroll and drop themselves, joining the waitlist when a section is full;
// a freed seat goes to the first waitlisted student in the same transaction. Instructors and
// admins manage rosters, import them from CSV and export them.
//
// Concurrency: every change runs in one transaction that first locks the section's row
// (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the kernel's BEGIN IMMEDIATE already holds the
// database's write lock), so counting seats and inserting cannot interleave, on any node.
#include "ApiSchemas.hpp"
#include "CoursesService.hpp"

#include "Csv.hpp"
#include "TimeZone.hpp"
#include "Dates.hpp"
#include "Queries.hpp"
#include "RequestFields.hpp"

#include <functional>
#include <map>

namespace vtp::courses {

void CoursesService::registerEnrollmentRoutes()
{
    route({.method = "POST",
           .path = "/api/v1/sections/{id}/enroll",
           .summary = "Enrolls the caller, or puts them on the waitlist when the section is full (201 with status and position)",
           .responseSchema = schemas::outcome(),
           .successStatus = 201,
           .errors = {{404, "not-found"},
                      {409, "already-enrolled"},
                      {409, "enrollment-closed"},
                      {409, "enrollment-not-open"},
                      {409, "section-full"},
                      {409, "staff-cannot-enroll"}}},
          &CoursesService::enrollSelf);
    route({.method = "DELETE",
           .path = "/api/v1/sections/{id}/enroll",
           .summary = "Drops the caller's enrollment or waitlist place; a freed seat goes to the first waitlisted student",
           .successStatus = 204,
           .errors = {{404, "not-found"}, {409, "drop-deadline-passed"}}},
          &CoursesService::dropSelf);
    route({.method = "GET",
           .path = "/api/v1/sections/{id}/enrollments",
           .summary = "The roster (?status enrolled|waitlisted, ?limit, ?cursor) in acceptance order (staff and admins)",
           .responseSchema = schemas::page("enrollments", schemas::anyObject()),
           .errors = {{400, "invalid-parameter"}, {403, "forbidden"}, {404, "not-found"}},
           .query = pageQuery({{"status", Query::String, "enrolled or waitlisted"}})},
          &CoursesService::listRoster);
    route({.method = "POST",
           .path = "/api/v1/sections/{id}/enrollments",
           .summary = "Enrolls a student by user_id or email (instructors and admins; enrollment dates do not apply)",
           .body = Body::Json,
           .requestSchema = R"({"type":"object","properties":{"user_id":{"type":"string"},"email":{"type":"string"}}})",
           .responseSchema = schemas::outcome(),
           .successStatus = 201,
           .errors = {{400, "invalid-body"},
                      {403, "forbidden"},
                      {404, "not-found"},
                      {409, "already-enrolled"},
                      {409, "enrollment-closed"},
                      {409, "enrollment-not-open"},
                      {409, "section-full"},
                      {409, "staff-cannot-enroll"},
                      {422, "invalid-body"},
                      {422, "invalid-email"},
                      {422, "invalid-field"},
                      {422, "invalid-user-id"},
                      {422, "no-directory"},
                      {422, "unknown-user"}}},
          &CoursesService::addToRoster);
    route({.method = "DELETE",
           .path = "/api/v1/sections/{id}/enrollments/{user}",
           .summary = "Removes a student from the roster or waitlist (instructors and admins)",
           .successStatus = 204,
           .errors = {{403, "forbidden"}, {404, "not-found"}, {409, "drop-deadline-passed"}}},
          &CoursesService::removeFromRoster);
    route({.method = "POST",
           .path = "/api/v1/sections/{id}/roster.csv",
           .summary = "Imports a roster from CSV (one email or user id a line, optional header); answers a per-line report",
           .body = Body::Raw,
           .maxBodyBytes = maxCsvBytes_,
           .responseSchema = schemas::object(R"("accepted":{"type":"array"},"refused":{"type":"array"},"summary":{"type":"object"})",
                                             R"("accepted","refused","summary")"),
           .errors = {{403, "forbidden"},
                      {404, "not-found"},
                      {409, "already-enrolled"},
                      {409, "enrollment-closed"},
                      {409, "enrollment-not-open"},
                      {409, "section-full"}}},
          &CoursesService::importRoster);
    route({.method = "GET",
           .path = "/api/v1/sections/{id}/roster.csv",
           .summary = "The roster as CSV (staff and admins)",
           .responseSchema = R"({"type":"string","contentMediaType":"text/csv"})",
           .errors = {{403, "forbidden"}, {404, "not-found"}}},
          &CoursesService::exportRoster);
    route({.method = "GET",
           .path = "/api/v1/users/me/enrollments",
           .summary = "The caller's enrollments and waitlist places (?status, ?term_id, ?limit, ?cursor)",
           .responseSchema = schemas::page("enrollments", schemas::anyObject()),
           .errors = {{400, "invalid-parameter"}},
           .query =
               pageQuery({{"status", Query::String, "enrolled or waitlisted"}, {"term_id", Query::String, "only sections of this term"}})},
          &CoursesService::myEnrollments);
}

std::mutex& CoursesService::sectionMutex(const std::string& sectionId)
{
    return sectionLocks_[std::hash<std::string>{}(sectionId) % sectionLocks_.size()];
}

void CoursesService::lockSectionRow(Tx& tx, const std::string& sectionId) const
{
    const char* sql = host_.db().dialect() == VTP_SQL_POSTGRESQL ? "SELECT id FROM courses_sections WHERE id = ? FOR UPDATE"
                                                                 : "SELECT id FROM courses_sections WHERE id = ?";
    if (tx.query(sql, {sectionId}).empty()) throw NotFound("no such section");
}

void CoursesService::publishEnrollment(const std::string& sectionId, const std::string& userId, const std::string& status,
                                       const std::string& actor) const
{
    host_.publish("enrollment.changed", Json{{"section_id", sectionId}, {"user_id", userId}, {"status", status}, {"by", actor}});
    enrollmentChanges_.inc(1, {{"status", status}});
}

std::vector<std::string> CoursesService::promoteWaitlisted(Tx& tx, const std::string& sectionId) const
{
    std::vector<std::string> promoted;
    const Rows sec = tx.query("SELECT capacity FROM courses_sections WHERE id = ?", {sectionId});
    if (sec.empty()) return promoted;
    const int64_t capacity = sec[0][0].asInt();
    int64_t enrolled =
        tx.query("SELECT COUNT(*) FROM courses_enrollments WHERE section_id = ? AND status = 'enrolled'", {sectionId})[0][0].asInt();
    if (enrolled >= capacity) return promoted;
    const Rows next =
        tx.query("SELECT user_id FROM courses_enrollments WHERE section_id = ? AND status = 'waitlisted' ORDER BY seq LIMIT " +
                     std::to_string(capacity - enrolled),
                 {sectionId});
    const int64_t now = unixNow();
    for (const auto& r : next) {
        const std::string user = r[0].asString();
        tx.exec("UPDATE courses_enrollments SET status = 'enrolled', updated_at = ? WHERE section_id = ? AND user_id = ?",
                {static_cast<long long>(now), sectionId, user});
        promoted.push_back(user);
    }
    return promoted;
}

CoursesService::EnrollOutcome CoursesService::enroll(const std::string& sectionId, const std::string& userId, bool byStaff,
                                                     const std::string& actor)
{
    EnrollOutcome out;
    {
        std::lock_guard lock(sectionMutex(sectionId));
        host_.db().transaction([&](Tx& tx) {
            lockSectionRow(tx, sectionId);
            const Rows sec =
                tx.query("SELECT s.capacity, s.waitlist_capacity, s.next_seq, s.enrollment_opens, s.enrollment_closes, t.time_zone "
                         "FROM courses_sections s JOIN courses_terms t ON t.id = s.term_id WHERE s.id = ?",
                         {sectionId});
            const auto row = sec[0];
            if (!byStaff) {
                const int64_t day = today(row["time_zone"].asString());
                const auto opens = row["enrollment_opens"].asOptionalString();
                const auto closes = row["enrollment_closes"].asOptionalString();
                if (opens && day < parseDate(*opens).value_or(0)) throw Conflict("enrollment opens on " + *opens, "enrollment-not-open");
                if (closes && day > parseDate(*closes).value_or(0)) throw Conflict("enrollment closed on " + *closes, "enrollment-closed");
            }
            const Rows existing =
                tx.query("SELECT status FROM courses_enrollments WHERE section_id = ? AND user_id = ?", {sectionId, userId});
            if (!existing.empty())
                throw Conflict(existing[0][0].asString() == "enrolled" ? "already enrolled in this section"
                                                                       : "already on this section's waitlist",
                               "already-enrolled");
            const int64_t enrolled =
                tx.query("SELECT COUNT(*) FROM courses_enrollments WHERE section_id = ? AND status = 'enrolled'", {sectionId})[0][0]
                    .asInt();
            const int64_t waitlisted =
                tx.query("SELECT COUNT(*) FROM courses_enrollments WHERE section_id = ? AND status = 'waitlisted'", {sectionId})[0][0]
                    .asInt();
            if (enrolled < row["capacity"].asInt()) {
                out.status = "enrolled";
                out.position = 0;
            } else if (waitlisted < row["waitlist_capacity"].asInt()) {
                out.status = "waitlisted";
                out.position = waitlisted + 1;
            } else {
                throw Conflict("the section and its waitlist are full", "section-full");
            }
            out.seq = row["next_seq"].asInt() + 1;
            const int64_t now = unixNow();
            tx.exec("UPDATE courses_sections SET next_seq = ? WHERE id = ?", {static_cast<long long>(out.seq), sectionId});
            tx.exec(
                "INSERT INTO courses_enrollments (section_id, user_id, status, seq, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                {sectionId, userId, out.status, static_cast<long long>(out.seq), static_cast<long long>(now), static_cast<long long>(now)});
        });
    }
    publishEnrollment(sectionId, userId, out.status, actor);
    return out;
}

void CoursesService::drop(const std::string& sectionId, const std::string& userId, bool byStaff, const std::string& actor)
{
    std::vector<std::string> promoted;
    {
        std::lock_guard lock(sectionMutex(sectionId));
        host_.db().transaction([&](Tx& tx) {
            lockSectionRow(tx, sectionId);
            if (!byStaff) {
                const Rows sec =
                    tx.query("SELECT s.drop_deadline, t.time_zone FROM courses_sections s JOIN courses_terms t ON t.id = s.term_id "
                             "WHERE s.id = ?",
                             {sectionId});
                const auto deadline = sec[0]["drop_deadline"].asOptionalString();
                if (deadline && today(sec[0]["time_zone"].asString()) > parseDate(*deadline).value_or(0))
                    throw Conflict("the drop deadline was " + *deadline + "; ask the instructor", "drop-deadline-passed");
            }
            if (tx.exec("DELETE FROM courses_enrollments WHERE section_id = ? AND user_id = ?", {sectionId, userId}) == 0)
                throw NotFound("not enrolled in this section");
            promoted = promoteWaitlisted(tx, sectionId);
        });
    }
    publishEnrollment(sectionId, userId, "dropped", actor);
    for (const auto& u : promoted) publishEnrollment(sectionId, u, "enrolled", actor);
}

namespace {

Json outcomeJson(const std::string& sectionId, const std::string& userId, const std::string& status, int64_t position, int64_t seq)
{
    return Json{{"section_id", sectionId},
                {"user_id", userId},
                {"status", status},
                {"position", status == "waitlisted" ? Json(position) : Json()},
                {"seq", seq}};
}

} // namespace

Response CoursesService::enrollSelf(const Request& req)
{
    const std::string sectionId = req.param("id");
    loadSection(sectionId);
    const std::string me(req.subject());
    if (staffRole(sectionId, me)) throw Conflict("you teach this section", "staff-cannot-enroll");
    const EnrollOutcome o = enroll(sectionId, me, false, me);
    return Response::created(outcomeJson(sectionId, me, o.status, o.position, o.seq));
}

Response CoursesService::dropSelf(const Request& req)
{
    const std::string me(req.subject());
    drop(req.param("id"), me, false, me);
    return Response::noContent();
}

Response CoursesService::listRoster(const Request& req)
{
    const std::string sectionId = req.param("id");
    requireSectionStaff(req, sectionId);
    // Waitlist positions count from 1 in seq order; a window function gives them in one query.
    PageQuery q{.sql = "SELECT * FROM (SELECT e.user_id AS id, e.status, e.seq, e.created_at, e.updated_at, "
                       "CASE WHEN e.status = 'waitlisted' THEN ROW_NUMBER() OVER (PARTITION BY e.status ORDER BY e.seq) END AS position "
                       "FROM courses_enrollments e WHERE e.section_id = ?) r WHERE 1 = 1",
                .args = {sectionId},
                .sortColumn = "r.seq",
                .idColumn = "r.id",
                .sortIsInteger = true,
                .sortAlias = "seq"};
    if (const auto status = queryChoice(req, "status", {"enrolled", "waitlisted"})) {
        q.sql += " AND r.status = ?";
        q.args.emplace_back(*status);
    }
    return Response::json(listPage(host_.db(), req, q, "enrollments", [&sectionId](const Rows::Row& r) {
        Json j =
            outcomeJson(sectionId, r["id"].asString(), r["status"].asString(), r["position"].asOptionalInt().value_or(0), r["seq"].asInt());
        j.set("enrolled_at", r["created_at"].asInt());
        return j;
    }));
}

Response CoursesService::addToRoster(const Request& req)
{
    const std::string sectionId = req.param("id");
    requireSectionManager(req, sectionId);
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"user_id", "email"});
    std::string userId;
    if (body.has("user_id")) {
        userId = requireString(body, "user_id", 1, 64);
    } else if (body.has("email")) {
        const std::string email = requireString(body, "email", 3, 254);
        if (!directory_)
            throw Unprocessable("emails cannot be resolved: the auth directory is not available; pass user_id", "no-directory");
        const auto entry = lookupEmail(email);
        if (!entry) throw Unprocessable("no account has the email " + email, "unknown-user");
        userId = entry->id;
    } else {
        throw Unprocessable("'user_id' or 'email' is required", "invalid-body");
    }
    if (directory_ && !lookupId(userId)) throw Unprocessable("no account has the id " + userId, "unknown-user");
    if (staffRole(sectionId, userId)) throw Conflict("this user teaches the section", "staff-cannot-enroll");
    const EnrollOutcome o = enroll(sectionId, userId, true, std::string(req.subject()));
    return Response::created(outcomeJson(sectionId, userId, o.status, o.position, o.seq));
}

Response CoursesService::removeFromRoster(const Request& req)
{
    requireSectionManager(req, req.param("id"));
    drop(req.param("id"), req.param("user"), true, std::string(req.subject()));
    return Response::noContent();
}

Response CoursesService::importRoster(const Request& req)
{
    const std::string sectionId = req.param("id");
    requireSectionManager(req, sectionId);
    const auto lines = parseCsv(req.body());
    Json accepted = Json::array(), refused = Json::array();
    std::map<std::string, size_t> seen; // user id -> line
    auto refuse = [&](const CsvLine& l, const std::string& value, const std::string& code, const std::string& reason) {
        refused.push(Json{{"line", l.number}, {"value", value}, {"code", code}, {"reason", reason}});
    };
    bool first = true;
    for (const auto& l : lines) {
        const bool header = first && l.fields.size() == 1 && (l.fields[0] == "email" || l.fields[0] == "user_id");
        first = false;
        if (header) continue;
        const std::string raw = l.fields.empty() ? std::string() : l.fields[0];
        if (l.error) {
            refuse(l, raw, "malformed", "malformed line: " + *l.error);
            continue;
        }
        std::string value = raw;
        value.erase(0, value.find_first_not_of(" \t"));
        value.erase(value.find_last_not_of(" \t") + 1);
        if (l.fields.size() != 1 || value.empty()) {
            refuse(l, raw, "malformed",
                   "malformed line: expected one field, an email or a user id, found " + std::to_string(l.fields.size()));
            continue;
        }
        std::optional<DirectoryEntry> who;
        if (value.find('@') != std::string::npos) {
            if (!directory_) {
                refuse(l, value, "unknown-user", "emails cannot be resolved (no auth directory); use user ids");
                continue;
            }
            who = lookupEmail(value);
            if (!who) {
                refuse(l, value, "unknown-user", "no account has this email");
                continue;
            }
        } else if (directory_) {
            who = lookupId(value);
            if (!who) {
                refuse(l, value, "unknown-user", "no account has this id");
                continue;
            }
        } else {
            who = DirectoryEntry{value, {}, {}};
        }
        if (auto it = seen.find(who->id); it != seen.end()) {
            refuse(l, value, "duplicate", "duplicate of line " + std::to_string(it->second));
            continue;
        }
        seen.emplace(who->id, l.number);
        if (staffRole(sectionId, who->id)) {
            refuse(l, value, "staff", "this user teaches the section");
            continue;
        }
        try {
            const EnrollOutcome o = enroll(sectionId, who->id, true, std::string(req.subject()));
            Json a = outcomeJson(sectionId, who->id, o.status, o.position, o.seq);
            a.set("line", l.number);
            a.set("value", value);
            accepted.push(a);
        } catch (const HttpError& e) {
            const std::string code = e.type() == "section-full" ? "full" : e.type() == "already-enrolled" ? "already-enrolled" : e.type();
            refuse(l, value, code, e.detail());
        }
    }
    return Response::json(Json{{"accepted", accepted},
                               {"refused", refused},
                               {"summary", Json{{"lines", lines.size()}, {"accepted", accepted.size()}, {"refused", refused.size()}}}});
}

Response CoursesService::exportRoster(const Request& req)
{
    const std::string sectionId = req.param("id");
    requireSectionStaff(req, sectionId);
    std::string csv = csvRecord({"user_id", "email", "display_name", "status", "position", "enrolled_at"});
    int64_t position = 0;
    for (const auto& r : host_.db().query("SELECT user_id, status, created_at FROM courses_enrollments WHERE section_id = ? "
                                          "ORDER BY CASE WHEN status = 'enrolled' THEN 0 ELSE 1 END, seq",
                                          {sectionId})) {
        const std::string id = r["user_id"].asString(), status = r["status"].asString();
        const auto who = lookupId(id);
        const int64_t at = r["created_at"].asInt();
        csv += csvRecord({id, who ? who->email : "", who ? who->displayName : "", status,
                          status == "waitlisted" ? std::to_string(++position) : "",
                          formatDate(at / 86400) + "T" + formatTime(static_cast<int>(at % 86400 / 60)) + "Z"});
    }
    Response resp = Response::text(csv, 200, "text/csv; charset=utf-8");
    resp.header("Content-Disposition", "attachment; filename=\"roster-" + sectionId + ".csv\"");
    return resp;
}

Response CoursesService::myEnrollments(const Request& req)
{
    PageQuery q{
        .sql = "SELECT * FROM (SELECT e.section_id AS id, e.status, e.seq, e.created_at, s.term_id, s.name AS section_name, "
               "c.id AS course_id, c.code AS course_code, c.title AS course_title, "
               "(SELECT COUNT(*) FROM courses_enrollments w WHERE w.section_id = e.section_id AND w.status = 'waitlisted' "
               "AND w.seq <= e.seq) AS waitlist_rank "
               "FROM courses_enrollments e JOIN courses_sections s ON s.id = e.section_id JOIN courses_courses c ON c.id = s.course_id "
               "WHERE e.user_id = ?) r WHERE 1 = 1",
        .args = {std::string(req.subject())},
        .sortColumn = "r.course_code",
        .idColumn = "r.id",
        .sortAlias = "course_code"};
    if (const auto status = queryChoice(req, "status", {"enrolled", "waitlisted"})) {
        q.sql += " AND r.status = ?";
        q.args.emplace_back(*status);
    }
    if (const auto term = req.query("term_id"); term && !term->empty()) {
        q.sql += " AND r.term_id = ?";
        q.args.emplace_back(*term);
    }
    return Response::json(listPage(host_.db(), req, q, "enrollments", [](const Rows::Row& r) {
        const std::string status = r["status"].asString();
        return Json{{"section_id", r["id"].asString()},
                    {"section_name", r["section_name"].asString()},
                    {"course_id", r["course_id"].asString()},
                    {"course_code", r["course_code"].asString()},
                    {"course_title", r["course_title"].asString()},
                    {"term_id", r["term_id"].asString()},
                    {"status", status},
                    {"position", status == "waitlisted" ? Json(r["waitlist_rank"].asInt()) : Json()},
                    {"enrolled_at", r["created_at"].asInt()}};
    }));
}

} // namespace vtp::courses
