#pragma once

#include "openapi/OpenApiDocument.hpp"
#include "vtp/abi.h"

namespace vtp::kernel {

class KernelRoutes;
class Router;

// The API's description, served: GET /api/v1/openapi.json (public; the document for the routes
// registered now, rebuilt when they change) and GET /api/v1/admin/routes (admin; the plain list:
// method, path, role, owner, summary).
class OpenApiRoutes {
public:
    // `onProblem` is called for each invalid schema a route declared, each time the document is built.
    OpenApiRoutes(const Router& router, OpenApiInfo info, OpenApiCache::ProblemSink onProblem);
    OpenApiRoutes(const OpenApiRoutes&) = delete;
    OpenApiRoutes& operator=(const OpenApiRoutes&) = delete;

    // Adds both routes; this object must outlive the router's use of them.
    void addTo(KernelRoutes& routes);
    // Builds the document now, so that an invalid schema a plugin declared is reported at startup
    // rather than on the first request.
    void check();

private:
    static int serveOpenApi(void* self, const vtp_request* request, vtp_response* response);
    static int serveRoutes(void* self, const vtp_request* request, vtp_response* response);

    const Router& router_;
    OpenApiCache cache_;
};

} // namespace vtp::kernel
