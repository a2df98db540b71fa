#include "openapi/OpenApiDocument.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

using namespace vtp::kernel;
using Poco::JSON::Object;

namespace {

RouteSpec route(std::string method, std::string pattern, std::string role, BodyKind body = BodyKind::None,
                std::string owner = "hello")
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

Object::Ptr parse(const std::string& text) { return Poco::JSON::Parser().parse(text).extract<Object::Ptr>(); }

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
    const std::vector<RouteSpec> routes{route("GET", "/api/v1/hello/{name}", "public"), route("POST", "/api/v1/hello/echo", "public", BodyKind::Json),
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

TEST(OpenApi, SecurityAndProblemsFollowTheRole)
{
    const auto doc = parse(buildOpenApiDocument({route("GET", "/pub", "public"), route("GET", "/me", "authenticated"),
                                                 route("GET", "/admin", "admin")}, {}));
    auto pub = operation(doc, "/pub", "get");
    EXPECT_FALSE(pub->has("security"));
    EXPECT_EQ(responseCodes(pub), (std::set<std::string>{"200", "400", "413", "500"}));
    auto me = operation(doc, "/me", "get");
    EXPECT_EQ(me->getArray("security")->getObject(0)->getArray("bearerAuth")->size(), 0u);
    EXPECT_EQ(responseCodes(me), (std::set<std::string>{"200", "400", "401", "413", "500"}));
    EXPECT_EQ(responseCodes(operation(doc, "/admin", "get")), (std::set<std::string>{"200", "400", "401", "403", "413", "500"}));
    auto scheme = doc->getObject("components")->getObject("securitySchemes")->getObject("bearerAuth");
    EXPECT_EQ(scheme->getValue<std::string>("type"), "http");
    EXPECT_EQ(scheme->getValue<std::string>("scheme"), "bearer");
}

TEST(OpenApi, ProblemResponsesReferenceTheProblemSchema)
{
    const auto doc = parse(buildOpenApiDocument({route("POST", "/items/{id}", "public", BodyKind::Json)}, {}));
    auto op = operation(doc, "/items/{id}", "post");
    EXPECT_EQ(responseCodes(op), (std::set<std::string>{"200", "400", "404", "411", "413", "415", "422", "500"}));
    EXPECT_EQ(op->getObject("responses")->getObject("415")->getValue<std::string>("$ref"), "#/components/responses/UnsupportedMediaType");
    auto components = doc->getObject("components");
    auto unsupported = components->getObject("responses")->getObject("UnsupportedMediaType");
    EXPECT_EQ(unsupported->getObject("content")->getObject("application/problem+json")->getObject("schema")->getValue<std::string>("$ref"),
              "#/components/schemas/Problem");
    EXPECT_TRUE(components->getObject("schemas")->getObject("Problem")->getObject("properties")->has("status"));
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
    auto loose = operation(doc, "/loose", "put")->getObject("requestBody")->getObject("content")->getObject("application/json")->getObject("schema");
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
    EXPECT_TRUE(operation(doc, "/anything", "get")->getObject("responses")->getObject("200")->getObject("content")
                    ->getObject("application/json")->getValue<bool>("schema"));
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
