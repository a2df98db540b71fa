// CORS (ABI 1.6) from the wire: preflights answered by the kernel, and the Access-Control-*
// headers on actual requests, per route (testkit) and per plugin (testkit_consumer's default,
// with the operator's http.cors_origins).
#include "HttpTestSupport.hpp"

#include <gtest/gtest.h>

using namespace vtp::test;

namespace {

class Cors : public VtpdSuite<Cors> {
public:
    static VtpdOptions options()
    {
        VtpdOptions o;
        o.enabled = {"testkit", "testkit_consumer"};
        o.env = {{"VTP_HTTP__CORS_ORIGINS", "[\"https://ops.example\"]"}};
        return o;
    }

protected:
    static RawResponse send(const std::string& method, const std::string& path, const std::string& headers)
    {
        return rawExchange(vtpd_->httpPort(), method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n", method == "HEAD");
    }
    static RawResponse preflight(const std::string& path, const std::string& origin, const std::string& method,
                                 const std::string& requestHeaders = {})
    {
        return send("OPTIONS", path,
                    "Origin: " + origin + "\r\nAccess-Control-Request-Method: " + method + "\r\n" +
                        (requestHeaders.empty() ? "" : "Access-Control-Request-Headers: " + requestHeaders + "\r\n"));
    }
    static void expectRefused(const RawResponse& r)
    {
        EXPECT_EQ(r.status, 403) << r.body;
        EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:cors-refused") << r.body;
        EXPECT_TRUE(r.header("access-control-allow-origin").empty());
    }
};

const std::string kFile = "/api/v1/testkit/files/none.txt";
const std::string kPrivate = "/api/v1/testkit/cors/private";
const std::string kConsumer = "/api/v1/consumer/next";

} // namespace

TEST_F(Cors, PreflightOfAnAnyOriginRoute)
{
    const auto r = preflight(kFile, "https://anyone.example", "GET", "Range, If-None-Match");
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(r.header("access-control-allow-origin"), "*");
    EXPECT_EQ(r.header("access-control-allow-methods"), "GET, HEAD");
    EXPECT_EQ(r.header("access-control-allow-headers"), "range, if-none-match");
    EXPECT_EQ(r.header("access-control-max-age"), "600");
    EXPECT_TRUE(r.header("access-control-allow-credentials").empty());
    // A header the route does not allow fails the preflight.
    expectRefused(preflight(kFile, "https://anyone.example", "GET", "x-secret"));
}

TEST_F(Cors, ActualRequestOfAnAnyOriginRouteExposesItsHeaders)
{
    const auto r = send("GET", kFile, "Origin: https://anyone.example\r\n");
    EXPECT_EQ(r.status, 404); // no such file: a problem a page may read all the same
    EXPECT_EQ(r.header("access-control-allow-origin"), "*");
    EXPECT_EQ(r.header("access-control-expose-headers"), "content-range, accept-ranges, etag");
    EXPECT_TRUE(r.header("vary").empty()) << "the same answer for every origin";
    EXPECT_TRUE(send("GET", kFile, "").header("access-control-allow-origin").empty()) << "no Origin, no CORS";
}

TEST_F(Cors, CredentialedRouteAllowsOnlyItsOrigin)
{
    auto r = preflight(kPrivate, "https://app.example", "POST", "authorization,content-type");
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(r.header("access-control-allow-origin"), "https://app.example");
    EXPECT_EQ(r.header("access-control-allow-credentials"), "true");
    EXPECT_EQ(r.header("access-control-allow-methods"), "POST");
    EXPECT_EQ(r.header("access-control-allow-headers"), "authorization, content-type");
    EXPECT_EQ(r.header("access-control-max-age"), "120");
    expectRefused(preflight(kPrivate, "https://evil.example", "POST", "authorization"));
    expectRefused(preflight(kPrivate, "null", "POST"));
    expectRefused(preflight(kPrivate, "https://app.example", "POST", "x-other"));

    r = send("POST", kPrivate, "Origin: https://APP.example\r\nContent-Length: 0\r\n");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("access-control-allow-origin"), "https://APP.example");
    EXPECT_EQ(r.header("access-control-allow-credentials"), "true");
    EXPECT_EQ(r.header("vary"), "Origin");
    r = send("POST", kPrivate, "Origin: https://evil.example\r\nContent-Length: 0\r\n");
    EXPECT_EQ(r.status, 200); // CORS protects the page's reading, not the server: the browser hides this answer
    EXPECT_TRUE(r.header("access-control-allow-origin").empty());
    EXPECT_EQ(r.header("vary"), "Origin");
}

TEST_F(Cors, PluginDefaultWithTheOperatorsOrigins)
{
    auto r = preflight(kConsumer, "https://ops.example", "GET");
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(r.header("access-control-allow-origin"), "https://ops.example");
    r = send("GET", kConsumer, "Origin: https://ops.example\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("access-control-allow-origin"), "https://ops.example");
    // testkit's own origin is not the operator's.
    expectRefused(preflight(kConsumer, "https://app.example", "GET"));
    EXPECT_TRUE(send("GET", kConsumer, "Origin: https://app.example\r\n").header("access-control-allow-origin").empty());
}

TEST_F(Cors, RoutesWithoutCorsRefuseEveryOrigin)
{
    // A route of the same plugin that turns the default off, and a route of a plugin without any.
    for (const std::string path : {"/api/v1/consumer/private", "/api/v1/testkit/remote"}) {
        expectRefused(preflight(path, "https://ops.example", "GET"));
        const auto r = send("GET", path, "Origin: https://ops.example\r\n");
        EXPECT_EQ(r.status, 200) << path;
        EXPECT_TRUE(r.header("access-control-allow-origin").empty()) << path;
    }
}

TEST_F(Cors, OptionsThatIsNoPreflightIsNotAllowed)
{
    const auto r = send("OPTIONS", kConsumer, "Origin: https://ops.example\r\n");
    EXPECT_EQ(r.status, 405) << r.body;
    EXPECT_EQ(preflight("/api/v1/no/such/route", "https://ops.example", "GET").status, 404);
    // A preflight for a method the path does not have: that method's answer, 405.
    EXPECT_EQ(preflight(kConsumer, "https://ops.example", "DELETE").status, 405);
}
