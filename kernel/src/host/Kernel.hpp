#pragma once

#include "config/Config.hpp"
#include "db/Database.hpp"
#include "db/Migrator.hpp"
#include "host/ServiceRegistry.hpp"
#include "http/HealthRoutes.hpp"
#include "http/HttpPipeline.hpp"
#include "http/HttpServer.hpp"
#include "http/KernelRoutes.hpp"
#include "http/Router.hpp"
#include "loader/PluginLifecycle.hpp"
#include "metrics/Observability.hpp"
#include "ws/WsServer.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct vtp_host;

namespace vtp::kernel {

class JobPool;
// Events and webhooks (kernel/src/events, kernel/src/webhooks).
class EventBus;
class RedisBridge;
class ClusterChannels;
class WebhookService;
class Logger;
class ServiceAuthenticator;

// One log line per request: method, path without the query (it may carry secrets), status,
// duration, request id, route pattern.
class AccessLog : public RequestObserver {
public:
    explicit AccessLog(Logger& log) : log_(log) {}
    void onRequest(const IncomingRequest& req, const std::string& routePattern, int status, double seconds) override;

private:
    Logger& log_;
};

// A vtpctl subcommand a plugin added.
struct CliCommand {
    std::string owner;
    std::vector<std::string> words; // "user create" -> {"user", "create"}
    std::string summary, usage;
    int (*run)(void*, int, const char* const*) = nullptr;
    void* userData = nullptr;
};

// The kernel's context: the one object that owns all mutable state (config, database,
// router, servers, plugins). Lifecycle, in order: loadPlugins, openDatabase, migrate,
// initPlugins, startPlugins, startServers; then shutdown.
class Kernel {
public:
    enum class Mode { Server, Cli };

    Kernel(Config config, std::string configDir, Logger& log, Mode mode);
    ~Kernel();
    Kernel(const Kernel&) = delete;
    Kernel& operator=(const Kernel&) = delete;

    // Opens each enabled plugin's library and validates its config table.
    // Throws ConfigError for an invalid plugin table (the start stops, as for any config error).
    void loadPlugins();
    void openDatabase();
    // Applies pending migrations. Throws MigrationError if an applied one was changed.
    // `apply=false` only reports (vtpctl migrate --dry-run).
    std::vector<MigrationRecord> migrate(bool apply = true);
    void initPlugins();
    void startPlugins();
    void startServers();
    // Stops accepting, drains up to the configured deadline, stops plugins in reverse order.
    // Returns false if requests were still running at the deadline.
    bool shutdown();

    std::vector<PluginStatus> pluginStatus() const;
    const std::vector<CliCommand>& cliCommands() const { return cliCommands_; }
    uint16_t httpPort() const;
    uint16_t wsPort() const;

    // Used by the host table (HostApi.cpp).
    Logger& log() { return log_; }
    const Config& config() const { return config_; }
    Database* database() { return db_.get(); }
    Router& router() { return router_; }
    WsServer* ws() { return ws_.get(); }
    HttpServer* http() { return http_.get(); } // null until serving
    // Metrics registry, log levels, API description (kernel/src/metrics).
    Observability& observability() { return *observability_; }
    const std::string& dataDir() const { return dataDir_; }
    // Stable across restarts (node.id, or the host name): jobs record which node claimed them.
    const std::string& nodeId() const { return nodeId_; }
    // The job system (exists from construction; its database is attached by openDatabase).
    // countsByState() and runningHere() feed /metrics.
    JobPool& jobs() { return *jobs_; }
    // The event bus (exists from construction; delivers once startPlugins has run). stats()
    // and subscriptionStats() feed /metrics.
    EventBus& events() { return *events_; }
    // The Redis bridge's state, "connected", "connecting", "disconnected", or "off" (no redis.url).
    std::string redisState() const;
    // Null without redis.url or in vtpctl.
    const RedisBridge* redisBridge() const { return redis_.get(); }
    // Node-to-node messages for plugins (exists from construction; with redis.url, connects and
    // delivers once startPlugins has run).
    ClusterChannels& cluster() { return *cluster_; }
    Mode mode() const { return mode_; }
    void addPendingEndpoint(const std::string& owner, WsEndpoint endpoint);
    void addCliCommand(CliCommand command);
    // The service tables plugins offer each other.
    ServiceRegistry& services() { return services_; }
    size_t wsMaxMessageBytes() const;

private:
    void forget(const std::string& plugin); // drop everything a refused plugin registered
    void bindAuthenticator();
    void registerKernelRoutes();
    std::string resolvePath(const std::string& path) const;

    Config config_;
    std::string configDir_;
    Logger& log_;
    Mode mode_;
    std::string dataDir_;
    std::string nodeId_;

    Router router_;
    // Before the servers: it must outlive the HTTP threads that report to it.
    std::unique_ptr<Observability> observability_;
    std::unique_ptr<HttpPipeline> pipeline_;
    std::unique_ptr<HttpServer> http_;
    std::unique_ptr<WsServer> ws_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<JobPool> jobs_; // after db_: destroyed (workers joined) before it
    // Events and webhooks: declared after db_ so that they are destroyed before it.
    std::unique_ptr<EventBus> events_;
    std::unique_ptr<RedisBridge> redis_;
    std::unique_ptr<ClusterChannels> cluster_;
    std::unique_ptr<WebhookService> webhooks_;
    std::unique_ptr<ServiceAuthenticator> authenticator_;
    std::unique_ptr<AccessLog> accessLog_;

    PluginLifecycle plugins_;
    std::vector<CliCommand> cliCommands_;
    std::vector<std::pair<std::string, WsEndpoint>> pendingEndpoints_;
    ServiceRegistry services_;
    KernelRoutes kernelRoutes_;            // the kernel's own routes
    std::unique_ptr<HealthRoutes> health_; // GET /health and /ready
};

} // namespace vtp::kernel
