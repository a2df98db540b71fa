#include "http/HttpPipeline.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <ctime>

#include "http/Cors.hpp"
#include "http/DeferredResponses.hpp"
#include "http/FileResponse.hpp"
#include "http/JsonCheck.hpp"
#include "http/StreamedBody.hpp"
#include "ids/Uuid.hpp"
#include "log/Logger.hpp"
#include "vtp/abi.h"

#include <algorithm>
#include <cctype>

namespace vtp::kernel {

namespace {

bool validRequestId(std::string_view id)
{
    if (id.empty() || id.size() > 128) return false;
    return std::all_of(id.begin(), id.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; });
}

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool hasRole(const Principal& p, std::string_view role)
{
    // admin holds every named role: an operator never locks themselves out of a plugin's admin route.
    return std::any_of(p.roles.begin(), p.roles.end(), [&](const std::string& r) { return r == role || r == "admin"; });
}

// A body-less route still reads this many bytes, enough for `{}` padded with white space.
constexpr size_t kEmptyBodyBytes = 64;

bool isEmptyObject(std::string_view body)
{
    const auto skip = [&](size_t i) {
        while (i < body.size() && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) ++i;
        return i;
    };
    size_t i = skip(0);
    if (i == body.size()) return true; // only white space
    if (body[i] != '{') return false;
    i = skip(i + 1);
    if (i == body.size() || body[i] != '}') return false;
    return skip(i + 1) == body.size();
}

HttpResponseData bodyNotAllowed(std::string_view instance)
{
    return makeProblem(400, "body-not-allowed", "Request body not allowed",
                       "this route takes no input: send no body, or an empty JSON object {}", instance);
}

// The I-JSON check's verdict on a body as a problem: syntax and duplicate members are 400s,
// a number no 64-bit integer or double holds is 422 (well-formed, but no value of any field).
std::optional<HttpResponseData> jsonBodyProblem(std::string_view body, std::string_view instance)
{
    const auto r = checkJson(body);
    switch (r.kind) {
    case JsonCheckResult::Kind::Ok: {
        // RFC 8259 allows a bare scalar, but no route takes one, and the SDK's parser (Poco's)
        // refuses it with a message that names Poco rather than the request.
        const auto first = body.find_first_not_of(" \t\r\n");
        if (first == std::string_view::npos || body[first] == '{' || body[first] == '[') return std::nullopt;
        return makeProblem(400, "malformed-json", "Malformed JSON", "a request body must be a JSON object or array, not a bare value",
                           instance);
    }
    case JsonCheckResult::Kind::DuplicateKey: return makeProblem(400, "duplicate-member", "Duplicate member in JSON", r.message, instance);
    case JsonCheckResult::Kind::NumberRange: return makeProblem(422, "number-out-of-range", "Number out of range", r.message, instance);
    case JsonCheckResult::Kind::Syntax: break;
    }
    return makeProblem(400, "malformed-json", "Malformed JSON", r.message, instance);
}

HttpResponseData unauthorized(std::string_view detail, std::string_view instance)
{
    auto r = makeProblem(401, "unauthorized", "Unauthorized", detail, instance);
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
}

bool hasHeader(const HeaderList& headers, std::string_view lowerName)
{
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return h.first.size() == lowerName.size() && lower(h.first) == lowerName; });
}
bool hasHeader(const HttpResponseData& r, std::string_view lowerName)
{
    return hasHeader(r.headers, lowerName);
}

// X-Forwarded-Proto as the nearest proxy set it (the last of a list some proxies append to).
bool forwardedOverTls(const IncomingRequest& req)
{
    const std::string* proto = req.header("x-forwarded-proto");
    if (!proto) return false;
    std::string_view last(*proto);
    if (const auto comma = last.rfind(','); comma != std::string_view::npos) last.remove_prefix(comma + 1);
    while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
    while (!last.empty() && (last.back() == ' ' || last.back() == '\t')) last.remove_suffix(1);
    return lower(last) == "https";
}

// The route's own CORS policy, else its plugin's default; null: none.
std::shared_ptr<const CorsPolicy> corsOf(const RouteSpec& route)
{
    if (route.cors) return route.cors;
    return route.pluginCors ? route.pluginCors->get() : nullptr;
}

} // namespace

void addSecurityHeaders(HeaderList& headers, bool noStore)
{
    // A browser must not guess a type (a JSON body taken for HTML), leak our URLs (a calendar
    // feed's secret) to another site, or load anything on behalf of an API response or frame it.
    if (!hasHeader(headers, "x-content-type-options")) headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (!hasHeader(headers, "referrer-policy")) headers.emplace_back("Referrer-Policy", "no-referrer");
    if (!hasHeader(headers, "content-security-policy"))
        headers.emplace_back("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    if (noStore && !hasHeader(headers, "cache-control")) headers.emplace_back("Cache-Control", "no-store");
}

std::string maskPath(std::string_view target, std::string_view pattern, const std::vector<std::string>& secret)
{
    const std::string_view path = target.substr(0, target.find('?'));
    std::vector<std::string_view> segments, names;
    if (secret.empty() || !splitPath(path, segments) || !splitPath(pattern, names)) return std::string(path);
    std::string out;
    for (size_t i = 0; i < segments.size(); ++i) {
        out += '/';
        const std::string_view name = i < names.size() ? names[i] : std::string_view();
        const bool isSecret = name.size() > 2 && name.front() == '{' && name.back() == '}' &&
                              std::find(secret.begin(), secret.end(), name.substr(1, name.size() - 2)) != secret.end();
        out += isSecret ? std::string_view("***") : segments[i];
    }
    if (out.empty() || path.back() == '/') out += '/';
    return out;
}

std::string mediaType(std::string_view contentType)
{
    const auto semi = contentType.find(';');
    std::string_view t = contentType.substr(0, semi);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
    return lower(t);
}

bool isJsonMediaType(std::string_view m)
{
    return m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"));
}

bool parseQuery(std::string_view query, size_t maxParams, std::vector<std::pair<std::string, std::string>>& out)
{
    out.clear();
    size_t pos = 0;
    while (pos <= query.size() && !query.empty()) {
        const size_t amp = query.find('&', pos);
        const auto part = query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
        if (!part.empty()) {
            if (out.size() >= maxParams) return false;
            const auto eq = part.find('=');
            std::string k(part.substr(0, eq)), v(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
            std::replace(k.begin(), k.end(), '+', ' ');
            std::replace(v.begin(), v.end(), '+', ' ');
            std::string dk, dv;
            if (!percentDecode(k, dk) || !percentDecode(v, dv)) return false;
            out.emplace_back(std::move(dk), std::move(dv));
        }
        if (amp == std::string_view::npos) break;
        pos = amp + 1;
    }
    return true;
}

bool validateJson(std::string_view text, std::string& where)
{
    const auto r = checkJson(text);
    if (!r.ok) where = r.message;
    return r.ok;
}

std::optional<AddressRange> AddressRange::parse(std::string_view text)
{
    AddressRange r;
    std::string address(text);
    unsigned bits = 0;
    bool hasPrefix = false;
    if (const auto slash = address.find('/'); slash != std::string::npos) {
        const std::string prefix = address.substr(slash + 1);
        if (prefix.empty() || prefix.size() > 3 || prefix.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
        bits = static_cast<unsigned>(std::stoul(prefix));
        hasPrefix = true;
        address.resize(slash);
    }
    in_addr v4{};
    in6_addr v6{};
    if (::inet_pton(AF_INET, address.c_str(), &v4) == 1) {
        if (hasPrefix && bits > 32) return std::nullopt;
        r.bytes[10] = r.bytes[11] = 0xff;
        std::memcpy(r.bytes.data() + 12, &v4, 4);
        r.prefixBits = hasPrefix ? 96 + bits : 128;
    } else if (::inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
        if (hasPrefix && bits > 128) return std::nullopt;
        std::memcpy(r.bytes.data(), &v6, 16);
        r.prefixBits = hasPrefix ? bits : 128;
    } else {
        return std::nullopt;
    }
    return r;
}

bool AddressRange::contains(std::string_view address) const
{
    const auto other = parse(address);
    if (!other) return false;
    for (unsigned i = 0; i < prefixBits; ++i) {
        const unsigned byte = i / 8, bit = 7 - i % 8;
        if (((bytes[byte] >> bit) & 1) != ((other->bytes[byte] >> bit) & 1)) return false;
    }
    return true;
}

std::string clientAddress(const std::string& peer, const std::string* forwardedFor, const std::vector<AddressRange>& trusted)
{
    auto isTrusted = [&](std::string_view a) {
        for (const auto& r : trusted)
            if (r.contains(a)) return true;
        return false;
    };
    if (trusted.empty() || !forwardedFor || !isTrusted(peer)) return peer;
    // Walk X-Forwarded-For from the right: each trusted hop vouches for the one before it.
    std::string_view list(*forwardedFor);
    while (!list.empty()) {
        const size_t comma = list.rfind(',');
        std::string_view hop = comma == std::string_view::npos ? list : list.substr(comma + 1);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
        while (!hop.empty() && (hop.front() == ' ' || hop.front() == '\t')) hop.remove_prefix(1);
        while (!hop.empty() && (hop.back() == ' ' || hop.back() == '\t')) hop.remove_suffix(1);
        if (!AddressRange::parse(hop)) return peer; // garbage: believe nothing in it
        if (!isTrusted(hop)) return std::string(hop);
    }
    return peer;
}

HttpPipeline::HttpPipeline(Router& router, HttpLimits limits, Logger& log) : router_(router), limits_(limits), log_(log) {}

PreparedRequest HttpPipeline::prepare(IncomingRequest& req)
{
    PreparedRequest p;
    if (const auto* id = req.header("x-request-id"); id && validRequestId(*id))
        req.requestId = *id;
    else
        req.requestId = randomUuid();
    const std::string& rid = req.requestId;

    req.logPath = req.target.substr(0, req.target.find('?'));
    if (!limits_.trustedProxies.empty()) {
        // Only a trusted proxy says how the client reached it; anyone else's X-Forwarded-Proto is ignored.
        req.secure = forwardedOverTls(req) && std::any_of(limits_.trustedProxies.begin(), limits_.trustedProxies.end(),
                                                          [&](const AddressRange& r) { return r.contains(req.remoteAddress); });
        req.remoteAddress = clientAddress(req.remoteAddress, req.header("x-forwarded-for"), limits_.trustedProxies);
    }

    // A request line that alone breaks the limit is 414 (RFC 9112 section 3); the whole head, 431.
    if (req.method.size() + req.target.size() > limits_.maxHeaderBytes) {
        p.early = makeProblem(414, "uri-too-long", "URI too long",
                              "the request target is " + std::to_string(req.target.size()) + " bytes; the limit is " +
                                  std::to_string(limits_.maxHeaderBytes) + " with the method and headers",
                              rid);
        p.early->closeConnection = true;
        return p;
    }
    size_t headerBytes = req.method.size() + req.target.size();
    for (const auto& [k, v] : req.headers) headerBytes += k.size() + v.size() + 4;
    if (headerBytes > limits_.maxHeaderBytes) {
        p.early = makeProblem(
            431, "headers-too-large", "Request header fields too large",
            "the request head is " + std::to_string(headerBytes) + " bytes; the limit is " + std::to_string(limits_.maxHeaderBytes), rid);
        p.early->closeConnection = true;
        return p;
    }

    const auto q = req.target.find('?');
    const std::string_view rawPath = std::string_view(req.target).substr(0, q);
    if (rawPath.empty() || rawPath[0] != '/') {
        p.early = makeProblem(400, "bad-request-target", "Bad request target", "the request target must be an absolute path", rid);
        return p;
    }
    // Matched before the path and query are checked, so that a refused request on a route with
    // secret parameters (a feed URL with a malformed query) is logged masked too.
    auto m = router_.match(req.method, rawPath);
    if (m.kind == RouteMatch::Kind::Found && !m.route->secretParams.empty())
        req.logPath = maskPath(req.target, m.route->pattern, m.route->secretParams);
    if (!percentDecode(rawPath, p.path)) {
        p.early = makeProblem(400, "bad-request-target", "Bad request target",
                              "the path has a malformed percent-escape, or is not UTF-8 once decoded", rid);
        return p;
    }
    if (q != std::string::npos && !parseQuery(std::string_view(req.target).substr(q + 1), limits_.maxQueryParams, p.query)) {
        p.early = makeProblem(400, "bad-query", "Bad query string",
                              "the query is malformed (a bad percent-escape, or not UTF-8 once decoded) or has more than " +
                                  std::to_string(limits_.maxQueryParams) + " parameters",
                              rid);
        return p;
    }

    // A CORS preflight is the kernel's to answer, for the route the announced method reaches,
    // before authentication (a browser sends no credentials with it).
    if (const auto* announced = req.header("access-control-request-method"); announced && req.method == "OPTIONS" && req.header("origin")) {
        auto target = router_.match(*announced, rawPath);
        if (target.kind == RouteMatch::Kind::Found) {
            p.route = target.route;
            p.preflight = true;
            if (!p.route->secretParams.empty()) req.logPath = maskPath(req.target, p.route->pattern, p.route->secretParams);
            const auto policy = corsOf(*p.route);
            p.early = corsPreflight(policy.get(), p.route->method, req, limits_.corsOrigins);
            return p;
        }
        // Nor does a plugin's OPTIONS route answer a preflight for a method the path lacks: that
        // stays the router's 405, as on a path without one.
        if (m.kind == RouteMatch::Kind::Found) m = RouteMatch{RouteMatch::Kind::MethodNotAllowed, nullptr, {}, router_.allowed(rawPath)};
    }

    if (m.kind == RouteMatch::Kind::NotFound) {
        p.early = makeProblem(404, "not-found", "Not found", "no route matches " + p.path, rid);
        return p;
    }
    if (m.kind == RouteMatch::Kind::MethodNotAllowed) {
        std::string allow;
        for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
        p.early = makeProblem(405, "method-not-allowed", "Method not allowed", req.method + " is not allowed on " + p.path, rid);
        p.early->headers.emplace_back("Allow", allow);
        return p;
    }
    p.route = m.route;
    p.params = std::move(m.params);
    const RouteSpec& route = *p.route;

    // Authenticate: a public route still learns who called it when a valid token comes along.
    Authenticator* auth = auth_.load();
    const std::string* authz = req.header("authorization");
    std::string token;
    if (authz && authz->size() > 7 && lower(std::string_view(*authz).substr(0, 7)) == "bearer ") token = authz->substr(7);
    if (route.role != VTP_ROLE_PUBLIC) {
        if (!auth || !auth->available()) {
            p.early = unauthorized("no authentication provider is enabled on this server", rid);
            return p;
        }
        if (token.empty()) {
            p.early = unauthorized("this route needs a bearer token", rid);
            return p;
        }
        Principal principal;
        std::string reason;
        if (!auth->verify(token, principal, reason)) {
            p.early = unauthorized(reason.empty() ? "invalid token" : reason, rid);
            return p;
        }
        if (route.role != VTP_ROLE_AUTHENTICATED && !hasRole(principal, route.role)) {
            p.early = makeProblem(403, "forbidden", "Forbidden", "this route needs the role '" + route.role + "'", rid);
            return p;
        }
        p.principal = std::move(principal);
    } else if (!token.empty() && auth && auth->available()) {
        Principal principal;
        std::string reason;
        if (auth->verify(token, principal, reason)) p.principal = std::move(principal);
    }

    // Body rules, checked before a byte of the body is read.
    p.bodyLimit = route.body == BodyKind::None ? 0 : (route.maxBodyBytes ? route.maxBodyBytes : limits_.maxBodyBytes);
    const bool hasBody = req.chunked || (req.contentLength && *req.contentLength > 0);
    if (const auto* ct = req.header("content-type")) p.contentType = mediaType(*ct);
    if (route.body == BodyKind::None) {
        // Clients commonly send `{}` with a POST that needs no input: read a few bytes to see.
        if (hasBody && req.contentLength.value_or(0) > kEmptyBodyBytes) {
            p.early = bodyNotAllowed(rid);
            p.early->closeConnection = true;
        } else if (hasBody) {
            p.bodyLimit = kEmptyBodyBytes;
        }
        return p;
    }
    // Neither header means no body (RFC 9112 6.3). Browsers send a bodyless PATCH or DELETE so
    // (Fetch adds Content-Length: 0 only to POST and PUT): tus-js-client's last PATCH of a
    // deferred-length upload is one. A POST or PUT without either is a client that forgot it.
    if (!req.chunked && !req.contentLength && (req.method == "POST" || req.method == "PUT")) {
        p.early = makeProblem(411, "length-required", "Length required", "send Content-Length or a chunked body", rid);
        p.early->closeConnection = true;
        return p;
    }
    if (req.contentLength && *req.contentLength > p.bodyLimit) {
        p.early = makeProblem(
            413, "body-too-large", "Content too large",
            "the body is " + std::to_string(*req.contentLength) + " bytes; this route accepts at most " + std::to_string(p.bodyLimit), rid);
        p.early->closeConnection = true;
        return p;
    }
    if (route.body == BodyKind::Json && !isJsonMediaType(p.contentType)) {
        p.early = makeProblem(
            415, "unsupported-media-type", "Unsupported media type",
            "this route takes application/json, not '" + (p.contentType.empty() ? std::string("(none)") : p.contentType) + "'", rid);
        p.early->headers.emplace_back("Accept-Post", "application/json");
        p.early->closeConnection = true;
        return p;
    }
    return p;
}

HttpResponseData HttpPipeline::complete(const IncomingRequest& req, PreparedRequest& p, std::string_view body)
{
    const std::string& rid = req.requestId;
    const RouteSpec& route = *p.route;
    if (route.body == BodyKind::Json) {
        if (body.empty()) return makeProblem(400, "malformed-json", "Malformed JSON", "the body is empty", rid);
        if (auto problem = jsonBodyProblem(body, rid)) return std::move(*problem);
    }
    if (route.body == BodyKind::None && !body.empty()) {
        if (!isEmptyObject(body)) return bodyNotAllowed(rid);
        body = {}; // `{}` stands for "no body": the handler sees none
    }

    RequestView view(req, p, body);
    return callHandler(req, p, view.c);
}

RequestView::RequestView(const IncomingRequest& req, const PreparedRequest& p, std::string_view body) : bodyCopy(body)
{
    for (const auto& [k, v] : p.params) params.push_back({k.c_str(), v.c_str()});
    for (const auto& [k, v] : p.query) query.push_back({k.c_str(), v.c_str()});
    for (const auto& [k, v] : req.headers) headers.push_back({k.c_str(), v.c_str()});
    if (p.principal)
        for (const auto& r : p.principal->roles) roles.push_back(r.c_str());
    c.struct_size = sizeof c;
    c.method = req.method.c_str();
    c.path = p.path.c_str();
    c.request_id = req.requestId.c_str();
    c.remote_address = req.remoteAddress.c_str();
    c.subject = p.principal ? p.principal->subject.c_str() : nullptr;
    c.roles = roles.data();
    c.role_count = roles.size();
    c.params = params.data();
    c.param_count = params.size();
    c.query = query.data();
    c.query_count = query.size();
    c.headers = headers.data();
    c.header_count = headers.size();
    c.body = bodyCopy.c_str();
    c.body_len = bodyCopy.size();
    c.content_type = p.contentType.c_str();
}

HttpResponseData HttpPipeline::callHandler(const IncomingRequest& req, const PreparedRequest& p, const vtp_request& c, bool deferrable)
{
    const std::string& rid = req.requestId;
    const RouteSpec& route = *p.route;
    const auto* target = static_cast<const vtp_route*>(route.target);
    vtp_response response;
    response.instance = rid;
    if (deferrable) response.deferrals = deferrals_.load();
    int rc = VTP_ERROR;
    try {
        rc = target->handler(target->user_data, &c, &response);
    } catch (...) {
        // A C++ plugin that bypassed the SDK let an exception escape: contain it here.
        rc = VTP_ERROR;
    }
    return checkedResponse(req, p, rc, response);
}

HttpResponseData HttpPipeline::checkedResponse(const IncomingRequest& req, const PreparedRequest& p, int rc, vtp_response& response)
{
    const std::string& rid = req.requestId;
    const RouteSpec& route = *p.route;
    const uint64_t deferred = response.data.deferredId;
    if (deferred && rc != VTP_OK) response.deferrals->cancel(deferred); // the 500 below answers it
    if (deferred && rc == VTP_OK && !response.answered) {
        // No fallback: a timeout is the kernel's 504.
        response.data = makeProblem(504, "response-timeout", "Response timeout", "the answer did not come in time", rid);
        response.data.deferredId = deferred;
    }
    if (rc != VTP_OK) {
        log_.error("http", "handler failed",
                   {{"request_id", rid}, {"route", route.pattern}, {"owner", route.owner}, {"status", std::to_string(rc)}});
        return makeProblem(500, "internal-error", "Internal server error",
                           "the request failed; the server log has details under this request id", rid);
    }
    if (response.data.status < 100 || response.data.status > 599) {
        log_.error("http", "handler set an invalid status", {{"request_id", rid}, {"route", route.pattern}});
        auto problem = makeProblem(500, "internal-error", "Internal server error", "the handler produced an invalid response", rid);
        problem.deferredId = deferred; // still answered later, or with this on timeout
        return problem;
    }
    // A deferred answer's file (the fallback, or what completes it) is weighed when it is sent.
    if (response.data.file && !deferred) applyFileConditionals(req, response.data, static_cast<int64_t>(::time(nullptr)));
    return std::move(response.data);
}

void HttpPipeline::finish(const IncomingRequest& req, const PreparedRequest& p, HttpResponseData& r) const
{
    const RouteSpec* route = p.route.get();
    // What needed a token, answered someone who sent a valid one, or sits behind a secret URL is
    // personal: no cache may keep it, unless the route says otherwise for its successes.
    const bool personal = (route && (route->role != VTP_ROLE_PUBLIC || !route->secretParams.empty())) || p.principal.has_value();
    // A 304 carries the Cache-Control its 200 would have (RFC 9110 15.4.5).
    const bool success = (r.status >= 200 && r.status < 300) || r.status == 304;
    if (route && !route->cacheControl.empty() && success && !hasHeader(r, "cache-control"))
        r.headers.emplace_back("Cache-Control", route->cacheControl);
    // Preflights carry their own Access-Control-* headers (corsPreflight); a plugin's answer to a
    // plain OPTIONS gets its route's, as any other.
    if (route && !p.preflight)
        if (const auto policy = corsOf(*route)) addCorsHeaders(*policy, route->method, req, limits_.corsOrigins, r.headers);
    addSecurityHeaders(r.headers, personal);
    if (limits_.hstsMaxAgeSeconds > 0 && req.secure && !hasHeader(r, "strict-transport-security"))
        r.headers.emplace_back("Strict-Transport-Security", "max-age=" + std::to_string(limits_.hstsMaxAgeSeconds));
}

HttpResponseData HttpPipeline::streamWhole(const IncomingRequest& req, PreparedRequest& p, std::string_view body)
{
    std::optional<HttpResponseData> answer;
    auto stream = StreamedBody::begin(*this, req, p, answer);
    if (!stream) return std::move(*answer);
    if (!body.empty()) stream->data(body);
    return stream->finish();
}

HttpResponseData HttpPipeline::handle(IncomingRequest& req, std::string_view body)
{
    PreparedRequest p = prepare(req);
    HttpResponseData r;
    if (p.early)
        r = std::move(*p.early);
    else if (body.size() > p.bodyLimit)
        r = makeProblem(413, "body-too-large", "Content too large", "the body exceeds this route's limit", req.requestId);
    else if (p.route && p.route->body == BodyKind::Stream)
        r = streamWhole(req, p, body);
    else
        r = complete(req, p, body);
    finish(req, p, r);
    return r;
}

} // namespace vtp::kernel
