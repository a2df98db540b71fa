#include "openapi/OpenApiDocument.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <set>

using namespace vtp::kernel;
using Poco::JSON::Object;

namespace {

RouteSpec route(std::string method, std::string pattern, std::string role, BodyKind body = BodyKind::None, std::string owner = "hello")
{
    RouteSpec r;
    r.method = std::move(method);
    r.pattern = std::move(pattern);
    r.role = std::move(role);
    r.body = body;
    r.owner = std::move(owner);
    r.summary = "summary of " + r.pattern;
    return r;
}

Object::Ptr parse(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Object::Ptr>();
}

Object::Ptr operation(const Object::Ptr& doc, const std::string& path, const std::string& method)
{
    auto paths = doc->getObject("paths");
    if (!paths->has(path)) return nullptr;
    return paths->getObject(path)->getObject(method);
}

std::set<std::string> responseCodes(const Object::Ptr& op)
{
    std::set<std::string> codes;
    for (const auto& [k, v] : *op->getObject("responses")) codes.insert(k);
    return codes;
}

TEST(OpenApi, OperationIdsAreCamelCaseFromMethodAndPath)
{
    EXPECT_EQ(operationIdFor("GET", "/api/v1/rooms/{id}/chat"), "getApiV1RoomsByIdChat");
    EXPECT_EQ(operationIdFor("DELETE", "/api/v1/admin/log-levels/{component}"), "deleteApiV1AdminLogLevelsByComponent");
    EXPECT_EQ(operationIdFor("POST", "/x/snake_case.json"), "postXSnakeCaseJson");
    EXPECT_EQ(operationIdFor("GET", "/"), "getRoot");
}

TEST(OpenApi, DocumentIsOpenApi31WithEveryRoute)
{
    const std::vector<RouteSpec> routes{route("GET", "/api/v1/hello/{name}", "public"),
                                        route("POST", "/api/v1/hello/echo", "public", BodyKind::Json),
                                        route("GET", "/health", "public", BodyKind::None, "kernel")};
    const auto doc = parse(buildOpenApiDocument(routes, {"VTP API", "1.2.3", ""}));
    EXPECT_EQ(doc->getValue<std::string>("openapi"), "3.1.0");
    EXPECT_EQ(doc->getObject("info")->getValue<std::string>("version"), "1.2.3");
    for (const auto& r : routes) {
        std::string method = r.method == "GET" ? "get" : "post";
        auto op = operation(doc, r.pattern, method);
        ASSERT_TRUE(op) << r.pattern;
        EXPECT_EQ(op->getValue<std::string>("x-vtp-role"), r.role);
        EXPECT_EQ(op->getArray("tags")->getElement<std::string>(0), r.owner);
        EXPECT_EQ(op->getValue<std::string>("summary"), r.summary);
    }
    EXPECT_EQ(doc->getArray("tags")->size(), 2u);
}

TEST(OpenApi, PathParametersAreRequiredStrings)
{
    const auto doc = parse(buildOpenApiDocument({route("GET", "/rooms/{room}/seats/{seat}", "public")}, {}));
    auto params = operation(doc, "/rooms/{room}/seats/{seat}", "get")->getArray("parameters");
    ASSERT_EQ(params->size(), 2u);
    auto first = params->getObject(0);
    EXPECT_EQ(first->getValue<std::string>("name"), "room");
    EXPECT_EQ(first->getValue<std::string>("in"), "path");
    EXPECT_TRUE(first->getValue<bool>("required"));
    EXPECT_EQ(first->getObject("schema")->getValue<std::string>("type"), "string");
    EXPECT_EQ(params->getObject(1)->getValue<std::string>("name"), "seat");
}

TEST(OpenApi, QueryParametersFollowThePathParameters)
{
    RouteSpec r = route("GET", "/rooms/{room}/chat", "public");
    r.query = {{"limit", "integer", "at most this many", false}, {"since", "string", "", true}};
    const auto doc = parse(buildOpenApiDocument({r}, {}));
    auto params = operation(doc, "/rooms/{room}/chat", "get")->getArray("parameters");
    ASSERT_EQ(params->size(), 3u);
    EXPECT_EQ(params->getObject(0)->getValue<std::string>("in"), "path");
    auto limit = params->getObject(1), since = params->getObject(2);
    EXPECT_EQ(limit->getValue<std::string>("name"), "limit");
    EXPECT_EQ(limit->getValue<std::string>("in"), "query");
    EXPECT_FALSE(limit->getValue<bool>("required"));
    EXPECT_EQ(limit->getValue<std::string>("description"), "at most this many");
    EXPECT_EQ(limit->getObject("schema")->getValue<std::string>("type"), "integer");
    EXPECT_TRUE(since->getValue<bool>("required"));
    EXPECT_FALSE(since->has("description"));

    // A route with query parameters only still gets its parameters list.
    RouteSpec feed = route("GET", "/feed", "public");
    feed.query = {{"q", "string", "text", false}};
    auto only = operation(parse(buildOpenApiDocument({feed}, {})), "/feed", "get")->getArray("parameters");
    ASSERT_EQ(only->size(), 1u);
    EXPECT_EQ(only->getObject(0)->getValue<std::string>("name"), "q");
}

std::set<std::string> problemTypes(const Object::Ptr& op, const std::string& status)
{
    std::set<std::string> types;
    auto schema =
        op->getObject("responses")->getObject(status)->getObject("content")->getObject("application/problem+json")->getObject("schema");
    auto list = schema->getObject("properties")->getObject("type")->getArray("enum");
    for (size_t i = 0; i < list->size(); ++i) types.insert(list->getElement<std::string>(static_cast<unsigned>(i)));
    return types;
}

TEST(OpenApi, SecurityAndProblemsFollowTheRole)
{
    const auto doc = parse(
        buildOpenApiDocument({route("GET", "/pub", "public"), route("GET", "/me", "authenticated"), route("GET", "/admin", "admin")}, {}));
    auto pub = operation(doc, "/pub", "get");
    // A public route takes a token if one comes along: no requirement, or the bearer scheme.
    auto security = pub->getArray("security");
    ASSERT_EQ(security->size(), 2u);
    EXPECT_EQ(security->getObject(0)->size(), 0u);
    EXPECT_TRUE(security->getObject(1)->has("bearerAuth"));
    EXPECT_EQ(responseCodes(pub), (std::set<std::string>{"200", "400", "414", "431", "500"}));
    auto me = operation(doc, "/me", "get");
    ASSERT_EQ(me->getArray("security")->size(), 1u);
    EXPECT_EQ(me->getArray("security")->getObject(0)->getArray("bearerAuth")->size(), 0u);
    EXPECT_EQ(responseCodes(me), (std::set<std::string>{"200", "400", "401", "414", "431", "500"}));
    EXPECT_EQ(problemTypes(me, "401"), (std::set<std::string>{"urn:vtp:problem:unauthorized"}));
    EXPECT_EQ(responseCodes(operation(doc, "/admin", "get")), (std::set<std::string>{"200", "400", "401", "403", "414", "431", "500"}));
    auto scheme = doc->getObject("components")->getObject("securitySchemes")->getObject("bearerAuth");
    EXPECT_EQ(scheme->getValue<std::string>("type"), "http");
    EXPECT_EQ(scheme->getValue<std::string>("scheme"), "bearer");
    EXPECT_EQ(scheme->getValue<std::string>("bearerFormat"), "JWT");
}

TEST(OpenApi, ProblemResponsesReferenceTheProblemSchemaAndListTheirTypes)
{
    const auto doc = parse(buildOpenApiDocument({route("POST", "/items/{id}", "public", BodyKind::Json)}, {}));
    auto op = operation(doc, "/items/{id}", "post");
    EXPECT_EQ(responseCodes(op), (std::set<std::string>{"200", "400", "411", "413", "414", "415", "422", "431", "500"}));
    auto r415 = op->getObject("responses")->getObject("415");
    auto media = r415->getObject("content")->getObject("application/problem+json");
    EXPECT_EQ(media->getObject("schema")->getArray("allOf")->getObject(0)->getValue<std::string>("$ref"), "#/components/schemas/Problem");
    EXPECT_EQ(problemTypes(op, "415"), (std::set<std::string>{"urn:vtp:problem:unsupported-media-type"}));
    EXPECT_EQ(problemTypes(op, "400"),
              (std::set<std::string>{"urn:vtp:problem:bad-query", "urn:vtp:problem:bad-request-target", "urn:vtp:problem:duplicate-member",
                                     "urn:vtp:problem:malformed-json", "urn:vtp:problem:malformed-request"}));
    EXPECT_EQ(problemTypes(op, "413"), (std::set<std::string>{"urn:vtp:problem:body-too-large"}));
    auto problem = doc->getObject("components")->getObject("schemas")->getObject("Problem");
    EXPECT_TRUE(problem->getObject("properties")->has("status"));
    EXPECT_TRUE(problem->getObject("properties")->has("instance"));
}

TEST(OpenApi, RoutesDeclareTheirSuccessStatusAndTheirProblems)
{
    RouteSpec create = route("POST", "/accounts", "public", BodyKind::Json);
    create.successStatus = 201;
    create.responseSchema = R"({"type":"object"})";
    create.errors = {{409, "email-taken"}, {400, "invalid-body"}, {409, "conflict"}};
    RouteSpec remove = route("DELETE", "/accounts/{id}", "admin");
    remove.successStatus = 204;
    remove.errors = {{404, "not-found"}};
    const auto doc = parse(buildOpenApiDocument({create, remove}, {}));
    auto post = operation(doc, "/accounts", "post");
    EXPECT_FALSE(post->getObject("responses")->has("200"));
    EXPECT_TRUE(post->getObject("responses")->getObject("201")->getObject("content")->has("application/json"));
    EXPECT_EQ(problemTypes(post, "409"), (std::set<std::string>{"urn:vtp:problem:conflict", "urn:vtp:problem:email-taken"}));
    EXPECT_EQ(problemTypes(post, "400").count("urn:vtp:problem:invalid-body"), 1u);
    EXPECT_EQ(problemTypes(post, "400").count("urn:vtp:problem:malformed-json"), 1u) << "the kernel's own stay";
    auto del = operation(doc, "/accounts/{id}", "delete");
    EXPECT_FALSE(del->getObject("responses")->getObject("204")->has("content"));
    EXPECT_EQ(problemTypes(del, "404"), (std::set<std::string>{"urn:vtp:problem:not-found"}));
    EXPECT_EQ(problemTypes(del, "403"), (std::set<std::string>{"urn:vtp:problem:forbidden"}));
}

TEST(OpenApi, TextBodiesAndOtherAnswersAreDescribed)
{
    RouteSpec feed = route("GET", "/feed.ics", "public");
    feed.responseSchema = R"({"type":"string","contentMediaType":"text/calendar"})";
    RouteSpec ready = route("GET", "/ready", "public", BodyKind::None, "kernel");
    ready.responseSchema = R"({"type":"object","required":["status"]})";
    ready.otherAnswers = {{503, ready.responseSchema}};
    const auto doc = parse(buildOpenApiDocument({feed, ready}, {}));
    auto content = operation(doc, "/feed.ics", "get")->getObject("responses")->getObject("200")->getObject("content");
    EXPECT_EQ(content->getObject("text/calendar")->getObject("schema")->getValue<std::string>("type"), "string");
    EXPECT_FALSE(content->has("application/json"));
    auto notReady = operation(doc, "/ready", "get")->getObject("responses")->getObject("503");
    EXPECT_TRUE(notReady->getObject("content")->getObject("application/json")->getObject("schema")->has("required"));
}

TEST(OpenApi, DocumentNamesItsServerAndLicence)
{
    const auto doc = parse(buildOpenApiDocument({route("GET", "/x", "public")}, {}));
    auto servers = doc->getArray("servers");
    ASSERT_EQ(servers->size(), 1u);
    EXPECT_EQ(servers->getObject(0)->getValue<std::string>("url"), "/");
    auto license = doc->getObject("info")->getObject("license");
    EXPECT_FALSE(license->getValue<std::string>("name").empty());
    EXPECT_TRUE(license->has("identifier") || license->has("url"));
}

TEST(OpenApi, JsonRoutesCarryTheirSchemas)
{
    RouteSpec r = route("POST", "/echo", "public", BodyKind::Json);
    r.requestSchema = R"({"type":"object","required":["text"]})";
    r.responseSchema = R"({"type":"object","properties":{"greeting":{"type":"string"}}})";
    RouteSpec noSchema = route("PUT", "/loose", "public", BodyKind::Json);
    RouteSpec raw = route("PUT", "/upload", "public", BodyKind::Raw);
    const auto doc = parse(buildOpenApiDocument({r, noSchema, raw}, {}));
    auto op = operation(doc, "/echo", "post");
    auto body = op->getObject("requestBody");
    EXPECT_TRUE(body->getValue<bool>("required"));
    auto schema = body->getObject("content")->getObject("application/json")->getObject("schema");
    EXPECT_EQ(schema->getArray("required")->getElement<std::string>(0), "text");
    auto ok = op->getObject("responses")->getObject("200")->getObject("content")->getObject("application/json")->getObject("schema");
    EXPECT_TRUE(ok->getObject("properties")->has("greeting"));
    auto loose =
        operation(doc, "/loose", "put")->getObject("requestBody")->getObject("content")->getObject("application/json")->getObject("schema");
    EXPECT_EQ(loose->getValue<std::string>("type"), "object");
    EXPECT_TRUE(operation(doc, "/upload", "put")->getObject("requestBody")->getObject("content")->has("*/*"));
    EXPECT_FALSE(operation(doc, "/upload", "put")->getObject("responses")->has("415"));
}

TEST(OpenApi, InvalidSchemaBecomesEmptyAndIsReported)
{
    RouteSpec r = route("POST", "/bad", "public", BodyKind::Json);
    r.requestSchema = R"({"type": "object",)";
    r.responseSchema = "42";
    std::vector<SchemaProblem> problems;
    const auto doc = parse(buildOpenApiDocument({r}, {}, &problems));
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].which, "request");
    EXPECT_EQ(problems[0].owner, "hello");
    EXPECT_EQ(problems[1].which, "response");
    auto op = operation(doc, "/bad", "post");
    EXPECT_EQ(op->getObject("requestBody")->getObject("content")->getObject("application/json")->getObject("schema")->size(), 0u);
}

TEST(OpenApi, BooleanSchemasAreKept)
{
    RouteSpec r = route("GET", "/anything", "public");
    r.responseSchema = "true";
    std::vector<SchemaProblem> problems;
    const auto doc = parse(buildOpenApiDocument({r}, {}, &problems));
    EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems[0].reason);
    EXPECT_TRUE(operation(doc, "/anything", "get")
                    ->getObject("responses")
                    ->getObject("200")
                    ->getObject("content")
                    ->getObject("application/json")
                    ->getValue<bool>("schema"));
}

TEST(OpenApi, OperationIdsStayUnique)
{
    // Different shapes that camel-case alike.
    const auto doc = parse(buildOpenApiDocument({route("GET", "/a-b", "public"), route("GET", "/a_b", "public")}, {}));
    EXPECT_NE(operation(doc, "/a-b", "get")->getValue<std::string>("operationId"),
              operation(doc, "/a_b", "get")->getValue<std::string>("operationId"));
}

TEST(OpenApiCache, RebuildsOnlyWhenRoutesChange)
{
    Router router;
    RouteSpec bad = route("GET", "/bad", "public");
    bad.responseSchema = "{nope";
    router.add(bad);
    int reports = 0;
    OpenApiCache cache(router, {"VTP API", "1", ""}, [&](const SchemaProblem&) { ++reports; });
    const auto first = cache.document();
    EXPECT_EQ(cache.document(), first);
    EXPECT_EQ(reports, 1) << "an unchanged registry is not rebuilt";
    router.add(route("GET", "/new", "public"));
    const auto second = cache.document();
    EXPECT_NE(second, first);
    EXPECT_TRUE(parse(second)->getObject("paths")->has("/new"));
    router.removeOwner("hello");
    EXPECT_FALSE(parse(cache.document())->getObject("paths")->has("/new"));
}

} // namespace
