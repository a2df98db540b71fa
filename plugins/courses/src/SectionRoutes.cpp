// Sections (admins create them and name their instructors; instructors manage their own),
// their weekly meeting patterns and the dated sessions those expand into.
#include "ApiSchemas.hpp"
#include "CoursesService.hpp"

#include "Dates.hpp"
#include "Queries.hpp"
#include "RequestFields.hpp"

#include <vtp/random.hpp>

#include <algorithm>

namespace vtp::courses {

namespace {

const char* kSectionSelect =
    "SELECT s.id, s.course_id, s.term_id, s.name, s.capacity, s.waitlist_capacity, s.enrollment_opens, s.enrollment_closes, "
    "s.drop_deadline, s.created_at, c.code AS course_code, "
    "(SELECT COUNT(*) FROM courses_enrollments e WHERE e.section_id = s.id AND e.status = 'enrolled') AS enrolled, "
    "(SELECT COUNT(*) FROM courses_enrollments e WHERE e.section_id = s.id AND e.status = 'waitlisted') AS waitlisted "
    "FROM courses_sections s JOIN courses_courses c ON c.id = s.course_id";

const char* kSessionSelect =
    "SELECT x.id, x.section_id, x.session_date, x.start_time, x.end_time, x.starts_at, x.ends_at, x.room_id, x.status, x.note, "
    "x.recorded, r.name AS room_name, c.code AS course_code, c.title AS course_title, s.name AS section_name, t.time_zone "
    "FROM courses_sessions x JOIN courses_sections s ON s.id = x.section_id JOIN courses_courses c ON c.id = s.course_id "
    "JOIN courses_terms t ON t.id = s.term_id LEFT JOIN courses_rooms r ON r.id = x.room_id";

std::vector<std::string> userIds(const Json& body, const char* key)
{
    auto ids = stringArray(body, key, 20, 64);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

} // namespace

void CoursesService::registerSectionRoutes()
{
    route({.method = "GET",
           .path = "/api/v1/sections",
           .summary = "Sections (?term_id, ?course_id, ?instructor user id or \"me\", ?limit, ?cursor)",
           .responseSchema = schemas::page("sections", schemas::section()),
           .errors = {{400, "invalid-parameter"}},
           .query = pageQuery({{"term_id", Query::String, "only sections of this term"},
                               {"course_id", Query::String, "only sections of this course"},
                               {"instructor", Query::String, "only sections this user teaches (a user id, or me)"}})},
          &CoursesService::listSections);
    route(
        {.method = "POST",
         .path = "/api/v1/sections",
         .summary = "Creates a section of a course (admins; instructors for sections they teach themselves)",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","properties":{"course_id":{"type":"string"},"name":{"type":"string"},"capacity":{"type":"integer"},"waitlist_capacity":{"type":"integer"},"instructors":{"type":"array","items":{"type":"string"}},"assistants":{"type":"array","items":{"type":"string"}},"enrollment_opens":{"type":"string","format":"date"},"enrollment_closes":{"type":"string","format":"date"},"drop_deadline":{"type":"string","format":"date"}},"required":["course_id","name","capacity"]})",
         .responseSchema = schemas::section(),
         .successStatus = 201,
         .errors = {{422, "unknown-user"},
                    {400, "invalid-body"},
                    {403, "forbidden"},
                    {409, "duplicate-section"},
                    {422, "invalid-assistants"},
                    {422, "invalid-capacity"},
                    {422, "invalid-course-id"},
                    {422, "invalid-dates"},
                    {422, "invalid-drop-deadline"},
                    {422, "invalid-enrollment-closes"},
                    {422, "invalid-enrollment-opens"},
                    {422, "invalid-field"},
                    {422, "invalid-instructors"},
                    {422, "invalid-name"},
                    {422, "invalid-staff"},
                    {422, "invalid-waitlist-capacity"},
                    {422, "unknown-course"}}},
        &CoursesService::createSection);
    route({.method = "GET",
           .path = "/api/v1/sections/{id}",
           .summary = "One section with its staff and enrollment counts",
           .responseSchema = schemas::section(),
           .errors = {{404, "not-found"}}},
          &CoursesService::getSection);
    route(
        {.method = "PATCH",
         .path = "/api/v1/sections/{id}",
         .summary = "Changes a section (its instructors or admins); more seats promote waitlisted students",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","additionalProperties":false,"properties":{"name":{"type":"string","minLength":1,"maxLength":50},"capacity":{"type":"integer","minimum":1,"maximum":100000},"waitlist_capacity":{"type":"integer","minimum":0,"maximum":100000},"instructors":{"type":"array","maxItems":20,"items":{"type":"string"}},"assistants":{"type":"array","maxItems":20,"items":{"type":"string"}},"enrollment_opens":{"type":["string","null"],"format":"date"},"enrollment_closes":{"type":["string","null"],"format":"date"},"drop_deadline":{"type":["string","null"],"format":"date"}}})",
         .responseSchema = schemas::section(),
         .errors = {{409, "capacity-below-enrollment"},
                    {422, "unknown-user"},
                    {400, "invalid-body"},
                    {403, "forbidden"},
                    {404, "not-found"},
                    {409, "duplicate-section"},
                    {422, "invalid-assistants"},
                    {422, "invalid-capacity"},
                    {422, "invalid-dates"},
                    {422, "invalid-drop-deadline"},
                    {422, "invalid-enrollment-closes"},
                    {422, "invalid-enrollment-opens"},
                    {422, "invalid-field"},
                    {422, "invalid-instructors"},
                    {422, "invalid-name"},
                    {422, "invalid-waitlist-capacity"}}},
        &CoursesService::updateSection);
    route({.method = "DELETE",
           .path = "/api/v1/sections/{id}",
           .role = "admin",
           .summary = "Deletes a section",
           .successStatus = 204,
           .errors = {{404, "not-found"}}},
          &CoursesService::deleteSection);
    route({.method = "GET",
           .path = "/api/v1/sections/{id}/meetings",
           .summary = "The section's weekly meeting patterns",
           .responseSchema = schemas::meetings(),
           .errors = {{404, "not-found"}}},
          &CoursesService::getMeetings);
    route(
        {.method = "PUT",
         .path = "/api/v1/sections/{id}/meetings",
         .summary = "Replaces the weekly meeting patterns and reschedules the sessions (its instructors or admins)",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","properties":{"meetings":{"type":"array","items":{"type":"object","properties":{"weekday":{"type":"integer"},"start_time":{"type":"string"},"end_time":{"type":"string"},"room_id":{"type":["string","null"]},"recorded":{"type":"boolean"}}}}},"required":["meetings"]})",
         .responseSchema = schemas::meetings(),
         .errors = {{400, "invalid-body"},
                    {403, "forbidden"},
                    {404, "not-found"},
                    {422, "invalid-field"},
                    {422, "invalid-meetings"},
                    {422, "invalid-room-id"},
                    {422, "invalid-weekday"},
                    {422, "unknown-room"}}},
        &CoursesService::putMeetings);
    route({.method = "GET",
           .path = "/api/v1/sections/{id}/sessions",
           .summary = "The section's sessions (?from, ?to dates, ?status scheduled|cancelled, ?limit, ?cursor), in time order",
           .responseSchema = schemas::page("sessions", schemas::session()),
           .errors = {{400, "invalid-parameter"}, {404, "not-found"}},
           .query = pageQuery({{"from", Query::String, "only class sessions on or after this day, YYYY-MM-DD"},
                               {"to", Query::String, "only class sessions on or before this day, YYYY-MM-DD"},
                               {"status", Query::String, "scheduled or cancelled"}})},
          &CoursesService::listSessions);
    route(
        {.method = "PATCH",
         .path = "/api/v1/sessions/{id}",
         .summary = "Moves or cancels one session, or says whether it is recorded (date, start_time, end_time, room_id, status, note, "
                    "recorded)",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","additionalProperties":false,"properties":{"date":{"type":"string","format":"date"},"start_time":{"type":"string","description":"HH:MM"},"end_time":{"type":"string","description":"HH:MM"},"room_id":{"type":["string","null"]},"status":{"type":"string"},"note":{"type":["string","null"],"maxLength":500},"recorded":{"type":"boolean"}}})",
         .responseSchema = schemas::session(),
         .errors = {{400, "invalid-body"},
                    {403, "forbidden"},
                    {404, "not-found"},
                    {422, "invalid-date"},
                    {422, "invalid-end-time"},
                    {422, "invalid-field"},
                    {422, "invalid-note"},
                    {422, "invalid-recorded"},
                    {422, "invalid-room-id"},
                    {422, "invalid-start-time"},
                    {422, "invalid-status"},
                    {422, "invalid-times"},
                    {422, "unknown-room"}}},
        &CoursesService::updateSession);
}

Response CoursesService::listSections(const Request& req)
{
    PageQuery q{
        .sql = std::string(kSectionSelect) + " WHERE 1 = 1", .sortColumn = "c.code", .idColumn = "s.id", .sortAlias = "course_code"};
    for (const char* col : {"term_id", "course_id"})
        if (const auto v = req.query(col); v && !v->empty()) {
            q.sql += std::string(" AND s.") + col + " = ?";
            q.args.emplace_back(*v);
        }
    if (auto v = req.query("instructor"); v && !v->empty()) {
        if (*v == "me") v = std::string(req.subject());
        q.sql += " AND s.id IN (SELECT section_id FROM courses_section_staff WHERE user_id = ? AND role = 'instructor')";
        q.args.emplace_back(*v);
    }
    return Response::json(listPage(host_.db(), req, q, "sections", [this](const Rows::Row& r) { return sectionJson(r); }));
}

Response CoursesService::getSection(const Request& req)
{
    const Rows rows = host_.db().query(std::string(kSectionSelect) + " WHERE s.id = ?", {req.param("id")});
    if (rows.empty()) throw NotFound("no such section");
    return Response::json(sectionJson(rows[0]));
}

namespace {

struct SectionDates {
    std::optional<int64_t> opens, closes, drop;
};

void checkSectionDates(const SectionDates& d)
{
    if (d.opens && d.closes && *d.closes < *d.opens)
        throw Unprocessable("'enrollment_closes' is before 'enrollment_opens'", "invalid-dates");
}

std::optional<std::string> dateText(const std::optional<int64_t>& d)
{
    return d ? std::optional(formatDate(*d)) : std::nullopt;
}

} // namespace

Response CoursesService::createSection(const Request& req)
{
    const bool admin = isAdmin(req);
    if (!admin && !req.hasRole("instructor")) throw Forbidden("only admins and instructors create sections");
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"course_id", "name", "capacity", "waitlist_capacity", "instructors", "assistants", "enrollment_opens",
                         "enrollment_closes", "drop_deadline"});
    const std::string courseId = requireString(body, "course_id", 1, 64);
    const std::string name = requireString(body, "name", 1, 50);
    const int64_t capacity = requireInt(body, "capacity", 1, 100000);
    const int64_t waitlist = optionalInt(body, "waitlist_capacity", 0, 100000).value_or(0);
    std::vector<std::string> instructors = userIds(body, "instructors");
    const std::vector<std::string> assistants = userIds(body, "assistants");
    if (!admin) {
        const std::string me(req.subject());
        if (!body.has("instructors")) instructors = {me};
        if (std::find(instructors.begin(), instructors.end(), me) == instructors.end())
            throw Forbidden("an instructor may create only sections they teach (list yourself in 'instructors')");
    }
    for (const auto& a : assistants)
        if (std::find(instructors.begin(), instructors.end(), a) != instructors.end())
            throw Unprocessable("user " + a + " is listed as instructor and as assistant", "invalid-staff");
    requireAccounts(instructors, "instructors");
    requireAccounts(assistants, "assistants");
    const SectionDates d{optionalDate(body, "enrollment_opens"), optionalDate(body, "enrollment_closes"),
                         optionalDate(body, "drop_deadline")};
    checkSectionDates(d);
    const Rows course = host_.db().query("SELECT term_id FROM courses_courses WHERE id = ?", {courseId});
    if (course.empty()) throw Unprocessable("'course_id' names no course", "unknown-course");
    const std::string termId = course[0][0].asString();
    const std::string id = randomUuid();
    try {
        host_.db().transaction([&](Tx& tx) {
            tx.exec("INSERT INTO courses_sections (id, course_id, term_id, name, capacity, waitlist_capacity, enrollment_opens, "
                    "enrollment_closes, drop_deadline, next_seq, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                    {id, courseId, termId, name, static_cast<long long>(capacity), static_cast<long long>(waitlist), dateText(d.opens),
                     dateText(d.closes), dateText(d.drop), static_cast<long long>(unixNow())});
            for (const auto& u : instructors)
                tx.exec("INSERT INTO courses_section_staff (section_id, user_id, role) VALUES (?, ?, 'instructor')", {id, u});
            for (const auto& u : assistants)
                tx.exec("INSERT INTO courses_section_staff (section_id, user_id, role) VALUES (?, ?, 'assistant')", {id, u});
        });
    } catch (const DbError& e) {
        if (e.conflict()) throw Conflict("the course already has a section named " + name, "duplicate-section");
        throw;
    }
    const Rows rows = host_.db().query(std::string(kSectionSelect) + " WHERE s.id = ?", {id});
    return Response::created(sectionJson(rows[0]), "/api/v1/sections/" + id);
}

Response CoursesService::updateSection(const Request& req)
{
    const std::string id = req.param("id");
    Section s = requireSectionManager(req, id);
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"name", "capacity", "waitlist_capacity", "instructors", "assistants", "enrollment_opens", "enrollment_closes",
                         "drop_deadline"});
    if (body.has("name")) s.name = requireString(body, "name", 1, 50);
    if (body.has("capacity")) s.capacity = requireInt(body, "capacity", 1, 100000);
    if (body.has("waitlist_capacity")) s.waitlistCapacity = requireInt(body, "waitlist_capacity", 0, 100000);
    SectionDates d{s.opens, s.closes, s.dropDeadline};
    if (body.has("enrollment_opens")) d.opens = optionalDate(body, "enrollment_opens");
    if (body.has("enrollment_closes")) d.closes = optionalDate(body, "enrollment_closes");
    if (body.has("drop_deadline")) d.drop = optionalDate(body, "drop_deadline");
    checkSectionDates(d);
    std::optional<std::vector<std::string>> instructors, assistants;
    if (body.has("instructors")) {
        // Only admins change who teaches; an instructor cannot hand the section over or add co-teachers.
        if (!isAdmin(req)) throw Forbidden("only admins change a section's instructors");
        instructors = userIds(body, "instructors");
        requireAccounts(*instructors, "instructors");
    }
    if (body.has("assistants")) {
        assistants = userIds(body, "assistants");
        requireAccounts(*assistants, "assistants");
    }
    std::vector<std::string> promoted;
    try {
        std::lock_guard lock(sectionMutex(id));
        host_.db().transaction([&](Tx& tx) {
            lockSectionRow(tx, id);
            // Fewer seats than enrolled students would leave some of them outside a full class
            // room (its size is the capacity plus the staff): refused, with the count to go by.
            const int64_t enrolled =
                tx.query("SELECT COUNT(*) FROM courses_enrollments WHERE section_id = ? AND status = 'enrolled'", {id})[0][0].asInt();
            if (s.capacity < enrolled)
                throw Conflict("the section has " + std::to_string(enrolled) + " enrolled students; its capacity cannot be lowered to " +
                                   std::to_string(s.capacity) + " (remove students first)",
                               "capacity-below-enrollment");
            tx.exec(
                "UPDATE courses_sections SET name = ?, capacity = ?, waitlist_capacity = ?, enrollment_opens = ?, enrollment_closes = ?, "
                "drop_deadline = ? WHERE id = ?",
                {s.name, static_cast<long long>(s.capacity), static_cast<long long>(s.waitlistCapacity), dateText(d.opens),
                 dateText(d.closes), dateText(d.drop), id});
            if (instructors) {
                tx.exec("DELETE FROM courses_section_staff WHERE section_id = ? AND role = 'instructor'", {id});
                for (const auto& u : *instructors)
                    tx.exec("INSERT INTO courses_section_staff (section_id, user_id, role) VALUES (?, ?, 'instructor')", {id, u});
            }
            if (assistants) {
                tx.exec("DELETE FROM courses_section_staff WHERE section_id = ? AND role = 'assistant'", {id});
                for (const auto& u : *assistants)
                    tx.exec("INSERT INTO courses_section_staff (section_id, user_id, role) VALUES (?, ?, 'assistant')", {id, u});
            }
            promoted = promoteWaitlisted(tx, id);
        });
    } catch (const DbError& e) {
        if (e.conflict()) throw Conflict("the name is taken, or one user is both instructor and assistant", "duplicate-section");
        throw;
    }
    for (const auto& u : promoted) publishEnrollment(id, u, "enrolled", std::string(req.subject()));
    // Staff who lost the section lose its live room at once (the signalling plugin asks again).
    if (instructors || assistants) {
        Json change{{"section_id", id}, {"by", std::string(req.subject())}};
        if (instructors) change.set("instructors", Json::arrayOf(*instructors));
        if (assistants) change.set("assistants", Json::arrayOf(*assistants));
        host_.publish("section.staff_changed", change);
    }
    return getSection(req);
}

Response CoursesService::deleteSection(const Request& req)
{
    const std::string id = req.param("id");
    if (host_.db().exec("DELETE FROM courses_sections WHERE id = ?", {id}) == 0) throw NotFound("no such section");
    host_.publish("section.deleted", Json{{"section_id", id}, {"by", std::string(req.subject())}});
    return Response::noContent();
}

Response CoursesService::getMeetings(const Request& req)
{
    loadSection(req.param("id"));
    Json list = Json::array();
    for (const auto& r : host_.db().query("SELECT m.id, m.weekday, m.start_time, m.end_time, m.room_id, m.recorded, r.name AS room_name "
                                          "FROM courses_meeting_patterns m LEFT JOIN courses_rooms r ON r.id = m.room_id "
                                          "WHERE m.section_id = ? ORDER BY m.weekday, m.start_time",
                                          {req.param("id")})) {
        const auto room = r["room_id"].asOptionalString();
        const auto roomName = r["room_name"].asOptionalString();
        list.push(Json{{"id", r["id"].asString()},
                       {"weekday", r["weekday"].asInt()},
                       {"start_time", r["start_time"].asString()},
                       {"end_time", r["end_time"].asString()},
                       {"room_id", room ? Json(*room) : Json()},
                       {"room_name", roomName ? Json(*roomName) : Json()},
                       {"recorded", r["recorded"].asInt() != 0}});
    }
    return Response::json(Json{{"meetings", list}});
}

Response CoursesService::putMeetings(const Request& req)
{
    const std::string id = req.param("id");
    const Section s = requireSectionManager(req, id);
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"meetings"});
    const Json list = body["meetings"];
    if (!list.isArray() || list.size() > 50)
        throw Unprocessable("'meetings' must be an array of at most 50 meeting patterns", "invalid-meetings");
    std::vector<MeetingPattern> patterns;
    for (size_t i = 0; i < list.size(); ++i) {
        const Json m = list.at(i);
        if (!m.isObject()) throw Unprocessable("each meeting must be an object", "invalid-meetings");
        allowOnlyKeys(m, {"weekday", "start_time", "end_time", "room_id", "recorded"});
        MeetingPattern p;
        p.id = randomUuid();
        p.weekday = static_cast<int>(requireInt(m, "weekday", 1, 7));
        const auto start = m["start_time"].isString() ? parseTime(m["start_time"].asString()) : std::nullopt;
        const auto end = m["end_time"].isString() ? parseTime(m["end_time"].asString(), true) : std::nullopt;
        if (!start || !end || *end <= *start)
            throw Unprocessable("meeting " + std::to_string(i + 1) + " needs 'start_time' and 'end_time' HH:MM, start before end",
                                "invalid-meetings");
        p.start = *start;
        p.end = *end;
        if (m.has("room_id") && !m["room_id"].isNull()) {
            p.roomId = requireString(m, "room_id", 1, 64);
            if (host_.db().query("SELECT 1 FROM courses_rooms WHERE id = ?", {*p.roomId}).empty())
                throw Unprocessable("meeting " + std::to_string(i + 1) + ": no such room", "unknown-room");
        }
        if (m.has("recorded")) {
            if (!m["recorded"].isBool())
                throw Unprocessable("meeting " + std::to_string(i + 1) + ": 'recorded' must be true or false", "invalid-meetings");
            p.recorded = m["recorded"].asBool();
        }
        for (const auto& other : patterns)
            if (other.weekday == p.weekday && other.start < p.end && p.start < other.end)
                throw Unprocessable("meeting " + std::to_string(i + 1) + " overlaps another meeting of this section", "invalid-meetings");
        patterns.push_back(p);
    }
    int64_t sessions = 0;
    host_.db().transaction([&](Tx& tx) {
        const Term term = loadTerm(tx, s.termId);
        tx.exec("DELETE FROM courses_meeting_patterns WHERE section_id = ?", {id});
        for (const auto& p : patterns)
            tx.exec(
                "INSERT INTO courses_meeting_patterns (id, section_id, weekday, start_time, end_time, room_id, recorded) VALUES (?, ?, ?, "
                "?, ?, ?, ?)",
                {p.id, id, p.weekday, formatTime(p.start), formatTime(p.end), p.roomId, p.recorded ? 1 : 0});
        sessions = regenerateSessions(tx, id, term);
    });
    publishScheduled(id, s.termId, sessions);
    Response r = getMeetings(req);
    Json j = Json::parse(r.body());
    j.set("sessions", sessions);
    return Response::json(j);
}

Response CoursesService::listSessions(const Request& req)
{
    loadSection(req.param("id"));
    PageQuery q{.sql = std::string(kSessionSelect) + " WHERE x.section_id = ?",
                .args = {req.param("id")},
                .sortColumn = "x.starts_at",
                .idColumn = "x.id",
                .sortIsInteger = true,
                .sortAlias = "starts_at"};
    if (const auto from = queryDate(req, "from")) {
        q.sql += " AND x.session_date >= ?";
        q.args.emplace_back(formatDate(*from));
    }
    if (const auto to = queryDate(req, "to")) {
        q.sql += " AND x.session_date <= ?";
        q.args.emplace_back(formatDate(*to));
    }
    if (const auto status = queryChoice(req, "status", {"scheduled", "cancelled"})) {
        q.sql += " AND x.status = ?";
        q.args.emplace_back(*status);
    }
    return Response::json(listPage(host_.db(), req, q, "sessions", [this](const Rows::Row& r) { return sessionJson(r); }));
}

Response CoursesService::updateSession(const Request& req)
{
    const std::string id = req.param("id");
    const Rows rows = host_.db().query(
        "SELECT section_id, session_date, start_time, end_time, room_id, status, note, recorded FROM courses_sessions WHERE id = ?", {id});
    if (rows.empty()) throw NotFound("no such session");
    const std::string sectionId = rows[0]["section_id"].asString();
    const Section s = requireSectionManager(req, sectionId);
    const Term term = loadTerm(s.termId);
    const Json body = requireObject(req);
    allowOnlyKeys(body, {"date", "start_time", "end_time", "room_id", "status", "note", "recorded"});
    int64_t date = parseDate(rows[0]["session_date"].asString()).value_or(0);
    int start = parseTime(rows[0]["start_time"].asString()).value_or(0);
    int end = parseTime(rows[0]["end_time"].asString(), true).value_or(0);
    std::optional<std::string> room = rows[0]["room_id"].asOptionalString();
    std::string status = rows[0]["status"].asString();
    std::optional<std::string> note = rows[0]["note"].asOptionalString();
    if (body.has("date")) {
        date = requireDate(body, "date");
        if (date < term.start || date > term.end) throw Unprocessable("'date' is outside the term", "invalid-date");
    }
    if (body.has("start_time")) {
        const auto t = body["start_time"].isString() ? parseTime(body["start_time"].asString()) : std::nullopt;
        if (!t) throw Unprocessable("'start_time' must be HH:MM", "invalid-start-time");
        start = *t;
    }
    if (body.has("end_time")) {
        const auto t = body["end_time"].isString() ? parseTime(body["end_time"].asString(), true) : std::nullopt;
        if (!t) throw Unprocessable("'end_time' must be HH:MM", "invalid-end-time");
        end = *t;
    }
    if (end <= start) throw Unprocessable("the session must end after it starts", "invalid-times");
    if (body.has("room_id")) {
        room = body["room_id"].isNull() ? std::nullopt : std::optional(requireString(body, "room_id", 1, 64));
        if (room && host_.db().query("SELECT 1 FROM courses_rooms WHERE id = ?", {*room}).empty())
            throw Unprocessable("'room_id' names no room", "unknown-room");
    }
    if (body.has("status")) {
        status = requireString(body, "status", 1, 20);
        if (status != "scheduled" && status != "cancelled")
            throw Unprocessable("'status' must be \"scheduled\" or \"cancelled\"", "invalid-status");
    }
    if (body.has("note")) note = optionalString(body, "note", 500);
    bool recorded = rows[0]["recorded"].asInt() != 0;
    if (body.has("recorded")) {
        if (!body["recorded"].isBool()) throw Unprocessable("'recorded' must be true or false", "invalid-recorded");
        recorded = body["recorded"].asBool();
    }
    host_.db().exec("UPDATE courses_sessions SET session_date = ?, start_time = ?, end_time = ?, starts_at = ?, ends_at = ?, room_id = ?, "
                    "status = ?, note = ?, recorded = ?, sequence = sequence + 1 WHERE id = ?",
                    {formatDate(date), formatTime(start), formatTime(end), static_cast<long long>(localInstant(term, date, start)),
                     static_cast<long long>(localInstant(term, date, end)), room, status, note, recorded ? 1 : 0, id});
    host_.publish("session.scheduled", Json{{"section_id", sectionId}, {"term_id", s.termId}, {"session_id", id}, {"status", status}});
    const Rows out = host_.db().query(std::string(kSessionSelect) + " WHERE x.id = ?", {id});
    return Response::json(sessionJson(out[0]));
}

} // namespace vtp::courses
