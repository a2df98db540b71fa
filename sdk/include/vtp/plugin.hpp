#pragma once

// The C++ layer plugin authors write against. A plugin is a class derived from vtp::Plugin
// with a static info(); VTP_PLUGIN(Class) exports the ABI entry point for it.

#include "vtp/abi.h"
#include "vtp/config.hpp"
#include "vtp/db.hpp"
#include "vtp/detail.hpp"
#include "vtp/errors.hpp"
#include "vtp/http.hpp"
#include "vtp/json.hpp"
#include "vtp/log.hpp"
#include "vtp/stream.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// Filled by vtp_add_plugin(... MIGRATIONS dir) in the SDK's CMake package; weak so that a
// plugin without migrations links without it.
extern "C" __attribute__((weak, visibility("hidden"))) const vtp_migration* vtp_sdk_embedded_migrations(size_t* count);

namespace vtp {

// Every member has a default so that designated initializers may leave any out.
struct Migration {
    int64_t version = 0;
    std::string name{};
    std::string sql{};
    std::string sqlSqlite{};     // optional dialect-specific script
    std::string sqlPostgresql{}; // optional
};

struct PluginInfo {
    std::string name{};
    std::string version{};
    std::string description{};
    std::vector<std::string> dependencies{};
    // Plugins this one uses when they are enabled (a service it finds if offered): started first if
    // present, ignored if not (ABI 1.6; an older vtpd ignores them too).
    std::vector<std::string> optionalDependencies{};
    std::vector<ConfigKey> config{};
    std::vector<Migration> migrations{}; // or shipped as files through vtp_add_plugin(MIGRATIONS)
};

// A plain HTTP request on a socket endpoint's path (ABI 1.3), copied out of the kernel's call so
// that the plugin may keep it and answer it later with Host::respond(id, ...).
struct SocketHttpRequest {
    uint64_t id = 0;
    std::string method{}, path{}, query{}, remoteAddress{};
    std::vector<std::pair<std::string, std::string>> headers{}; // lower-case names
    std::string body{};
    // The first header named `lowerCaseName`, if any.
    std::optional<std::string> header(std::string_view lowerCaseName) const
    {
        for (const auto& [name, value] : headers)
            if (name == lowerCaseName) return value;
        return std::nullopt;
    }
};

struct SocketEndpoint {
    std::string path{};
    std::function<void(const vtp_ws_open_info&)> onOpen{};
    std::function<void(uint64_t connection, std::string_view data, bool binary)> onMessage{};
    std::function<void(uint64_t connection, int closeCode)> onClose{};
    size_t maxMessageBytes = 0;
    // Optional (ABI 1.3): a request on the path without the WebSocket upgrade, e.g. Socket.IO's
    // long-polling. Runs on the WebSocket thread and must not block: keep the request and answer it
    // with Host::respond, now or later from any thread. Without it the kernel answers 426.
    std::function<void(const SocketHttpRequest&)> onHttp{};
};

struct Command {
    std::string name{}; // "user create"
    std::string summary{};
    std::string usage{};
    std::function<int(const std::vector<std::string>& args)> run{};
};

struct Event {
    std::string name;
    Json payload;
    std::string originNode;
};

// A message another vtpd node sent on a cluster channel (ABI 1.6): the sender's bytes, as sent.
struct ClusterMessage {
    std::string channel;
    std::string_view data; // valid during the handler only
    std::string fromNode;  // the sender's Host::clusterNodeId(), never this node's
};

// What Host::clusterSend did with a message.
enum class ClusterSend {
    Sent,    // queued for the other nodes
    NoPeers, // there is no other node (or no Redis, or a kernel before 1.6): nothing was sent
    Dropped, // the kernel's send queue was full
};

// A running job, as its runner sees it.
class Job {
public:
    Job(const vtp_host_api* api, vtp_job* job) : api_(api), job_(job) {}
    // fraction in [0, 1]; message is shown to the user polling the job.
    void progress(double fraction, const std::string& message = {}) const { api_->job_progress(job_, fraction, message.c_str()); }
    bool cancelled() const { return api_->job_cancelled(job_) != 0; }
    // Since ABI 1.7: the kernel is stopping and takes this long-running job back (cancelled() is
    // true too): stop promptly and leave what is needed to go on, since the job runs again.
    bool interrupted() const { return VTP_HAS_FIELD(vtp_host_api, job_interrupted, api_->struct_size) && api_->job_interrupted(job_) != 0; }

private:
    const vtp_host_api* api_;
    vtp_job* job_;
};

struct JobKind {
    std::string kind{}; // "<plugin>.<what>"
    std::string summary{};
    uint32_t maxAttempts = 0;
    // Since ABI 1.7: each job runs on a thread of its own (VTP_JOB_LONG_RUNNING), for a job that
    // lasts as long as something outside it, such as a live class; an older kernel ignores it.
    bool longRunning = false;
    // Returns the result; throw to fail this attempt (retried with backoff while attempts remain).
    std::function<Json(Job& job, const Json& params)> run{};
};

// A plugin metric on /metrics (vtp_plugin_<plugin>_<name>). Cheap to copy; thread-safe.
class Metric {
public:
    using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;
    Metric() = default;
    Metric(detail::HostRef ref, int64_t id) : ref_(ref), id_(id) {}
    void set(double value, Labels labels = {}) const { call(false, value, labels); }
    void inc(double delta = 1, Labels labels = {}) const { call(true, delta, labels); }

private:
    void call(bool add, double v, Labels labels) const
    {
        if (id_ < 0) return;
        std::vector<std::string> storage;
        storage.reserve(labels.size() * 2);
        for (const auto& [k, val] : labels) {
            storage.emplace_back(k);
            storage.emplace_back(val);
        }
        std::vector<vtp_kv> kvs;
        for (size_t i = 0; i < storage.size(); i += 2) kvs.push_back({storage[i].c_str(), storage[i + 1].c_str()});
        if (add)
            ref_.api->metric_inc(ref_.host, id_, kvs.data(), kvs.size(), v);
        else
            ref_.api->metric_set(ref_.host, id_, kvs.data(), kvs.size(), v);
    }
    detail::HostRef ref_{};
    int64_t id_ = -1;
};

// True if `table`, a service table another plugin offered (perhaps built against an older
// header), holds `member` within its struct_size and, for a pointer, sets it: check this before
// touching a field past the size Host::find was asked for.
template <typename Table, typename Field>
bool tableHas(const Table* table, Field Table::*member)
{
    if (!table) return false;
    // The member's offset, from the address arithmetic alone: nothing past struct_size is read.
    const auto offset = static_cast<size_t>(reinterpret_cast<const char*>(&(table->*member)) - reinterpret_cast<const char*>(table));
    if (offset + sizeof(Field) > table->struct_size) return false;
    if constexpr (std::is_pointer_v<Field>)
        return table->*member != nullptr;
    else
        return true;
}

namespace detail {

// A Cors as the C struct, with the joined lists it points into.
struct CorsText {
    std::string origins, methods, headers, expose;
    vtp_cors raw{};
    explicit CorsText(const Cors& c)
    {
        auto join = [](const std::vector<std::string>& items) {
            std::string out;
            for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
            return out;
        };
        origins = join(c.origins);
        methods = join(c.methods);
        headers = join(c.headers);
        expose = join(c.exposeHeaders);
        raw.struct_size = sizeof raw;
        raw.flags = (c.off ? VTP_CORS_OFF : 0u) | (c.credentials ? VTP_CORS_CREDENTIALS : 0u);
        raw.origins = origins.c_str();
        raw.methods = methods.empty() ? nullptr : methods.c_str();
        raw.headers = headers.c_str();
        raw.expose_headers = expose.c_str();
        raw.max_age_seconds = c.maxAgeSeconds;
    }
};

} // namespace detail

// Everything the kernel offers a plugin. Owned by the SDK glue; lives as long as the plugin.
class Host {
public:
    explicit Host(detail::HostRef ref) : ref_(ref), log_(ref), db_(ref), config_(Json::parse(ref.api->config_json(ref.host))) {}
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    const Log& log() const { return log_; }
    const Db& db() const { return db_; }
    const Config& config() const { return config_; }
    std::string dataDir() const { return ref_.api->data_dir(ref_.host); }

    // Registers a route; call from init(). Throws PluginError on a conflict or a bad pattern.
    void route(const Route& route, Handler handler)
    {
        auto& holder = handlers_.emplace_back(Holder{ref_, std::move(handler), {}});
        addRoute(route, &holder, false, [this] { handlers_.pop_back(); });
    }

    // Registers a route whose body arrives in pieces (ABI 1.6; route.body is taken as Body::Stream):
    // `handler` makes a BodySink per request once the kernel has authorised it (vtp/stream.hpp).
    // Throws PluginError on a kernel older than 1.6, a conflict or a bad pattern.
    void streamRoute(const Route& route, StreamHandler handler)
    {
        if (ref_.api->abi_minor < 6)
            throw PluginError("route " + route.method + " " + route.path + ": this vtpd predates streamed bodies (ABI 1.6)");
        auto& holder = handlers_.emplace_back(Holder{ref_, {}, std::move(handler)});
        addRoute(route, &holder, true, [this] { handlers_.pop_back(); });
    }

    // The CORS policy of this plugin's routes that set no Route::cors (those added before too).
    void cors(const Cors& policy)
    {
        detail::CorsText text(policy);
        detail::ErrorText err;
        if (ref_.api->cors_default(ref_.host, &text.raw, err.view()) != VTP_OK) throw PluginError(err.str());
    }

    // True if the kernel's host table has `field` (entries added in a later minor are gated).
#define VTP_HOST_HAS(field) VTP_HAS_FIELD(vtp_host_api, field, ref_.api->struct_size)

    // Registers a WebSocket endpoint on the kernel's socket port; call from init().
    void socket(SocketEndpoint endpoint)
    {
        if (!VTP_HOST_HAS(ws_endpoint_add)) throw PluginError("this vtpd predates WebSocket endpoints (ABI 1.1)");
        auto& holder = sockets_.emplace_back(SocketHolder{ref_, std::move(endpoint)});
        const SocketEndpoint& ep = holder.endpoint;
        vtp_ws_endpoint e{};
        e.struct_size = sizeof e;
        e.path = ep.path.c_str();
        e.user_data = &holder;
        e.max_message_bytes = ep.maxMessageBytes;
        e.on_open = [](void* ud, const vtp_ws_open_info* info) {
            auto* h = static_cast<SocketHolder*>(ud);
            guard(h->ref, "onOpen", [&] {
                if (h->endpoint.onOpen) h->endpoint.onOpen(*info);
            });
        };
        e.on_message = [](void* ud, uint64_t c, const char* d, size_t n, int bin) {
            auto* h = static_cast<SocketHolder*>(ud);
            guard(h->ref, "onMessage", [&] {
                if (h->endpoint.onMessage) h->endpoint.onMessage(c, {d, n}, bin != 0);
            });
        };
        e.on_close = [](void* ud, uint64_t c, int code) {
            auto* h = static_cast<SocketHolder*>(ud);
            guard(h->ref, "onClose", [&] {
                if (h->endpoint.onClose) h->endpoint.onClose(c, code);
            });
        };
        // Set only when wanted: a kernel that sees on_http answers plain HTTP through it, not with 426.
        if (ep.onHttp)
            e.on_http = [](void* ud, const vtp_ws_http_request* r) {
                auto* h = static_cast<SocketHolder*>(ud);
                guard(h->ref, "onHttp", [&] {
                    SocketHttpRequest req;
                    req.id = r->request;
                    req.method = r->method ? r->method : "";
                    req.path = r->path ? r->path : "";
                    req.query = r->query ? r->query : "";
                    req.remoteAddress = r->remote_address ? r->remote_address : "";
                    req.headers.reserve(r->header_count);
                    for (size_t i = 0; i < r->header_count; ++i)
                        if (r->headers[i].key && r->headers[i].value) req.headers.emplace_back(r->headers[i].key, r->headers[i].value);
                    if (r->body) req.body.assign(r->body, r->body_len);
                    h->endpoint.onHttp(req);
                });
            };
        detail::ErrorText err;
        if (ref_.api->ws_endpoint_add(ref_.host, &e, err.view()) != VTP_OK) {
            const std::string path = ep.path;
            sockets_.pop_back();
            throw PluginError("socket endpoint " + path + ": " + err.str());
        }
    }
    // Thread-safe; false if the connection is gone (or was closed for a full send queue).
    bool send(uint64_t connection, std::string_view data, bool binary = false) const
    {
        if (!VTP_HOST_HAS(ws_send)) return false;
        return ref_.api->ws_send(ref_.host, connection, data.data(), data.size(), binary ? 1 : 0) == VTP_OK;
    }
    // Thread-safe. The same message to several connections (a broadcast), copied once by the kernel;
    // returns how many took it. Before ABI 1.4, one send() each.
    size_t sendMany(const std::vector<uint64_t>& connections, std::string_view data, bool binary = false) const
    {
        if (connections.empty()) return 0;
        if (!VTP_HOST_HAS(ws_send_many)) {
            size_t n = 0;
            for (uint64_t c : connections) n += send(c, data, binary) ? 1 : 0;
            return n;
        }
        size_t sent = 0;
        if (ref_.api->ws_send_many(ref_.host, connections.data(), connections.size(), data.data(), data.size(), binary ? 1 : 0, &sent) !=
            VTP_OK)
            return 0;
        return sent;
    }
    void close(uint64_t connection, int code = 1000, const std::string& reason = {}) const
    {
        if (!VTP_HOST_HAS(ws_close)) return;
        ref_.api->ws_close(ref_.host, connection, code, reason.c_str());
    }
    // Answers a SocketHttpRequest: thread-safe, once per request. contentType (if not empty) becomes
    // the Content-Type header. False if the kernel predates ABI 1.3, the client has gone, the kernel
    // already answered it (websocket.http_response_timeout_seconds: 504), or the status is not 200..599.
    bool respond(uint64_t request, int status, std::string_view contentType, std::string_view body,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) const
    {
        if (!VTP_HOST_HAS(ws_http_respond)) return false;
        const std::string type(contentType);
        std::vector<vtp_kv> kvs;
        kvs.reserve(headers.size() + 1);
        if (!type.empty()) kvs.push_back({"Content-Type", type.c_str()});
        for (const auto& [name, value] : headers) kvs.push_back({name.c_str(), value.c_str()});
        return ref_.api->ws_http_respond(ref_.host, request, status, kvs.data(), kvs.size(), body.data(), body.size()) == VTP_OK;
    }

    // Offers a service table (a C struct of function pointers, see sdk/include/vtp/services/).
    // The table must outlive the plugin's stop().
    template <typename Table>
    void offer(const std::string& name, uint32_t version, const Table* table)
    {
        detail::ErrorText err;
        if (ref_.api->service_offer(ref_.host, name.c_str(), version, table, err.view()) != VTP_OK)
            throw PluginError("service " + name + ": " + err.str());
    }
    // The newest offered version >= minVersion whose table holds at least `requiredSize` bytes, or
    // nullptr. requiredSize is what the caller uses without checking: the service header's
    // VTP_<NAME>_V<N>_SIZE for the version asked. Fields past it are optional: read one only after
    // tableHas(table, &Table::field). A table smaller than requiredSize (an offerer built against
    // an incompatible header) is not returned, and logged once per service name.
    template <typename Table>
    const Table* find(const std::string& name, uint32_t minVersion, size_t requiredSize, uint32_t* version = nullptr) const
    {
        static_assert(std::is_standard_layout_v<Table>, "a service table is a C struct");
        const void* table = ref_.api->service_find(ref_.host, name.c_str(), minVersion, version);
        if (!table) return nullptr;
        uint32_t size = 0;
        std::memcpy(&size, table, sizeof size); // only the leading struct_size is known to exist
        if (size < std::max(requiredSize, sizeof(uint32_t))) {
            warnSmallTable(name, size, requiredSize);
            return nullptr;
        }
        return static_cast<const Table*>(table);
    }
    // As above, requiring every field of the Table this plugin was built with.
    // Only for a table that never grew: prefer the overload with the version's size.
    template <typename Table>
    [[deprecated("pass the size your code relies on: find<T>(name, version, VTP_<NAME>_V<N>_SIZE)")]] const Table* find(
        const std::string& name, uint32_t minVersion, uint32_t* version = nullptr) const
    {
        return find<Table>(name, minVersion, sizeof(Table), version);
    }

    // Adds a vtpctl subcommand.
    void command(Command cmd)
    {
        if (!VTP_HOST_HAS(cli_command_add)) throw PluginError("this vtpd predates plugin commands (ABI 1.1)");
        auto& c = commands_.emplace_back(std::move(cmd));
        vtp_cli_command raw{};
        raw.struct_size = sizeof raw;
        raw.name = c.name.c_str();
        raw.summary = c.summary.c_str();
        raw.usage = c.usage.c_str();
        raw.user_data = &c;
        raw.run = [](void* ud, int argc, const char* const* argv) -> int {
            try {
                return static_cast<Command*>(ud)->run(std::vector<std::string>(argv, argv + argc));
            } catch (const std::exception& e) {
                std::fprintf(stderr, "error: %s\n", e.what());
                return 1;
            } catch (...) {
                return 1;
            }
        };
        detail::ErrorText err;
        if (ref_.api->cli_command_add(ref_.host, &raw, err.view()) != VTP_OK) {
            commands_.pop_back();
            throw PluginError("command " + c.name + ": " + err.str());
        }
    }

    // Publishes an event to every subscriber, on every node. Never blocks; false if dropped.
    bool publish(const std::string& name, const Json& payload) const
    {
        return publishJson(name, payload.isNull() ? std::string("{}") : payload.dump());
    }
    // The same with the payload already serialized (a JSON object), for hot paths that write it
    // themselves. The kernel checks that it is a JSON object.
    bool publishJson(const std::string& name, std::string_view json) const
    {
        if (!VTP_HOST_HAS(event_publish)) return false;
        detail::ErrorText err;
        return ref_.api->event_publish(ref_.host, name.c_str(), json.data(), json.size(), err.view()) == VTP_OK;
    }
    // Subscribes during init; `handler` runs on this subscription's own delivery thread.
    void subscribe(const std::string& pattern, std::function<void(const Event&)> handler)
    {
        if (!VTP_HOST_HAS(event_subscribe)) throw PluginError("this vtpd predates the event bus (ABI 1.2)");
        auto& sub = subscriptions_.emplace_back(Subscription{ref_, std::move(handler)});
        detail::ErrorText err;
        const auto trampoline = [](void* ud, const char* name, const char* json, size_t len, const char* origin) {
            auto* s = static_cast<Subscription*>(ud);
            guard(s->ref, "event handler", [&] {
                Event e{name, Json::parse(std::string_view(json, len)), origin ? origin : ""};
                s->handler(e);
            });
        };
        if (ref_.api->event_subscribe(ref_.host, pattern.c_str(), trampoline, &sub, err.view()) != VTP_OK) {
            subscriptions_.pop_back();
            throw PluginError("subscribe " + pattern + ": " + err.str());
        }
    }

    // Node-to-node messages (ABI 1.6), apart from the event bus: no event subscriber or webhook
    // sees them. On a single node (no redis.url, or no other node up) nothing is sent.
    //
    // This process's id on the cluster channels; a restarted node gets a new one. Before 1.6:
    // empty (there is never another node then).
    std::string clusterNodeId() const
    {
        if (!VTP_HOST_HAS(cluster_node_id)) return {};
        const char* id = ref_.api->cluster_node_id(ref_.host);
        return id ? id : "";
    }
    // Sends `data` to every other node's subscriptions of `channel` (a name as for events,
    // "<plugin>.<what>"). Thread-safe, never blocks. Throws PluginError for a bad name or more
    // than 1 MiB.
    ClusterSend clusterSend(const std::string& channel, std::string_view data) const
    {
        if (!VTP_HOST_HAS(cluster_send)) return ClusterSend::NoPeers;
        detail::ErrorText err;
        switch (ref_.api->cluster_send(ref_.host, channel.c_str(), data.data(), data.size(), err.view())) {
        case VTP_OK: return ClusterSend::Sent;
        case VTP_NOT_FOUND: return ClusterSend::NoPeers;
        case VTP_CONFLICT: return ClusterSend::Dropped;
        default: throw PluginError("cluster send on " + channel + ": " + err.str());
        }
    }
    // Subscribes during init; `handler` runs on this subscription's own delivery thread. Before
    // 1.6 it subscribes to nothing (no message can come).
    void clusterSubscribe(const std::string& channel, std::function<void(const ClusterMessage&)> handler)
    {
        if (!VTP_HOST_HAS(cluster_subscribe)) return;
        auto& sub = clusterSubscriptions_.emplace_back(ClusterSubscription{ref_, std::move(handler)});
        detail::ErrorText err;
        const auto trampoline = [](void* ud, const char* name, const char* data, size_t len, const char* from) {
            auto* s = static_cast<ClusterSubscription*>(ud);
            guard(s->ref, "cluster handler", [&] {
                s->handler(ClusterMessage{name, std::string_view(data ? data : "", data ? len : 0), from ? from : ""});
            });
        };
        if (ref_.api->cluster_subscribe(ref_.host, channel.c_str(), trampoline, &sub, err.view()) != VTP_OK) {
            clusterSubscriptions_.pop_back();
            throw PluginError("cluster subscribe " + channel + ": " + err.str());
        }
    }
    // The other nodes believed alive now (their cluster node ids); empty on a single node. A node
    // is gone once it has not renewed its presence for cluster.node_timeout_seconds, or at once
    // when it stops cleanly.
    std::vector<std::string> clusterPeers() const
    {
        std::vector<std::string> out;
        if (!VTP_HOST_HAS(cluster_peers)) return out;
        ref_.api->cluster_peers(
            ref_.host,
            [](void* ud, const char* id) {
                if (id) static_cast<std::vector<std::string>*>(ud)->emplace_back(id);
            },
            &out);
        return out;
    }

    // Declares a kind of long-running job; call from init().
    void job(JobKind kind)
    {
        if (!VTP_HOST_HAS(job_kind_add)) throw PluginError("this vtpd predates jobs (ABI 1.2)");
        auto& holder = jobKinds_.emplace_back(JobHolder{ref_, std::move(kind)});
        vtp_job_kind raw{};
        raw.struct_size = sizeof raw;
        raw.kind = holder.kind.kind.c_str();
        raw.summary = holder.kind.summary.c_str();
        raw.max_attempts = holder.kind.maxAttempts;
        raw.user_data = &holder;
        raw.flags = holder.kind.longRunning ? VTP_JOB_LONG_RUNNING : 0u;
        raw.run = [](void* ud, vtp_job* job, const char* params, size_t len, vtp_errbuf err) -> int {
            auto* h = static_cast<JobHolder*>(ud);
            try {
                Job j(h->ref.api, job);
                const Json result = h->kind.run(j, len ? Json::parse(std::string_view(params, len)) : Json::object());
                const std::string text = result.isNull() ? std::string("null") : result.dump();
                h->ref.api->job_result(job, text.data(), text.size());
                return VTP_OK;
            } catch (const std::exception& e) {
                detail::copyError(err, e.what());
                return VTP_ERROR;
            } catch (...) {
                detail::copyError(err, "unknown exception");
                return VTP_ERROR;
            }
        };
        detail::ErrorText err;
        if (ref_.api->job_kind_add(ref_.host, &raw, err.view()) != VTP_OK) {
            jobKinds_.pop_back();
            throw PluginError("job kind: " + err.str());
        }
    }
    // Queues a job of a declared kind; returns its id. `owner` is the user it belongs to.
    std::string submitJob(const std::string& kind, const Json& params, const std::string& owner = {}) const
    {
        if (!VTP_HOST_HAS(job_submit)) throw PluginError("this vtpd predates jobs (ABI 1.2)");
        const std::string body = params.isNull() ? std::string("{}") : params.dump();
        char id[64] = {0};
        detail::ErrorText err;
        if (ref_.api->job_submit(ref_.host, kind.c_str(), body.data(), body.size(), owner.empty() ? nullptr : owner.c_str(), id, sizeof id,
                                 err.view()) != VTP_OK)
            throw PluginError("submit " + kind + ": " + err.str());
        return id;
    }

    Metric gauge(const std::string& name, const std::string& help)
    {
        return metric(name, help, VTP_METRIC_GAUGE);
    }
    Metric counter(const std::string& name, const std::string& help)
    {
        return metric(name, help, VTP_METRIC_COUNTER);
    }

#undef VTP_HOST_HAS

    const vtp_host_api* api() const
    {
        return ref_.api;
    }
    vtp_host* handle() const
    {
        return ref_.host;
    }

private:
    struct Holder {
        detail::HostRef ref;
        Handler handler;
        StreamHandler stream; // a streamed route's
    };

    struct Subscription {
        detail::HostRef ref;
        std::function<void(const Event&)> handler;
    };
    struct ClusterSubscription {
        detail::HostRef ref;
        std::function<void(const ClusterMessage&)> handler;
    };
    struct JobHolder {
        detail::HostRef ref;
        JobKind kind;
    };

    void warnSmallTable(const std::string& name, uint32_t size, size_t required) const
    {
        {
            std::lock_guard lock(warnedMutex_);
            if (!warnedTables_.insert(name).second) return;
        }
        const std::string have = std::to_string(size), need = std::to_string(required);
        const vtp_kv fields[] = {{"service", name.c_str()}, {"struct_size", have.c_str()}, {"required", need.c_str()}};
        const char msg[] = "service table is smaller than this plugin needs: the offering plugin is incompatible, ignoring it";
        ref_.api->log(ref_.host, VTP_LOG_WARN, msg, sizeof msg - 1, fields, 3);
    }

    Metric metric(const std::string& name, const std::string& help, vtp_metric_type type)
    {
        if (!VTP_HAS_FIELD(vtp_host_api, metric_add, ref_.api->struct_size)) return Metric();
        detail::ErrorText err;
        const int64_t id = ref_.api->metric_add(ref_.host, name.c_str(), help.c_str(), type, err.view());
        if (id < 0) throw PluginError("metric " + name + ": " + err.str());
        return Metric(ref_, id);
    }

    struct SocketHolder {
        detail::HostRef ref;
        SocketEndpoint endpoint;
    };

    // A socket callback must not throw into C: log what escaped and carry on.
    template <typename F>
    static void guard(detail::HostRef ref, const char* where, F&& f) noexcept
    {
        try {
            f();
        } catch (const std::exception& e) {
            logCallbackFailure(ref, where, e.what());
        } catch (...) {
            logCallbackFailure(ref, where, "unknown exception");
        }
    }
    template <typename Undo>
    void addRoute(const Route& route, void* holder, bool stream, Undo undo)
    {
        vtp_route r{};
        r.struct_size = sizeof r;
        r.method = route.method.c_str();
        r.path = route.path.c_str();
        r.role = route.role.c_str();
        r.summary = route.summary.c_str();
        r.body = stream ? VTP_ROUTE_BODY_STREAM : static_cast<uint32_t>(route.body);
        r.max_body_bytes = route.maxBodyBytes;
        r.request_schema = route.requestSchema.empty() ? nullptr : route.requestSchema.c_str();
        r.response_schema = route.responseSchema.empty() ? nullptr : route.responseSchema.c_str();
        r.handler = stream ? &Host::streamFinish : &Host::trampoline;
        r.user_data = holder;
        // 1.5 fields; a 1.4 kernel cannot load this plugin, so they are always read.
        std::string errors, secrets;
        for (const auto& e : route.errors) errors += (errors.empty() ? "" : ",") + std::to_string(e.status) + " " + e.type;
        for (const auto& name : route.secretParams) secrets += (secrets.empty() ? "" : ",") + name;
        r.success_status = static_cast<uint32_t>(route.successStatus);
        r.errors = errors.empty() ? nullptr : errors.c_str();
        r.secret_params = secrets.empty() ? nullptr : secrets.c_str();
        r.cache_control = route.cacheControl.empty() ? nullptr : route.cacheControl.c_str();
        r.flags = route.answersFiles ? VTP_ROUTE_FILE : 0u;
        std::optional<detail::CorsText> cors;
        if (route.cors) {
            cors.emplace(*route.cors);
            r.cors = &cors->raw;
        }
        // 1.7: read by a 1.7 kernel only; an older one stops at its own struct_size.
        std::vector<vtp_query_param> query;
        for (const auto& q : route.query)
            query.push_back({sizeof(vtp_query_param), static_cast<uint32_t>(q.type), q.name.c_str(),
                             q.description.empty() ? nullptr : q.description.c_str(), q.required ? VTP_QUERY_REQUIRED : 0u});
        r.query_params = query.empty() ? nullptr : query.data();
        r.query_param_count = query.size();
        if (stream) {
            r.body_begin = &Host::streamBegin;
            r.body_data = &Host::streamData;
            r.body_abort = &Host::streamAbort;
        }
        detail::ErrorText err;
        if (ref_.api->route_add(ref_.host, &r, err.view()) != VTP_OK) {
            undo();
            throw PluginError("route " + route.method + " " + route.path + ": " + err.str());
        }
    }

    // One streamed body as the SDK holds it between the kernel's calls.
    struct StreamBox {
        std::unique_ptr<BodySink> sink;
        std::unique_ptr<HttpError> refusal; // what data() threw, answered by streamFinish
        std::string failure;                // another exception from data(): a 500
    };

    static int streamBegin(void* userData, const vtp_request* request, vtp_response* response, void** stream) noexcept
    {
        auto* h = static_cast<Holder*>(userData);
        *stream = nullptr;
        return respond(h->ref, request, response, [&]() -> std::optional<Response> {
            auto sink = h->stream(Request(request));
            if (!sink) throw std::logic_error("the stream handler made no sink");
            *stream = new StreamBox{std::move(sink), nullptr, {}};
            return std::nullopt;
        });
    }

    static int streamData(void* userData, void* stream, const char* data, size_t len) noexcept
    {
        auto* h = static_cast<Holder*>(userData);
        auto* box = static_cast<StreamBox*>(stream);
        try {
            box->sink->data(std::string_view(data, len));
            return VTP_OK;
        } catch (const HttpError& e) {
            try {
                box->refusal = std::make_unique<HttpError>(e);
            } catch (...) {
                box->failure = "out of memory";
            }
        } catch (const std::exception& e) {
            try {
                box->failure = e.what();
            } catch (...) {
            }
            if (box->failure.empty()) box->failure = "exception";
        } catch (...) {
            box->failure = "unknown exception";
        }
        guard(h->ref, "BodySink::abort", [&] { box->sink->abort(BodyAbort::Refused); });
        return VTP_ERROR;
    }

    static int streamFinish(void* userData, const vtp_request* request, vtp_response* response) noexcept
    {
        auto* h = static_cast<Holder*>(userData);
        std::unique_ptr<StreamBox> box(static_cast<StreamBox*>(request->body_stream));
        if (!box) return VTP_ERROR;
        return respond(h->ref, request, response, [&]() -> std::optional<Response> {
            if (box->refusal) throw HttpError(*box->refusal);
            if (!box->failure.empty()) throw std::runtime_error(box->failure);
            return box->sink->finish(Request(request));
        });
    }

    static void streamAbort(void* userData, void* stream, uint32_t reason) noexcept
    {
        auto* h = static_cast<Holder*>(userData);
        std::unique_ptr<StreamBox> box(static_cast<StreamBox*>(stream));
        if (box && !box->refusal && box->failure.empty())
            guard(h->ref, "BodySink::abort", [&] { box->sink->abort(static_cast<BodyAbort>(reason)); });
    }

    static void logCallbackFailure(detail::HostRef ref, const char* where, const char* what) noexcept
    {
        const vtp_kv fields[] = {{"callback", where}, {"error", what}};
        const char msg[] = "plugin callback failed";
        ref.api->log(ref.host, VTP_LOG_ERROR, msg, sizeof msg - 1, fields, 2);
    }

    static int trampoline(void* userData, const vtp_request* request, vtp_response* response) noexcept
    {
        auto* h = static_cast<Holder*>(userData);
        return respond(h->ref, request, response,
                       [&]() -> std::optional<Response> { return h->handler(Request(request, h->ref, response)); });
    }

    // Runs `fn` and puts what it answers (or the HttpError it throws) into `response`; no
    // exception leaves.
    template <typename Fn>
    static int respond(detail::HostRef ref, const vtp_request* request, vtp_response* response, Fn&& fn) noexcept
    {
        try {
            std::string why;
            if (auto r = fn()) {
                const int rc = detail::applyResponse(ref, response, *r, why);
                if (rc != VTP_OK) logFailure(ref, request, why.c_str());
                return rc;
            }
            return VTP_OK;
        } catch (const HttpError& e) {
            detail::applyProblem(ref, response, e);
            return VTP_OK;
        } catch (const DbError& e) {
            if (e.conflict()) {
                ref.api->response_problem(response, 409, "conflict", "Conflict", "the request conflicts with existing data");
                return VTP_OK;
            }
            logFailure(ref, request, e.what());
            return VTP_ERROR;
        } catch (const std::bad_alloc&) {
            return VTP_NO_MEMORY;
        } catch (const std::exception& e) {
            logFailure(ref, request, e.what());
            return VTP_ERROR;
        } catch (...) {
            logFailure(ref, request, "unknown exception");
            return VTP_ERROR;
        }
    }
    static void logFailure(detail::HostRef ref, const vtp_request* request, const char* what) noexcept
    {
        // No path: it may carry a secret (a calendar feed's token); the kernel's own line for this
        // request id names the route's pattern.
        const vtp_kv fields[] = {{"request_id", request->request_id}, {"error", what}};
        const std::string msg = "handler failed";
        ref.api->log(ref.host, VTP_LOG_ERROR, msg.data(), msg.size(), fields, 2);
    }

    detail::HostRef ref_;
    Log log_;
    Db db_;
    Config config_;
    std::list<Holder> handlers_; // std::list: addresses handed to the kernel stay stable
    std::list<SocketHolder> sockets_;
    std::list<Subscription> subscriptions_;
    std::list<ClusterSubscription> clusterSubscriptions_;
    std::list<JobHolder> jobKinds_;
    std::list<Command> commands_;
    mutable std::mutex warnedMutex_;
    mutable std::set<std::string> warnedTables_; // services already logged as too small
};

// Base class of a plugin. The object is created before init() and destroyed after stop().
class Plugin {
public:
    virtual ~Plugin() = default;
    // Register routes, sockets, services and commands; read config. Throw PluginError to refuse.
    virtual void init(Host& host) = 0;
    // Every plugin has been initialised; dependencies are started. Start threads here.
    virtual void start() {}
    // Stop threads; must return promptly.
    virtual void stop() {}
};

namespace detail {

template <typename T>
struct PluginBox {
    std::unique_ptr<Host> host;
    std::unique_ptr<T> plugin;
};

// Owns every string and array the descriptor points into, for the life of the library.
template <typename T>
struct DescriptorStorage {
    PluginInfo info;
    std::vector<const char*> deps;
    std::vector<const char*> optionalDeps;
    std::vector<std::string> choiceStrings;
    std::vector<vtp_config_key> keys;
    std::vector<vtp_migration> migrations;
    vtp_plugin_descriptor descriptor{};

    DescriptorStorage() : info(T::info())
    {
        for (const auto& d : info.dependencies) deps.push_back(d.c_str());
        deps.push_back(nullptr);
        for (const auto& d : info.optionalDependencies) optionalDeps.push_back(d.c_str());
        optionalDeps.push_back(nullptr);
        choiceStrings.reserve(info.config.size());
        for (const auto& k : info.config) {
            std::string joined;
            for (size_t i = 0; i < k.choices.size(); ++i) joined += (i ? "," : "") + k.choices[i];
            choiceStrings.push_back(std::move(joined));
        }
        for (size_t i = 0; i < info.config.size(); ++i) {
            const auto& k = info.config[i];
            vtp_config_key c{};
            c.struct_size = sizeof c;
            c.key = k.key.c_str();
            c.type = k.type;
            c.default_value = k.defaultToml ? k.defaultToml->c_str() : nullptr;
            c.description = k.description.c_str();
            c.flags = (k.required ? VTP_CONFIG_REQUIRED : 0u) | (k.secret ? VTP_CONFIG_SECRET : 0u) | (k.min ? VTP_CONFIG_HAS_MIN : 0u) |
                      (k.max ? VTP_CONFIG_HAS_MAX : 0u);
            c.min = k.min.value_or(0);
            c.max = k.max.value_or(0);
            c.choices = choiceStrings[i].empty() ? nullptr : choiceStrings[i].c_str();
            keys.push_back(c);
        }
        for (const auto& m : info.migrations) {
            vtp_migration raw{};
            raw.struct_size = sizeof raw;
            raw.version = m.version;
            raw.name = m.name.c_str();
            raw.sql = m.sql.c_str();
            raw.sql_sqlite = m.sqlSqlite.empty() ? nullptr : m.sqlSqlite.c_str();
            raw.sql_postgresql = m.sqlPostgresql.empty() ? nullptr : m.sqlPostgresql.c_str();
            migrations.push_back(raw);
        }
        descriptor.struct_size = sizeof descriptor;
        descriptor.abi_major = VTP_ABI_MAJOR;
        descriptor.abi_minor = VTP_ABI_MINOR;
        descriptor.build_signature = VTP_BUILD_SIGNATURE;
        descriptor.name = info.name.c_str();
        descriptor.version = info.version.c_str();
        descriptor.description = info.description.c_str();
        descriptor.dependencies = deps.data();
        descriptor.config_keys = keys.data();
        descriptor.config_key_count = keys.size();
        descriptor.migrations = migrations.data();
        descriptor.migration_count = migrations.size();
        if (migrations.empty() && vtp_sdk_embedded_migrations != nullptr) {
            size_t count = 0;
            descriptor.migrations = vtp_sdk_embedded_migrations(&count);
            descriptor.migration_count = count;
        }
        descriptor.init = &init;
        descriptor.start = &start;
        descriptor.stop = &stop;
        descriptor.destroy = &destroy;
        descriptor.optional_dependencies = optionalDeps.data();
    }

    static int init(const vtp_host_api* api, vtp_host* host, void** state, vtp_errbuf err) noexcept
    {
        try {
            auto box = std::make_unique<PluginBox<T>>();
            box->host = std::make_unique<Host>(HostRef{api, host});
            box->plugin = std::make_unique<T>();
            box->plugin->init(*box->host);
            *state = box.release();
            return VTP_OK;
        } catch (const std::bad_alloc&) {
            copyError(err, "out of memory");
            return VTP_NO_MEMORY;
        } catch (const std::exception& e) {
            copyError(err, e.what());
            return VTP_ERROR;
        } catch (...) {
            copyError(err, "unknown exception in init");
            return VTP_ERROR;
        }
    }
    static int start(void* state, vtp_errbuf err) noexcept
    {
        try {
            static_cast<PluginBox<T>*>(state)->plugin->start();
            return VTP_OK;
        } catch (const std::exception& e) {
            copyError(err, e.what());
            return VTP_ERROR;
        } catch (...) {
            copyError(err, "unknown exception in start");
            return VTP_ERROR;
        }
    }
    static void stop(void* state) noexcept
    {
        try {
            static_cast<PluginBox<T>*>(state)->plugin->stop();
        } catch (...) {
        }
    }
    static void destroy(void* state) noexcept
    {
        auto* box = static_cast<PluginBox<T>*>(state);
        try {
            box->plugin.reset();
        } catch (...) {
        }
        delete box;
    }
};

template <typename T>
const vtp_plugin_descriptor* descriptorFor() noexcept
{
    try {
        static const DescriptorStorage<T> storage;
        return &storage.descriptor;
    } catch (...) {
        return nullptr;
    }
}

} // namespace detail
} // namespace vtp

// Exports the plugin's one ABI symbol. Use once per plugin library, at namespace scope.
#define VTP_PLUGIN(PluginClass)                                                                                                            \
    extern "C" __attribute__((visibility("default"))) const vtp_plugin_descriptor* vtp_plugin_v1(void)                                     \
    {                                                                                                                                      \
        return ::vtp::detail::descriptorFor<PluginClass>();                                                                                \
    }
