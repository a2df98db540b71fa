#include "http/Cors.hpp"

#include <algorithm>
#include <cctype>

namespace vtp::kernel {

namespace {

constexpr int64_t kDefaultMaxAge = 600;
constexpr int64_t kLongestMaxAge = 86400;

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> splitList(std::string_view text)
{
    std::vector<std::string_view> out;
    while (true) {
        const size_t comma = text.find(',');
        const auto item = trim(text.substr(0, comma));
        if (!item.empty()) out.push_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

// RFC 9110's token characters: a header name or a method.
bool isToken(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

// scheme "://" host [":" port], as a browser serialises an origin (no path, no user info).
bool isOrigin(std::string_view s)
{
    const size_t sep = s.find("://");
    if (sep == std::string_view::npos || sep == 0 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
    const auto scheme = s.substr(0, sep), authority = s.substr(sep + 3);
    const bool schemeOk = std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    });
    return schemeOk && !authority.empty() && authority.find_first_of("/?#@ \t") == std::string_view::npos;
}

bool methodAllowed(const CorsPolicy& p, const std::string& routeMethod)
{
    return p.methods.empty() || std::find(p.methods.begin(), p.methods.end(), routeMethod) != p.methods.end();
}

} // namespace

std::optional<CorsPolicy> CorsPolicy::parse(bool off, bool credentials, const char* origins, const char* methods, const char* headers,
                                            const char* exposeHeaders, int64_t maxAgeSeconds, std::string& error)
{
    CorsPolicy p;
    if (off) return p;
    p.enabled = true;
    p.credentials = credentials;
    const auto originList = splitList(origins ? origins : "");
    p.operatorOrigins = originList.empty();
    for (const auto o : originList) {
        if (o == "*" && originList.size() == 1) {
            p.anyOrigin = true;
        } else if (isOrigin(o)) {
            p.origins.push_back(lower(o));
        } else {
            error = "cors origin '" + std::string(o) + "' is not \"*\" alone or scheme://host[:port]";
            return std::nullopt;
        }
    }
    if (p.anyOrigin && p.credentials) {
        error = "cors: credentials with any origin (\"*\") would let every site act as the user; name the origins";
        return std::nullopt;
    }
    for (const auto m : splitList(methods ? methods : "")) {
        std::string up(m);
        std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (up != "GET" && up != "POST" && up != "PUT" && up != "PATCH" && up != "DELETE") {
            error = "cors method '" + std::string(m) + "' is not GET, POST, PUT, PATCH or DELETE";
            return std::nullopt;
        }
        p.methods.push_back(std::move(up));
    }
    for (const auto h : splitList(headers ? headers : "")) {
        if (h == "*") {
            p.anyHeader = true;
        } else if (isToken(h)) {
            p.headers.push_back(lower(h));
        } else {
            error = "cors header '" + std::string(h) + "' is not a header name";
            return std::nullopt;
        }
    }
    for (const auto h : splitList(exposeHeaders ? exposeHeaders : "")) {
        if (h != "*" && !isToken(h)) {
            error = "cors exposed header '" + std::string(h) + "' is not a header name";
            return std::nullopt;
        }
        p.exposeHeaders += (p.exposeHeaders.empty() ? "" : ", ") + std::string(h);
    }
    if (maxAgeSeconds < 0 || maxAgeSeconds > kLongestMaxAge) {
        error = "cors max_age_seconds must be from 0 (the default, 600) to " + std::to_string(kLongestMaxAge);
        return std::nullopt;
    }
    p.maxAgeSeconds = maxAgeSeconds == 0 ? kDefaultMaxAge : maxAgeSeconds;
    return p;
}

bool corsOriginAllowed(const CorsPolicy& p, std::string_view origin, const std::vector<std::string>& operatorOrigins)
{
    if (!p.enabled || origin.empty()) return false;
    if (p.anyOrigin) return true;
    // "null" (a sandboxed frame, a file: page) is nobody's origin: only "*" lets it in.
    if (origin == "null") return false;
    const std::string o = lower(origin);
    const auto& list = p.operatorOrigins ? operatorOrigins : p.origins;
    return std::any_of(list.begin(), list.end(), [&](const std::string& allowed) { return lower(allowed) == o; });
}

HttpResponseData corsPreflight(const CorsPolicy* policy, const std::string& routeMethod, const IncomingRequest& req,
                               const std::vector<std::string>& operatorOrigins)
{
    const std::string origin = req.header("origin") ? *req.header("origin") : std::string();
    auto refuse = [&](const std::string& detail) {
        auto r = makeProblem(403, "cors-refused", "Cross-origin request refused", detail, req.requestId);
        r.headers.emplace_back("Vary", "Origin");
        return r;
    };
    if (!policy || !policy->enabled) return refuse("this route allows no cross-origin requests");
    if (!corsOriginAllowed(*policy, origin, operatorOrigins)) return refuse("pages from " + origin + " may not call this route");
    if (!methodAllowed(*policy, routeMethod)) return refuse(routeMethod + " is not allowed across origins on this route");
    std::string allowHeaders;
    if (const auto* requested = req.header("access-control-request-headers")) {
        for (const auto name : splitList(*requested)) {
            const std::string h = lower(name);
            if (!policy->anyHeader && std::find(policy->headers.begin(), policy->headers.end(), h) == policy->headers.end())
                return refuse("the request header '" + h + "' is not allowed across origins on this route");
            allowHeaders += (allowHeaders.empty() ? "" : ", ") + h;
        }
    }
    HttpResponseData r;
    r.status = 204;
    const bool wildcard = policy->anyOrigin && !policy->credentials;
    r.headers.emplace_back("Access-Control-Allow-Origin", wildcard ? std::string("*") : origin);
    if (policy->credentials) r.headers.emplace_back("Access-Control-Allow-Credentials", "true");
    // The method asked for (a browser caches preflights per method); HEAD rides on GET.
    r.headers.emplace_back("Access-Control-Allow-Methods", routeMethod == "GET" ? std::string("GET, HEAD") : routeMethod);
    if (!allowHeaders.empty()) r.headers.emplace_back("Access-Control-Allow-Headers", allowHeaders);
    r.headers.emplace_back("Access-Control-Max-Age", std::to_string(policy->maxAgeSeconds));
    r.headers.emplace_back("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    return r;
}

void addCorsHeaders(const CorsPolicy& policy, const std::string& routeMethod, const IncomingRequest& req,
                    const std::vector<std::string>& operatorOrigins, HeaderList& headers)
{
    if (!policy.enabled) return;
    const bool wildcard = policy.anyOrigin && !policy.credentials;
    // A cache must not give one origin's answer (its Allow-Origin) to another.
    if (!wildcard) headers.emplace_back("Vary", "Origin");
    const std::string* origin = req.header("origin");
    if (!origin || !methodAllowed(policy, routeMethod) || !corsOriginAllowed(policy, *origin, operatorOrigins)) return;
    headers.emplace_back("Access-Control-Allow-Origin", wildcard ? std::string("*") : *origin);
    if (policy.credentials) headers.emplace_back("Access-Control-Allow-Credentials", "true");
    if (!policy.exposeHeaders.empty()) headers.emplace_back("Access-Control-Expose-Headers", policy.exposeHeaders);
}

} // namespace vtp::kernel
