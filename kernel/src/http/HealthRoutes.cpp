#include "http/HealthRoutes.hpp"

#include "http/KernelRoutes.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace vtp::kernel {

namespace {

constexpr const char* kHealthSchema = R"({"type":"object","required":["status"],"properties":{"status":{"const":"ok"}}})";
constexpr const char* kReadySchema =
    R"({"type":"object","required":["status","database","plugins","events","degraded"],"properties":{)"
    R"("status":{"enum":["ready","not-ready"]},"database":{"type":"object","required":["reachable","backend"],)"
    R"("properties":{"reachable":{"type":"boolean"},"backend":{"enum":["sqlite","postgresql"]}}},)"
    R"("plugins":{"type":"array","items":{"type":"object","required":["name","state"],"properties":{)"
    R"("name":{"type":"string"},"state":{"type":"string"},"version":{"type":"string"},"refusal":{"type":"string"},)"
    R"("reason":{"type":"string"}}}},"events":{"type":"object","required":["node","redis"],"properties":{)"
    R"("node":{"type":"string"},"redis":{"type":"string"}}},"degraded":{"type":"boolean"}}})";

} // namespace

void HealthRoutes::addTo(KernelRoutes& routes)
{
    auto add = [&](const char* path, const char* summary, vtp_route_handler handler, const char* schema, bool notReady) {
        RouteSpec spec;
        spec.method = "GET";
        spec.pattern = path;
        spec.role = VTP_ROLE_PUBLIC;
        spec.summary = summary;
        spec.responseSchema = schema;
        if (notReady) spec.otherAnswers.emplace_back(503, schema); // the same document, "not-ready"
        routes.add(std::move(spec), handler, this);
    };
    add("/health", "Liveness: the process answers", &HealthRoutes::health, kHealthSchema, false);
    add("/ready", "Readiness: database reachable, plugins started; lists refused plugins (503 when the database is unreachable)",
        &HealthRoutes::ready, kReadySchema, true);
}

int HealthRoutes::health(void*, const vtp_request*, vtp_response* response)
{
    return answerJson(response, 200, R"({"status":"ok"})");
}

int HealthRoutes::ready(void* self, const vtp_request*, vtp_response* response)
{
    const ReadyReport report = static_cast<HealthRoutes*>(self)->report_();
    Poco::JSON::Object body;
    body.set("status", report.databaseReachable ? "ready" : "not-ready");
    Poco::JSON::Object db;
    db.set("reachable", report.databaseReachable);
    db.set("backend", report.databaseBackend);
    body.set("database", db);
    Poco::JSON::Array plugins;
    bool refused = false;
    for (const auto& s : report.plugins) {
        Poco::JSON::Object p;
        p.set("name", s.name);
        p.set("state", s.state);
        if (!s.version.empty()) p.set("version", s.version);
        if (!s.reason.empty()) {
            p.set("refusal", s.refusal);
            p.set("reason", s.reason);
        }
        refused = refused || s.state != "running";
        plugins.add(p);
    }
    body.set("plugins", plugins);
    // Events: this node's id and whether the Redis bridge carries events to the other nodes.
    Poco::JSON::Object events;
    events.set("node", report.node);
    events.set("redis", report.redis);
    body.set("events", events);
    body.set("degraded", refused);
    return answerJson(response, report.databaseReachable ? 200 : 503, body);
}

} // namespace vtp::kernel
