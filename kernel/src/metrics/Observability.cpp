#include "metrics/Observability.hpp"

#include "config/Config.hpp"
#include "http/KernelRoutes.hpp"
#include "log/Logger.hpp"
#include "metrics/ProcessMetrics.hpp"
#include "ws/WsServer.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#ifndef VTP_VERSION
#define VTP_VERSION "0"
#endif

namespace vtp::kernel {

namespace {

constexpr const char* kLogLevelsSchema =
    R"({"type":"object","properties":{"default":{"type":"string"},"components":{"type":"object","additionalProperties":{"type":"string"}}},"required":["default","components"]})";
constexpr const char* kLevelChangeSchema =
    R"({"type":"object","properties":{"level":{"type":"string","enum":["trace","debug","info","warn","error","off"]}},"required":["level"]})";
constexpr const char* kLevelSchema =
    R"({"type":"object","properties":{"component":{"type":"string"},"level":{"type":"string"}},"required":["component","level"]})";
constexpr const char* kRoutesSchema =
    R"({"type":"object","properties":{"routes":{"type":"array","items":{"type":"object","properties":{"method":{"type":"string"},"path":{"type":"string"},"role":{"type":"string"},"owner":{"type":"string"},"summary":{"type":"string"}}}}},"required":["routes"]})";

std::string componentOf(const vtp_request* request)
{
    const char* component = pathParam(request, "component");
    return component ? component : "";
}

std::string levelJson(const std::string& component, LogLevel level)
{
    Poco::JSON::Object o;
    o.set("component", component);
    o.set("level", std::string(logLevelName(level)));
    return toJson(o);
}

} // namespace

Observability::Observability(Router& router, Logger& log, ObservabilitySettings settings,
                             std::function<std::vector<std::string>()> pluginNames)
    : router_(router), log_(log), settings_(std::move(settings)), routes_(router), httpMetrics_(registry_),
      logLevels_(log, settings_.defaultLogLevel, std::move(pluginNames)),
      openApi_(router,
               OpenApiInfo{"VTP API", settings_.version.empty() ? std::string(VTP_VERSION) : settings_.version,
                           "Every route of vtpd and of its running plugins, generated from the route registry."},
               [&log](const SchemaProblem& p) {
                   log.warn("openapi", "route declares an invalid schema; the API description shows {} instead",
                            {{"plugin", p.owner}, {"method", p.method}, {"path", p.pattern}, {"schema", p.which}, {"reason", p.reason}});
               })
{
    observers_.add(&httpMetrics_);
    registry_.addCollector([](std::vector<CollectedFamily>& out) { collectProcessMetrics(out); });
    if (settings_.applyComponentLevels) {
        const auto bad = logLevels_.configure(settings_.componentLevels);
        if (!bad.empty()) {
            std::vector<ConfigIssue> issues;
            for (const auto& b : bad)
                issues.push_back(
                    {"", 0, 0, "log.components", "entries NAME=LEVEL (LEVEL: trace, debug, info, warn, error, off)", "\"" + b + "\""});
            throw ConfigError(std::move(issues));
        }
    }
}

Observability::~Observability() = default;

void Observability::registerRoutes()
{
    auto spec = [](const char* method, const char* path, const char* role, const char* summary, const char* responseSchema = "") {
        RouteSpec s;
        s.method = method;
        s.pattern = path;
        s.role = role;
        s.summary = summary;
        s.responseSchema = responseSchema;
        return s;
    };
    if (settings_.metricsEnabled)
        routes_.add(spec("GET", "/metrics", settings_.metricsRequireAdmin ? "admin" : VTP_ROLE_PUBLIC,
                         "Metrics in the Prometheus text format 0.0.4", R"({"type":"string","contentMediaType":"text/plain"})"),
                    serveMetrics, this);
    routes_.add(
        spec(
            "GET", "/api/v1/openapi.json", VTP_ROLE_PUBLIC, "This API description (OpenAPI 3.1)",
            R"({"type":"object","required":["openapi","info","paths"],"properties":{"openapi":{"const":"3.1.0"},"info":{"type":"object"},"paths":{"type":"object"}}})"),
        serveOpenApi, this);
    routes_.add(spec("GET", "/api/v1/admin/routes", "admin", "Every registered route: method, path, role, owner", kRoutesSchema),
                serveRoutes, this);
    routes_.add(
        spec("GET", "/api/v1/admin/log-levels", "admin", "The default log level and the per-component levels in effect", kLogLevelsSchema),
        serveLogLevels, this);
    RouteSpec put = spec("PUT", "/api/v1/admin/log-levels/{component}", "admin",
                         "Sets a component's log level (a plugin's name or a kernel component) until reset or restart", kLevelSchema);
    put.body = BodyKind::Json;
    put.maxBodyBytes = 1024;
    put.requestSchema = kLevelChangeSchema;
    put.errors = {{404, "unknown-component"}, {422, "invalid-log-level"}};
    routes_.add(std::move(put), setLogLevel, this);
    RouteSpec reset = spec("DELETE", "/api/v1/admin/log-levels/{component}", "admin",
                           "Returns a component to its configured level (log.components) or the default", kLevelSchema);
    reset.errors = {{404, "unknown-component"}};
    routes_.add(std::move(reset), resetLogLevel, this);
}

RequestObserver* Observability::requestObserver(RequestObserver* next)
{
    if (next) observers_.add(next);
    return &observers_;
}

void Observability::attachServers(const HttpServer* http, const WsServer* ws)
{
    registry_.addCollector([http, ws](std::vector<CollectedFamily>& out) {
        if (http) {
            out.push_back({"vtp_http_in_flight_requests",
                           "HTTP requests being served now.",
                           MetricType::Gauge,
                           {{{}, static_cast<double>(http->inFlight())}}});
            out.push_back({"vtp_http_connections",
                           "Open HTTP connections, idle keep-alive ones included.",
                           MetricType::Gauge,
                           {{{}, static_cast<double>(http->connections())}}});
        }
        if (ws) {
            out.push_back({"vtp_ws_connections",
                           "Open WebSocket connections.",
                           MetricType::Gauge,
                           {{{}, static_cast<double>(ws->connectionCount())}}});
            out.push_back({"vtp_ws_messages_total",
                           "Whole WebSocket messages received (in) and sent (out).",
                           MetricType::Counter,
                           {{{{"direction", "in"}}, static_cast<double>(ws->messagesReceived())},
                            {{{"direction", "out"}}, static_cast<double>(ws->messagesSent())}}});
        }
    });
}

void Observability::attachJobs(std::function<std::map<std::string, int64_t>()> counts, std::vector<std::string> states)
{
    registry_.addCollector([counts = std::move(counts), states = std::move(states)](std::vector<CollectedFamily>& out) {
        const auto byState = counts();
        CollectedFamily f{"vtp_jobs", "Jobs in the database by state (all nodes).", MetricType::Gauge, {}};
        for (const auto& s : states) {
            const auto it = byState.find(s);
            f.samples.push_back({{{"state", s}}, it == byState.end() ? 0.0 : static_cast<double>(it->second)});
        }
        out.push_back(std::move(f));
    });
}

void Observability::attachEvents(std::function<EventFigures()> figures)
{
    registry_.addCollector([figures = std::move(figures)](std::vector<CollectedFamily>& out) {
        const EventFigures e = figures();
        out.push_back({"vtp_events_queue_depth", "Events waiting in subscription queues.", MetricType::Gauge, {{{}, e.queued}}});
        out.push_back(
            {"vtp_events_published_total", "Events accepted for publishing on this node.", MetricType::Counter, {{{}, e.published}}});
        out.push_back({"vtp_events_delivered_total", "Event handler calls that returned.", MetricType::Counter, {{{}, e.delivered}}});
        out.push_back({"vtp_events_dropped_total",
                       "Events dropped: a subscription's queue was full, or left at shutdown.",
                       MetricType::Counter,
                       {{{}, e.dropped}}});
    });
}

void Observability::checkRouteSchemas()
{
    openApi_.document();
}

void Observability::forgetPlugin(const std::string& name)
{
    registry_.removePlugin(name);
}

int Observability::serveMetrics(void* self, const vtp_request*, vtp_response* response)
{
    auto* o = static_cast<Observability*>(self);
    response->data.status = 200;
    response->data.contentType = "text/plain; version=0.0.4; charset=utf-8";
    response->data.body = o->registry_.render();
    return VTP_OK;
}

int Observability::serveOpenApi(void* self, const vtp_request*, vtp_response* response)
{
    return answerJson(response, 200, static_cast<Observability*>(self)->openApi_.document());
}

int Observability::serveRoutes(void* self, const vtp_request*, vtp_response* response)
{
    auto routes = static_cast<Observability*>(self)->router_.routes();
    std::sort(routes.begin(), routes.end(),
              [](const RouteSpec& a, const RouteSpec& b) { return std::tie(a.pattern, a.method) < std::tie(b.pattern, b.method); });
    Poco::JSON::Array list;
    for (const auto& r : routes) {
        Poco::JSON::Object o;
        o.set("method", r.method);
        o.set("path", r.pattern);
        o.set("role", r.role);
        o.set("owner", r.owner);
        o.set("summary", r.summary);
        list.add(o);
    }
    Poco::JSON::Object body;
    body.set("routes", list);
    return answerJson(response, 200, body);
}

int Observability::serveLogLevels(void* self, const vtp_request*, vtp_response* response)
{
    auto* o = static_cast<Observability*>(self);
    Poco::JSON::Object components;
    for (const auto& [name, level] : o->logLevels_.overrides()) components.set(name, std::string(logLevelName(level)));
    Poco::JSON::Object body;
    body.set("default", std::string(logLevelName(o->logLevels_.defaultLevel())));
    body.set("components", components);
    return answerJson(response, 200, body);
}

bool Observability::knownComponent(const std::string& component, vtp_response* response) const
{
    if (logLevels_.known(component)) return true;
    answerProblem(response, 404, "unknown-component", "Unknown log component",
                  "'" + component + "' is neither a loaded plugin nor a kernel component");
    return false;
}

int Observability::setLogLevel(void* self, const vtp_request* request, vtp_response* response)
{
    auto* o = static_cast<Observability*>(self);
    const std::string component = componentOf(request);
    if (!o->knownComponent(component, response)) return VTP_OK;
    std::string text;
    const auto body = jsonObjectBody(request);
    if (body && body->has("level") && body->get("level").isString()) text = body->getValue<std::string>("level");
    LogLevel level = LogLevel::Info;
    if (!parseLogLevel(text, level))
        return answerProblem(response, 422, "invalid-log-level", "Invalid log level",
                             "send {\"level\": L} with L one of trace, debug, info, warn, error, off");
    o->logLevels_.set(component, level);
    o->log_.info("kernel", "log level changed",
                 {{"component", component}, {"level", logLevelName(level)}, {"by", request->subject ? request->subject : ""}});
    return answerJson(response, 200, levelJson(component, level));
}

int Observability::resetLogLevel(void* self, const vtp_request* request, vtp_response* response)
{
    auto* o = static_cast<Observability*>(self);
    const std::string component = componentOf(request);
    if (!o->knownComponent(component, response)) return VTP_OK;
    const LogLevel level = o->logLevels_.reset(component);
    o->log_.info("kernel", "log level reset",
                 {{"component", component}, {"level", logLevelName(level)}, {"by", request->subject ? request->subject : ""}});
    return answerJson(response, 200, levelJson(component, level));
}

} // namespace vtp::kernel
