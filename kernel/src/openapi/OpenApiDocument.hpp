#pragma once

#include "http/Router.hpp"

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace vtp::kernel {

struct OpenApiInfo {
    std::string title = "VTP API";
    std::string version;     // the server's version
    std::string description;
};

// A schema a route declared that is not a JSON Schema (object or boolean) in valid JSON.
struct SchemaProblem {
    std::string owner, method, pattern;
    std::string which;  // "request" or "response"
    std::string reason;
};

// Builds an OpenAPI 3.1 document from the route registry: one operation per route with its
// path parameters, JSON request body, 200 response (with the declared schema), the problem
// responses the kernel may answer for it, bearer security for non-public routes, the role in
// x-vtp-role and the owner as its tag. An invalid declared schema becomes {} and is reported
// in `problems`. Deterministic: the same routes give the same text.
std::string buildOpenApiDocument(const std::vector<RouteSpec>& routes, const OpenApiInfo& info,
                                 std::vector<SchemaProblem>* problems = nullptr);

// "GET" + "/api/v1/rooms/{id}/chat" -> "getApiV1RoomsByIdChat".
std::string operationIdFor(const std::string& method, const std::string& pattern);

// The document for the router's current routes, rebuilt only when they changed. Thread-safe.
class OpenApiCache {
public:
    using ProblemSink = std::function<void(const SchemaProblem&)>;
    // `onProblem` is called for each invalid schema each time the document is rebuilt.
    OpenApiCache(const Router& router, OpenApiInfo info, ProblemSink onProblem = {});
    std::string document();

private:
    const Router& router_;
    OpenApiInfo info_;
    ProblemSink onProblem_;
    std::mutex mutex_;
    std::string fingerprint_;
    std::string document_;
};

} // namespace vtp::kernel
