#include "host/HostApi.hpp"
#include "host/HostGuard.hpp"

#include "host/Kernel.hpp"
#include "http/DeferredResponses.hpp"
#include "http/Cors.hpp"
#include "http/FileResponse.hpp"
#include "loader/AbiCopy.hpp"
#include "log/Logger.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <sstream>

namespace vtp::kernel {

namespace {

std::string str(const char* s)
{
    return s ? std::string(s) : std::string();
}

// ------------------------------------------------------------------ logging, config

void hostLog(vtp_host* h, int32_t level, const char* message, size_t len, const vtp_kv* fields, size_t n) noexcept
{
    try {
        std::vector<LogField> f;
        f.reserve(n);
        for (size_t i = 0; i < n; ++i)
            if (fields[i].key && fields[i].value) f.emplace_back(fields[i].key, fields[i].value);
        const auto lvl = static_cast<LogLevel>(std::clamp<int>(level, VTP_LOG_TRACE, VTP_LOG_ERROR));
        h->kernel->log().logFields(lvl, h->name, std::string_view(message, len), f.data(), f.size());
    } catch (...) {
    }
}

int hostLogEnabled(vtp_host* h, int32_t level) noexcept
{
    return h->kernel->log().enabled(static_cast<LogLevel>(std::clamp<int>(level, VTP_LOG_TRACE, VTP_LOG_ERROR)), h->name) ? 1 : 0;
}

const char* hostConfigJson(vtp_host* h) noexcept
{
    return h->configJson.c_str();
}
const char* hostDataDir(vtp_host* h) noexcept
{
    return h->dataDir.c_str();
}

// ------------------------------------------------------------------ HTTP

// "404 not-found,409 email-taken" into {status, type} pairs; false on a malformed entry.
bool parseRouteErrors(const char* text, std::vector<std::pair<int, std::string>>& out, std::string& bad)
{
    if (!text) return true;
    std::stringstream in(text);
    std::string entry;
    while (std::getline(in, entry, ',')) {
        const auto b = entry.find_first_not_of(' ');
        const auto e = entry.find_last_not_of(' ');
        entry = b == std::string::npos ? std::string() : entry.substr(b, e - b + 1);
        const auto space = entry.find(' ');
        int status = 0;
        if (space == 3) status = std::atoi(entry.substr(0, 3).c_str());
        const std::string type = space == std::string::npos ? std::string() : entry.substr(space + 1);
        if (status < 400 || status > 599 || type.empty() ||
            type.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
            bad = entry;
            return false;
        }
        out.emplace_back(status, type);
    }
    return true;
}

std::vector<std::string> splitNames(const char* text)
{
    std::vector<std::string> out;
    if (!text) return out;
    std::stringstream in(text);
    std::string name;
    while (std::getline(in, name, ','))
        if (!name.empty()) out.push_back(name);
    return out;
}

// A plugin's vtp_cors, read up to its struct_size.
std::shared_ptr<const CorsPolicy> corsFrom(const vtp_cors* in, std::string& error)
{
    if (!in || !VTP_HAS_FIELD(vtp_cors, max_age_seconds, in->struct_size)) {
        error = "cors: a vtp_cors of this ABI's size is needed";
        return nullptr;
    }
    auto p = CorsPolicy::parse((in->flags & VTP_CORS_OFF) != 0, (in->flags & VTP_CORS_CREDENTIALS) != 0, in->origins, in->methods,
                               in->headers, in->expose_headers, in->max_age_seconds, error);
    return p ? std::make_shared<const CorsPolicy>(std::move(*p)) : nullptr;
}

// A route's query parameters (1.7), each element read up to the writer's struct_size.
bool queryParamsFrom(const vtp_route& r, std::vector<QueryParamSpec>& out, std::string& error)
{
    if (r.query_param_count == 0) return true;
    if (!r.query_params) {
        error = "query_param_count set without query_params";
        return false;
    }
    std::vector<vtp_query_param> params;
    if (auto e =
            copyArrayBySize(r.query_params, r.query_param_count, VTP_SIZE_THROUGH(vtp_query_param, flags), "query parameter", params)) {
        error = e.text;
        return false;
    }
    for (const auto& p : params) {
        const std::string name = str(p.name);
        if (name.empty() ||
            name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != std::string::npos) {
            error = "query parameter '" + name + "' is not a name of letters, digits, '_', '.' and '-'";
            return false;
        }
        if (p.type > VTP_QUERY_BOOLEAN) {
            error =
                "query parameter '" + name + "' has type " + std::to_string(p.type) + " (VTP_QUERY_STRING, _INTEGER or _BOOLEAN expected)";
            return false;
        }
        const bool twice = std::any_of(out.begin(), out.end(), [&](const QueryParamSpec& q) { return q.name == name; });
        if (twice) {
            error = "query parameter '" + name + "' is declared twice";
            return false;
        }
        static const char* const kTypes[] = {"string", "integer", "boolean"};
        out.push_back({name, kTypes[p.type], str(p.description), (p.flags & VTP_QUERY_REQUIRED) != 0});
    }
    return true;
}

int hostRouteAdd(vtp_host* h, const vtp_route* in, vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        if (!in || !VTP_HAS_FIELD(vtp_route, user_data, in->struct_size)) {
            copyError(err, "route is missing method, path or handler");
            return static_cast<int>(VTP_INVALID);
        }
        // Read the writer's struct_size bytes into a zeroed struct: an older plugin's route is shorter
        // (its later fields read as 0/NULL), a newer one's extra fields are not ours to read.
        const vtp_route copy = copyBySize(in);
        const vtp_route* r = &copy;
        if (!r->handler || !r->method || !r->path) {
            copyError(err, "route is missing method, path or handler");
            return static_cast<int>(VTP_INVALID);
        }
        if (h->kernel->mode() == Kernel::Mode::Cli) return static_cast<int>(VTP_OK); // vtpctl serves nothing
        RouteSpec spec;
        std::string bad;
        if (!parseRouteErrors(r->errors, spec.errors, bad)) {
            copyError(err, "route " + std::string(r->method) + " " + r->path + ": error entry '" + bad +
                               "' is not \"STATUS type\" (a 4xx/5xx status, a lower-case slug)");
            return static_cast<int>(VTP_INVALID);
        }
        if (r->success_status != 0 && (r->success_status < 200 || r->success_status > 299)) {
            copyError(err, "route " + std::string(r->method) + " " + r->path + ": success_status " + std::to_string(r->success_status) +
                               " is not a 2xx status");
            return static_cast<int>(VTP_INVALID);
        }
        spec.successStatus = r->success_status ? static_cast<int>(r->success_status) : 200;
        spec.secretParams = splitNames(r->secret_params);
        spec.cacheControl = str(r->cache_control);
        spec.answersFiles = (r->flags & VTP_ROUTE_FILE) != 0;
        if (r->cors) {
            std::string why;
            spec.cors = corsFrom(r->cors, why);
            if (!spec.cors) {
                copyError(err, "route " + std::string(r->method) + " " + r->path + ": " + why);
                return static_cast<int>(VTP_INVALID);
            }
        }
        spec.pluginCors = h->corsDefault;
        if (std::string why; !queryParamsFrom(*r, spec.query, why)) {
            copyError(err, "route " + std::string(r->method) + " " + r->path + ": " + why);
            return static_cast<int>(VTP_INVALID);
        }
        spec.method = r->method;
        spec.pattern = r->path;
        spec.role = str(r->role);
        spec.summary = str(r->summary);
        spec.body = r->body == VTP_ROUTE_BODY_JSON ? BodyKind::Json : r->body == VTP_ROUTE_BODY_RAW ? BodyKind::Raw : BodyKind::None;
        if (r->body == VTP_ROUTE_BODY_STREAM) {
            // Fields past the writer's struct_size read as NULL in the zeroed copy.
            if (!r->body_begin || !r->body_data || !r->body_abort) {
                copyError(err, "route " + std::string(r->method) + " " + r->path +
                                   ": a streamed body needs body_begin, body_data and body_abort");
                return static_cast<int>(VTP_INVALID);
            }
            spec.body = BodyKind::Stream;
        }
        spec.maxBodyBytes = r->max_body_bytes;
        spec.requestSchema = str(r->request_schema);
        spec.responseSchema = str(r->response_schema);
        spec.owner = h->name;
        vtp_route& stored = h->routes.emplace_back(copy);
        stored.method = stored.path = stored.role = stored.summary = stored.request_schema = stored.response_schema = nullptr;
        stored.errors = stored.secret_params = stored.cache_control = nullptr;
        stored.cors = nullptr;
        stored.query_params = nullptr;
        stored.query_param_count = 0;
        spec.target = &stored;
        try {
            h->kernel->router().add(std::move(spec));
        } catch (const RouteError& e) {
            h->routes.pop_back();
            copyError(err, e.what());
            return static_cast<int>(VTP_CONFLICT);
        }
        return static_cast<int>(VTP_OK);
    });
}

void hostResponseStatus(vtp_response* r, int status) noexcept
{
    r->data.status = status;
    r->answered = true;
}

void hostResponseHeader(vtp_response* r, const char* name, const char* value) noexcept
{
    try {
        if (!name || !value) return;
        // Refuse header injection: a CR or LF would split the response.
        if (std::strpbrk(name, "\r\n:") || std::strpbrk(value, "\r\n")) return;
        r->data.headers.emplace_back(name, value);
    } catch (...) {
    }
}

void hostResponseBody(vtp_response* r, const char* contentType, const char* body, size_t len) noexcept
{
    try {
        r->data.contentType = str(contentType);
        r->data.body.assign(body ? body : "", body ? len : 0);
        r->answered = true;
        r->data.file.reset();
    } catch (...) {
    }
}

void hostResponseProblem(vtp_response* r, int status, const char* type, const char* title, const char* detail) noexcept
{
    try {
        if (status < 400 || status > 599) status = 500;
        auto keepHeaders = std::move(r->data.headers);
        const uint64_t deferred = r->data.deferredId;
        r->data = makeProblem(status, type && *type ? type : "error", str(title), str(detail), r->instance);
        r->data.headers = std::move(keepHeaders);
        r->data.deferredId = deferred;
        r->answered = true;
    } catch (...) {
    }
}

uint64_t hostResponseDefer(vtp_response* r, uint32_t timeoutMs) noexcept
{
    try {
        if (!r || !r->deferrals || r->data.deferredId) return 0;
        r->data.deferredId = r->deferrals->open(timeoutMs, r->instance);
        return r->data.deferredId;
    } catch (...) {
        return 0;
    }
}

int hostResponseComplete(vtp_host* h, uint64_t id, void (*fill)(void*, vtp_response*), void* ctx) noexcept
{
    try {
        if (!fill) return VTP_INVALID;
        auto* http = h->kernel->http();
        if (!http) return VTP_NOT_FOUND;
        const bool sent = http->deferrals().complete(id, [&](HttpResponseData& out, const std::string& requestId) {
            vtp_response r;
            r.instance = requestId;
            try {
                fill(ctx, &r);
            } catch (...) {
                r.data.status = 0; // a plugin that bypassed the SDK let an exception escape
            }
            if (r.data.status < 100 || r.data.status > 599) {
                h->kernel->log().error("http", "a deferred answer has an invalid status", {{"request_id", requestId}, {"plugin", h->name}});
                out = makeProblem(500, "internal-error", "Internal server error", "the handler produced an invalid response", requestId);
                return;
            }
            out = std::move(r.data);
        });
        return sent ? VTP_OK : VTP_NOT_FOUND;
    } catch (const std::bad_alloc&) {
        return VTP_NO_MEMORY;
    } catch (...) {
        return VTP_ERROR;
    }
}

int hostResponseFile(vtp_response* r, const vtp_file_body* file, vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        if (!r || !file || !VTP_HAS_FIELD(vtp_file_body, length, file->struct_size)) {
            copyError(err, "response_file needs a vtp_file_body");
            return static_cast<int>(VTP_INVALID);
        }
        std::shared_ptr<FileBody> body;
        std::string why;
        const int rc = openFileBody(file->path, file->offset, file->length, body, why);
        if (rc != VTP_OK) {
            copyError(err, why);
            return rc;
        }
        r->data.contentType = str(file->content_type);
        r->data.body.clear();
        r->data.file = std::move(body);
        r->answered = true;
        return static_cast<int>(VTP_OK);
    });
}

int hostCorsDefault(vtp_host* h, const vtp_cors* cors, vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        std::string why;
        auto policy = corsFrom(cors, why);
        if (!policy) {
            copyError(err, why);
            return static_cast<int>(VTP_INVALID);
        }
        h->corsDefault->set(std::move(policy));
        return static_cast<int>(VTP_OK);
    });
}

// ------------------------------------------------------------------ WebSocket

int hostWsEndpointAdd(vtp_host* h, const vtp_ws_endpoint* e, vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        if (!e || !VTP_HAS_FIELD(vtp_ws_endpoint, user_data, e->struct_size) || !e->path || e->path[0] != '/') {
            copyError(err, "endpoint needs a path starting with '/'");
            return static_cast<int>(VTP_INVALID);
        }
        // An older plugin's struct is shorter: copy what it has into a zeroed one, never more.
        const vtp_ws_endpoint c = copyBySize(e);
        const size_t maxBytes = VTP_HAS_FIELD(vtp_ws_endpoint, max_message_bytes, c.struct_size) ? c.max_message_bytes : 0;
        WsEndpoint ep;
        ep.path = c.path;
        ep.maxMessageBytes = maxBytes;
        if (VTP_HAS_FIELD(vtp_ws_endpoint, on_http, c.struct_size) && c.on_http)
            ep.onHttp = [c](const WsHttpRequest& r) {
                std::vector<vtp_kv> headers;
                headers.reserve(r.headers.size());
                for (const auto& [k, v] : r.headers) headers.push_back({k.c_str(), v.c_str()});
                vtp_ws_http_request hr{};
                hr.struct_size = sizeof hr;
                hr.request = r.id;
                hr.method = r.method.c_str();
                hr.path = r.path.c_str();
                hr.query = r.query.c_str();
                hr.remote_address = r.remoteAddress.c_str();
                hr.headers = headers.data();
                hr.header_count = headers.size();
                hr.body = r.body.data();
                hr.body_len = r.body.size();
                c.on_http(c.user_data, &hr);
            };
        if (c.on_open)
            ep.onOpen = [c](const WsConnectionInfo& info) {
                std::vector<vtp_kv> headers;
                for (const auto& [k, v] : info.headers) headers.push_back({k.c_str(), v.c_str()});
                vtp_ws_open_info oi{};
                oi.struct_size = sizeof oi;
                oi.connection = info.id;
                oi.path = info.path.c_str();
                oi.query = info.query.c_str();
                oi.remote_address = info.remoteAddress.c_str();
                oi.headers = headers.data();
                oi.header_count = headers.size();
                c.on_open(c.user_data, &oi);
            };
        if (c.on_message)
            ep.onMessage = [c](uint64_t id, std::string_view data, bool binary) {
                c.on_message(c.user_data, id, data.data(), data.size(), binary ? 1 : 0);
            };
        if (c.on_close) ep.onClose = [c](uint64_t id, int code) { c.on_close(c.user_data, id, code); };
        h->kernel->addPendingEndpoint(h->name, std::move(ep));
        return static_cast<int>(VTP_OK);
    });
}

int hostWsSend(vtp_host* h, uint64_t connection, const char* data, size_t len, int binary) noexcept
{
    try {
        auto* ws = h->kernel->ws();
        if (!ws) return VTP_NOT_FOUND;
        return ws->send(connection, std::string_view(data ? data : "", data ? len : 0), binary != 0) ? VTP_OK : VTP_NOT_FOUND;
    } catch (...) {
        return VTP_ERROR;
    }
}

int hostWsSendMany(vtp_host* h, const uint64_t* connections, size_t count, const char* data, size_t len, int binary, size_t* sent) noexcept
{
    try {
        if (sent) *sent = 0;
        if (count && !connections) return VTP_INVALID;
        auto* ws = h->kernel->ws();
        if (!ws) return VTP_NOT_FOUND;
        const size_t n = ws->sendMany({connections, count}, std::string_view(data ? data : "", data ? len : 0), binary != 0);
        if (sent) *sent = n;
        return VTP_OK;
    } catch (const std::bad_alloc&) {
        return VTP_NO_MEMORY;
    } catch (...) {
        return VTP_ERROR;
    }
}

int hostWsClose(vtp_host* h, uint64_t connection, int code, const char* reason) noexcept
{
    try {
        auto* ws = h->kernel->ws();
        if (!ws) return VTP_NOT_FOUND;
        ws->close(connection, code, str(reason));
        return VTP_OK;
    } catch (...) {
        return VTP_ERROR;
    }
}

int hostWsHttpRespond(vtp_host* h, uint64_t request, int status, const vtp_kv* headers, size_t headerCount, const char* body,
                      size_t len) noexcept
{
    try {
        if (headerCount && !headers) return VTP_INVALID;
        auto* ws = h->kernel->ws();
        if (!ws) return VTP_NOT_FOUND;
        std::vector<std::pair<std::string, std::string>> list;
        list.reserve(headerCount);
        for (size_t i = 0; i < headerCount; ++i)
            if (headers[i].key && headers[i].value) list.emplace_back(headers[i].key, headers[i].value);
        switch (ws->respond(request, status, std::move(list), std::string(body ? body : "", body ? len : 0))) {
        case WsRespondResult::Ok: return VTP_OK;
        case WsRespondResult::NotFound: return VTP_NOT_FOUND;
        case WsRespondResult::Invalid: return VTP_INVALID;
        }
        return VTP_ERROR;
    } catch (const std::bad_alloc&) {
        return VTP_NO_MEMORY;
    } catch (...) {
        return VTP_ERROR;
    }
}

// ------------------------------------------------------------------ services

int hostServiceOffer(vtp_host* h, const char* name, uint32_t version, const void* table, vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        if (!name || !*name || !table || version == 0) {
            copyError(err, "a service needs a name, a version >= 1 and a table");
            return static_cast<int>(VTP_INVALID);
        }
        // A reader tells which fields the table has by its leading struct_size; without one it cannot.
        if (writerSize(table) < sizeof(uint32_t)) {
            copyError(err, "service " + std::string(name) + ": a service table begins with its struct_size, which is " +
                               std::to_string(writerSize(table)));
            return static_cast<int>(VTP_INVALID);
        }
        if (h->kernel->services().offered(name, version)) {
            copyError(err, "service " + std::string(name) + " v" + std::to_string(version) + " is already offered");
            return static_cast<int>(VTP_CONFLICT);
        }
        h->kernel->services().offer(h->name, name, version, table);
        return static_cast<int>(VTP_OK);
    });
}

const void* hostServiceFind(vtp_host* h, const char* name, uint32_t minVersion, uint32_t* version) noexcept
{
    try {
        return name ? h->kernel->services().find(name, minVersion, version) : nullptr;
    } catch (...) {
        return nullptr;
    }
}

// ------------------------------------------------------------------ SQL

} // namespace
} // namespace vtp::kernel

struct vtp_db_result {
    vtp::kernel::ResultSet rs;
};
struct vtp_db_tx {
    std::unique_ptr<vtp::kernel::Connection> conn;
};

namespace vtp::kernel {
namespace {

int32_t hostDbDialect(vtp_host* h) noexcept
{
    auto* db = h->kernel->database();
    return db && db->dialect() == Dialect::PostgreSQL ? VTP_SQL_POSTGRESQL : VTP_SQL_SQLITE;
}

int hostDbExec(vtp_host* h, vtp_db_tx* tx, const char* sql, const vtp_sql_value* params, size_t n, vtp_db_result** result,
               vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        if (!sql || !result) {
            copyError(err, "db_exec needs sql and a result pointer");
            return static_cast<int>(VTP_INVALID);
        }
        *result = nullptr;
        auto* db = h->kernel->database();
        if (!db) {
            copyError(err, "no database is open");
            return static_cast<int>(VTP_ERROR);
        }
        std::vector<SqlValue> values;
        values.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            const auto& p = params[i];
            switch (p.type) {
            case VTP_SQL_NULL: values.emplace_back(std::monostate{}); break;
            case VTP_SQL_INT: values.emplace_back(p.i); break;
            case VTP_SQL_REAL: values.emplace_back(p.r); break;
            case VTP_SQL_TEXT: values.emplace_back(std::string(p.bytes ? p.bytes : "", p.bytes ? p.len : 0)); break;
            case VTP_SQL_BLOB: {
                Blob b;
                if (p.bytes)
                    b.bytes.assign(reinterpret_cast<const unsigned char*>(p.bytes),
                                   reinterpret_cast<const unsigned char*>(p.bytes) + p.len);
                values.emplace_back(std::move(b));
                break;
            }
            default: copyError(err, "parameter " + std::to_string(i + 1) + " has an unknown type"); return static_cast<int>(VTP_INVALID);
            }
        }
        auto out = std::make_unique<vtp_db_result>();
        out->rs = tx ? tx->conn->exec(sql, values) : db->exec(sql, values);
        *result = out.release();
        return static_cast<int>(VTP_OK);
    });
}

int hostDbBegin(vtp_host* h, vtp_db_tx** tx, vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        auto* db = h->kernel->database();
        if (!db || !tx) {
            copyError(err, "no database is open");
            return static_cast<int>(VTP_ERROR);
        }
        auto t = std::make_unique<vtp_db_tx>();
        t->conn = db->acquire();
        t->conn->begin();
        *tx = t.release();
        return static_cast<int>(VTP_OK);
    });
}

int hostDbCommit(vtp_host*, vtp_db_tx* tx, vtp_errbuf err) noexcept
{
    std::unique_ptr<vtp_db_tx> owned(tx);
    return guarded(err, [&] {
        if (!owned) return static_cast<int>(VTP_INVALID);
        owned->conn->commit();
        return static_cast<int>(VTP_OK);
    });
}

void hostDbRollback(vtp_host*, vtp_db_tx* tx) noexcept
{
    std::unique_ptr<vtp_db_tx> owned(tx);
    try {
        if (owned && owned->conn->inTransaction()) owned->conn->rollback();
    } catch (...) {
    }
}

size_t hostResultColumns(const vtp_db_result* r) noexcept
{
    return r ? r->rs.columns.size() : 0;
}
const char* hostResultColumnName(const vtp_db_result* r, size_t c) noexcept
{
    return r && c < r->rs.columns.size() ? r->rs.columns[c].c_str() : nullptr;
}
size_t hostResultRows(const vtp_db_result* r) noexcept
{
    return r ? r->rs.rows.size() : 0;
}
int hostResultValue(const vtp_db_result* r, size_t row, size_t col, vtp_sql_value* out) noexcept
{
    if (!r || !out || row >= r->rs.rows.size() || col >= r->rs.rows[row].size()) return VTP_INVALID;
    *out = vtp_sql_value{};
    const auto& v = r->rs.rows[row][col];
    if (std::holds_alternative<int64_t>(v)) {
        out->type = VTP_SQL_INT;
        out->i = std::get<int64_t>(v);
    } else if (std::holds_alternative<double>(v)) {
        out->type = VTP_SQL_REAL;
        out->r = std::get<double>(v);
    } else if (std::holds_alternative<std::string>(v)) {
        const auto& s = std::get<std::string>(v);
        out->type = VTP_SQL_TEXT;
        out->bytes = s.data();
        out->len = s.size();
    } else if (std::holds_alternative<Blob>(v)) {
        const auto& b = std::get<Blob>(v).bytes;
        out->type = VTP_SQL_BLOB;
        out->bytes = reinterpret_cast<const char*>(b.data());
        out->len = b.size();
    } else {
        out->type = VTP_SQL_NULL;
    }
    return VTP_OK;
}
int64_t hostResultAffected(const vtp_db_result* r) noexcept
{
    return r ? r->rs.affectedRows : 0;
}
void hostResultFree(vtp_db_result* r) noexcept
{
    delete r;
}

// ------------------------------------------------------------------ vtpctl

int hostCliCommandAdd(vtp_host* h, const vtp_cli_command* in, vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        if (!in || !VTP_HAS_FIELD(vtp_cli_command, user_data, in->struct_size)) {
            copyError(err, "command needs a name and run()");
            return static_cast<int>(VTP_INVALID);
        }
        const vtp_cli_command copy = copyBySize(in);
        const vtp_cli_command* c = &copy;
        if (!c->name || !c->run) {
            copyError(err, "command needs a name and run()");
            return static_cast<int>(VTP_INVALID);
        }
        CliCommand cmd;
        cmd.owner = h->name;
        std::istringstream words(c->name);
        for (std::string w; words >> w;) cmd.words.push_back(w);
        if (cmd.words.empty()) {
            copyError(err, "command name is empty");
            return static_cast<int>(VTP_INVALID);
        }
        for (const auto& existing : h->kernel->cliCommands())
            if (existing.words == cmd.words) {
                copyError(err, "command '" + std::string(c->name) + "' is already added by " + existing.owner);
                return static_cast<int>(VTP_CONFLICT);
            }
        cmd.summary = str(c->summary);
        cmd.usage = str(c->usage);
        cmd.run = c->run;
        cmd.userData = c->user_data;
        h->kernel->addCliCommand(std::move(cmd));
        return static_cast<int>(VTP_OK);
    });
}

const vtp_host_api kApi = [] {
    vtp_host_api a{};
    a.struct_size = sizeof a;
    a.abi_major = VTP_ABI_MAJOR;
    a.abi_minor = VTP_ABI_MINOR;
    a.log = hostLog;
    a.log_enabled = hostLogEnabled;
    a.config_json = hostConfigJson;
    a.data_dir = hostDataDir;
    a.route_add = hostRouteAdd;
    a.response_status = hostResponseStatus;
    a.response_header = hostResponseHeader;
    a.response_body = hostResponseBody;
    a.response_problem = hostResponseProblem;
    a.ws_endpoint_add = hostWsEndpointAdd;
    a.ws_send = hostWsSend;
    a.ws_close = hostWsClose;
    a.service_offer = hostServiceOffer;
    a.service_find = hostServiceFind;
    a.db_dialect = hostDbDialect;
    a.db_exec = hostDbExec;
    a.db_begin = hostDbBegin;
    a.db_commit = hostDbCommit;
    a.db_rollback = hostDbRollback;
    a.db_result_columns = hostResultColumns;
    a.db_result_column_name = hostResultColumnName;
    a.db_result_rows = hostResultRows;
    a.db_result_value = hostResultValue;
    a.db_result_affected = hostResultAffected;
    a.db_result_free = hostResultFree;
    a.cli_command_add = hostCliCommandAdd;
    a.ws_http_respond = hostWsHttpRespond;
    a.ws_send_many = hostWsSendMany;
    a.response_defer = hostResponseDefer;
    a.response_complete = hostResponseComplete;
    a.response_file = hostResponseFile;
    a.cors_default = hostCorsDefault;
    fillEventsApi(a);
    fillJobsApi(a);
    fillMetricsApi(a);
    fillClusterApi(a);
    return a;
}();

} // namespace

const vtp_host_api* hostApi()
{
    return &kApi;
}

} // namespace vtp::kernel
