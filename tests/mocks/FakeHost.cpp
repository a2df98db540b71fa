#include "FakeHost.hpp"

#include "vtp/json.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>
#include <strings.h>
#include <cstdio>
#include <stdexcept>

using vtp::test::FakeHost;
using vtp::test::FakeResponse;

struct vtp_host {
    FakeHost* fake;
};
struct vtp_response {
    FakeResponse data;
    vtp::test::FakeHost::Impl* deferrable = nullptr; // set while a route handler runs
};
struct vtp_db_tx {
    bool open = true;
};

namespace {

struct Cell {
    int32_t type = VTP_SQL_NULL;
    int64_t i = 0;
    double r = 0;
    std::string bytes;
};

} // namespace

struct vtp_db_result {
    std::vector<std::string> columns;
    std::vector<std::vector<Cell>> rows;
    int64_t affected = 0;
};

namespace vtp::test {

struct FakeHost::Impl {
    sqlite3* db = nullptr;
    std::string dataDir;
    struct Service {
        std::string name;
        uint32_t version;
        const void* table;
    };
    std::vector<Service> services;
    struct Subscription {
        std::string pattern;
        vtp_event_handler handler;
        void* userData;
    };
    std::vector<Subscription> subscriptions;
    int64_t metrics = 0;
    int jobs = 0;
    // Deferred responses: the ids not yet completed, and the answers that came.
    mutable std::mutex deferredMutex;
    uint64_t nextDeferred = 0;
    std::set<uint64_t> pending;
    std::map<uint64_t, FakeResponse> completed;
    // Cluster channels.
    std::vector<std::string> peers;
    struct ClusterSubscription {
        std::string channel;
        vtp_cluster_handler handler;
        void* userData;
    };
    std::vector<ClusterSubscription> clusterSubscriptions;
};

// The accessors the C entries need, kept out of the public header.
struct FakeHostAccess {
    static FakeHost& of(vtp_host* h) { return *h->fake; }
    static FakeHost::Impl& impl(vtp_host* h) { return *h->fake->impl_; }
    static std::vector<FakeHost::LogLine>& logs(vtp_host* h) { return h->fake->logs_; }
    static std::vector<FakeHost::Route>& routes(vtp_host* h) { return h->fake->routes_; }
    static std::vector<vtp_ws_endpoint>& endpoints(vtp_host* h) { return h->fake->endpoints_; }
    static std::vector<FakeHost::Sent>& sent(vtp_host* h) { return h->fake->sent_; }
    static size_t& sendCalls(vtp_host* h) { return h->fake->sendCalls_; }
    static size_t& sendManyCalls(vtp_host* h) { return h->fake->sendManyCalls_; }
    static std::vector<std::pair<std::string, std::string>>& published(vtp_host* h) { return h->fake->published_; }
    static std::vector<FakeHost::ClusterMessage>& clusterSent(vtp_host* h) { return h->fake->clusterSent_; }
    static const std::string& config(vtp_host* h) { return h->fake->configJson_; }
};

size_t hostApiSizeForMinor(uint16_t minor)
{
    switch (minor) {
    case 0: return VTP_SIZE_THROUGH(vtp_host_api, db_result_free);
    case 1: return VTP_SIZE_THROUGH(vtp_host_api, cli_command_add);
    case 2: return VTP_SIZE_THROUGH(vtp_host_api, metric_inc);
    case 3: return VTP_SIZE_THROUGH(vtp_host_api, ws_http_respond);
    case 4:
    case 5: return VTP_SIZE_THROUGH(vtp_host_api, ws_send_many);
    case 6: return VTP_SIZE_THROUGH(vtp_host_api, cluster_peers);
    default: return sizeof(vtp_host_api);
    }
}

size_t routeSizeForMinor(uint16_t minor)
{
    if (minor < 5) return VTP_SIZE_THROUGH(vtp_route, user_data);
    if (minor < 6) return VTP_SIZE_THROUGH(vtp_route, cache_control);
    return VTP_SIZE_THROUGH(vtp_route, body_abort);
}

std::optional<std::string> FakeResponse::header(const std::string& name) const
{
    for (const auto& [k, v] : headers)
        if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
    return std::nullopt;
}

namespace {

using A = FakeHostAccess;

uint32_t writerSize(const void* p)
{
    uint32_t size = 0;
    std::memcpy(&size, p, sizeof size);
    return size;
}

void copyError(vtp_errbuf err, const std::string& text)
{
    if (!err.data || err.cap == 0) return;
    const size_t n = std::min(text.size(), err.cap - 1);
    std::memcpy(err.data, text.data(), n);
    err.data[n] = '\0';
}

std::string str(const char* s)
{
    return s ? s : "";
}

void log(vtp_host* h, int32_t level, const char* message, size_t len, const vtp_kv* fields, size_t n)
{
    FakeHost::LogLine line{level, std::string(message, len), {}};
    for (size_t i = 0; i < n; ++i) line.fields.emplace_back(str(fields[i].key), str(fields[i].value));
    A::logs(h).push_back(std::move(line));
}
int logEnabled(vtp_host*, int32_t)
{
    return 1;
}
const char* configJsonEntry(vtp_host* h)
{
    return A::config(h).c_str();
}
const char* dataDir(vtp_host* h)
{
    return A::impl(h).dataDir.c_str();
}

int routeAdd(vtp_host* h, const vtp_route* in, vtp_errbuf err)
{
    if (!in || writerSize(in) < VTP_SIZE_THROUGH(vtp_route, user_data)) {
        copyError(err, "route is missing method, path or handler");
        return VTP_INVALID;
    }
    FakeHost::Route r{};
    r.writerSize = writerSize(in);
    const size_t size = std::min({static_cast<size_t>(r.writerSize), routeSizeForMinor(A::of(h).minor()), sizeof(vtp_route)});
    std::memcpy(static_cast<void*>(&r.route), in, size);
    r.route.struct_size = static_cast<uint32_t>(size);
    if (!r.route.method || !r.route.path || !r.route.handler) {
        copyError(err, "route is missing method, path or handler");
        return VTP_INVALID;
    }
    r.method = r.route.method;
    r.path = r.route.path;
    r.role = str(r.route.role);
    for (const auto& existing : A::routes(h))
        if (existing.method == r.method && existing.path == r.path) {
            copyError(err, "route " + r.method + " " + r.path + " is already registered");
            return VTP_CONFLICT;
        }
    // The strings are the plugin's, valid only during the call: keep our copies.
    r.route.method = r.route.path = r.route.role = r.route.summary = r.route.request_schema = r.route.response_schema = nullptr;
    if (VTP_HAS_FIELD(vtp_route, cache_control, size)) r.route.errors = r.route.secret_params = r.route.cache_control = nullptr;
    A::routes(h).push_back(std::move(r));
    return VTP_OK;
}

void responseStatus(vtp_response* r, int status)
{
    r->data.status = status;
}
void responseHeader(vtp_response* r, const char* name, const char* value)
{
    if (name && value) r->data.headers.emplace_back(name, value);
}
void responseBody(vtp_response* r, const char* contentType, const char* body, size_t len)
{
    r->data.contentType = str(contentType);
    r->data.body.assign(body ? body : "", body ? len : 0);
}
void responseProblem(vtp_response* r, int status, const char* type, const char* title, const char* detail)
{
    r->data.status = status;
    r->data.problemType = str(type);
    r->data.contentType = "application/problem+json";
    r->data.body = vtp::Json{{"type", str(type)}, {"title", str(title)}, {"status", status}, {"detail", str(detail)}}.dump();
}

int serviceOffer(vtp_host* h, const char* name, uint32_t version, const void* table, vtp_errbuf err)
{
    if (!name || !*name || !table || version == 0 || writerSize(table) < sizeof(uint32_t)) {
        copyError(err, "a service needs a name, a version >= 1 and a table that begins with its struct_size");
        return VTP_INVALID;
    }
    A::impl(h).services.push_back({name, version, table});
    return VTP_OK;
}

const void* serviceFind(vtp_host* h, const char* name, uint32_t minVersion, uint32_t* version)
{
    const FakeHost::Impl::Service* best = nullptr;
    for (const auto& s : A::impl(h).services)
        if (name && s.name == name && s.version >= minVersion && (!best || s.version > best->version)) best = &s;
    if (version) *version = best ? best->version : 0;
    return best ? best->table : nullptr;
}

// ---- SQL on one in-memory SQLite connection

int32_t dbDialect(vtp_host*)
{
    return VTP_SQL_SQLITE;
}

int dbExec(vtp_host* h, vtp_db_tx*, const char* sql, const vtp_sql_value* params, size_t n, vtp_db_result** result, vtp_errbuf err)
{
    if (!sql || !result) return VTP_INVALID;
    *result = nullptr;
    sqlite3* db = A::impl(h).db;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
        copyError(err, sqlite3_errmsg(db));
        return VTP_ERROR;
    }
    for (size_t i = 0; i < n; ++i) {
        const int at = static_cast<int>(i + 1);
        const vtp_sql_value& p = params[i];
        switch (p.type) {
        case VTP_SQL_INT: sqlite3_bind_int64(stmt, at, p.i); break;
        case VTP_SQL_REAL: sqlite3_bind_double(stmt, at, p.r); break;
        case VTP_SQL_TEXT: sqlite3_bind_text(stmt, at, p.bytes ? p.bytes : "", static_cast<int>(p.len), SQLITE_TRANSIENT); break;
        case VTP_SQL_BLOB: sqlite3_bind_blob(stmt, at, p.bytes, static_cast<int>(p.len), SQLITE_TRANSIENT); break;
        default: sqlite3_bind_null(stmt, at); break;
        }
    }
    auto out = std::make_unique<vtp_db_result>();
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) out->columns.emplace_back(sqlite3_column_name(stmt, c));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        std::vector<Cell> row;
        for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
            Cell cell;
            switch (sqlite3_column_type(stmt, c)) {
            case SQLITE_INTEGER:
                cell.type = VTP_SQL_INT;
                cell.i = sqlite3_column_int64(stmt, c);
                break;
            case SQLITE_FLOAT:
                cell.type = VTP_SQL_REAL;
                cell.r = sqlite3_column_double(stmt, c);
                break;
            case SQLITE_TEXT:
                cell.type = VTP_SQL_TEXT;
                cell.bytes.assign(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                                  static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
                break;
            case SQLITE_BLOB:
                cell.type = VTP_SQL_BLOB;
                cell.bytes.assign(static_cast<const char*>(sqlite3_column_blob(stmt, c)),
                                  static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
                break;
            default: break;
            }
            row.push_back(std::move(cell));
        }
        out->rows.push_back(std::move(row));
    }
    const int extended = sqlite3_extended_errcode(db);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        copyError(err, sqlite3_errmsg(db));
        return (extended & 0xff) == SQLITE_CONSTRAINT ? VTP_CONFLICT : VTP_ERROR;
    }
    out->affected = sqlite3_changes(db);
    *result = out.release();
    return VTP_OK;
}

int dbBegin(vtp_host* h, vtp_db_tx** tx, vtp_errbuf err)
{
    if (sqlite3_exec(A::impl(h).db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
        copyError(err, sqlite3_errmsg(A::impl(h).db));
        return VTP_ERROR;
    }
    *tx = new vtp_db_tx{};
    return VTP_OK;
}
int dbCommit(vtp_host* h, vtp_db_tx* tx, vtp_errbuf err)
{
    delete tx;
    if (sqlite3_exec(A::impl(h).db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
        copyError(err, sqlite3_errmsg(A::impl(h).db));
        return VTP_ERROR;
    }
    return VTP_OK;
}
void dbRollback(vtp_host* h, vtp_db_tx* tx)
{
    delete tx;
    sqlite3_exec(A::impl(h).db, "ROLLBACK", nullptr, nullptr, nullptr);
}
size_t resultColumns(const vtp_db_result* r)
{
    return r ? r->columns.size() : 0;
}
const char* resultColumnName(const vtp_db_result* r, size_t c)
{
    return r && c < r->columns.size() ? r->columns[c].c_str() : nullptr;
}
size_t resultRows(const vtp_db_result* r)
{
    return r ? r->rows.size() : 0;
}
int resultValue(const vtp_db_result* r, size_t row, size_t col, vtp_sql_value* out)
{
    if (!r || !out || row >= r->rows.size() || col >= r->rows[row].size()) return VTP_INVALID;
    const Cell& c = r->rows[row][col];
    *out = vtp_sql_value{};
    out->type = c.type;
    out->i = c.i;
    out->r = c.r;
    if (c.type == VTP_SQL_TEXT || c.type == VTP_SQL_BLOB) {
        out->bytes = c.bytes.data();
        out->len = c.bytes.size();
    }
    return VTP_OK;
}
int64_t resultAffected(const vtp_db_result* r)
{
    return r ? r->affected : 0;
}
void resultFree(vtp_db_result* r)
{
    delete r;
}

// ---- 1.1 and later

int wsEndpointAdd(vtp_host* h, const vtp_ws_endpoint* e, vtp_errbuf err)
{
    if (!e || writerSize(e) < VTP_SIZE_THROUGH(vtp_ws_endpoint, user_data) || !e->path) {
        copyError(err, "endpoint needs a path starting with '/'");
        return VTP_INVALID;
    }
    vtp_ws_endpoint c{};
    const size_t size = std::min<size_t>(writerSize(e), sizeof c);
    std::memcpy(static_cast<void*>(&c), e, size);
    c.struct_size = static_cast<uint32_t>(size);
    c.path = nullptr; // the plugin's string, valid only during the call
    A::endpoints(h).push_back(c);
    return VTP_OK;
}
int wsSend(vtp_host* h, uint64_t connection, const char* data, size_t len, int binary)
{
    ++A::sendCalls(h);
    A::sent(h).push_back({connection, std::string(data ? data : "", data ? len : 0), binary != 0});
    return VTP_OK;
}
int wsClose(vtp_host*, uint64_t, int, const char*)
{
    return VTP_OK;
}
int cliCommandAdd(vtp_host*, const vtp_cli_command* c, vtp_errbuf err)
{
    if (!c || writerSize(c) < VTP_SIZE_THROUGH(vtp_cli_command, user_data)) {
        copyError(err, "command needs a name and run()");
        return VTP_INVALID;
    }
    return VTP_OK;
}
int eventPublish(vtp_host* h, const char* name, const char* json, size_t len, vtp_errbuf)
{
    A::published(h).emplace_back(str(name), std::string(json ? json : "", json ? len : 0));
    return VTP_OK;
}
int eventSubscribe(vtp_host* h, const char* pattern, vtp_event_handler handler, void* userData, vtp_errbuf err)
{
    if (!pattern || !handler) {
        copyError(err, "a subscription needs a pattern and a handler");
        return VTP_INVALID;
    }
    A::impl(h).subscriptions.push_back({pattern, handler, userData});
    return VTP_OK;
}
int jobKindAdd(vtp_host*, const vtp_job_kind* k, vtp_errbuf err)
{
    if (!k || writerSize(k) < VTP_SIZE_THROUGH(vtp_job_kind, user_data)) {
        copyError(err, "job kind is missing its name or runner");
        return VTP_INVALID;
    }
    return VTP_OK;
}
int jobSubmit(vtp_host* h, const char*, const char*, size_t, const char*, char* idOut, size_t idCap, vtp_errbuf)
{
    const std::string id = "fake-job-" + std::to_string(++A::impl(h).jobs);
    if (idCap) std::snprintf(idOut, idCap, "%s", id.c_str());
    return VTP_OK;
}
void jobProgress(vtp_job*, double, const char*) {}
int jobCancelled(vtp_job*)
{
    return 0;
}
void jobResult(vtp_job*, const char*, size_t) {}
int64_t metricAdd(vtp_host* h, const char*, const char*, int32_t, vtp_errbuf)
{
    return A::impl(h).metrics++;
}
void metricSet(vtp_host*, int64_t, const vtp_kv*, size_t, double) {}
int wsHttpRespond(vtp_host*, uint64_t, int, const vtp_kv*, size_t, const char*, size_t)
{
    return VTP_NOT_FOUND;
}
int wsSendMany(vtp_host* h, const uint64_t* connections, size_t count, const char* data, size_t len, int binary, size_t* sent)
{
    ++A::sendManyCalls(h);
    for (size_t i = 0; i < count; ++i) A::sent(h).push_back({connections[i], std::string(data ? data : "", data ? len : 0), binary != 0});
    if (sent) *sent = count;
    return VTP_OK;
}

uint64_t responseDefer(vtp_response* r, uint32_t timeoutMs)
{
    if (!r || !r->deferrable || r->data.deferred || timeoutMs < 1 || timeoutMs > 3600u * 1000u) return 0;
    std::lock_guard lock(r->deferrable->deferredMutex);
    r->data.deferred = ++r->deferrable->nextDeferred;
    r->deferrable->pending.insert(r->data.deferred);
    return r->data.deferred;
}
int responseComplete(vtp_host* h, uint64_t id, void (*fill)(void*, vtp_response*), void* ctx)
{
    auto& impl = A::impl(h);
    std::lock_guard lock(impl.deferredMutex);
    if (!fill || impl.pending.erase(id) == 0) return VTP_NOT_FOUND;
    vtp_response fresh;
    fresh.data.status = 200;
    fill(ctx, &fresh);
    impl.completed[id] = std::move(fresh.data);
    return VTP_OK;
}

// A cluster channel pattern as the kernel reads it: exact, "prefix.*" or "*".
bool channelMatches(const std::string& pattern, const std::string& channel)
{
    if (pattern == "*") return true;
    if (pattern.size() > 2 && pattern.ends_with(".*")) return channel.starts_with(pattern.substr(0, pattern.size() - 1));
    return pattern == channel;
}
const char* clusterNodeId(vtp_host*)
{
    return "fake-node/1";
}
int clusterSend(vtp_host* h, const char* channel, const char* data, size_t len, vtp_errbuf err)
{
    if (!channel || !*channel || len > (1u << 20)) {
        copyError(err, "a cluster message needs a channel name and at most 1 MiB");
        return VTP_INVALID;
    }
    if (A::impl(h).peers.empty()) return VTP_NOT_FOUND;
    A::clusterSent(h).push_back({channel, std::string(data ? data : "", data ? len : 0)});
    return VTP_OK;
}
int clusterSubscribe(vtp_host* h, const char* channel, vtp_cluster_handler handler, void* userData, vtp_errbuf err)
{
    if (!channel || !*channel || !handler) {
        copyError(err, "a cluster subscription needs a channel and a handler");
        return VTP_INVALID;
    }
    A::impl(h).clusterSubscriptions.push_back({channel, handler, userData});
    return VTP_OK;
}
size_t clusterPeers(vtp_host* h, vtp_cluster_peer_fn each, void* userData)
{
    const auto& peers = A::impl(h).peers;
    if (each)
        for (const auto& p : peers) each(userData, p.c_str());
    return peers.size();
}

// "/api/v1/hello/{name}" against "/api/v1/hello/ada": the parameters, or nothing.
std::optional<std::vector<std::pair<std::string, std::string>>> match(const std::string& pattern, const std::string& path)
{
    auto split = [](const std::string& s) {
        std::vector<std::string> out;
        std::stringstream in(s);
        for (std::string part; std::getline(in, part, '/');) out.push_back(part);
        return out;
    };
    const auto p = split(pattern), s = split(path);
    if (p.size() != s.size()) return std::nullopt;
    std::vector<std::pair<std::string, std::string>> params;
    for (size_t i = 0; i < p.size(); ++i) {
        if (p[i].size() > 2 && p[i].front() == '{' && p[i].back() == '}') {
            if (s[i].empty()) return std::nullopt;
            params.emplace_back(p[i].substr(1, p[i].size() - 2), s[i]);
        } else if (p[i] != s[i]) {
            return std::nullopt;
        }
    }
    return params;
}

} // namespace

FakeHost::FakeHost(uint16_t minor, std::string configJson)
    : minor_(minor), configJson_(std::move(configJson)), handle_(new vtp_host{this}), impl_(std::make_unique<Impl>())
{
    if (sqlite3_open(":memory:", &impl_->db) != SQLITE_OK) throw std::runtime_error("cannot open an in-memory SQLite database");
    char dir[] = "/tmp/vtp-fake-host-XXXXXX";
    if (!mkdtemp(dir)) throw std::runtime_error("cannot make a data directory");
    impl_->dataDir = dir;

    vtp_host_api& a = api_;
    a.abi_major = VTP_ABI_MAJOR;
    a.abi_minor = minor;
    a.log = log;
    a.log_enabled = logEnabled;
    a.config_json = configJsonEntry;
    a.data_dir = dataDir;
    a.route_add = routeAdd;
    a.response_status = responseStatus;
    a.response_header = responseHeader;
    a.response_body = responseBody;
    a.response_problem = responseProblem;
    a.service_offer = serviceOffer;
    a.service_find = serviceFind;
    a.db_dialect = dbDialect;
    a.db_exec = dbExec;
    a.db_begin = dbBegin;
    a.db_commit = dbCommit;
    a.db_rollback = dbRollback;
    a.db_result_columns = resultColumns;
    a.db_result_column_name = resultColumnName;
    a.db_result_rows = resultRows;
    a.db_result_value = resultValue;
    a.db_result_affected = resultAffected;
    a.db_result_free = resultFree;
    a.ws_endpoint_add = wsEndpointAdd;
    a.ws_send = wsSend;
    a.ws_close = wsClose;
    a.cli_command_add = cliCommandAdd;
    a.event_publish = eventPublish;
    a.event_subscribe = eventSubscribe;
    a.job_kind_add = jobKindAdd;
    a.job_submit = jobSubmit;
    a.job_progress = jobProgress;
    a.job_cancelled = jobCancelled;
    a.job_result = jobResult;
    a.metric_add = metricAdd;
    a.metric_set = metricSet;
    a.metric_inc = metricSet;
    a.ws_http_respond = wsHttpRespond;
    a.ws_send_many = wsSendMany;
    a.response_defer = responseDefer;
    a.response_complete = responseComplete;
    a.cluster_node_id = clusterNodeId;
    a.cluster_send = clusterSend;
    a.cluster_subscribe = clusterSubscribe;
    a.cluster_peers = clusterPeers;
    // An older kernel's table ends earlier: what it did not have is past struct_size, and NULL.
    const size_t size = hostApiSizeForMinor(minor);
    a.struct_size = static_cast<uint32_t>(size);
    std::memset(reinterpret_cast<char*>(&a) + size, 0, sizeof a - size);
}

FakeHost::~FakeHost()
{
    unload();
    sqlite3_close(impl_->db);
    std::error_code ec;
    std::filesystem::remove_all(impl_->dataDir, ec);
}

bool FakeHost::logged(const std::string& messagePart) const
{
    return std::any_of(logs_.begin(), logs_.end(), [&](const LogLine& l) { return l.message.find(messagePart) != std::string::npos; });
}

FakeResponse FakeHost::call(const std::string& method, const std::string& path, const FakeRequest& request)
{
    // As the kernel's router: a literal segment beats a parameter ("/hello/me" before "/hello/{name}").
    const Route* best = nullptr;
    std::optional<std::vector<std::pair<std::string, std::string>>> params;
    for (const Route& r : routes_) {
        if (r.method != method) continue;
        auto found = match(r.path, path);
        if (found && (!best || found->size() < params->size())) {
            best = &r;
            params = std::move(found);
        }
    }
    if (best) {
        const Route& r = *best;
        std::vector<vtp_kv> paramKvs, queryKvs, headerKvs;
        for (const auto& [k, v] : *params) paramKvs.push_back({k.c_str(), v.c_str()});
        for (const auto& [k, v] : request.query) queryKvs.push_back({k.c_str(), v.c_str()});
        for (const auto& [k, v] : request.headers) headerKvs.push_back({k.c_str(), v.c_str()});
        std::vector<const char*> roles;
        for (const auto& role : request.roles) roles.push_back(role.c_str());
        vtp_request req{};
        req.struct_size = sizeof req;
        req.method = method.c_str();
        req.path = path.c_str();
        req.request_id = "fake-request";
        req.remote_address = "127.0.0.1";
        req.subject = request.subject ? request.subject->c_str() : nullptr;
        req.roles = roles.data();
        req.role_count = roles.size();
        req.params = paramKvs.data();
        req.param_count = paramKvs.size();
        req.query = queryKvs.data();
        req.query_count = queryKvs.size();
        req.headers = headerKvs.data();
        req.header_count = headerKvs.size();
        req.body = request.body.data();
        req.body_len = request.body.size();
        req.content_type = request.contentType.c_str();
        vtp_response response;
        response.data.status = VTP_HAS_FIELD(vtp_route, success_status, r.route.struct_size) && r.route.success_status
                                   ? static_cast<int>(r.route.success_status)
                                   : 200;
        if (VTP_HAS_FIELD(vtp_route, body_abort, r.route.struct_size) && r.route.body == VTP_ROUTE_BODY_STREAM) {
            // A streamed body as the kernel hands it over: body_begin, the whole body as one piece,
            // then the handler with the stream (or the refusal body_begin set).
            void* stream = nullptr;
            if (r.route.body_begin(r.route.user_data, &req, &response, &stream) != VTP_OK) {
                response.data = FakeResponse{};
                responseProblem(&response, 500, "internal", "Internal Server Error", "body_begin failed");
                return response.data;
            }
            if (!stream) return response.data;
            if (!request.body.empty() && r.route.body_data(r.route.user_data, stream, request.body.data(), request.body.size()) == VTP_OK)
                req.body_bytes = request.body.size();
            req.body = nullptr;
            req.body_len = 0;
            req.body_stream = stream;
        } else {
            // The kernel defers only from a handler, never from a streamed route's finish.
            response.deferrable = impl_.get();
        }
        if (r.route.handler(r.route.user_data, &req, &response) != VTP_OK) {
            response.data = FakeResponse{};
            responseProblem(&response, 500, "internal", "Internal Server Error", "the handler failed");
        }
        return response.data;
    }
    FakeResponse notFound;
    notFound.status = 404;
    notFound.problemType = "not-found";
    return notFound;
}

std::optional<FakeResponse> FakeHost::completed(uint64_t id) const
{
    std::lock_guard lock(impl_->deferredMutex);
    const auto it = impl_->completed.find(id);
    if (it == impl_->completed.end()) return std::nullopt;
    return it->second;
}

void FakeHost::setClusterPeers(std::vector<std::string> peers)
{
    impl_->peers = std::move(peers);
}

size_t FakeHost::deliverCluster(const std::string& channel, const std::string& data, const std::string& fromNode)
{
    size_t reached = 0;
    for (const auto& s : impl_->clusterSubscriptions)
        if (channelMatches(s.channel, channel)) {
            s.handler(s.userData, channel.c_str(), data.data(), data.size(), fromNode.c_str());
            ++reached;
        }
    return reached;
}

void FakeHost::offer(const std::string& name, uint32_t version, const void* table)
{
    char text[256] = {0};
    if (serviceOffer(handle(), name.c_str(), version, table, vtp_errbuf{text, sizeof text}) != VTP_OK) throw std::invalid_argument(text);
}

std::vector<std::vector<std::optional<std::string>>> FakeHost::sql(const std::string& statement)
{
    vtp_db_result* result = nullptr;
    char text[512] = {0};
    if (dbExec(handle(), nullptr, statement.c_str(), nullptr, 0, &result, vtp_errbuf{text, sizeof text}) != VTP_OK)
        throw std::runtime_error("SQL failed: " + std::string(text));
    std::vector<std::vector<std::optional<std::string>>> rows;
    for (const auto& row : result->rows) {
        auto& out = rows.emplace_back();
        for (const Cell& c : row) {
            if (c.type == VTP_SQL_NULL)
                out.emplace_back(std::nullopt);
            else if (c.type == VTP_SQL_INT)
                out.emplace_back(std::to_string(c.i));
            else if (c.type == VTP_SQL_REAL)
                out.emplace_back(std::to_string(c.r));
            else
                out.emplace_back(c.bytes);
        }
    }
    resultFree(result);
    return rows;
}

void FakeHost::load(const vtp_plugin_descriptor* d)
{
    if (!d || writerSize(d) < VTP_SIZE_THROUGH(vtp_plugin_descriptor, destroy) || !d->init || !d->destroy)
        throw std::runtime_error("not a loadable plugin descriptor");
    // Migrations and config keys are stepped by their own struct_size, as the kernel does.
    const auto* m = reinterpret_cast<const unsigned char*>(d->migrations);
    for (size_t i = 0; i < d->migration_count; ++i, m += writerSize(m)) {
        vtp_migration mig{};
        std::memcpy(static_cast<void*>(&mig), m, std::min<size_t>(writerSize(m), sizeof mig));
        const char* script = mig.sql_sqlite ? mig.sql_sqlite : mig.sql;
        char* error = nullptr;
        if (script && sqlite3_exec(impl_->db, script, nullptr, nullptr, &error) != SQLITE_OK) {
            const std::string text = error ? error : "unknown error";
            sqlite3_free(error);
            throw std::runtime_error("migration " + str(mig.name) + " failed: " + text);
        }
    }
    vtp::Json config = vtp::Json::parse(configJson_);
    const auto* k = reinterpret_cast<const unsigned char*>(d->config_keys);
    for (size_t i = 0; i < d->config_key_count; ++i, k += writerSize(k)) {
        vtp_config_key key{};
        std::memcpy(static_cast<void*>(&key), k, std::min<size_t>(writerSize(k), sizeof key));
        if (!key.key || !key.default_value) continue;
        // "smtp.host" is the table smtp's key host. A TOML default of a string, number, boolean or
        // string array is also JSON.
        std::vector<std::string> parts;
        std::stringstream in(key.key);
        for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
        vtp::Json node = config;
        for (size_t p = 0; p + 1 < parts.size(); ++p) {
            if (!node.has(parts[p])) node.set(parts[p], vtp::Json::object());
            node = node[parts[p]];
        }
        // Poco's parser takes no scalar at the top: parse it as an array's only element.
        if (!node.has(parts.back())) node.set(parts.back(), vtp::Json::parse("[" + std::string(key.default_value) + "]").at(0));
    }
    configJson_ = config.dump();
    char text[1024] = {0};
    void* state = nullptr;
    if (d->init(&api_, handle(), &state, vtp_errbuf{text, sizeof text}) != VTP_OK)
        throw std::runtime_error("init failed: " + std::string(text));
    plugin_ = d;
    pluginState_ = state;
}

void FakeHost::start()
{
    if (!plugin_) throw std::logic_error("no plugin loaded");
    char text[1024] = {0};
    if (plugin_->start && plugin_->start(pluginState_, vtp_errbuf{text, sizeof text}) != VTP_OK)
        throw std::runtime_error("start failed: " + std::string(text));
    started_ = true;
}

void FakeHost::unload()
{
    if (!plugin_) return;
    if (started_ && plugin_->stop) plugin_->stop(pluginState_);
    plugin_->destroy(pluginState_);
    plugin_ = nullptr;
    pluginState_ = nullptr;
    started_ = false;
}

} // namespace vtp::test
