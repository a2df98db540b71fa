#pragma once

#include "http/Router.hpp"

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace vtp::kernel {

struct OpenApiInfo {
    std::string title = "VTP API";
    std::string version; // the server's version
    std::string description;
};

// A schema a route declared that is not a JSON Schema (object or boolean) in valid JSON.
struct SchemaProblem {
    std::string owner, method, pattern;
    std::string which; // "request" or "response"
    std::string reason;
};

// Builds an OpenAPI 3.1 document from the route registry: one operation per route with its
// path parameters, JSON request body, its success status (with the declared response schema;
// {"type":"string","contentMediaType":"text/calendar"} declares a non-JSON body), one problem
// response per error status listing the problem types it can carry (the kernel's own for this
// route, see kKernelProblems, and the ones the route declared), bearer security (optional on
// public routes), the role in x-vtp-role and the owner as its tag. An invalid declared schema
// becomes {} and is reported in `problems`. Deterministic: the same routes give the same text.
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
