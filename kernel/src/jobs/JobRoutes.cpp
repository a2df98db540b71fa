#include "jobs/JobRoutes.hpp"

#include "http/KernelRoutes.hpp"
#include "jobs/JobPool.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <cstring>

namespace vtp::kernel {

namespace {

constexpr int64_t kDefaultLimit = 50;
constexpr int64_t kMaxLimit = 200;

// Owners see their jobs, admins all; anyone else is told there is no such job.
bool maySee(const vtp_request* r, const JobRecord& job)
{
    return hasRole(r, "admin") || (!job.owner.empty() && job.owner == subjectOf(r));
}

Poco::JSON::Object::Ptr toObject(const JobRecord& j)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", j.id);
    o->set("kind", j.kind);
    o->set("owner", j.owner.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(j.owner));
    o->set("state", j.state);
    Poco::JSON::Object::Ptr progress = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    progress->set("fraction", j.progress);
    progress->set("message", j.message);
    o->set("progress", progress);
    o->set("attempts", j.attempts);
    o->set("max_attempts", j.maxAttempts);
    o->set("error", j.error ? Poco::Dynamic::Var(*j.error) : Poco::Dynamic::Var());
    Poco::Dynamic::Var result;
    if (j.result) {
        try {
            result = Poco::JSON::Parser().parse(*j.result);
        } catch (const std::exception&) {
            result = Poco::Dynamic::Var(); // only JSON is ever stored; a damaged row shows null
        }
    }
    o->set("result", result);
    o->set("cancel_requested", j.cancelRequested);
    o->set("next_attempt_at", j.state == JobState::Retrying ? Poco::Dynamic::Var(isoMillis(j.nextAttemptAt)) : Poco::Dynamic::Var());
    o->set("created_at", isoMillis(j.createdAt));
    o->set("updated_at", isoMillis(j.updatedAt));
    o->set("node", j.node.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(j.node));
    return o;
}

int notFound(vtp_response* r)
{
    return answerProblem(r, 404, "job-not-found", "No such job", "There is no job with this id that you may see");
}

// Maps the pool's errors to problems; anything else is the pipeline's 500.
template <typename F>
int answer(vtp_response* r, F&& f)
{
    try {
        f();
    } catch (const JobError& e) {
        if (e.code() != JobError::Code::Unavailable) throw;
        answerProblem(r, 503, "jobs-unavailable", "The job system is not available", e.what());
    }
    return VTP_OK;
}

// Cursor: "<created_at ms>_<id>" of the last job on the previous page; opaque to clients.
std::string cursorOf(const JobRecord& j)
{
    return std::to_string(j.createdAt) + "_" + j.id;
}

bool parseCursor(const std::string& text, std::pair<int64_t, std::string>& out)
{
    const auto sep = text.find('_');
    if (sep == std::string::npos || sep == 0 || sep + 1 >= text.size()) return false;
    int64_t created = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + sep, created);
    if (ec != std::errc() || end != text.data() + sep) return false;
    out = {created, text.substr(sep + 1)};
    return true;
}

int getJob(void* ud, const vtp_request* req, vtp_response* res)
{
    auto& pool = *static_cast<JobPool*>(ud);
    return answer(res, [&]() -> int {
        const char* id = pathParam(req, "id");
        auto job = id ? pool.get(id) : std::nullopt;
        if (!job || !maySee(req, *job)) return notFound(res);
        return answerJson(res, 200, jobJson(*job));
    });
}

int listJobs(void* ud, const vtp_request* req, vtp_response* res)
{
    auto& pool = *static_cast<JobPool*>(ud);
    return answer(res, [&]() -> int {
        JobFilter f;
        if (const char* s = queryParam(req, "state"); s && *s) {
            if (!isJobState(s))
                return answerProblem(res, 400, "invalid-parameter", "Invalid state",
                                     "state must be one of queued, running, retrying, succeeded, failed, cancelled");
            f.state = s;
        }
        if (const char* k = queryParam(req, "kind"); k && *k) f.kind = k;
        const char* owner = queryParam(req, "owner");
        if (hasRole(req, "admin")) {
            if (owner && *owner) {
                f.owner = owner;
                f.ownerSet = true;
            }
        } else {
            if (owner && *owner && subjectOf(req) != owner)
                return answerProblem(res, 403, "forbidden", "Forbidden", "Only an admin may list other users' jobs");
            f.owner = subjectOf(req);
            f.ownerSet = true;
        }
        int64_t limit = 0;
        if (!limitParam(req, res, kDefaultLimit, kMaxLimit, "limit must be a whole number from 1 to " + std::to_string(kMaxLimit), limit))
            return VTP_OK;
        f.limit = static_cast<size_t>(limit);
        if (const char* c = queryParam(req, "cursor"); c && *c) {
            std::pair<int64_t, std::string> after;
            if (!parseCursor(c, after)) return answerInvalidCursor(res);
            f.after = std::move(after);
        }
        const JobPage page = pool.list(f);
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        Poco::JSON::Array::Ptr jobs = new Poco::JSON::Array;
        for (const auto& j : page.jobs) jobs->add(toObject(j));
        body->set("jobs", jobs);
        body->set("next_cursor", page.more ? Poco::Dynamic::Var(cursorOf(page.jobs.back())) : Poco::Dynamic::Var());
        return answerJson(res, 200, *body);
    });
}

int cancelJob(void* ud, const vtp_request* req, vtp_response* res)
{
    auto& pool = *static_cast<JobPool*>(ud);
    return answer(res, [&]() -> int {
        const char* id = pathParam(req, "id");
        auto job = id ? pool.get(id) : std::nullopt;
        if (!job || !maySee(req, *job)) return notFound(res);
        job = pool.cancel(id);
        if (!job) return notFound(res);
        if (job->state == JobState::Succeeded || job->state == JobState::Failed)
            return answerProblem(res, 409, "job-finished", "The job has already finished",
                                 "A job that " + job->state + " cannot be cancelled");
        return answerJson(res, 202, jobJson(*job));
    });
}

} // namespace

std::string jobJson(const JobRecord& job)
{
    return toJson(*toObject(job));
}

// The API description of a job (toObject) and of a page of jobs.
#define VTP_JOB_SCHEMA                                                                                                                     \
    R"({"type":"object","required":["id","kind","owner","state","progress","attempts","max_attempts","error","result",)"                   \
    R"("cancel_requested","next_attempt_at","created_at","updated_at","node"],"properties":{"id":{"type":"string"},)"                      \
    R"("kind":{"type":"string"},"owner":{"type":["string","null"]},"state":{"enum":["queued","running","retrying",)"                       \
    R"("succeeded","failed","cancelled"]},"progress":{"type":"object","required":["fraction","message"],"properties":)"                    \
    R"({"fraction":{"type":"number","minimum":0,"maximum":1},"message":{"type":"string"}}},"attempts":{"type":"integer"},)"                \
    R"("max_attempts":{"type":"integer"},"error":{"type":["string","null"]},"result":{},"cancel_requested":{"type":"boolean"},)"           \
    R"("next_attempt_at":{"type":["string","null"]},"created_at":{"type":"string"},"updated_at":{"type":"string"},)"                       \
    R"("node":{"type":["string","null"]}}})"
constexpr const char* kJobSchema = VTP_JOB_SCHEMA;
constexpr const char* kJobPageSchema =
    R"({"type":"object","required":["jobs","next_cursor"],"properties":{"jobs":{"type":"array","items":)" VTP_JOB_SCHEMA
    R"(},"next_cursor":{"type":["string","null"]}}})";
#undef VTP_JOB_SCHEMA

void addJobRoutes(KernelRoutes& routes, JobPool& pool)
{
    auto add = [&](const char* method, const char* path, const char* summary, vtp_route_handler handler, int success, const char* schema,
                   std::vector<std::pair<int, std::string>> errors, std::vector<QueryParamSpec> query = {}) {
        RouteSpec spec = kernelRoute(method, path, VTP_ROLE_AUTHENTICATED, summary, schema);
        spec.query = std::move(query);
        spec.successStatus = success;
        spec.errors = std::move(errors);
        spec.errors.emplace_back(503, "jobs-unavailable"); // answer(): the job store is unreachable
        routes.add(std::move(spec), handler, &pool);
    };
    auto listQuery = pageQuery(kDefaultLimit, kMaxLimit);
    listQuery.insert(listQuery.begin(),
                     {{"state", "string", "only jobs in this state: queued, running, retrying, succeeded, failed, cancelled"},
                      {"kind", "string", "only jobs of this kind"},
                      {"owner", "string", "only this user's jobs (an admin; anyone else may name only themselves)"}});
    add("GET", "/api/v1/jobs", "Jobs: yours, or everyone's for an admin, newest first", listJobs, 200, kJobPageSchema,
        {{400, "invalid-parameter"}, {403, "forbidden"}}, std::move(listQuery));
    add("GET", "/api/v1/jobs/{id}", "A job: state, progress, attempts, error, result", getJob, 200, kJobSchema, {{404, "job-not-found"}});
    add("POST", "/api/v1/jobs/{id}/cancel", "Cancels a job: at once if queued, when its runner returns if running", cancelJob, 202,
        kJobSchema, {{404, "job-not-found"}, {409, "job-finished"}});
}

} // namespace vtp::kernel
