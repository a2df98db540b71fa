#pragma once

#include "vtp/abi.h"
#include "vtp/errors.hpp"
#include "vtp/json.hpp"

#include <functional>
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

// A view of the request the kernel has routed, authenticated and authorised. Valid only
// during the handler call.
class Request {
public:
    explicit Request(const vtp_request* r) : r_(r) {}

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
            throw BadRequest("query parameter '" + std::string(name) + "' must be an integer from " +
                             std::to_string(lo) + " to " + std::to_string(hi), "invalid-parameter");
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
    static Response noContent() { Response r; r.status_ = 204; return r; }
    static Response created(const Json& body, std::string location = {})
    {
        Response r = json(body, 201);
        if (!location.empty()) r.header("Location", std::move(location));
        return r;
    }

    Response& header(std::string name, std::string value)
    {
        headers_.emplace_back(std::move(name), std::move(value));
        return *this;
    }
    Response& status(int s) { status_ = s; return *this; }

    int status() const { return status_; }
    const std::string& contentType() const { return contentType_; }
    const std::string& body() const { return body_; }
    const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

private:
    int status_ = 200;
    std::string contentType_;
    std::string body_;
    std::vector<std::pair<std::string, std::string>> headers_;
};

using Handler = std::function<Response(const Request&)>;

// Stream (ABI 1.6): in pieces as it arrives, through Host::streamRoute (vtp/stream.hpp).
enum class Body : uint32_t { None = VTP_ROUTE_BODY_NONE, Json = VTP_ROUTE_BODY_JSON, Raw = VTP_ROUTE_BODY_RAW, Stream = VTP_ROUTE_BODY_STREAM };

// A problem a route can answer, as the API description lists it (type is the slug given to
// the error, e.g. "not-found").
struct ProblemType {
    int status = 0;
    std::string type{};
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
};

} // namespace vtp
