#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "http/HttpTypes.hpp"
#include "http/Router.hpp"
#include "vtp/abi.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vtp::kernel {

class Logger;
class DeferredResponses;

// A client address range: an exact address, or a CIDR block ("10.0.0.0/8", "::1/128").
struct AddressRange {
    std::array<unsigned char, 16> bytes{}; // IPv4 as an IPv4-mapped IPv6 address
    unsigned prefixBits = 128;
    static std::optional<AddressRange> parse(std::string_view text);
    bool contains(std::string_view address) const;
};

struct HttpLimits {
    size_t maxBodyBytes = 1 << 20; // default per route; a route may lower or raise it
    size_t maxHeaderBytes = 16 << 10;
    size_t maxQueryParams = 64;
    // Reverse proxies whose X-Forwarded-For is believed: the client is the rightmost address in
    // it that is not itself a trusted proxy. Empty: the peer address is the client.
    std::vector<AddressRange> trustedProxies;
    // Strict-Transport-Security max-age on responses to requests that came over TLS (through a
    // trusted proxy that says X-Forwarded-Proto: https); 0: never sent.
    int64_t hstsMaxAgeSeconds = 0;
    // http.cors_origins: the origins that routes enabling CORS without naming origins admit.
    std::vector<std::string> corsOrigins;
};

// What every response carries, whoever made it (the HTTP port and plain HTTP on the socket
// port): X-Content-Type-Options, Referrer-Policy and a Content-Security-Policy that loads nothing,
// and Cache-Control: no-store when `noStore`; each unless `headers` (names in any case) has it.
void addSecurityHeaders(HeaderList& headers, bool noStore);
// The path of `target` with each segment that `pattern` names by a parameter in `secret`
// replaced by "***" (the calendar feed's /api/v1/calendar/{file} shows as /api/v1/calendar/***).
std::string maskPath(std::string_view target, std::string_view pattern, const std::vector<std::string>& secret);

// The client's address for a request from `peer` with `forwardedFor` (X-Forwarded-For, possibly
// null): `peer` unless it is a trusted proxy.
std::string clientAddress(const std::string& peer, const std::string* forwardedFor, const std::vector<AddressRange>& trusted);

struct Principal {
    std::string subject;
    std::vector<std::string> roles;
};

// Checks bearer tokens; the host layer implements it over the verifier service a plugin offers.
class Authenticator {
public:
    virtual ~Authenticator() = default;
    virtual bool available() const = 0;
    virtual bool verify(std::string_view token, Principal& out, std::string& reason) = 0;
};

struct PreparedRequest {
    std::optional<HttpResponseData> early; // set: answer this without reading the body
    std::shared_ptr<const RouteSpec> route;
    std::string path; // decoded
    std::vector<std::pair<std::string, std::string>> params, query;
    std::optional<Principal> principal;
    std::string contentType; // media type, lower-case, no parameters
    size_t bodyLimit = 0;
    bool preflight = false; // a CORS preflight, answered by the kernel (early) for `route`
};

// The C view of a request handed to a plugin: every pointer in `c` lives as long as this object
// and the request and prepared request it was made from.
struct RequestView {
    RequestView(const IncomingRequest& request, const PreparedRequest& prepared, std::string_view body);
    RequestView(const RequestView&) = delete;
    RequestView& operator=(const RequestView&) = delete;
    std::vector<vtp_kv> params, query, headers;
    std::vector<const char*> roles;
    std::string bodyCopy; // NUL-terminated for C readers
    vtp_request c{};
};

// Everything between a parsed request head and a response, independent of sockets, so that
// it can be unit-tested and fuzzed: request id, limits, routing, authentication and
// authorisation, body rules (411/413/415/400) and the call into the plugin.
class HttpPipeline {
public:
    HttpPipeline(Router& router, HttpLimits limits, Logger& log);

    void setAuthenticator(Authenticator* auth) { auth_.store(auth); }
    const HttpLimits& limits() const { return limits_; }

    PreparedRequest prepare(IncomingRequest& request);
    // `body` is complete and within prepared.bodyLimit (the caller answers 413 otherwise).
    HttpResponseData complete(const IncomingRequest& request, PreparedRequest& prepared, std::string_view body);
    // Calls the route's handler with `c`; a failed call or an invalid status becomes a 500.
    // `deferrable`: the handler may finish later (response_defer), when setDeferrals gave where to.
    HttpResponseData callHandler(const IncomingRequest& request, const PreparedRequest& prepared, const vtp_request& c,
                                 bool deferrable = true);
    // Where deferred answers go (the HTTP server's); null: handlers cannot defer.
    void setDeferrals(DeferredResponses* deferrals) { deferrals_.store(deferrals); }
    // What a plugin callback that returned `rc` having filled `response` answers (a 500 for a failure).
    HttpResponseData checkedResponse(const IncomingRequest& request, const PreparedRequest& prepared, int rc, vtp_response& response);
    Logger& log() const { return log_; }
    // Adds the headers every response carries (addSecurityHeaders), the route's Cache-Control
    // (or no-store for anything that needed a token) and HSTS when the request came over TLS.
    // Call it on every response to a request that went through prepare().
    void finish(const IncomingRequest& request, const PreparedRequest& prepared, HttpResponseData& response) const;
    // prepare + complete + finish on an in-memory body (tests, fuzzing); a streamed route's body
    // goes to the plugin as one piece.
    HttpResponseData handle(IncomingRequest& request, std::string_view body);

private:
    HttpResponseData streamWhole(const IncomingRequest& request, PreparedRequest& prepared, std::string_view body);

    Router& router_;
    HttpLimits limits_;
    Logger& log_;
    std::atomic<Authenticator*> auth_{nullptr};
    std::atomic<DeferredResponses*> deferrals_{nullptr};
};

// "application/json; charset=utf-8" -> "application/json"
std::string mediaType(std::string_view contentType);
bool isJsonMediaType(std::string_view mediaType);
// Parses a query string into decoded pairs ('+' is a space); false if malformed or too many.
bool parseQuery(std::string_view query, size_t maxParams, std::vector<std::pair<std::string, std::string>>& out);
// Checks a JSON text; on failure `where` says what broke and where (line, column).
bool validateJson(std::string_view text, std::string& where);

} // namespace vtp::kernel
