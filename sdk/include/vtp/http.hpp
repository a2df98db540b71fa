#pragma once

#include "vtp/abi.h"
#include "vtp/detail.hpp"
#include "vtp/errors.hpp"
#include "vtp/json.hpp"

#include <chrono>
#include <functional>
#include <stdexcept>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vtp {

namespace Role {
inline constexpr const char* Public = VTP_ROLE_PUBLIC;
inline constexpr const char* Authenticated = VTP_ROLE_AUTHENTICATED;
} // namespace Role

class Response;
class Deferred;

// A view of the request the kernel has routed, authenticated and authorised. Valid only
// during the handler call.
class Request {
public:
    explicit Request(const vtp_request* r) : r_(r) {}
    // What the SDK's route trampoline makes: a request whose answer can be deferred.
    Request(const vtp_request* r, detail::HostRef ref, vtp_response* response) : r_(r), ref_(ref), response_(response) {}

    // Since ABI 1.6: the answer comes later, through the returned handle, from any thread; no kernel
    // thread waits meanwhile. Call it in the handler, then return the answer the client gets if
    // `timeout` passes first (Response::deferred() for the kernel's 504 response-timeout). A client
    // that disconnects while held is noticed, and completing after a timeout or a disconnect is a
    // harmless no-op. Throws std::logic_error where the answer cannot be deferred (a streamed
    // route's finish(), an older kernel) and std::invalid_argument for a timeout outside 1 ms..1 h.
    Deferred defer(std::chrono::milliseconds timeout) const;

    std::string_view method() const { return r_->method; }
    std::string_view path() const { return r_->path; }
    std::string_view requestId() const { return r_->request_id; }
    std::string_view remoteAddress() const { return r_->remote_address; }
    // The authenticated user's id; empty on a public route called without a token.
    std::string_view subject() const { return r_->subject ? r_->subject : ""; }
    bool authenticated() const { return r_->subject != nullptr; }
    std::vector<std::string> roles() const { return {r_->roles, r_->roles + r_->role_count}; }
    bool hasRole(std::string_view role) const
    {
        for (size_t i = 0; i < r_->role_count; ++i)
            if (role == r_->roles[i]) return true;
        return false;
    }

    // A path parameter declared as {name}; the route guarantees it exists.
    std::string param(std::string_view name) const { return find(r_->params, r_->param_count, name).value_or(""); }
    std::optional<std::string> query(std::string_view name) const { return find(r_->query, r_->query_count, name); }
    std::optional<std::string> header(std::string_view lowerCaseName) const { return find(r_->headers, r_->header_count, lowerCaseName); }

    std::string_view body() const { return {r_->body, r_->body_len}; }
    // On a Body::Stream route: the body's length as the sink received it (0 elsewhere).
    uint64_t bodyBytes() const { return VTP_HAS_FIELD(vtp_request, body_bytes, r_->struct_size) ? r_->body_bytes : 0; }
    std::string_view contentType() const { return r_->content_type; }
    // The body as JSON (the kernel has already refused malformed JSON on JSON routes).
    Json json() const
    {
        try {
            return Json::parse(body());
        } catch (const JsonError& e) {
            throw BadRequest(e.what(), "malformed-json");
        }
    }

    // Query helpers for list endpoints: an integer within [lo, hi] or the fallback.
    int64_t queryInt(std::string_view name, int64_t fallback, int64_t lo, int64_t hi) const
    {
        auto v = query(name);
        if (!v) return fallback;
        try {
            size_t used = 0;
            const long long n = std::stoll(*v, &used);
            if (used != v->size() || n < lo || n > hi) throw std::out_of_range("range");
            return n;
        } catch (const std::exception&) {
            throw BadRequest("query parameter '" + std::string(name) + "' must be an integer from " + std::to_string(lo) + " to " +
                                 std::to_string(hi),
                             "invalid-parameter");
        }
    }

    const vtp_request* raw() const { return r_; }

private:
    static std::optional<std::string> find(const vtp_kv* kvs, size_t n, std::string_view name)
    {
        for (size_t i = 0; i < n; ++i)
            if (name == kvs[i].key) return std::string(kvs[i].value);
        return std::nullopt;
    }

    const vtp_request* r_;
    detail::HostRef ref_{};
    vtp_response* response_ = nullptr;
};

class Response {
public:
    Response() = default;
    static Response json(const Json& body, int status = 200)
    {
        Response r;
        r.status_ = status;
        r.contentType_ = "application/json";
        r.body_ = body.dump();
        return r;
    }
    static Response text(std::string body, int status = 200, std::string contentType = "text/plain; charset=utf-8")
    {
        Response r;
        r.status_ = status;
        r.contentType_ = std::move(contentType);
        r.body_ = std::move(body);
        return r;
    }
    static Response noContent()
    {
        Response r;
        r.status_ = 204;
        return r;
    }
    // What a handler that called Request::defer returns when a timeout should get the kernel's
    // 504 response-timeout rather than an answer of its own.
    static Response deferred()
    {
        Response r;
        r.noAnswer_ = true;
        return r;
    }
    bool isDeferredMarker() const { return noAnswer_; }
    static Response created(const Json& body, std::string location = {})
    {
        Response r = json(body, 201);
        if (!location.empty()) r.header("Location", std::move(location));
        return r;
    }

    // A file, sent by the kernel with sendfile(2) (ABI 1.6): it answers HEAD, Range (206, 416) and
    // conditional requests (ETag, Last-Modified: 304, 412) itself, and adds Accept-Ranges. `offset`
    // and `length` choose a part of the file as the whole response (a segment inside a bigger file).
    // The kernel opens `path` once the handler returns: a file that does not exist answers 404
    // (not-found). Never build `path` from a client's text without checking it (no "..", no "/").
    // Set Cache-Control with header(), or on the route.
    static Response file(std::string path, std::string contentType, uint64_t offset = 0, uint64_t length = VTP_FILE_TO_END)
    {
        Response r;
        r.contentType_ = std::move(contentType);
        r.file_ = FilePart{std::move(path), offset, length};
        return r;
    }

    Response& header(std::string name, std::string value)
    {
        headers_.emplace_back(std::move(name), std::move(value));
        return *this;
    }
    Response& status(int s)
    {
        status_ = s;
        return *this;
    }

    int status() const { return status_; }
    const std::string& contentType() const { return contentType_; }
    const std::string& body() const { return body_; }
    const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

    struct FilePart {
        std::string path;
        uint64_t offset = 0;
        uint64_t length = VTP_FILE_TO_END;
    };
    // Set for Response::file.
    const std::optional<FilePart>& file() const { return file_; }

private:
    bool noAnswer_ = false;
    std::optional<FilePart> file_;
    int status_ = 200;
    std::string contentType_;
    std::string body_;
    std::vector<std::pair<std::string, std::string>> headers_;
};

namespace detail {

// Hands a handler's Response to the kernel. A file that cannot be opened becomes a 404 when it
// does not exist, and VTP_ERROR (a 500, `why` says what failed) otherwise.
inline int applyResponse(HostRef ref, vtp_response* out, const Response& r, std::string& why)
{
    if (r.isDeferredMarker()) return VTP_OK;
    ref.api->response_status(out, r.status());
    for (const auto& [k, v] : r.headers()) ref.api->response_header(out, k.c_str(), v.c_str());
    if (const auto& f = r.file()) {
        // The plugin's minor (1.6 or later) is never above the kernel's, so response_file exists.
        vtp_file_body body{};
        body.struct_size = sizeof body;
        body.path = f->path.c_str();
        body.content_type = r.contentType().c_str();
        body.offset = f->offset;
        body.length = f->length;
        ErrorText err;
        const int rc = ref.api->response_file(out, &body, err.view());
        if (rc == VTP_NOT_FOUND) {
            ref.api->response_problem(out, 404, "not-found", "Not found", "no such file");
            return VTP_OK;
        }
        if (rc != VTP_OK) why = "file response: " + err.str();
        return rc == VTP_OK ? VTP_OK : VTP_ERROR;
    }
    if (!r.body().empty() || !r.contentType().empty())
        ref.api->response_body(out, r.contentType().c_str(), r.body().data(), r.body().size());
    return VTP_OK;
}

inline void applyProblem(HostRef ref, vtp_response* out, const HttpError& e)
{
    for (const auto& [name, value] : e.headers()) ref.api->response_header(out, name.c_str(), value.c_str());
    ref.api->response_problem(out, e.status(), e.type().c_str(), e.title().c_str(), e.detail().c_str());
}

} // namespace detail

// A response finished later (ABI 1.6), handed out by Request::defer. Cheap to copy; thread-safe.
class Deferred {
public:
    Deferred() = default;
    Deferred(detail::HostRef ref, uint64_t id) : ref_(ref), id_(id) {}
    uint64_t id() const { return id_; }

    // Sends `response`. False if it had timed out, its client left, or it was completed already:
    // then nothing happens.
    bool complete(const Response& response) const
    {
        struct Ctx {
            detail::HostRef ref;
            const Response* r;
        } ctx{ref_, &response};
        return call(&ctx, [](void* c, vtp_response* out) {
            auto* x = static_cast<Ctx*>(c);
            std::string why;
            if (detail::applyResponse(x->ref, out, *x->r, why) != VTP_OK)
                x->ref.api->response_problem(out, 500, "internal-error", "Internal server error", why.c_str());
        });
    }
    // Sends a problem, as a handler that threw `error` would have answered.
    bool fail(const HttpError& error) const
    {
        struct Ctx {
            detail::HostRef ref;
            const HttpError* e;
        } ctx{ref_, &error};
        return call(&ctx, [](void* c, vtp_response* out) {
            auto* x = static_cast<Ctx*>(c);
            detail::applyProblem(x->ref, out, *x->e);
        });
    }

private:
    bool call(void* ctx, void (*fill)(void*, vtp_response*)) const
    {
        if (!id_ || !ref_.api || !VTP_HAS_FIELD(vtp_host_api, response_complete, ref_.api->struct_size)) return false;
        return ref_.api->response_complete(ref_.host, id_, fill, ctx) == VTP_OK;
    }
    detail::HostRef ref_{};
    uint64_t id_ = 0;
};

inline Deferred Request::defer(std::chrono::milliseconds timeout) const
{
    if (!response_ || !ref_.api || !VTP_HAS_FIELD(vtp_host_api, response_defer, ref_.api->struct_size) || !ref_.api->response_defer)
        throw std::logic_error("this answer cannot be deferred (a streamed route's finish, or a vtpd before ABI 1.6)");
    if (timeout.count() < 1 || timeout.count() > 3600 * 1000) throw std::invalid_argument("a deferred answer's timeout is 1 ms to 1 h");
    const uint64_t id = ref_.api->response_defer(response_, static_cast<uint32_t>(timeout.count()));
    if (!id) throw std::logic_error("the kernel refused to defer this answer (deferred twice?)");
    return Deferred(ref_, id);
}

using Handler = std::function<Response(const Request&)>;

// Stream (ABI 1.6): in pieces as it arrives, through Host::streamRoute (vtp/stream.hpp).
enum class Body : uint32_t {
    None = VTP_ROUTE_BODY_NONE,
    Json = VTP_ROUTE_BODY_JSON,
    Raw = VTP_ROUTE_BODY_RAW,
    Stream = VTP_ROUTE_BODY_STREAM
};

// A problem a route can answer, as the API description lists it (type is the slug given to
// the error, e.g. "not-found").
struct ProblemType {
    int status = 0;
    std::string type{};
};

// A query parameter a route reads (ABI 1.7), for the API description: {"limit", Query::Integer,
// "at most this many items (1-200, default 50)"}. The kernel neither requires nor refuses any;
// the handler validates (Request::queryInt, ...).
struct Query {
    enum Type : uint32_t { String = VTP_QUERY_STRING, Integer = VTP_QUERY_INTEGER, Boolean = VTP_QUERY_BOOLEAN };
    std::string name{};
    Type type = String;
    std::string description{};
    bool required = false;
};

// `filters` followed by a page's limit and cursor, as every list route of the in-tree plugins
// reads them (Request::queryInt("limit", defaultLimit, 1, maxLimit), and a next_cursor).
inline std::vector<Query> pageQuery(std::vector<Query> filters = {}, int64_t defaultLimit = 50, int64_t maxLimit = 200)
{
    filters.push_back({"limit", Query::Integer,
                       "at most this many items, 1 to " + std::to_string(maxLimit) + " (default " + std::to_string(defaultLimit) + ")"});
    filters.push_back({"cursor", Query::String, "the next_cursor of the previous page, unchanged"});
    return filters;
}

// Which other origins' pages may call a route (ABI 1.6); the kernel answers the preflights.
struct Cors {
    // Empty: the operator's http.cors_origins; {"*"}: any origin; else "https://app.example", ...
    std::vector<std::string> origins{};
    // Empty: the route's own method; else the methods callable across origins.
    std::vector<std::string> methods{};
    // Request headers a page may send besides the CORS-safelisted ones; "*": any.
    std::vector<std::string> headers{"authorization", "content-type"};
    // Response headers a page may read besides the safelisted ones ("etag", "content-range").
    std::vector<std::string> exposeHeaders{};
    // Access-Control-Allow-Credentials (cookies, TLS client certificates); never with "*".
    bool credentials = false;
    int64_t maxAgeSeconds = 600; // how long a browser reuses a preflight (at most 86400)
    bool off = false;            // this route: no CORS, whatever the plugin's default
    static Cors none()
    {
        Cors c;
        c.off = true;
        return c;
    }
};

// A route declaration: the kernel enforces `role` before the handler runs.
struct Route {
    std::string method{};
    std::string path{};
    std::string role = Role::Authenticated;
    std::string summary{};
    Body body = Body::None;
    size_t maxBodyBytes = 0;
    std::string requestSchema{};
    std::string responseSchema{};
    // Since ABI 1.5. The status a successful call answers (201 for a create, 204 for no content).
    int successStatus = 200;
    // The problems the handler can answer, for the API description: {{404, "not-found"}, ...}.
    std::vector<ProblemType> errors{};
    // Path parameters and query arguments that carry credentials: masked in the kernel's logs.
    std::vector<std::string> secretParams{};
    // Cache-Control for successful responses; empty: the kernel's default (no-store when a token is needed).
    std::string cacheControl{};
    // Since ABI 1.6. The handler answers with Response::file: the API description lists any media
    // type, 206, 304, 412 and 416 for it.
    bool answersFiles = false;
    // Since ABI 1.6. CORS for this route; unset: the plugin's default (Host::cors), if any.
    std::optional<Cors> cors{};
    // Since ABI 1.7. The query parameters the handler reads, for the API description.
    std::vector<Query> query{};
};

} // namespace vtp
