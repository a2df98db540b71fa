#pragma once

#include "http/HttpServer.hpp"
#include "http/KernelRoutes.hpp"
#include "http/Router.hpp"
#include "log/LogLevelRoutes.hpp"
#include "log/LogLevels.hpp"
#include "metrics/HttpMetrics.hpp"
#include "metrics/MetricsRegistry.hpp"
#include "openapi/OpenApiRoutes.hpp"
#include "vtp/abi.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vtp::kernel {

class Logger;
class WsServer;

// The event bus's figures for /metrics (events/EventBus.hpp's EventBusStats, kept apart so
// that this library does not depend on the bus).
struct EventFigures {
    double queued = 0, published = 0, delivered = 0, dropped = 0;
};

struct ObservabilitySettings {
    bool metricsEnabled = true;                // metrics.enabled: serve GET /metrics
    bool metricsRequireAdmin = false;          // metrics.require_admin: /metrics needs the role admin
    LogLevel defaultLogLevel = LogLevel::Info; // log.level
    std::vector<std::string> componentLevels;  // log.components, "name=level"
    bool applyComponentLevels = true;          // false in vtpctl, whose output is for people
    std::string version;                       // for the API description; empty: this build's version
};

// What the kernel offers operators to watch it: the metrics registry behind /metrics (with
// HTTP, WebSocket and process metrics) and, each from its own folder, the API description
// /api/v1/openapi.json with the route list (openapi/OpenApiRoutes) and the per-component log
// levels with their admin routes (log/LogLevels, log/LogLevelRoutes). The kernel owns one.
class Observability {
public:
    // Throws ConfigError if log.components holds a malformed entry. `pluginNames` lists the
    // loaded plugins (for the log-level routes); it is called on request threads.
    Observability(Router& router, Logger& log, ObservabilitySettings settings, std::function<std::vector<std::string>()> pluginNames);
    ~Observability();
    Observability(const Observability&) = delete;
    Observability& operator=(const Observability&) = delete;

    MetricsRegistry& metrics() { return registry_; }
    LogLevels& logLevels() { return logLevels_; }

    // Adds GET /metrics, GET /api/v1/openapi.json, GET /api/v1/admin/routes and the
    // /api/v1/admin/log-levels routes (owner "kernel").
    void registerRoutes();
    // The observer to give the HTTP server: the request metrics, then `next` (the access log).
    RequestObserver* requestObserver(RequestObserver* next);
    // Exports in-flight requests and WebSocket figures; both must outlive this object's scrapes.
    void attachServers(const HttpServer* http, const WsServer* ws);
    // Exports vtp_jobs{state} (every state in `states`, 0 when absent) from `counts`, called at
    // scrape time.
    void attachJobs(std::function<std::map<std::string, int64_t>()> counts, std::vector<std::string> states);
    // Exports vtp_events_queue_depth and vtp_events_{published,delivered,dropped}_total.
    void attachEvents(std::function<EventFigures()> figures);
    // Builds the API description once, so that an invalid schema a plugin declared is logged
    // at startup rather than on the first request.
    void checkRouteSchemas();
    // A plugin was refused: its metrics leave /metrics.
    void forgetPlugin(const std::string& name);

private:
    static int serveMetrics(void* self, const vtp_request* request, vtp_response* response);

    ObservabilitySettings settings_;
    KernelRoutes routes_;
    MetricsRegistry registry_;
    HttpMetrics httpMetrics_;
    RequestObservers observers_;
    LogLevels logLevels_;
    LogLevelRoutes logLevelRoutes_; // log/: the admin routes for the levels
    OpenApiRoutes openApi_;         // openapi/: the API description and the route list
};

} // namespace vtp::kernel
