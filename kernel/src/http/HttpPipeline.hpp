#pragma once

#include "http/HttpTypes.hpp"
#include "http/Router.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vtp::kernel {

class Logger;

struct HttpLimits {
    size_t maxBodyBytes = 1 << 20;   // default per route; a route may lower or raise it
    size_t maxHeaderBytes = 16 << 10;
    size_t maxQueryParams = 64;
};

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
    std::optional<HttpResponseData> early;  // set: answer this without reading the body
    std::shared_ptr<const RouteSpec> route;
    std::string path;                       // decoded
    std::vector<std::pair<std::string, std::string>> params, query;
    std::optional<Principal> principal;
    std::string contentType;                // media type, lower-case, no parameters
    size_t bodyLimit = 0;
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
    // prepare + complete on an in-memory body (tests, fuzzing).
    HttpResponseData handle(IncomingRequest& request, std::string_view body);

private:
    Router& router_;
    HttpLimits limits_;
    Logger& log_;
    std::atomic<Authenticator*> auth_{nullptr};
};

// "application/json; charset=utf-8" -> "application/json"
std::string mediaType(std::string_view contentType);
bool isJsonMediaType(std::string_view mediaType);
// Parses a query string into decoded pairs ('+' is a space); false if malformed or too many.
bool parseQuery(std::string_view query, size_t maxParams, std::vector<std::pair<std::string, std::string>>& out);
// Checks a JSON text; on failure `where` says what broke and where (line, column).
bool validateJson(std::string_view text, std::string& where);

} // namespace vtp::kernel
