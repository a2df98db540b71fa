// Timetables: a term becomes an ITC-2007 instance, solved by a courses.timetable job; the
// proposal is applied to the sections' meeting patterns only when an admin accepts it. Terms
// import and export as .ctt files.
#include "ApiSchemas.hpp"
#include "CoursesService.hpp"

#include "Dates.hpp"
#include "Queries.hpp"
#include "RequestFields.hpp"

#include "timetable/CttError.hpp"
#include "timetable/CttFormat.hpp"
#include "timetable/Evaluator.hpp"
#include "timetable/InfeasibleError.hpp"
#include "timetable/Solution.hpp"
#include "timetable/Solver.hpp"

#include <vtp/random.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <unordered_set>

namespace vtp::courses {

namespace tt = timetable;

namespace {

// An id usable as a whitespace-separated .ctt token, unique among `taken`.
std::string tokenId(const std::string& text, std::unordered_set<std::string>& taken)
{
    std::string base;
    for (char c : text) base += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    if (base.empty()) base = "x";
    std::string id = base;
    for (int n = 2; !taken.insert(id).second; ++n) id = base + "~" + std::to_string(n);
    return id;
}

Json gridJson(const Term& term, const std::vector<std::string>& sections, const std::vector<std::string>& rooms)
{
    Json days = Json::array();
    for (int d : term.teachingDays) days.push(d);
    Json periods = Json::array();
    for (const auto& p : term.periods) periods.push(Json{{"start", formatTime(p.start)}, {"end", formatTime(p.end)}});
    return Json{{"days", days}, {"periods", periods}, {"sections", Json::arrayOf(sections)}, {"rooms", Json::arrayOf(rooms)}};
}

} // namespace

void CoursesService::registerTimetableRoutes()
{
    route(
        {.method = "POST",
         .path = "/api/v1/terms/{id}/timetables",
         .role = "admin",
         .summary = "Starts solving the term's timetable as a courses.timetable job (time_limit_seconds, seed); 422 names a constraint no "
                    "timetable can meet",
         .body = Body::Json,
         .requestSchema = R"({"type":"object","properties":{"time_limit_seconds":{"type":"integer"},"seed":{"type":"integer"}}})",
         .responseSchema = schemas::object(
             R"("id":{"type":"string"},"term_id":{"type":"string"},"job_id":{"type":"string"},"state":{"const":"queued"},"time_limit_seconds":{"type":"integer"},"seed":{"type":"integer"},"lectures":{"type":"integer"},"job":{"type":"string"})",
             R"("id","term_id","job_id","state","job")"),
         .successStatus = 202,
         .errors = {{400, "invalid-body"},
                    {404, "not-found"},
                    {422, "invalid-field"},
                    {422, "invalid-instance"},
                    {422, "invalid-seed"},
                    {422, "invalid-time-limit-seconds"},
                    {422, "nothing-to-schedule"},
                    {422, "over-constrained"}}},
        &CoursesService::startTimetable);
    route({.method = "GET",
           .path = "/api/v1/terms/{id}/timetables",
           .role = "admin",
           .summary = "The term's proposed timetables (?state, ?limit, ?cursor), newest last",
           .responseSchema = schemas::page("timetables", schemas::timetable()),
           .errors = {{400, "invalid-parameter"}, {404, "not-found"}},
           .query = pageQuery({{"state", Query::String, "queued, running, proposed, infeasible, cancelled, failed or accepted"}})},
          &CoursesService::listTimetables);
    route({.method = "GET",
           .path = "/api/v1/terms/{id}/timetables/{tid}",
           .role = "admin",
           .summary = "One timetable with its costs and, once solved, its assignments",
           .responseSchema = schemas::timetable(),
           .errors = {{404, "not-found"}}},
          &CoursesService::getTimetable);
    route({.method = "POST",
           .path = "/api/v1/terms/{id}/timetables/{tid}/accept",
           .role = "admin",
           .summary = "Applies a feasible timetable to the sections' meeting patterns and reschedules their sessions",
           .responseSchema = schemas::timetable(),
           .errors = {{404, "not-found"}, {409, "already-accepted"}, {409, "not-acceptable"}}},
          &CoursesService::acceptTimetable);
    route({.method = "GET",
           .path = "/api/v1/terms/{id}/export.ctt",
           .role = "admin",
           .summary = "The term as an ITC-2007 .ctt instance (one course per section)",
           .responseSchema = R"({"type":"string","contentMediaType":"text/plain"})",
           .errors = {{404, "not-found"}, {422, "invalid-instance"}}},
          &CoursesService::exportCtt);
    route(
        {.method = "POST",
         .path = "/api/v1/terms/{id}/import.ctt",
         .role = "admin",
         .summary = "Imports an ITC-2007 .ctt instance into an empty term: rooms, courses with one section each, curricula, unavailability",
         .body = Body::Raw,
         .maxBodyBytes = 8 * 1024 * 1024,
         .responseSchema = schemas::anyObject(),
         .successStatus = 201,
         .errors = {{404, "not-found"}, {409, "term-not-empty"}, {422, "invalid-ctt"}}},
        &CoursesService::importCtt);
}

CoursesService::BuiltInstance CoursesService::buildInstance(const Term& term) const
{
    BuiltInstance b;
    tt::Instance& in = b.instance;
    std::unordered_set<std::string> taken;
    in.name = tokenId(term.name, taken);
    taken.clear();
    in.days = static_cast<int>(term.teachingDays.size());
    in.periodsPerDay = static_cast<int>(term.periods.size());

    std::map<std::string, std::string> firstInstructor;
    for (const auto& r : host_.db().query("SELECT ss.section_id, ss.user_id FROM courses_section_staff ss JOIN courses_sections s "
                                          "ON s.id = ss.section_id WHERE s.term_id = ? AND ss.role = 'instructor' ORDER BY ss.user_id",
                                          {term.id}))
        firstInstructor.emplace(r[0].asString(), r[1].asString());

    std::map<std::string, std::vector<int>> sectionsOfCourse;
    for (const auto& r : host_.db().query("SELECT s.id, s.name, s.capacity, s.teacher_key, c.id AS course_id, c.code, c.lectures_per_week, "
                                          "c.min_working_days FROM courses_sections s JOIN courses_courses c ON c.id = s.course_id "
                                          "WHERE s.term_id = ? AND c.lectures_per_week > 0 ORDER BY c.code, s.name, s.id",
                                          {term.id})) {
        tt::Course c;
        const std::string sectionId = r["id"].asString();
        c.id = tokenId(r["code"].asString() + "-" + r["name"].asString(), taken);
        if (auto it = firstInstructor.find(sectionId); it != firstInstructor.end())
            c.teacher = it->second;
        else if (auto key = r["teacher_key"].asOptionalString(); key && !key->empty())
            c.teacher = *key;
        else
            c.teacher = "unassigned-" + c.id; // nobody else shares it
        c.lectures = static_cast<int>(r["lectures_per_week"].asInt());
        c.minWorkingDays = static_cast<int>(r["min_working_days"].asInt());
        c.students = static_cast<int>(r["capacity"].asInt());
        sectionsOfCourse[r["course_id"].asString()].push_back(static_cast<int>(in.courses.size()));
        in.courses.push_back(c);
        b.sectionIds.push_back(sectionId);
    }
    taken.clear();
    for (const auto& r : host_.db().query("SELECT id, name, capacity FROM courses_rooms ORDER BY name, id")) {
        in.rooms.push_back({tokenId(r["name"].asString(), taken), static_cast<int>(r["capacity"].asInt())});
        b.roomIds.push_back(r["id"].asString());
    }
    taken.clear();
    std::map<std::string, size_t> curriculumIndex;
    for (const auto& r : host_.db().query("SELECT k.id, k.name, cc.course_id FROM courses_curricula k JOIN courses_curriculum_courses cc "
                                          "ON cc.curriculum_id = k.id WHERE k.term_id = ? ORDER BY k.name, k.id, cc.course_id",
                                          {term.id})) {
        const auto it = sectionsOfCourse.find(r["course_id"].asString());
        if (it == sectionsOfCourse.end()) continue;
        auto [pos, added] = curriculumIndex.emplace(r["id"].asString(), in.curricula.size());
        if (added) in.curricula.push_back({tokenId(r["name"].asString(), taken), {}});
        auto& members = in.curricula[pos->second].courses;
        for (int c : it->second)
            if (std::find(members.begin(), members.end(), c) == members.end()) members.push_back(c);
    }
    for (const auto& r : host_.db().query("SELECT u.course_id, u.day_index, u.period_index FROM courses_unavailability u "
                                          "JOIN courses_courses c ON c.id = u.course_id WHERE c.term_id = ? "
                                          "ORDER BY u.course_id, u.day_index, u.period_index",
                                          {term.id})) {
        const auto it = sectionsOfCourse.find(r[0].asString());
        const int day = static_cast<int>(r[1].asInt()), period = static_cast<int>(r[2].asInt());
        if (it == sectionsOfCourse.end() || day >= in.days || period >= in.periodsPerDay) continue;
        for (int c : it->second) in.unavailability.push_back({c, day, period});
    }
    return b;
}

Response CoursesService::startTimetable(const Request& req)
{
    const Term term = loadTerm(req.param("id"));
    const Json body = req.body().empty() ? Json::object() : requireObject(req);
    allowOnlyKeys(body, {"time_limit_seconds", "seed"});
    const int64_t limit = optionalInt(body, "time_limit_seconds", 1, maxTimeLimit_).value_or(defaultTimeLimit_);
    const int64_t seed = optionalInt(body, "seed", 0, int64_t{1} << 53).value_or(1);
    BuiltInstance b = buildInstance(term);
    if (b.instance.courses.empty())
        throw Unprocessable("the term has no sections of courses with lectures to schedule", "nothing-to-schedule");
    try {
        b.instance.validate();
        tt::Solver::checkSatisfiable(b.instance);
    } catch (const tt::InfeasibleError& e) {
        throw Unprocessable(e.what(), "over-constrained");
    } catch (const std::invalid_argument& e) {
        throw Unprocessable(e.what(), "invalid-instance");
    }
    const std::string id = randomUuid();
    const int64_t now = unixNow();
    host_.db().exec(
        "INSERT INTO courses_timetables (id, term_id, state, instance, grid, time_limit_seconds, seed, created_by, created_at, updated_at) "
        "VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
        {id, term.id, tt::writeCtt(b.instance), gridJson(term, b.sectionIds, b.roomIds).dump(), static_cast<long long>(limit),
         static_cast<long long>(seed), std::string(req.subject()), static_cast<long long>(now), static_cast<long long>(now)});
    const std::string jobId = host_.submitJob(
        "courses.timetable", Json{{"timetable_id", id}, {"time_limit_seconds", limit}, {"seed", seed}}, std::string(req.subject()));
    host_.db().exec("UPDATE courses_timetables SET job_id = ? WHERE id = ?", {jobId, id});
    Response r = Response::json(Json{{"id", id},
                                     {"term_id", term.id},
                                     {"job_id", jobId},
                                     {"state", "queued"},
                                     {"time_limit_seconds", limit},
                                     {"seed", seed},
                                     {"lectures", b.instance.lectureCount()},
                                     {"job", "/api/v1/jobs/" + jobId}},
                                202);
    r.header("Location", "/api/v1/terms/" + term.id + "/timetables/" + id);
    return r;
}

Json CoursesService::runTimetableJob(Job& job, const Json& params)
{
    const std::string id = params.stringOr("timetable_id", "");
    const Rows rows = host_.db().query("SELECT term_id, instance, time_limit_seconds, seed FROM courses_timetables WHERE id = ?", {id});
    if (rows.empty()) return Json{{"timetable_id", id}, {"error", "the timetable was deleted"}};
    const std::string termId = rows[0]["term_id"].asString();
    const tt::Instance instance = tt::parseCtt(rows[0]["instance"].asString());
    // The job's params say how long and with which seed; the row keeps them for the record.
    const double limit = static_cast<double>(
        std::clamp<int64_t>(params.intOr("time_limit_seconds", rows[0]["time_limit_seconds"].asInt()), 1, maxTimeLimit_));
    const auto seed = static_cast<uint64_t>(params.intOr("seed", rows[0]["seed"].asInt()));
    auto finish = [&](const std::string& state, std::optional<tt::SolverResult> result, const std::string& error) {
        const int64_t now = unixNow();
        Json out{{"timetable_id", id}, {"term_id", termId}, {"state", state}};
        if (result) {
            const auto& e = result->evaluation;
            const Json detail{{"room_capacity", e.soft.roomCapacity},
                              {"min_working_days", e.soft.minWorkingDays},
                              {"curriculum_compactness", e.soft.curriculumCompactness},
                              {"room_stability", e.soft.roomStability},
                              {"unscheduled", e.hard.unscheduled},
                              {"room_conflicts", e.hard.roomConflicts},
                              {"teacher_conflicts", e.hard.teacherConflicts},
                              {"curriculum_conflicts", e.hard.curriculumConflicts},
                              {"unavailability", e.hard.unavailability}};
            host_.db().exec("UPDATE courses_timetables SET state = ?, solution = ?, hard_violations = ?, soft_cost = ?, cost_detail = ?, "
                            "updated_at = ? WHERE id = ?",
                            {state, tt::writeSol(instance, result->solution), e.hard.total(), e.soft.total(), detail.dump(),
                             static_cast<long long>(now), id});
            out.set("hard_violations", e.hard.total());
            out.set("soft_cost", e.soft.total());
            out.set("feasible", e.feasible());
            out.set("cancelled", result->cancelled);
            out.set("iterations", static_cast<long long>(result->iterations));
            out.set("elapsed_seconds", result->elapsedSeconds);
            out.set("cost_detail", detail);
        } else {
            host_.db().exec("UPDATE courses_timetables SET state = ?, cost_detail = ?, updated_at = ? WHERE id = ?",
                            {state, Json{{"error", error}}.dump(), static_cast<long long>(now), id});
            out.set("error", error);
        }
        host_.publish("timetable.solved", out);
        timetables_.inc(1, {{"state", state}});
        host_.log().info("timetable finished", {{"timetable_id", id}, {"term_id", termId}, {"state", state}});
        return out;
    };
    host_.db().exec("UPDATE courses_timetables SET state = 'running', updated_at = ? WHERE id = ?",
                    {static_cast<long long>(unixNow()), id});
    std::unique_ptr<tt::Solver> solver;
    try {
        solver = std::make_unique<tt::Solver>(instance);
    } catch (const std::exception& e) {
        // The data changed since it was checked at submission; retrying would not help.
        return finish("failed", std::nullopt, e.what());
    }
    std::atomic<bool> cancel{job.cancelled()};
    tt::SolverOptions options;
    options.timeLimitSeconds = limit;
    options.seed = seed;
    options.threads = threads_;
    options.cancel = &cancel;
    job.progress(0, "constructing a first timetable");
    options.progress = [&](const tt::SolverProgress& p) {
        if (job.cancelled()) cancel = true;
        char message[160];
        std::snprintf(message, sizeof message, "%.0f s: best hard %d, soft %s", p.elapsedSeconds, p.bestHard,
                      p.feasible ? std::to_string(p.bestSoft).c_str() : "n/a (not yet feasible)");
        job.progress(std::clamp(p.elapsedSeconds / limit, 0.0, 0.99), message);
    };
    const tt::SolverResult result = solver->solve(options);
    const std::string state = result.cancelled || cancel ? "cancelled" : result.evaluation.feasible() ? "proposed" : "infeasible";
    return finish(state, result, {});
}

Json CoursesService::timetableJson(const Rows::Row& r, bool detail) const
{
    auto optInt = [&](const char* col) {
        const auto v = r[col].asOptionalInt();
        return v ? Json(*v) : Json();
    };
    const auto jobId = r["job_id"].asOptionalString();
    const auto acceptedAt = r["accepted_at"].asOptionalInt();
    Json j{{"id", r["id"].asString()},
           {"term_id", r["term_id"].asString()},
           {"job_id", jobId ? Json(*jobId) : Json()},
           {"state", r["state"].asString()},
           {"hard_violations", optInt("hard_violations")},
           {"soft_cost", optInt("soft_cost")},
           {"cost_detail", r["cost_detail"].isNull() ? Json() : Json::parse(r["cost_detail"].asString())},
           {"time_limit_seconds", r["time_limit_seconds"].asInt()},
           {"seed", r["seed"].asInt()},
           {"created_by", r["created_by"].asString()},
           {"created_at", r["created_at"].asInt()},
           {"accepted_at", acceptedAt ? Json(*acceptedAt) : Json()}};
    if (detail && !r["solution"].isNull()) {
        const tt::Instance instance = tt::parseCtt(r["instance"].asString());
        const tt::Solution sol = tt::parseSol(instance, r["solution"].asString());
        const Json grid = Json::parse(r["grid"].asString());
        const auto first = instance.firstLectures();
        Json assignments = Json::array();
        for (size_t c = 0; c < instance.courses.size(); ++c)
            for (int l = first[c]; l < first[c + 1]; ++l) {
                const auto& a = sol.lectures[static_cast<size_t>(l)];
                if (!a.scheduled()) continue;
                const Json period = grid["periods"].at(static_cast<size_t>(a.period));
                assignments.push(Json{{"section_id", grid["sections"].at(c)},
                                      {"course", instance.courses[c].id},
                                      {"weekday", grid["days"].at(static_cast<size_t>(a.day))},
                                      {"start_time", period["start"]},
                                      {"end_time", period["end"]},
                                      {"room_id", grid["rooms"].at(static_cast<size_t>(a.room))},
                                      {"room", instance.rooms[static_cast<size_t>(a.room)].id}});
            }
        j.set("assignments", assignments);
    }
    return j;
}

namespace {
const char* kTimetableColumns = "id, term_id, job_id, state, instance, grid, solution, hard_violations, soft_cost, cost_detail, "
                                "time_limit_seconds, seed, created_by, created_at, accepted_at";
} // namespace

Response CoursesService::listTimetables(const Request& req)
{
    loadTerm(req.param("id"));
    PageQuery q{.sql = std::string("SELECT ") + kTimetableColumns + " FROM courses_timetables x WHERE x.term_id = ?",
                .args = {req.param("id")},
                .sortColumn = "x.created_at",
                .idColumn = "x.id",
                .sortIsInteger = true,
                .sortAlias = "created_at"};
    if (const auto state = queryChoice(req, "state", {"queued", "running", "proposed", "infeasible", "cancelled", "failed", "accepted"})) {
        q.sql += " AND x.state = ?";
        q.args.emplace_back(*state);
    }
    return Response::json(listPage(host_.db(), req, q, "timetables", [this](const Rows::Row& r) { return timetableJson(r, false); }));
}

Response CoursesService::getTimetable(const Request& req)
{
    const Rows rows = host_.db().query(std::string("SELECT ") + kTimetableColumns + " FROM courses_timetables WHERE id = ? AND term_id = ?",
                                       {req.param("tid"), req.param("id")});
    if (rows.empty()) throw NotFound("no such timetable");
    return Response::json(timetableJson(rows[0], true));
}

Response CoursesService::acceptTimetable(const Request& req)
{
    const std::string termId = req.param("id"), id = req.param("tid");
    const Rows rows = host_.db().query(std::string("SELECT ") + kTimetableColumns + " FROM courses_timetables WHERE id = ? AND term_id = ?",
                                       {id, termId});
    if (rows.empty()) throw NotFound("no such timetable");
    const auto row = rows[0];
    const std::string state = row["state"].asString();
    if (state == "accepted") throw Conflict("this timetable was accepted already", "already-accepted");
    if ((state != "proposed" && state != "cancelled") || row["solution"].isNull() || row["hard_violations"].asInt() != 0)
        throw Conflict("only a finished timetable without hard violations can be accepted (this one is " + state + ")", "not-acceptable");
    const tt::Instance instance = tt::parseCtt(row["instance"].asString());
    const tt::Solution sol = tt::parseSol(instance, row["solution"].asString());
    const Json grid = Json::parse(row["grid"].asString());
    const auto first = instance.firstLectures();
    std::vector<std::pair<std::string, int64_t>> scheduled;
    host_.db().transaction([&](Tx& tx) {
        const Term term = loadTerm(tx, termId);
        for (size_t c = 0; c < instance.courses.size(); ++c) {
            const std::string sectionId = grid["sections"].at(c).asString();
            if (tx.query("SELECT 1 FROM courses_sections WHERE id = ?", {sectionId}).empty()) continue; // deleted since
            tx.exec("DELETE FROM courses_meeting_patterns WHERE section_id = ?", {sectionId});
            for (int l = first[c]; l < first[c + 1]; ++l) {
                const auto& a = sol.lectures[static_cast<size_t>(l)];
                const Json period = grid["periods"].at(static_cast<size_t>(a.period));
                const std::string roomId = grid["rooms"].at(static_cast<size_t>(a.room)).asString();
                const bool roomExists = !tx.query("SELECT 1 FROM courses_rooms WHERE id = ?", {roomId}).empty();
                tx.exec("INSERT INTO courses_meeting_patterns (id, section_id, weekday, start_time, end_time, room_id) VALUES (?, ?, ?, ?, "
                        "?, ?)",
                        {randomUuid(), sectionId, static_cast<long long>(grid["days"].at(static_cast<size_t>(a.day)).asInt()),
                         period["start"].asString(), period["end"].asString(), roomExists ? std::optional(roomId) : std::nullopt});
            }
            scheduled.emplace_back(sectionId, regenerateSessions(tx, sectionId, term));
        }
        tx.exec("UPDATE courses_timetables SET state = 'accepted', accepted_at = ?, updated_at = ? WHERE id = ?",
                {static_cast<long long>(unixNow()), static_cast<long long>(unixNow()), id});
    });
    for (const auto& [sid, n] : scheduled) publishScheduled(sid, termId, n);
    host_.log().info("timetable accepted", {{"timetable_id", id}, {"term_id", termId}, {"admin", std::string(req.subject())}});
    Json out = Json::parse(getTimetable(req).body());
    out.set("sections_updated", scheduled.size());
    return Response::json(out);
}

Response CoursesService::exportCtt(const Request& req)
{
    const Term term = loadTerm(req.param("id"));
    const BuiltInstance b = buildInstance(term);
    try {
        Response r = Response::text(tt::writeCtt(b.instance), 200, "text/plain; charset=utf-8");
        r.header("Content-Disposition", "attachment; filename=\"" + b.instance.name + ".ctt\"");
        return r;
    } catch (const std::invalid_argument& e) {
        throw Unprocessable(std::string("the term cannot be written as .ctt: ") + e.what(), "invalid-instance");
    }
}

Response CoursesService::importCtt(const Request& req)
{
    Term term = loadTerm(req.param("id"));
    if (!host_.db().query("SELECT 1 FROM courses_courses WHERE term_id = ?", {term.id}).empty())
        throw Conflict("the term already has courses; import into an empty term", "term-not-empty");
    tt::Instance in;
    try {
        in = tt::parseCtt(req.body());
        in.validate();
    } catch (const tt::CttError& e) {
        throw Unprocessable(e.what(), "invalid-ctt");
    } catch (const std::invalid_argument& e) {
        throw Unprocessable(e.what(), "invalid-ctt");
    }
    if (in.days < 1 || in.days > 7)
        throw Unprocessable("a .ctt week must have 1 to 7 days, this one has " + std::to_string(in.days), "invalid-ctt");
    if (in.periodsPerDay < 1 || in.periodsPerDay > 16)
        throw Unprocessable("VTP imports 1 to 16 periods a day, this file has " + std::to_string(in.periodsPerDay), "invalid-ctt");
    // The file's grid replaces the term's when their sizes differ: days from Monday, hourly periods from 08:00.
    std::vector<int> days;
    std::vector<Period> periods;
    if (static_cast<int>(term.teachingDays.size()) == in.days && static_cast<int>(term.periods.size()) == in.periodsPerDay) {
        days = term.teachingDays;
        periods = term.periods;
    } else {
        for (int d = 1; d <= in.days; ++d) days.push_back(d);
        for (int p = 0; p < in.periodsPerDay; ++p) periods.push_back({(8 + p) * 60, (9 + p) * 60});
    }
    Json daysJson = Json::array(), periodsJson = Json::array();
    for (int d : days) daysJson.push(d);
    for (const auto& p : periods) periodsJson.push(Json{{"start", formatTime(p.start)}, {"end", formatTime(p.end)}});
    const int64_t now = unixNow();
    std::vector<std::string> courseIds(in.courses.size());
    int64_t roomsCreated = 0;
    host_.db().transaction([&](Tx& tx) {
        tx.exec("UPDATE courses_terms SET teaching_days = ?, periods = ? WHERE id = ?", {daysJson.dump(), periodsJson.dump(), term.id});
        for (const auto& room : in.rooms) {
            if (!tx.query("SELECT 1 FROM courses_rooms WHERE name = ?", {room.id}).empty()) continue;
            tx.exec("INSERT INTO courses_rooms (id, name, kind, capacity, features, created_at) VALUES (?, ?, 'physical', ?, '[]', ?)",
                    {randomUuid(), room.id, std::max(room.capacity, 1), static_cast<long long>(now)});
            ++roomsCreated;
        }
        for (size_t c = 0; c < in.courses.size(); ++c) {
            const auto& course = in.courses[c];
            courseIds[c] = randomUuid();
            tx.exec("INSERT INTO courses_courses (id, term_id, code, title, description, credits, department, lectures_per_week, "
                    "min_working_days, created_at) VALUES (?, ?, ?, ?, '', 0, '', ?, ?, ?)",
                    {courseIds[c], term.id, course.id, course.id, course.lectures, std::min(course.minWorkingDays, course.lectures),
                     static_cast<long long>(now)});
            tx.exec("INSERT INTO courses_sections (id, course_id, term_id, name, capacity, waitlist_capacity, teacher_key, next_seq, "
                    "created_at) "
                    "VALUES (?, ?, ?, 'A', ?, 0, ?, 0, ?)",
                    {randomUuid(), courseIds[c], term.id, std::max(course.students, 1), course.teacher, static_cast<long long>(now)});
        }
        for (const auto& k : in.curricula) {
            const std::string kid = randomUuid();
            tx.exec("INSERT INTO courses_curricula (id, term_id, name, created_at) VALUES (?, ?, ?, ?)",
                    {kid, term.id, k.id, static_cast<long long>(now)});
            for (int c : k.courses)
                tx.exec("INSERT INTO courses_curriculum_courses (curriculum_id, course_id) VALUES (?, ?)",
                        {kid, courseIds[static_cast<size_t>(c)]});
        }
        std::set<std::tuple<int, int, int>> seen;
        for (const auto& u : in.unavailability)
            if (seen.emplace(u.course, u.day, u.period).second)
                tx.exec("INSERT INTO courses_unavailability (course_id, day_index, period_index) VALUES (?, ?, ?)",
                        {courseIds[static_cast<size_t>(u.course)], u.day, u.period});
    });
    for (size_t c = 0; c < in.courses.size(); ++c)
        host_.publish("course.created",
                      Json{{"course_id", courseIds[c]}, {"term_id", term.id}, {"code", in.courses[c].id}, {"title", in.courses[c].id}});
    return Response::created(Json{{"term_id", term.id},
                                  {"courses", in.courses.size()},
                                  {"sections", in.courses.size()},
                                  {"rooms_created", roomsCreated},
                                  {"curricula", in.curricula.size()},
                                  {"unavailability", in.unavailability.size()},
                                  {"lectures", in.lectureCount()}});
}

} // namespace vtp::courses
