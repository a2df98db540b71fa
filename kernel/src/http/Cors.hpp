#pragma once

#include "http/HttpTypes.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::kernel {

// Which other origins' pages may call a route (the Fetch standard's CORS protocol), as a plugin
// declared it for the route or for all of its routes (vtp_cors, ABI 1.6).
struct CorsPolicy {
    bool enabled = false;             // false: no CORS headers; a preflight is refused
    bool anyOrigin = false;           // "*"
    bool operatorOrigins = false;     // the plugin named none: http.cors_origins decides
    std::vector<std::string> origins; // lower-case "scheme://host[:port]"
    std::vector<std::string> methods; // upper-case; empty: the route's own method
    std::vector<std::string> headers; // request headers a page may send, lower-case
    bool anyHeader = false;           // "*": every request header
    std::string exposeHeaders;        // Access-Control-Expose-Headers, as sent
    bool credentials = false;
    int64_t maxAgeSeconds = 600;

    // From the C declaration's text fields (','-separated lists). nullopt and `error` when a field
    // is malformed, or credentials come with any origin (the Fetch standard refuses that pair).
    static std::optional<CorsPolicy> parse(bool off, bool credentials, const char* origins, const char* methods, const char* headers,
                                           const char* exposeHeaders, int64_t maxAgeSeconds, std::string& error);
};

// A plugin's default policy for its routes that declare none; set during init, read per request.
class CorsDefault {
public:
    std::shared_ptr<const CorsPolicy> get() const { return std::atomic_load(&policy_); }
    void set(std::shared_ptr<const CorsPolicy> p) { std::atomic_store(&policy_, std::move(p)); }

private:
    std::shared_ptr<const CorsPolicy> policy_;
};

// Whether a page from `origin` may call a route under `policy`; `operatorOrigins` is
// http.cors_origins, for policies that name no origins.
bool corsOriginAllowed(const CorsPolicy& policy, std::string_view origin, const std::vector<std::string>& operatorOrigins);

// The kernel's answer to a preflight (OPTIONS with Origin and Access-Control-Request-Method) for
// the route that `method` reaches: 204 with the Access-Control-Allow-* headers, or 403
// cors-refused saying what is not allowed.
HttpResponseData corsPreflight(const CorsPolicy* policy, const std::string& routeMethod, const IncomingRequest& request,
                               const std::vector<std::string>& operatorOrigins);

// Adds Access-Control-Allow-Origin (and -Credentials, -Expose-Headers) to the answer to a request
// with an allowed Origin, and Vary: Origin whenever the answer depends on the origin.
void addCorsHeaders(const CorsPolicy& policy, const std::string& routeMethod, const IncomingRequest& request,
                    const std::vector<std::string>& operatorOrigins, HeaderList& headers);

} // namespace vtp::kernel
