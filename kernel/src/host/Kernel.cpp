#include "host/Kernel.hpp"

#include "db/KernelMigrations.hpp"
#include "db/Migrator.hpp"
#include "host/HostApi.hpp"
#include "host/PluginSchema.hpp"
#include "host/ServiceAuthenticator.hpp"
#include "jobs/JobPool.hpp"
#include "jobs/JobRoutes.hpp"
#include "events/ClusterChannels.hpp"
#include "events/EventBus.hpp"
#include "events/RedisBridge.hpp"
#include "webhooks/WebhookRoutes.hpp"
#include "webhooks/WebhookService.hpp"
#include "ids/Uuid.hpp"
#include "log/Logger.hpp"

#include <Poco/Environment.h>

#include <algorithm>
#include <thread>
#include <filesystem>

namespace vtp::kernel {

namespace fs = std::filesystem;

namespace {

// "host:port" or "[v6]:port".
std::pair<std::string, uint16_t> splitListen(const std::string& key, const std::string& value)
{
    const auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0) throw ConfigError({ConfigIssue{"", 0, 0, key, "host:port", "\"" + value + "\""}});
    std::string host = value.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = -1;
    try {
        size_t used = 0;
        port = std::stoi(value.substr(colon + 1), &used);
        if (used != value.size() - colon - 1) port = -1;
    } catch (...) {
    }
    if (port < 0 || port > 65535)
        throw ConfigError({ConfigIssue{"", 0, 0, key, "a port from 0 to 65535 after the colon", "\"" + value + "\""}});
    return {host, static_cast<uint16_t>(port)};
}

} // namespace

void AccessLog::onRequest(const IncomingRequest& req, const std::string& routePattern, int status, double seconds)
{
    const LogLevel level = status >= 500 ? LogLevel::Error : LogLevel::Info;
    if (!log_.enabled(level, "http")) return;
    // The pipeline's logPath: a route's secret parameters (a calendar feed's token) masked.
    const std::string_view path = req.logPath.empty() ? std::string_view(req.target).substr(0, req.target.find('?')) : req.logPath;
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3f", seconds * 1000.0);
    log_.log(level, "http", "request",
             {{"method", req.method},
              {"path", path},
              {"route", routePattern},
              {"status", std::to_string(status)},
              {"ms", ms},
              {"request_id", req.requestId},
              {"remote", req.remoteAddress}});
}

Kernel::Kernel(Config config, std::string configDir, Logger& log, Mode mode)
    : config_(std::move(config)), configDir_(std::move(configDir)), log_(log), mode_(mode),
      plugins_(log, [this](const std::string& plugin) { forget(plugin); }), kernelRoutes_(router_)
{
    dataDir_ = resolvePath(config_.getString("storage.data_dir"));
    nodeId_ = config_.getString("node.id");
    if (nodeId_.empty()) nodeId_ = Poco::Environment::nodeName();
    authenticator_ = std::make_unique<ServiceAuthenticator>();
    HttpLimits limits;
    limits.maxBodyBytes = static_cast<size_t>(config_.getInt("http.max_body_bytes"));
    limits.maxHeaderBytes = static_cast<size_t>(config_.getInt("http.max_header_bytes"));
    limits.hstsMaxAgeSeconds = config_.getInt("http.hsts_max_age_seconds");
    for (const auto& proxy : config_.getStringArray("http.trusted_proxies")) {
        const auto range = AddressRange::parse(proxy);
        if (!range) throw std::runtime_error("http.trusted_proxies: '" + proxy + "' is not an IP address or CIDR block");
        limits.trustedProxies.push_back(*range);
    }
    limits.corsOrigins = config_.getStringArray("http.cors_origins");
    for (const auto& origin : limits.corsOrigins) {
        std::string error;
        if (!CorsPolicy::parse(false, false, origin.c_str(), nullptr, nullptr, nullptr, 0, error) || origin == "*" ||
            origin.find(',') != std::string::npos)
            throw std::runtime_error("http.cors_origins: '" + origin + "' is not an origin (scheme://host[:port])");
    }
    pipeline_ = std::make_unique<HttpPipeline>(router_, limits, log_);
    pipeline_->setAuthenticator(authenticator_.get());
    JobSettings js;
    js.nodeId = nodeId_;
    js.workers = static_cast<int>(config_.getInt("jobs.workers"));
    js.longRunningMax = static_cast<int>(config_.getInt("jobs.long_running_max"));
    js.defaultMaxAttempts = config_.getInt("jobs.max_attempts");
    js.backoffInitial = std::chrono::milliseconds(config_.getInt("jobs.backoff_initial_ms"));
    js.backoffMax = std::chrono::milliseconds(config_.getInt("jobs.backoff_max_ms"));
    js.pollInterval = std::chrono::milliseconds(config_.getInt("jobs.poll_interval_ms"));
    js.staleAfter = std::chrono::seconds(config_.getInt("jobs.stale_after_seconds"));
    jobs_ = std::make_unique<JobPool>(log_, js);
    // Events: the bus exists from the start so that plugins can subscribe during init.
    if (const auto url = config_.getString("redis.url"); !url.empty()) {
        try {
            parseRedisUrl(url);
        } catch (const std::invalid_argument& e) {
            throw ConfigError({ConfigIssue{"", 0, 0, "redis.url", "redis://[:password@]host[:port]", e.what()}});
        }
    }
    EventBusSettings es;
    es.nodeId = nodeId_;
    es.queueCapacity = static_cast<size_t>(config_.getInt("events.queue_capacity"));
    es.maxPayloadBytes = static_cast<size_t>(config_.getInt("events.max_payload_bytes"));
    events_ = std::make_unique<EventBus>(es, log_);
    ClusterSettings cs;
    if (mode_ == Mode::Server) cs.url = config_.getString("redis.url");
    cs.prefix = config_.getString("events.redis_channel");
    // A per-start suffix: a restarted node is a new member, whose predecessor's state others drop.
    cs.nodeId = nodeId_ + "/" + randomUuid().substr(0, 8);
    cs.heartbeat = std::chrono::seconds(config_.getInt("cluster.heartbeat_seconds"));
    cs.nodeTimeout = std::chrono::seconds(config_.getInt("cluster.node_timeout_seconds"));
    cs.queueCapacity = es.queueCapacity;
    cluster_ = std::make_unique<ClusterChannels>(cs, log_);
    ObservabilitySettings obs;
    obs.metricsEnabled = config_.getBool("metrics.enabled");
    obs.metricsRequireAdmin = config_.getBool("metrics.require_admin");
    parseLogLevel(config_.getString("log.level"), obs.defaultLogLevel);
    obs.componentLevels = config_.getStringArray("log.components");
    obs.applyComponentLevels = mode_ == Mode::Server;
    observability_ = std::make_unique<Observability>(router_, log_, std::move(obs), [this] { return plugins_.names(); });
    registerKernelRoutes();
}

Kernel::~Kernel()
{
    // Job runners are plugin code: they stop before any plugin is destroyed.
    jobs_.reset();
    // So are event handlers (shutdown() normally stopped these already).
    webhooks_.reset();
    redis_.reset();
    cluster_->stop(std::chrono::milliseconds(0));
    events_->stop(std::chrono::milliseconds(0));
    plugins_.destroyAll();
}

std::string Kernel::resolvePath(const std::string& path) const
{
    fs::path p(path);
    if (p.is_relative()) p = fs::path(configDir_) / p;
    return p.lexically_normal().string();
}

void Kernel::registerKernelRoutes()
{
    health_ = std::make_unique<HealthRoutes>([this] {
        ReadyReport report;
        report.databaseReachable = db_ && db_->ping();
        report.databaseBackend = db_ && db_->dialect() == Dialect::PostgreSQL ? "postgresql" : "sqlite";
        for (auto& s : pluginStatus())
            report.plugins.push_back(
                {std::move(s.name), std::move(s.state), std::move(s.version), std::move(s.refusal), std::move(s.reason)});
        report.node = nodeId_;
        report.redis = redisState();
        return report;
    });
    health_->addTo(kernelRoutes_);
    observability_->registerRoutes();
    addJobRoutes(kernelRoutes_, *jobs_);
}

void Kernel::loadPlugins()
{
    const std::string dir = resolvePath(config_.getString("plugins.dir"));
    const auto enabled = config_.getStringArray("plugins.enabled");
    std::vector<ConfigIssue> issues;
    std::vector<std::string> seen;
    for (const auto& name : enabled) {
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
            issues.push_back({config_.sourceName(), 0, 0, "plugins.enabled", "each plugin listed once", "'" + name + "' twice"});
            continue;
        }
        seen.push_back(name);
        PluginRuntime& p = plugins_.open(dir, name);
        if (!p.lib.ok()) continue;
        try {
            config_.validatePlugin(name, pluginSchema(name, p.lib.configKeys));
        } catch (const ConfigError& e) {
            issues.insert(issues.end(), e.issues().begin(), e.issues().end());
        } catch (const std::invalid_argument& e) {
            plugins_.refuse(p, RefusalKind::BadDescriptor, e.what());
        }
    }
    for (const auto& table : config_.pluginTables())
        if (std::find(enabled.begin(), enabled.end(), table) == enabled.end())
            log_.warn("config", "table for a plugin that is not enabled is ignored", {{"table", "plugins." + table}});
    if (!issues.empty()) throw ConfigError(std::move(issues));

    plugins_.order();
}

void Kernel::openDatabase()
{
    fs::create_directories(dataDir_);
    db_ = Database::open(config_.getString("database.url"), dataDir_, static_cast<size_t>(config_.getInt("database.pool_size")), log_);
    jobs_->setDatabase(*db_);
    // Webhooks: subscribed now, so events published while plugins start reach the outbox.
    if (mode_ == Mode::Server) {
        WebhookSettings ws;
        ws.maxAttempts = config_.getInt("webhooks.max_attempts");
        ws.initialBackoff = std::chrono::seconds(config_.getInt("webhooks.initial_backoff_seconds"));
        ws.maxBackoff = std::chrono::seconds(config_.getInt("webhooks.max_backoff_seconds"));
        ws.timeout = std::chrono::seconds(config_.getInt("webhooks.timeout_seconds"));
        ws.workers = static_cast<int>(config_.getInt("webhooks.workers"));
        webhooks_ = std::make_unique<WebhookService>(*db_, *events_, ws, log_);
        addWebhookRoutes(kernelRoutes_, *webhooks_);
    }
}

std::vector<MigrationRecord> Kernel::migrate(bool apply)
{
    Migrator migrator(*db_);
    std::vector<MigrationRecord> out;
    // The kernel's own tables come first: plugins and kernel subsystems rely on them. A failure
    // here throws MigrationError and stops the start (there is no plugin to refuse instead).
    const auto kernelMs = kernelMigrations(db_->dialect());
    if (!apply) {
        auto status = migrator.status(kKernelMigrationOwner, kernelMs);
        out.insert(out.end(), status.begin(), status.end());
    } else {
        for (const auto& r : migrator.apply(kKernelMigrationOwner, kernelMs)) {
            log_.info("db", "migration applied", {{"plugin", r.owner}, {"version", std::to_string(r.version)}, {"name", r.name}});
            out.push_back(r);
        }
    }
    for (auto* p : plugins_.startOrder()) {
        if (p->state == PluginState::Refused) continue;
        const auto& d = p->lib.descriptor;
        std::vector<Migration> ms;
        for (const vtp_migration& m : p->lib.migrations) {
            const char* sql = db_->dialect() == Dialect::PostgreSQL ? m.sql_postgresql : m.sql_sqlite;
            if (!sql) sql = m.sql;
            ms.push_back({m.version, m.name, sql ? sql : ""});
        }
        if (ms.empty()) continue;
        // A changed checksum throws MigrationError out of here: the start stops, as it must.
        auto status = migrator.status(d.name, ms);
        if (!apply) {
            out.insert(out.end(), status.begin(), status.end());
            continue;
        }
        try {
            auto applied = migrator.apply(d.name, ms);
            for (const auto& r : applied)
                log_.info("db", "migration applied", {{"plugin", r.owner}, {"version", std::to_string(r.version)}, {"name", r.name}});
            out.insert(out.end(), applied.begin(), applied.end());
        } catch (const MigrationError& e) {
            plugins_.refuse(*p, RefusalKind::MigrationFailed, e.what());
        }
    }
    return out;
}

void Kernel::initPlugins()
{
    plugins_.initAll(hostApi(), [this](PluginRuntime& p) {
        auto host = std::make_shared<vtp_host>();
        host->kernel = this;
        host->plugin = &p;
        host->name = p.lib.name;
        host->configJson = config_.pluginJson(p.lib.name);
        host->dataDir = dataDir_;
        return host;
    });
    bindAuthenticator();
}

void Kernel::bindAuthenticator()
{
    // The kernel authenticates through whichever plugin offers the verifier.
    uint32_t version = 0;
    if (!authenticator_->bind(static_cast<const vtp_verifier_v1*>(services_.find(VTP_VERIFIER_SERVICE, VTP_VERIFIER_VERSION, &version))))
        log_.warn("auth", "the offered " VTP_VERIFIER_SERVICE " table is smaller than version 1's: no token is accepted");
}

void Kernel::startPlugins()
{
    // The Redis bridge takes events from here on (those plugins publish in start() included);
    // its connections open at the end, with the bus.
    if (const auto url = config_.getString("redis.url"); mode_ == Mode::Server && !url.empty()) {
        RedisBridgeSettings rs;
        rs.url = url;
        rs.channel = config_.getString("events.redis_channel");
        rs.queueCapacity = static_cast<size_t>(config_.getInt("events.queue_capacity"));
        redis_ = std::make_unique<RedisBridge>(*events_, rs, log_);
    }
    plugins_.startAll();
    // Runners are plugin code: workers start once every plugin that declared a kind has started.
    if (mode_ == Mode::Server) jobs_->start();
    // Event handlers too: events published so far wait in their queues until now.
    if (mode_ == Mode::Server) {
        if (redis_) redis_->start();
        cluster_->start();
        events_->start();
        if (webhooks_) webhooks_->start();
    }
    bindAuthenticator();
}

void Kernel::forget(const std::string& plugin)
{
    router_.removeOwner(plugin);
    observability_->forgetPlugin(plugin);
    std::erase_if(pendingEndpoints_, [&](const auto& e) { return e.first == plugin; });
    std::erase_if(cliCommands_, [&](const auto& c) { return c.owner == plugin; });
    jobs_->removeKindsOf(plugin);
    events_->removeOwner(plugin);
    cluster_->removeOwner(plugin);
    services_.removeOwner(plugin);
}

void Kernel::startServers()
{
    const auto [httpHost, httpPort] = splitListen("http.listen", config_.getString("http.listen"));
    HttpServerSettings hs;
    hs.host = httpHost;
    hs.port = httpPort;
    hs.threads = static_cast<int>(config_.getInt("http.threads"));
    if (hs.threads == 0) hs.threads = 2 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    hs.maxThreads = std::max(hs.threads, static_cast<int>(config_.getInt("http.max_threads")));
    hs.maxConnections = static_cast<size_t>(config_.getInt("http.max_connections"));
    hs.requestTimeout = std::chrono::seconds(config_.getInt("http.request_timeout_seconds"));
    hs.keepAliveTimeout = std::chrono::seconds(config_.getInt("http.keepalive_timeout_seconds"));
    hs.maxKeepAliveRequests = static_cast<int>(config_.getInt("http.max_keepalive_requests"));

    const auto [wsHost, wsPortNumber] = splitListen("websocket.listen", config_.getString("websocket.listen"));
    WsLimits wl;
    wl.maxMessageBytes = static_cast<size_t>(config_.getInt("websocket.max_message_bytes"));
    wl.maxSendQueueBytes = static_cast<size_t>(config_.getInt("websocket.max_send_queue_bytes"));
    wl.idleTimeout = std::chrono::seconds(config_.getInt("websocket.idle_timeout_seconds"));
    wl.maxConnections = static_cast<size_t>(config_.getInt("websocket.max_connections"));
    const int64_t wsThreads = config_.getInt("websocket.threads");
    wl.threads = wsThreads > 0 ? static_cast<size_t>(wsThreads) : std::max<size_t>(1, std::thread::hardware_concurrency());
    wl.httpResponseTimeout = std::chrono::seconds(config_.getInt("websocket.http_response_timeout_seconds"));
    wl.trustedProxies = pipeline_->limits().trustedProxies; // the same client address on both ports
    ws_ = std::make_unique<WsServer>(wsHost, wsPortNumber, wl, log_);
    for (auto& [owner, ep] : pendingEndpoints_) ws_->addEndpoint(std::move(ep));
    pendingEndpoints_.clear();
    ws_->start();

    http_ = std::make_unique<HttpServer>(hs, *pipeline_, log_);
    accessLog_ = std::make_unique<AccessLog>(log_);
    http_->setObserver(observability_->requestObserver(accessLog_.get()));
    observability_->attachServers(http_.get(), ws_.get());
    observability_->attachJobs([this] { return jobs_->countsByState(); }, jobStates());
    observability_->attachEvents([this] {
        const EventBusStats e = events_->stats();
        return EventFigures{static_cast<double>(e.queued), static_cast<double>(e.published), static_cast<double>(e.delivered),
                            static_cast<double>(e.dropped)};
    });
    observability_->metrics().addCollector([cluster = cluster_.get()](std::vector<CollectedFamily>& out) {
        const ClusterStats c = cluster->stats();
        out.push_back({"vtp_cluster_peers",
                       "Other vtpd nodes this node sees (0 without redis.url).",
                       MetricType::Gauge,
                       {{{}, static_cast<double>(c.peers)}}});
        out.push_back({"vtp_cluster_messages_total",
                       "Node-to-node messages of plugins: sent to Redis, received from other nodes, "
                       "skipped (no other node: nothing sent), dropped (send queue full).",
                       MetricType::Counter,
                       {{{{"result", "sent"}}, static_cast<double>(c.sent)},
                        {{{"result", "received"}}, static_cast<double>(c.received)},
                        {{{"result", "skipped"}}, static_cast<double>(c.skipped)},
                        {{{"result", "dropped"}}, static_cast<double>(c.dropped)}}});
    });
    observability_->checkRouteSchemas();
    http_->start();
    log_.info("kernel", "serving",
              {{"http", httpHost + ":" + std::to_string(http_->port())}, {"websocket", wsHost + ":" + std::to_string(ws_->port())}});
}

bool Kernel::shutdown()
{
    const auto deadline = std::chrono::seconds(config_.getInt("shutdown.drain_timeout_seconds"));
    const auto drainUntil = std::chrono::steady_clock::now() + deadline;
    bool drained = true;
    // No new job starts; running ones may finish by the same deadline as requests.
    jobs_->stopClaiming();
    if (http_) {
        drained = http_->drain(std::chrono::duration_cast<std::chrono::milliseconds>(deadline));
        if (!drained)
            log_.warn("kernel", "requests still running at the drain deadline", {{"in_flight", std::to_string(http_->inFlight())}});
    }
    if (ws_) ws_->stop();
    // A job still running at the deadline stays "running" in the database: the next start of
    // this node makes it retrying (interrupted by restart).
    if (!jobs_->drain(drainUntil)) drained = false;
    plugins_.stopAll();
    // Events: plugins' stop() may have published. Handlers get what is queued (the webhooks'
    // outbox included) until the drain deadline, at least a second; then Redis and webhook
    // sending stop. Pending deliveries stay in the outbox for the next start.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(drainUntil - std::chrono::steady_clock::now());
    events_->stop(std::max(left, std::chrono::milliseconds(1000)));
    cluster_->stop(std::chrono::milliseconds(200)); // leaves the node set: the others see it gone at once
    if (redis_) redis_->stop();
    if (webhooks_) webhooks_->stop();
    return drained;
}

std::vector<PluginStatus> Kernel::pluginStatus() const
{
    return plugins_.status();
}

std::string Kernel::redisState() const
{
    return redis_ ? std::string(RedisBridge::stateName(redis_->state())) : std::string("off");
}

uint16_t Kernel::httpPort() const
{
    return http_ ? http_->port() : 0;
}
uint16_t Kernel::wsPort() const
{
    return ws_ ? ws_->port() : 0;
}

void Kernel::addPendingEndpoint(const std::string& owner, WsEndpoint endpoint)
{
    for (const auto& [o, e] : pendingEndpoints_)
        if (e.path == endpoint.path) throw std::runtime_error("socket path " + endpoint.path + " is already taken by " + o);
    pendingEndpoints_.emplace_back(owner, std::move(endpoint));
}

void Kernel::addCliCommand(CliCommand command)
{
    cliCommands_.push_back(std::move(command));
}

size_t Kernel::wsMaxMessageBytes() const
{
    return static_cast<size_t>(config_.getInt("websocket.max_message_bytes"));
}

} // namespace vtp::kernel
