#include "openapi/OpenApiRoutes.hpp"

#include "http/KernelRoutes.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <tuple>

namespace vtp::kernel {

namespace {

constexpr const char* kDocumentSchema =
    R"({"type":"object","required":["openapi","info","paths"],"properties":{"openapi":{"const":"3.1.0"},"info":{"type":"object"},"paths":{"type":"object"}}})";
constexpr const char* kRoutesSchema =
    R"({"type":"object","properties":{"routes":{"type":"array","items":{"type":"object","properties":{"method":{"type":"string"},"path":{"type":"string"},"role":{"type":"string"},"owner":{"type":"string"},"summary":{"type":"string"}}}}},"required":["routes"]})";

} // namespace

OpenApiRoutes::OpenApiRoutes(const Router& router, OpenApiInfo info, OpenApiCache::ProblemSink onProblem)
    : router_(router), cache_(router, std::move(info), std::move(onProblem))
{
}

void OpenApiRoutes::addTo(KernelRoutes& routes)
{
    routes.add(kernelRoute("GET", "/api/v1/openapi.json", VTP_ROLE_PUBLIC, "This API description (OpenAPI 3.1)", kDocumentSchema),
               serveOpenApi, this);
    routes.add(kernelRoute("GET", "/api/v1/admin/routes", "admin", "Every registered route: method, path, role, owner", kRoutesSchema),
               serveRoutes, this);
}

void OpenApiRoutes::check()
{
    cache_.document();
}

int OpenApiRoutes::serveOpenApi(void* self, const vtp_request*, vtp_response* response)
{
    return answerJson(response, 200, static_cast<OpenApiRoutes*>(self)->cache_.document());
}

int OpenApiRoutes::serveRoutes(void* self, const vtp_request*, vtp_response* response)
{
    auto routes = static_cast<OpenApiRoutes*>(self)->router_.routes();
    std::sort(routes.begin(), routes.end(),
              [](const RouteSpec& a, const RouteSpec& b) { return std::tie(a.pattern, a.method) < std::tie(b.pattern, b.method); });
    Poco::JSON::Array list;
    for (const auto& r : routes) {
        Poco::JSON::Object o;
        o.set("method", r.method);
        o.set("path", r.pattern);
        o.set("role", r.role);
        o.set("owner", r.owner);
        o.set("summary", r.summary);
        list.add(o);
    }
    Poco::JSON::Object body;
    body.set("routes", list);
    return answerJson(response, 200, body);
}

} // namespace vtp::kernel
