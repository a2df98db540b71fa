#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vtp::kernel {

// Stream: handed to the plugin in pieces as it arrives (http/StreamedBody), never held whole.
enum class BodyKind { None, Json, Raw, Stream };

// A registered route. `handler` is opaque to the router (the host layer stores the plugin's
// C callback there); the router only matches.
struct CorsPolicy;
class CorsDefault;

// A query parameter a route reads, for the API description (the router ignores it).
struct QueryParamSpec {
    std::string name;
    std::string type = "string"; // "string", "integer" or "boolean": the OpenAPI schema type
    std::string description;
    bool required = false;
};

struct RouteSpec {
    std::string method;
    std::string pattern; // "/api/v1/rooms/{id}/chat"
    std::string role;    // "public", "authenticated", or a role name
    std::string summary;
    BodyKind body = BodyKind::None;
    size_t maxBodyBytes = 0; // 0: server default
    std::string requestSchema, responseSchema;
    int successStatus = 200;                               // what a successful call answers, for the API description
    std::vector<std::pair<int, std::string>> errors;       // problems the handler answers: {409, "email-taken"}
    std::vector<std::string> secretParams;                 // path parameters and query arguments masked in logs
    std::string cacheControl;                              // empty: the kernel's default
    bool answersFiles = false;                             // VTP_ROUTE_FILE: answers with files (206, 304, 412, 416; any media type)
    std::shared_ptr<const CorsPolicy> cors;                // the route's own CORS policy, or
    std::shared_ptr<const CorsDefault> pluginCors;         // its plugin's default (either may be null: no CORS)
    std::vector<QueryParamSpec> query;                     // the query parameters the handler reads
    std::vector<std::pair<int, std::string>> otherAnswers; // kernel routes: another JSON answer {503, "JSON Schema"}
    std::string owner;                                     // plugin name, or "kernel"
    const void* target = nullptr;                          // opaque to the router: what the host layer calls
};

struct RouteMatch {
    enum class Kind { Found, NotFound, MethodNotAllowed } kind = Kind::NotFound;
    std::shared_ptr<const RouteSpec> route;
    std::vector<std::pair<std::string, std::string>> params;
    std::vector<std::string> allowed; // for MethodNotAllowed (and HEAD/OPTIONS)
};

class RouteError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Method + path-pattern routing. Static segments win over parameters at each level, so
// /rooms/new beats /rooms/{id}. Thread-safe for concurrent match(); add/remove take a lock.
class Router {
public:
    Router();
    ~Router();

    // Methods: GET, POST, PUT, PATCH, DELETE and OPTIONS (HEAD is GET's). An OPTIONS route answers
    // plain OPTIONS requests only: HttpPipeline answers CORS preflights itself.
    // Throws RouteError for a malformed pattern, an unsupported method, or a duplicate
    // (same method and same shape, e.g. /a/{x} and /a/{y}).
    void add(RouteSpec spec);
    // Removes every route of one owner (a plugin that failed after registering).
    void removeOwner(std::string_view owner);

    // `path` is the raw path (percent-encoded); parameters are decoded. A path that does not
    // decode (bad %-escape, NUL) is NotFound.
    RouteMatch match(std::string_view method, std::string_view path) const;
    // The methods routes take on `path` (with HEAD where GET is), sorted; empty when none matches.
    std::vector<std::string> allowed(std::string_view path) const;

    std::vector<RouteSpec> routes() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Splits "/a/b/" into {"a","b"}; empty segments other than a trailing one make it invalid.
bool splitPath(std::string_view path, std::vector<std::string_view>& out);
// Percent-decodes; false on a malformed escape, a decoded NUL or a result that is not UTF-8.
bool percentDecode(std::string_view in, std::string& out);

} // namespace vtp::kernel
