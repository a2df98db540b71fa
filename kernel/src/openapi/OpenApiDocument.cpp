#include "openapi/OpenApiDocument.hpp"

#include "http/HttpPipeline.hpp"
#include "vtp/abi.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSONString.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

namespace vtp::kernel {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr obj() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

Object::Ptr refTo(const std::string& target)
{
    auto o = obj();
    o->set("$ref", target);
    return o;
}

struct ProblemResponse {
    int status;
    const char* name;
    const char* description;
};

// The problems the kernel itself may answer before or around a handler. 405 is left out: it
// belongs to a path whose method does not exist, not to any operation.
constexpr ProblemResponse kProblems[] = {
    {400, "BadRequest", "Malformed request: bad path, query string or JSON body"},
    {401, "Unauthorized", "A bearer token is missing, invalid or expired"},
    {403, "Forbidden", "The token does not carry the role this route needs"},
    {404, "NotFound", "No such resource"},
    {411, "LengthRequired", "The body has neither Content-Length nor chunked encoding"},
    {413, "ContentTooLarge", "The body is larger than the route accepts (or the route takes none)"},
    {415, "UnsupportedMediaType", "The body is not application/json"},
    {422, "UnprocessableContent", "The body is well-formed JSON but not acceptable"},
    {500, "InternalServerError", "The handler failed"},
};

bool hasParams(const std::string& pattern) { return pattern.find('{') != std::string::npos; }

std::vector<std::string> pathParams(const std::string& pattern)
{
    std::vector<std::string> out;
    for (size_t open = pattern.find('{'); open != std::string::npos; open = pattern.find('{', open + 1)) {
        const auto close = pattern.find('}', open);
        if (close == std::string::npos) break;
        out.push_back(pattern.substr(open + 1, close - open - 1));
    }
    return out;
}

// Parses a declared schema; an invalid one gives {} and a reason.
Poco::Dynamic::Var schemaOf(const std::string& text, std::string& reason)
{
    std::string where;
    if (!validateJson(text, where)) {
        reason = "not valid JSON: " + where;
        return obj();
    }
    const auto first = text.find_first_not_of(" \t\r\n");
    const auto last = text.find_last_not_of(" \t\r\n");
    const std::string_view trimmed = std::string_view(text).substr(first, last - first + 1);
    if (trimmed == "true" || trimmed == "false") return trimmed == "true";
    if (trimmed.front() != '{') {
        reason = "a JSON Schema is an object or a boolean";
        return obj();
    }
    try {
        return Poco::JSON::Parser(new Poco::JSON::ParseHandler(true)).parse(text);
    } catch (const std::exception& e) {
        reason = std::string("not valid JSON: ") + e.what();
    }
    return obj();
}

std::string capitalised(std::string_view word)
{
    std::string w(word);
    if (!w.empty()) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
    return w;
}

// "room-list_all" -> "RoomListAll"
std::string camelWords(std::string_view text)
{
    std::string out, word;
    for (char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            word += c;
        } else {
            out += capitalised(word);
            word.clear();
        }
    }
    return out + capitalised(word);
}

std::string fingerprintOf(const std::vector<RouteSpec>& routes)
{
    std::string f;
    auto field = [&](const std::string& s) {
        f += std::to_string(s.size());
        f += ':';
        f += s;
    };
    for (const auto& r : routes) {
        field(r.method);
        field(r.pattern);
        field(r.role);
        field(r.summary);
        field(r.owner);
        field(r.requestSchema);
        field(r.responseSchema);
        f += std::to_string(static_cast<int>(r.body));
    }
    return f;
}

Object::Ptr components()
{
    auto c = obj();
    auto bearer = obj();
    bearer->set("type", "http");
    bearer->set("scheme", "bearer");
    bearer->set("bearerFormat", "JWT");
    bearer->set("description", "A token from the authentication plugin: Authorization: Bearer TOKEN");
    auto schemes = obj();
    schemes->set("bearerAuth", bearer);
    c->set("securitySchemes", schemes);

    // RFC 9457 problem details, as the kernel writes them.
    auto problem = obj();
    problem->set("type", "object");
    problem->set("description", "RFC 9457 problem details");
    auto props = obj();
    auto str = [](const char* description) {
        auto s = obj();
        s->set("type", "string");
        s->set("description", description);
        return s;
    };
    props->set("type", str("urn:vtp:problem:SLUG, stable for programs"));
    props->set("title", str("Short human-readable summary"));
    auto status = obj();
    status->set("type", "integer");
    status->set("description", "The HTTP status code");
    props->set("status", status);
    props->set("detail", str("What went wrong in this occurrence"));
    props->set("instance", str("The request id"));
    problem->set("properties", props);
    Array required;
    required.add("type");
    required.add("title");
    required.add("status");
    problem->set("required", required);
    auto schemas = obj();
    schemas->set("Problem", problem);
    c->set("schemas", schemas);

    auto responses = obj();
    for (const auto& p : kProblems) {
        auto media = obj();
        media->set("schema", refTo("#/components/schemas/Problem"));
        auto content = obj();
        content->set("application/problem+json", media);
        auto r = obj();
        r->set("description", p.description);
        r->set("content", content);
        responses->set(p.name, r);
    }
    c->set("responses", responses);
    return c;
}

} // namespace

std::string operationIdFor(const std::string& method, const std::string& pattern)
{
    std::string id;
    for (char c : method) id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::vector<std::string_view> segments;
    std::string_view rest(pattern);
    bool any = false;
    while (!rest.empty()) {
        if (rest[0] == '/') {
            rest.remove_prefix(1);
            continue;
        }
        const auto slash = rest.find('/');
        const std::string_view seg = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
        if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') id += "By" + camelWords(seg.substr(1, seg.size() - 2));
        else id += camelWords(seg);
        any = true;
    }
    return any ? id : id + "Root";
}

std::string buildOpenApiDocument(const std::vector<RouteSpec>& routesIn, const OpenApiInfo& info,
                                 std::vector<SchemaProblem>* problems)
{
    std::vector<RouteSpec> routes = routesIn;
    std::sort(routes.begin(), routes.end(), [](const RouteSpec& a, const RouteSpec& b) {
        return std::tie(a.pattern, a.method) < std::tie(b.pattern, b.method);
    });

    auto doc = obj();
    doc->set("openapi", "3.1.0");
    auto infoObj = obj();
    infoObj->set("title", info.title);
    infoObj->set("version", info.version.empty() ? std::string("0") : info.version);
    if (!info.description.empty()) infoObj->set("description", info.description);
    doc->set("info", infoObj);

    std::set<std::string> owners, operationIds;
    auto paths = obj();
    for (const auto& r : routes) {
        owners.insert(r.owner);
        auto op = obj();
        std::string opId = operationIdFor(r.method, r.pattern);
        for (int n = 2; !operationIds.insert(opId).second; ++n) opId = operationIdFor(r.method, r.pattern) + std::to_string(n);
        op->set("operationId", opId);
        if (!r.summary.empty()) op->set("summary", r.summary);
        Array tags;
        tags.add(r.owner);
        op->set("tags", tags);
        op->set("x-vtp-role", r.role);

        const auto params = pathParams(r.pattern);
        if (!params.empty()) {
            Array list;
            for (const auto& name : params) {
                auto p = obj();
                p->set("name", name);
                p->set("in", "path");
                p->set("required", true);
                auto s = obj();
                s->set("type", "string");
                p->set("schema", s);
                list.add(p);
            }
            op->set("parameters", list);
        }

        auto report = [&](const char* which, const std::string& reason) {
            if (problems) problems->push_back({r.owner, r.method, r.pattern, which, reason});
        };
        if (r.body == BodyKind::Json) {
            Poco::Dynamic::Var schema;
            if (!r.requestSchema.empty()) {
                std::string reason;
                schema = schemaOf(r.requestSchema, reason);
                if (!reason.empty()) report("request", reason);
            } else {
                auto anyObject = obj();
                anyObject->set("type", "object");
                schema = anyObject;
            }
            auto media = obj();
            media->set("schema", schema);
            auto content = obj();
            content->set("application/json", media);
            auto body = obj();
            body->set("required", true);
            body->set("content", content);
            op->set("requestBody", body);
        } else if (r.body == BodyKind::Raw) {
            auto content = obj();
            content->set("*/*", obj());
            auto body = obj();
            body->set("content", content);
            op->set("requestBody", body);
        }

        auto responses = obj();
        auto ok = obj();
        ok->set("description", "Success");
        if (!r.responseSchema.empty()) {
            std::string reason;
            auto schema = schemaOf(r.responseSchema, reason);
            if (!reason.empty()) report("response", reason);
            auto media = obj();
            media->set("schema", schema);
            auto content = obj();
            content->set("application/json", media);
            ok->set("content", content);
        }
        responses->set("200", ok);
        const bool isPublic = r.role == VTP_ROLE_PUBLIC;
        const bool needsRole = !isPublic && r.role != VTP_ROLE_AUTHENTICATED;
        for (const auto& p : kProblems) {
            bool applies = false;
            switch (p.status) {
            case 401: applies = !isPublic; break;
            case 403: applies = needsRole; break;
            case 404: applies = hasParams(r.pattern); break;
            case 411: applies = r.body != BodyKind::None; break;
            case 415:
            case 422: applies = r.body == BodyKind::Json; break;
            default: applies = true; // 400, 413, 500: any request may get them
            }
            if (applies) responses->set(std::to_string(p.status), refTo(std::string("#/components/responses/") + p.name));
        }
        op->set("responses", responses);

        if (!isPublic) {
            Array security;
            auto req = obj();
            req->set("bearerAuth", Array());
            security.add(req);
            op->set("security", security);
        }

        Object::Ptr item = paths->has(r.pattern) ? paths->getObject(r.pattern) : obj();
        std::string method;
        for (char c : r.method) method += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        item->set(method, op);
        paths->set(r.pattern, item);
    }

    Array tags;
    for (const auto& o : owners) {
        auto t = obj();
        t->set("name", o);
        t->set("description", o == "kernel" ? std::string("Routes of vtpd itself") : "Routes of the plugin " + o);
        tags.add(t);
    }
    doc->set("tags", tags);
    doc->set("paths", paths);
    doc->set("components", components());

    std::ostringstream out;
    doc->stringify(out);
    return out.str();
}

OpenApiCache::OpenApiCache(const Router& router, OpenApiInfo info, ProblemSink onProblem)
    : router_(router), info_(std::move(info)), onProblem_(std::move(onProblem))
{
}

std::string OpenApiCache::document()
{
    const auto routes = router_.routes();
    std::string fingerprint = fingerprintOf(routes);
    std::lock_guard lock(mutex_);
    if (!document_.empty() && fingerprint == fingerprint_) return document_;
    std::vector<SchemaProblem> problems;
    document_ = buildOpenApiDocument(routes, info_, &problems);
    fingerprint_ = std::move(fingerprint);
    if (onProblem_)
        for (const auto& p : problems) onProblem_(p);
    return document_;
}

} // namespace vtp::kernel
