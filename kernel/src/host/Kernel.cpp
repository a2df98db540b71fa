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
#include "loader/DependencyOrder.hpp"
#include "log/Logger.hpp"

#include <Poco/Environment.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <thread>
#include <filesystem>
#include <sstream>

#ifndef VTP_DEFAULT_PLUGIN_DIR
#define VTP_DEFAULT_PLUGIN_DIR "/usr/lib/vtp/plugins"
#endif

namespace vtp::kernel {

namespace fs = std::filesystem;

std::string_view pluginStateName(PluginState state)
{
    switch (state) {
    case PluginState::Refused: return "refused";
    case PluginState::Loaded: return "loaded";
    case PluginState::Initialised: return "initialised";
    case PluginState::Running: return "running";
    case PluginState::Stopped: return "stopped";
    }
    return "unknown";
}

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

KeySpec key(std::string k, ValueType t, ConfigValue def, std::string desc)
{
    KeySpec s;
    s.key = std::move(k);
    s.type = t;
    s.defaultValue = std::move(def);
    s.description = std::move(desc);
    return s;
}

KeySpec ranged(KeySpec s, int64_t lo, int64_t hi)
{
    s.min = lo;
    s.max = hi;
    return s;
}

std::string toJson(const Poco::JSON::Object& o)
{
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

int healthHandler(void*, const vtp_request*, vtp_response* response)
{
    response->data.status = 200;
    response->data.contentType = "application/json";
    response->data.body = R"({"status":"ok"})";
    return VTP_OK;
}

int readyHandler(void* userData, const vtp_request*, vtp_response* response)
{
    auto* kernel = static_cast<Kernel*>(userData);
    const bool dbOk = kernel->database() && kernel->database()->ping();
    Poco::JSON::Object body;
    body.set("status", dbOk ? "ready" : "not-ready");
    Poco::JSON::Object db;
    db.set("reachable", dbOk);
    db.set("backend", kernel->database() && kernel->database()->dialect() == Dialect::PostgreSQL ? "postgresql" : "sqlite");
    body.set("database", db);
    Poco::JSON::Array plugins;
    bool refused = false;
    for (const auto& s : kernel->pluginStatus()) {
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
    events.set("node", kernel->nodeId());
    events.set("redis", kernel->redisState());
    body.set("events", events);
    body.set("degraded", refused);
    response->data.status = dbOk ? 200 : 503;
    response->data.contentType = "application/json";
    response->data.body = toJson(body);
    return VTP_OK;
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

ConfigSchema Kernel::kernelSchema()
{
    using T = ValueType;
    ConfigSchema s;
    s.add(key("http.listen", T::String, std::string("127.0.0.1:8080"), "Address of the HTTP API, host:port (port 0: any free port)"));
    s.add(
        ranged(key("http.threads", T::Integer, int64_t{0}, "Threads that take requests from the network and serve them (0: two per core)"),
               0, 256));
    s.add(ranged(key("http.max_threads", T::Integer, int64_t{128},
                     "Most threads serving requests at once: a handler still running after 10 ms gets a stand-in, up to this many"),
                 1, 4096));
    s.add(ranged(
        key("http.max_connections", T::Integer, int64_t{10000}, "Open connections, idle keep-alive ones included; more are closed at once"),
        1, 1000000));
    s.add(ranged(key("http.max_body_bytes", T::Integer, int64_t{1} << 20, "Default largest request body; a route may set its own"), 0,
                 int64_t{1} << 32));
    s.add(key("http.trusted_proxies", T::StringArray, std::vector<std::string>{},
              "Reverse proxies (addresses or CIDR blocks) whose X-Forwarded-For names the client; empty: the peer is the client. "
              "Set it behind a reverse proxy, or every client looks like the proxy to per-address limits (login throttling) and logs"));
    s.add(ranged(key("http.hsts_max_age_seconds", T::Integer, int64_t{31536000},
                     "Strict-Transport-Security max-age sent on responses to requests that came over HTTPS. vtpd speaks plain "
                     "HTTP itself, so that is a request from a proxy in http.trusted_proxies that says X-Forwarded-Proto: https "
                     "(the nginx example sets it); other requests never get the header, which a browser ignores over plain "
                     "HTTP anyway. A year by default; 0: never sent. It covers the host's every port, the socket port included"),
                 0, 63072000));
    s.add(key("http.cors_origins", T::StringArray, std::vector<std::string>{},
              "Origins (scheme://host[:port], e.g. \"https://vtp.example.edu\") whose pages may call the routes that enable CORS "
              "without naming origins of their own; empty: such routes answer no other origin. Routes that name their origins, "
              "or allow any (\"*\"), are not affected"));
    s.add(ranged(key("http.max_header_bytes", T::Integer, int64_t{16384},
                     "Largest request line plus headers: a longer request line is answered 414, a larger head 431"),
                 1024, int64_t{1} << 20));
    s.add(ranged(key("http.request_timeout_seconds", T::Integer, int64_t{30}, "Socket read and write timeout within a request"), 1, 3600));
    s.add(ranged(key("http.keepalive_timeout_seconds", T::Integer, int64_t{10}, "Idle time allowed between requests on one connection"), 1,
                 3600));
    s.add(ranged(key("http.max_keepalive_requests", T::Integer, int64_t{1000}, "Requests served on one connection before it is closed"), 1,
                 1000000));
    s.add(key("websocket.listen", T::String, std::string("127.0.0.1:8081"),
              "Address of the WebSocket endpoint, host:port (port 0: any free port)"));
    s.add(ranged(
        key("websocket.max_message_bytes", T::Integer, int64_t{1} << 20, "Largest incoming message; larger closes the connection (1009)"),
        128, int64_t{1} << 30));
    s.add(ranged(key("websocket.max_send_queue_bytes", T::Integer, int64_t{4} << 20,
                     "Bytes queued for a slow client before it is disconnected (1008)"),
                 1024, int64_t{1} << 32));
    s.add(ranged(key("websocket.idle_timeout_seconds", T::Integer, int64_t{120}, "A connection with no traffic for this long is closed"), 1,
                 86400));
    s.add(ranged(key("websocket.threads", T::Integer, int64_t{1},
                     "Service threads for the socket port, each with its own event loop and its share of the connections (0: one per CPU "
                     "core). Plugin callbacks still run one at a time; the writes they cause go out from every thread"),
                 0, 16));
    s.add(ranged(key("websocket.max_connections", T::Integer, int64_t{10000},
                     "Open connections plus plain HTTP requests waiting for their answer, at most; more are refused (503)"),
                 1, 1000000));
    s.add(ranged(
        key("websocket.http_response_timeout_seconds", T::Integer, int64_t{60},
            "A plain HTTP request on a socket endpoint (e.g. Socket.IO long-polling) its plugin has not answered in this time gets 504"),
        1, 3600));
    s.add(key("storage.data_dir", T::String, std::string("/var/lib/vtp"),
              "Directory for the SQLite database, keys and plugin files (relative: to this file's directory); created if missing"));
    s.add(key("database.url", T::String, std::string("sqlite:vtp.db"),
              "sqlite:PATH (relative to storage.data_dir) or postgresql://user:password@host:port/db"));
    s.add(ranged(key("database.pool_size", T::Integer, int64_t{8}, "Database sessions kept open"), 1, 256));
    s.add(key("database.migrate_on_start", T::Boolean, true, "Apply pending migrations when vtpd starts (otherwise run `vtpctl migrate`)"));
    s.add(key("redis.url", T::String, std::string(""),
              "redis://[:password@]host:port shared by several nodes (events, live rooms, revocations); empty: a single node"));
    s.add(key("node.id", T::String, std::string(""),
              "This node's name in a multi-node deployment (jobs claimed, events' origin); empty: the host name. Give each vtpd on one "
              "host its own"));
    s.add(key("plugins.dir", T::String, std::string(VTP_DEFAULT_PLUGIN_DIR),
              "Directory holding NAME.so plugin files (relative: to this file's directory)"));
    s.add(key("plugins.enabled", T::StringArray, std::vector<std::string>{},
              "Plugins to load, by name; each may have a [plugins.NAME] table"));
    KeySpec level = key("log.level", T::String, std::string("info"), "Least severe level logged: trace, debug, info, warn, error");
    level.choices = {"trace", "debug", "info", "warn", "error"};
    s.add(std::move(level));
    // Jobs: the worker pool for long work (jobs/JobPool.hpp).
    s.add(ranged(key("jobs.workers", T::Integer, int64_t{2}, "Jobs run at once on this node (one thread each)"), 1, 64));
    s.add(ranged(key("jobs.max_attempts", T::Integer, int64_t{3}, "Attempts of a job before it fails, unless its kind sets its own"), 1,
                 100));
    s.add(ranged(
        key("jobs.backoff_initial_ms", T::Integer, int64_t{5000}, "Wait before retrying a failed attempt; doubles after each failure"), 0,
        86400000));
    s.add(ranged(key("jobs.backoff_max_ms", T::Integer, int64_t{300000}, "Longest wait between attempts"), 0, 86400000));
    s.add(ranged(
        key("jobs.poll_interval_ms", T::Integer, int64_t{1000}, "How often to look for jobs submitted on other nodes and for due retries"),
        10, 600000));
    s.add(ranged(key("jobs.stale_after_seconds", T::Integer, int64_t{60},
                     "A running job whose node sent no heartbeat this long is retried elsewhere"),
                 2, 86400));
    // Observability (kernel/src/metrics): per-component log levels, /metrics.
    s.add(key("log.components", T::StringArray, std::vector<std::string>{},
              "Per-component levels, each NAME=LEVEL (\"hello=debug\"): NAME is a plugin or a kernel component "
              "(config, db, events, http, jobs, kernel, loader, metrics, openapi, webhooks, ws, ws.lws); LEVEL as log.level, or off. "
              "Changeable at runtime: PUT /api/v1/admin/log-levels/NAME"));
    s.add(key("metrics.enabled", T::Boolean, true, "Serve GET /metrics (Prometheus text format)"));
    s.add(key("metrics.require_admin", T::Boolean, false,
              "GET /metrics needs a token with the role admin (otherwise it is public: keep it off the public reverse proxy)"));
    // Events and webhooks (events/EventBus.hpp, webhooks/WebhookService.hpp).
    s.add(ranged(key("events.queue_capacity", T::Integer, int64_t{10000},
                     "Events waiting per subscription (and for Redis); beyond, new events are dropped for that subscriber"),
                 1, 10000000));
    s.add(ranged(key("events.max_payload_bytes", T::Integer, int64_t{65536}, "Largest event payload (a JSON object) a plugin may publish"),
                 2, int64_t{16} << 20));
    s.add(key("events.redis_channel", T::String, std::string("vtp:events"),
              "Redis pub/sub channel the nodes share events on (with redis.url), and the prefix of their cluster channels (NAME:cluster:*) "
              "and node set (NAME:cluster-nodes); another deployment on the same Redis needs its own"));
    // Cluster channels (events/ClusterChannels.hpp): node-to-node messages and who is there.
    s.add(ranged(key("cluster.heartbeat_seconds", T::Integer, int64_t{2},
                     "With redis.url: how often a node renews its presence in Redis and reads which other nodes are there"),
                 1, 60));
    s.add(ranged(key("cluster.node_timeout_seconds", T::Integer, int64_t{10},
                     "With redis.url: a node that has not renewed its presence for this long is gone (its live-room participants leave); "
                     "at least twice cluster.heartbeat_seconds"),
                 2, 600));
    s.add(
        ranged(key("webhooks.max_attempts", T::Integer, int64_t{8}, "Attempts of a webhook delivery before it is marked failed"), 1, 100));
    s.add(ranged(key("webhooks.initial_backoff_seconds", T::Integer, int64_t{10},
                     "Wait before the first retry of a failed delivery; doubles after each failure"),
                 1, 86400));
    s.add(ranged(key("webhooks.max_backoff_seconds", T::Integer, int64_t{3600}, "Longest wait between delivery attempts"), 1, 604800));
    s.add(ranged(key("webhooks.timeout_seconds", T::Integer, int64_t{10}, "Connect, send and receive timeout of one delivery attempt"), 1,
                 300));
    s.add(ranged(key("webhooks.workers", T::Integer, int64_t{2}, "Deliveries sent at once by this node (one thread each)"), 1, 32));
    s.add(ranged(key("shutdown.drain_timeout_seconds", T::Integer, int64_t{20}, "On SIGTERM, how long in-flight requests may finish"), 0,
                 3600));
    return s;
}

Kernel::Kernel(Config config, std::string configDir, Logger& log, Mode mode)
    : config_(std::move(config)), configDir_(std::move(configDir)), log_(log), mode_(mode)
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
    observability_ = std::make_unique<Observability>(router_, log_, std::move(obs), [this] {
        std::vector<std::string> names;
        for (const auto& p : plugins_) names.push_back(p.lib.name);
        return names;
    });
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
    // Plugins must be gone before the libraries holding their code are unloaded.
    for (auto it = startOrder_.rbegin(); it != startOrder_.rend(); ++it) {
        PluginRuntime& p = **it;
        if (p.inited && p.pluginState) {
            p.lib.descriptor.destroy(p.pluginState);
            p.pluginState = nullptr;
            p.inited = false;
        }
    }
}

std::string Kernel::resolvePath(const std::string& path) const
{
    fs::path p(path);
    if (p.is_relative()) p = fs::path(configDir_) / p;
    return p.lexically_normal().string();
}

void Kernel::registerKernelRoutes()
{
    auto add = [&](const char* path, const char* summary, vtp_route_handler handler, const char* schema, bool notReady) {
        auto r = std::make_unique<vtp_route>();
        r->struct_size = sizeof(vtp_route);
        r->handler = handler;
        r->user_data = this;
        RouteSpec spec;
        spec.method = "GET";
        spec.pattern = path;
        spec.role = VTP_ROLE_PUBLIC;
        spec.summary = summary;
        spec.responseSchema = schema;
        if (notReady) spec.otherAnswers.emplace_back(503, schema); // the same document, "not-ready"
        spec.owner = "kernel";
        spec.target = r.get();
        router_.add(std::move(spec));
        kernelRoutes_.push_back(std::move(r));
    };
    add("/health", "Liveness: the process answers", healthHandler,
        R"({"type":"object","required":["status"],"properties":{"status":{"const":"ok"}}})", false);
    add("/ready", "Readiness: database reachable, plugins started; lists refused plugins (503 when the database is unreachable)",
        readyHandler,
        R"({"type":"object","required":["status","database","plugins","events","degraded"],"properties":{)"
        R"("status":{"enum":["ready","not-ready"]},"database":{"type":"object","required":["reachable","backend"],)"
        R"("properties":{"reachable":{"type":"boolean"},"backend":{"enum":["sqlite","postgresql"]}}},)"
        R"("plugins":{"type":"array","items":{"type":"object","required":["name","state"],"properties":{)"
        R"("name":{"type":"string"},"state":{"type":"string"},"version":{"type":"string"},"refusal":{"type":"string"},)"
        R"("reason":{"type":"string"}}}},"events":{"type":"object","required":["node","redis"],"properties":{)"
        R"("node":{"type":"string"},"redis":{"type":"string"}}},"degraded":{"type":"boolean"}}})",
        true);
    observability_->registerRoutes();
    addJobRoutes(router_, *jobs_, kernelRoutes_);
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
        PluginRuntime& p = plugins_.emplace_back();
        p.lib = openPluginLibrary(dir, name);
        if (!p.lib.ok()) {
            refuse(p, p.lib.refusal, p.lib.reason);
            continue;
        }
        try {
            config_.validatePlugin(name, pluginSchema(name, p.lib.configKeys));
        } catch (const ConfigError& e) {
            issues.insert(issues.end(), e.issues().begin(), e.issues().end());
        } catch (const std::invalid_argument& e) {
            refuse(p, RefusalKind::BadDescriptor, e.what());
        }
    }
    for (const auto& table : config_.pluginTables())
        if (std::find(enabled.begin(), enabled.end(), table) == enabled.end())
            log_.warn("config", "table for a plugin that is not enabled is ignored", {{"table", "plugins." + table}});
    if (!issues.empty()) throw ConfigError(std::move(issues));

    std::vector<DependencyNode> nodes;
    for (auto& p : plugins_) {
        DependencyNode n{p.lib.name, {}, p.state == PluginState::Refused};
        if (p.lib.ok()) {
            const auto& desc = p.lib.descriptor;
            for (auto d = desc.dependencies; d && *d; ++d) n.dependencies.emplace_back(*d);
            if (VTP_HAS_FIELD(vtp_plugin_descriptor, optional_dependencies, desc.struct_size))
                for (auto d = desc.optional_dependencies; d && *d; ++d) n.optionalDependencies.emplace_back(*d);
        }
        nodes.push_back(std::move(n));
    }
    DependencyResult order = orderByDependencies(nodes);
    for (auto& p : plugins_)
        if (p.state != PluginState::Refused)
            if (auto it = order.refused.find(p.lib.name); it != order.refused.end()) refuse(p, RefusalKind::Dependency, it->second);
    for (const auto& name : order.order)
        for (auto& p : plugins_)
            if (p.lib.name == name && p.state != PluginState::Refused) startOrder_.push_back(&p);
    for (auto* p : startOrder_)
        log_.info("loader", "plugin loaded",
                  {{"plugin", p->lib.name},
                   {"version", p->lib.descriptor.version},
                   {"abi", std::to_string(p->lib.descriptor.abi_major) + "." + std::to_string(p->lib.descriptor.abi_minor)}});
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
        addWebhookRoutes(router_, *webhooks_, kernelRoutes_);
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
    for (auto* p : startOrder_) {
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
            refuse(*p, RefusalKind::MigrationFailed, e.what());
        }
    }
    return out;
}

void Kernel::initPlugins()
{
    for (auto* p : startOrder_) {
        if (p->state == PluginState::Refused) continue;
        // A dependency that failed takes its dependents with it.
        for (auto d = p->lib.descriptor.dependencies; d && *d; ++d)
            for (auto& q : plugins_)
                if (q.lib.name == *d && q.state == PluginState::Refused && p->state != PluginState::Refused)
                    refuse(*p, RefusalKind::Dependency, "depends on '" + q.lib.name + "', which was refused");
        if (p->state == PluginState::Refused) continue;

        auto host = std::make_unique<vtp_host>();
        host->kernel = this;
        host->plugin = p;
        host->name = p->lib.name;
        host->configJson = config_.pluginJson(p->lib.name);
        host->dataDir = dataDir_;
        p->host = std::move(host);
        char err[1024] = {0};
        void* state = nullptr;
        int rc = VTP_ERROR;
        try {
            rc = p->lib.descriptor.init(hostApi(), p->host.get(), &state, vtp_errbuf{err, sizeof err});
        } catch (...) {
            std::snprintf(err, sizeof err, "init threw an exception across the ABI");
        }
        if (rc != VTP_OK) {
            refuse(*p, RefusalKind::InitFailed, std::string("init failed: ") + (err[0] ? err : "no reason given"));
            continue;
        }
        p->pluginState = state;
        p->inited = true;
        p->state = PluginState::Initialised;
    }
    // The kernel authenticates through whichever plugin offers the verifier.
    uint32_t version = 0;
    if (!authenticator_->bind(static_cast<const vtp_verifier_v1*>(findService(VTP_VERIFIER_SERVICE, VTP_VERIFIER_VERSION, &version))))
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
    for (auto* p : startOrder_) {
        if (p->state != PluginState::Initialised) continue;
        for (auto d = p->lib.descriptor.dependencies; d && *d; ++d)
            for (auto& q : plugins_)
                if (q.lib.name == *d && q.state != PluginState::Running && p->state != PluginState::Refused)
                    refuse(*p, RefusalKind::Dependency, "depends on '" + q.lib.name + "', which did not start");
        if (p->state == PluginState::Refused) continue;
        char err[1024] = {0};
        int rc = VTP_OK;
        if (p->lib.descriptor.start) {
            try {
                rc = p->lib.descriptor.start(p->pluginState, vtp_errbuf{err, sizeof err});
            } catch (...) {
                rc = VTP_ERROR;
            }
        }
        if (rc != VTP_OK) {
            refuse(*p, RefusalKind::StartFailed, std::string("start failed: ") + (err[0] ? err : "no reason given"));
            continue;
        }
        p->state = PluginState::Running;
        log_.info("loader", "plugin started", {{"plugin", p->lib.name}});
    }
    // Runners are plugin code: workers start once every plugin that declared a kind has started.
    if (mode_ == Mode::Server) jobs_->start();
    // Event handlers too: events published so far wait in their queues until now.
    if (mode_ == Mode::Server) {
        if (redis_) redis_->start();
        cluster_->start();
        events_->start();
        if (webhooks_) webhooks_->start();
    }
    uint32_t version = 0;
    if (!authenticator_->bind(static_cast<const vtp_verifier_v1*>(findService(VTP_VERIFIER_SERVICE, VTP_VERIFIER_VERSION, &version))))
        log_.warn("auth", "the offered " VTP_VERIFIER_SERVICE " table is smaller than version 1's: no token is accepted");
}

void Kernel::refuse(PluginRuntime& p, RefusalKind kind, std::string reason)
{
    p.refusal = kind;
    p.reason = std::move(reason);
    forget(p);
    if (p.inited && p.pluginState) {
        // Never started or failed to start: it is still owed its destroy().
        if (p.state == PluginState::Running && p.lib.descriptor.stop) p.lib.descriptor.stop(p.pluginState);
        p.lib.descriptor.destroy(p.pluginState);
        p.pluginState = nullptr;
        p.inited = false;
    }
    p.state = PluginState::Refused;
    log_.error("loader", "plugin refused", {{"plugin", p.lib.name}, {"refusal", std::string(refusalKindName(kind))}, {"reason", p.reason}});
}

void Kernel::forget(PluginRuntime& p)
{
    router_.removeOwner(p.lib.name);
    observability_->forgetPlugin(p.lib.name);
    std::erase_if(pendingEndpoints_, [&](const auto& e) { return e.first == p.lib.name; });
    std::erase_if(cliCommands_, [&](const auto& c) { return c.owner == p.lib.name; });
    jobs_->removeKindsOf(p.lib.name);
    events_->removeOwner(p.lib.name);
    cluster_->removeOwner(p.lib.name);
    std::lock_guard lock(servicesMutex_);
    std::erase_if(services_, [&](const auto& s) { return s.owner == p.lib.name; });
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
    for (auto it = startOrder_.rbegin(); it != startOrder_.rend(); ++it) {
        PluginRuntime& p = **it;
        if (p.state != PluginState::Running) continue;
        if (p.lib.descriptor.stop) p.lib.descriptor.stop(p.pluginState);
        p.state = PluginState::Stopped;
        log_.info("loader", "plugin stopped", {{"plugin", p.lib.name}});
    }
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
    std::vector<PluginStatus> out;
    for (const auto& p : plugins_) {
        PluginStatus s;
        s.name = p.lib.name;
        s.path = p.lib.path;
        if (p.lib.ok()) {
            s.version = p.lib.descriptor.version ? p.lib.descriptor.version : "";
            s.abi = std::to_string(p.lib.descriptor.abi_major) + "." + std::to_string(p.lib.descriptor.abi_minor);
        }
        s.state = std::string(pluginStateName(p.state));
        if (p.state == PluginState::Refused) {
            s.refusal = std::string(refusalKindName(p.refusal));
            s.reason = p.reason;
        }
        out.push_back(std::move(s));
    }
    return out;
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

void Kernel::offerService(const std::string& owner, const std::string& name, uint32_t version, const void* table)
{
    std::lock_guard lock(servicesMutex_);
    services_.push_back({owner, name, version, table});
}

bool Kernel::serviceOffered(const std::string& name, uint32_t version) const
{
    std::lock_guard lock(servicesMutex_);
    return std::any_of(services_.begin(), services_.end(), [&](const Service& s) { return s.name == name && s.version == version; });
}

const void* Kernel::findService(const std::string& name, uint32_t minVersion, uint32_t* version) const
{
    std::lock_guard lock(servicesMutex_);
    const Service* best = nullptr;
    for (const auto& s : services_)
        if (s.name == name && s.version >= minVersion && (!best || s.version > best->version)) best = &s;
    if (version) *version = best ? best->version : 0;
    return best ? best->table : nullptr;
}

size_t Kernel::wsMaxMessageBytes() const
{
    return static_cast<size_t>(config_.getInt("websocket.max_message_bytes"));
}

} // namespace vtp::kernel
