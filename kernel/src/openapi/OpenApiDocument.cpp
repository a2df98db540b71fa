#include "openapi/OpenApiDocument.hpp"

#include "http/HttpPipeline.hpp"
#include "http/HttpTypes.hpp"
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

Object::Ptr obj()
{
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

Object::Ptr refTo(const std::string& target)
{
    auto o = obj();
    o->set("$ref", target);
    return o;
}

// When the kernel itself answers a problem for a route, before or around its handler.
enum class When { Always, NotPublic, NamedRole, AnyBody, NoBody, JsonBody, StreamBody, Files };

struct KernelProblem {
    int status;
    const char* type; // the slug after urn:vtp:problem:
    When when;
};

// Every problem the HTTP pipeline and server answer on a matched route (HttpPipeline::prepare and
// complete, HttpServer). 404 and 405 are left out: they belong to a path or method that no route
// has, not to an operation.
constexpr KernelProblem kKernelProblems[] = {
    {400, "bad-request-target", When::Always}, // a path with a malformed percent-escape
    {400, "bad-query", When::Always},
    {400, "malformed-request", When::Always}, // a request Poco cannot parse
    {400, "malformed-json", When::JsonBody},
    {400, "duplicate-member", When::JsonBody},
    {400, "body-not-allowed", When::NoBody},   // a body other than {} or white space
    {400, "malformed-body", When::StreamBody}, // broken chunked framing, seen while streaming
    {408, "body-timeout", When::StreamBody},   // a streamed body that stalls
    {401, "unauthorized", When::NotPublic},
    {403, "forbidden", When::NamedRole},
    {411, "length-required", When::AnyBody},
    {412, "precondition-failed", When::Files}, // If-Match, If-Unmodified-Since (http/FileResponse)
    {413, "body-too-large", When::AnyBody},
    {414, "uri-too-long", When::Always},
    {415, "unsupported-media-type", When::JsonBody},
    {416, "range-not-satisfiable", When::Files},
    {422, "number-out-of-range", When::JsonBody},
    {431, "headers-too-large", When::Always},
    {500, "internal-error", When::Always}, // a handler failed; the log has the request id
};

bool kernelAnswers(const KernelProblem& p, const RouteSpec& r)
{
    const bool isPublic = r.role == VTP_ROLE_PUBLIC;
    switch (p.when) {
    case When::Always: return true;
    case When::NotPublic: return !isPublic;
    case When::NamedRole: return !isPublic && r.role != VTP_ROLE_AUTHENTICATED;
    case When::AnyBody: return r.body != BodyKind::None;
    case When::NoBody: return r.body == BodyKind::None;
    case When::JsonBody: return r.body == BodyKind::Json;
    case When::StreamBody: return r.body == BodyKind::Stream;
    case When::Files: return r.answersFiles;
    }
    return false;
}

constexpr std::string_view kProblemTypePrefix = "urn:vtp:problem:";

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
        f += ':' + std::to_string(r.successStatus);
        f += r.answersFiles ? ":files" : "";
        for (const auto& [status, type] : r.errors) {
            f += ':' + std::to_string(status);
            field(type);
        }
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
    bearer->set("description", "An access token from the authentication plugin: Authorization: Bearer TOKEN");
    auto schemes = obj();
    schemes->set("bearerAuth", bearer);
    c->set("securitySchemes", schemes);

    // RFC 9457 problem details, as the kernel writes them; members may be added (extensions).
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
    props->set("type", str("urn:vtp:problem:SLUG, stable for programs; each response lists the ones it can carry"));
    props->set("title", str("Short human-readable summary"));
    auto status = obj();
    status->set("type", "integer");
    status->set("minimum", 400);
    status->set("maximum", 599);
    status->set("description", "The HTTP status code");
    props->set("status", status);
    props->set("detail", str("What went wrong in this occurrence"));
    props->set("instance", str("The request id (X-Request-Id), which the server log carries too"));
    problem->set("properties", props);
    Array required;
    required.add("type");
    required.add("title");
    required.add("status");
    problem->set("required", required);
    auto schemas = obj();
    schemas->set("Problem", problem);
    c->set("schemas", schemas);
    return c;
}

// A response with a problem body whose type is one of `types` (slugs).
Object::Ptr problemResponse(int status, const std::set<std::string>& types)
{
    std::string description(reasonPhrase(status));
    description += ": ";
    Array allowed;
    bool first = true;
    for (const auto& t : types) {
        description += (first ? "`" : ", `") + t + "`";
        allowed.add(std::string(kProblemTypePrefix) + t);
        first = false;
    }
    auto typeSchema = obj();
    typeSchema->set("enum", allowed);
    auto statusSchema = obj();
    statusSchema->set("const", status);
    auto props = obj();
    props->set("type", typeSchema);
    props->set("status", statusSchema);
    Array allOf;
    allOf.add(refTo("#/components/schemas/Problem"));
    auto schema = obj();
    schema->set("allOf", allOf);
    schema->set("properties", props);
    auto media = obj();
    media->set("schema", schema);
    auto content = obj();
    content->set("application/problem+json", media);
    auto r = obj();
    r->set("description", description);
    r->set("content", content);
    return r;
}

// A success response (or another non-problem answer); a declared schema {"type":"string","contentMediaType":"text/calendar"}
// describes a body of that media type instead of JSON.
Object::Ptr successResponse(int status, const Poco::Dynamic::Var* schema)
{
    auto r = obj();
    r->set("description", std::string(reasonPhrase(status)));
    if (!schema) return r;
    std::string mediaType = "application/json";
    Poco::Dynamic::Var bodySchema = *schema;
    if (schema->type() == typeid(Object::Ptr)) {
        const auto o = schema->extract<Object::Ptr>();
        if (o->has("contentMediaType") && o->optValue<std::string>("type", "") == "string") {
            mediaType = o->getValue<std::string>("contentMediaType");
            auto text = obj();
            text->set("type", "string");
            bodySchema = text;
        }
    }
    auto media = obj();
    media->set("schema", bodySchema);
    auto content = obj();
    content->set(mediaType, media);
    r->set("content", content);
    return r;
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
        if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}')
            id += "By" + camelWords(seg.substr(1, seg.size() - 2));
        else
            id += camelWords(seg);
        any = true;
    }
    return any ? id : id + "Root";
}

std::string buildOpenApiDocument(const std::vector<RouteSpec>& routesIn, const OpenApiInfo& info, std::vector<SchemaProblem>* problems)
{
    std::vector<RouteSpec> routes = routesIn;
    std::sort(routes.begin(), routes.end(),
              [](const RouteSpec& a, const RouteSpec& b) { return std::tie(a.pattern, a.method) < std::tie(b.pattern, b.method); });

    auto doc = obj();
    doc->set("openapi", "3.1.0");
    auto infoObj = obj();
    infoObj->set("title", info.title);
    infoObj->set("version", info.version.empty() ? std::string("0") : info.version);
    if (!info.description.empty()) infoObj->set("description", info.description);
    // The project ships no licence text yet; an SPDX LicenseRef says so until one is chosen.
    auto license = obj();
    license->set("name", "Proprietary");
    license->set("identifier", "LicenseRef-VTP-Proprietary");
    infoObj->set("license", license);
    doc->set("info", infoObj);
    // Relative to where the document is served from: the server that answered it.
    Array servers;
    auto here = obj();
    here->set("url", "/");
    here->set("description", "The server that serves this document");
    servers.add(here);
    doc->set("servers", servers);

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
        if (!params.empty() || !r.query.empty()) {
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
            for (const auto& q : r.query) {
                auto p = obj();
                p->set("name", q.name);
                p->set("in", "query");
                if (!q.description.empty()) p->set("description", q.description);
                p->set("required", q.required);
                auto s = obj();
                s->set("type", q.type);
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
        } else if (r.body == BodyKind::Raw || r.body == BodyKind::Stream) {
            auto content = obj();
            content->set("*/*", obj());
            auto body = obj();
            body->set("content", content);
            op->set("requestBody", body);
        }

        auto responses = obj();
        const int success = r.successStatus ? r.successStatus : 200;
        if (r.answersFiles) {
            // A file of any media type, whole or one range of it, or "not modified".
            auto anyMedia = obj();
            anyMedia->set("*/*", obj());
            auto whole = obj();
            whole->set("description", std::string("The file"));
            whole->set("content", anyMedia);
            responses->set(std::to_string(success), whole);
            auto part = obj();
            part->set("description", std::string("One byte range of the file (Range), as Content-Range says"));
            part->set("content", anyMedia);
            responses->set("206", part);
            auto notModified = obj();
            notModified->set("description",
                             std::string("Not modified since the validators the request sent (If-None-Match, If-Modified-Since)"));
            responses->set("304", notModified);
        } else if (!r.responseSchema.empty() && success != 204) {
            std::string reason;
            const auto schema = schemaOf(r.responseSchema, reason);
            if (!reason.empty()) report("response", reason);
            responses->set(std::to_string(success), successResponse(success, &schema));
        } else {
            if (!r.responseSchema.empty()) report("response", "a 204 response has no body");
            responses->set(std::to_string(success), successResponse(success, nullptr));
        }
        for (const auto& [status, schemaText] : r.otherAnswers) {
            std::string reason;
            const auto schema = schemaOf(schemaText, reason);
            if (!reason.empty()) report("response", reason);
            responses->set(std::to_string(status), successResponse(status, &schema));
        }
        // The problems this route can answer: the kernel's own and the ones its handler declared.
        std::map<int, std::set<std::string>> problemTypes;
        for (const auto& p : kKernelProblems)
            if (kernelAnswers(p, r)) problemTypes[p.status].insert(p.type);
        for (const auto& [status, type] : r.errors) problemTypes[status].insert(type);
        for (const auto& [status, types] : problemTypes) responses->set(std::to_string(status), problemResponse(status, types));
        const bool isPublic = r.role == VTP_ROLE_PUBLIC;
        op->set("responses", responses);

        // A public route needs no token but learns who called it when a valid one comes along.
        Array security;
        if (isPublic) security.add(obj());
        auto bearerReq = obj();
        bearerReq->set("bearerAuth", Array());
        security.add(bearerReq);
        op->set("security", security);

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
