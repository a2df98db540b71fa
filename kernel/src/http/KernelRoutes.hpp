#pragma once

#include "http/HttpTypes.hpp" // vtp_response, which handlers fill
#include "http/Router.hpp"
#include "vtp/abi.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::kernel {

// The small request/response layer the kernel's own routes are written on (health, jobs,
// webhooks, metrics, the API description, log levels): registration, parameters, JSON bodies
// and answers, problems, paging. Plugins have the SDK's C++ layer for the same.

// The kernel's routes (owner "kernel") and the targets the router calls. It must outlive the
// router's use of them.
class KernelRoutes {
public:
    explicit KernelRoutes(Router& router) : router_(router) {}
    KernelRoutes(const KernelRoutes&) = delete;
    KernelRoutes& operator=(const KernelRoutes&) = delete;

    // Registers `spec` (its owner set to "kernel"); the router calls `handler(userData, ...)`.
    void add(RouteSpec spec, vtp_route_handler handler, void* userData);
    Router& router() { return router_; }

private:
    Router& router_;
    std::vector<std::unique_ptr<vtp_route>> targets_;
};

// A route's description: method, path pattern, role, summary and its success answer's schema.
RouteSpec kernelRoute(const char* method, const char* pattern, const char* role, const char* summary, const char* responseSchema = "");

// The query parameters of a page of a list (limitParam's limit, and cursor), for the API description.
std::vector<QueryParamSpec> pageQuery(int64_t defaultLimit, int64_t maxLimit);

// A path parameter ({id}) or query argument; null when absent, "" when it has no value.
const char* pathParam(const vtp_request* request, const char* name);
const char* queryParam(const vtp_request* request, const char* name);
// Who called ("" for no token), and whether the token carries `role`.
std::string subjectOf(const vtp_request* request);
bool hasRole(const vtp_request* request, std::string_view role);
// The body as a JSON object, or null if it is not one. The route's maxBodyBytes and the
// pipeline's JSON check (BodyKind::Json) have bounded it already.
Poco::JSON::Object::Ptr jsonObjectBody(const vtp_request* request);

std::string toJson(const Poco::JSON::Object& object);
// Each answers and returns VTP_OK, so that a handler can `return answerJson(...)`.
int answerJson(vtp_response* response, int status, std::string body);
int answerJson(vtp_response* response, int status, const Poco::JSON::Object& body);
// An application/problem+json answer whose instance is the request's id.
int answerProblem(vtp_response* response, int status, std::string_view type, std::string_view title, std::string_view detail);

// Paging: ?limit= from 1 to `maxLimit` (`defaultLimit` when absent) into `limit`; false after
// answering 400 invalid-parameter with `detail`.
bool limitParam(const vtp_request* request, vtp_response* response, int64_t defaultLimit, int64_t maxLimit, std::string_view detail,
                int64_t& limit);
// The 400 for a ?cursor= that is not a next_cursor this API gave.
int answerInvalidCursor(vtp_response* response);

} // namespace vtp::kernel
