#include "metrics/Observability.hpp"

#include "config/Config.hpp"
#include "http/KernelRoutes.hpp"
#include "log/Logger.hpp"
#include "metrics/ProcessMetrics.hpp"
#include "ws/WsServer.hpp"

#ifndef VTP_VERSION
#define VTP_VERSION "0"
#endif

namespace vtp::kernel {

Observability::Observability(Router& router, Logger& log, ObservabilitySettings settings,
                             std::function<std::vector<std::string>()> pluginNames)
    : settings_(std::move(settings)), routes_(router), httpMetrics_(registry_),
      logLevels_(log, settings_.defaultLogLevel, std::move(pluginNames)), logLevelRoutes_(logLevels_, log),
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
    if (settings_.metricsEnabled)
        routes_.add(kernelRoute("GET", "/metrics", settings_.metricsRequireAdmin ? "admin" : VTP_ROLE_PUBLIC,
                                "Metrics in the Prometheus text format 0.0.4", R"({"type":"string","contentMediaType":"text/plain"})"),
                    serveMetrics, this);
    openApi_.addTo(routes_);
    logLevelRoutes_.addTo(routes_);
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
    openApi_.check();
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

} // namespace vtp::kernel
