// The headers a browser needs, on every response of the real vtpd: the kernel's own (health,
// metrics, the API description, problems, 404, 405, a malformed request), a plugin's, and plain
// HTTP on the socket port.
#include "HttpTestSupport.hpp"

#include <gtest/gtest.h>

using namespace vtp::test;

namespace {

const char* kCsp = "default-src 'none'; frame-ancestors 'none'";

class SecurityHeaders : public VtpdSuite<SecurityHeaders> {
public:
    static VtpdOptions options()
    {
        VtpdOptions o;
        o.enabled = {"hello", "testkit"};
        o.extraToml = "[plugins.testkit]\nverifier = true\n"; // testkit's tokens: "test:SUBJECT:ROLES"
        return o;
    }

protected:
    static void expectBrowserHeaders(const std::map<std::string, std::string>& lowerHeaders, const std::string& what)
    {
        auto get = [&](const std::string& name) {
            const auto it = lowerHeaders.find(name);
            return it == lowerHeaders.end() ? std::string("(none)") : it->second;
        };
        EXPECT_EQ(get("x-content-type-options"), "nosniff") << what;
        EXPECT_EQ(get("referrer-policy"), "no-referrer") << what;
        EXPECT_EQ(get("content-security-policy"), kCsp) << what;
        EXPECT_EQ(get("strict-transport-security"), "(none)") << what << ": plain HTTP from no proxy";
    }
    static std::map<std::string, std::string> lowered(const HttpResult& r)
    {
        std::map<std::string, std::string> out;
        for (const auto& [k, v] : r.headers) out[lowerCase(k)] = v;
        return out;
    }
};

} // namespace

TEST_F(SecurityHeaders, KernelAndPluginResponsesAndProblemsCarryThem)
{
    const std::vector<std::pair<std::string, std::string>> requests{{"GET", "/health"},
                                                                    {"GET", "/ready"},
                                                                    {"GET", "/metrics"},
                                                                    {"GET", "/api/v1/openapi.json"},
                                                                    {"GET", "/api/v1/hello/ada"},
                                                                    {"GET", "/no/such/route"},
                                                                    {"DELETE", "/health"},
                                                                    {"GET", "/api/v1/testkit/whoami"},
                                                                    {"GET", "/api/v1/testkit/throw"}};
    for (const auto& [method, path] : requests) {
        const auto r = vtpd_->request(method, path);
        expectBrowserHeaders(lowered(r), method + " " + path + " (" + std::to_string(r.status) + ")");
    }
    // A request head Poco cannot parse is answered before any route: the headers still come along.
    const auto malformed = rawExchange(vtpd_->httpPort(), "\x01\x02garbage\r\n\r\n");
    EXPECT_EQ(malformed.status, 400);
    expectBrowserHeaders(malformed.headers, "malformed request");
}

TEST_F(SecurityHeaders, AuthenticatedResponsesAreNotStoredAndPublicOnesAreLeftToTheirRoute)
{
    const std::map<std::string, std::string> token{{"Authorization", testkitToken("ada", "student")}};
    auto r = vtpd_->get("/api/v1/testkit/whoami", token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(lowered(r)["cache-control"], "no-store");
    r = vtpd_->get("/api/v1/testkit/whoami");
    ASSERT_EQ(r.status, 401);
    EXPECT_EQ(lowered(r)["cache-control"], "no-store") << "its refusal too";
    r = vtpd_->get("/api/v1/testkit/admin", token);
    ASSERT_EQ(r.status, 403);
    EXPECT_EQ(lowered(r)["cache-control"], "no-store");
    r = vtpd_->get("/health");
    EXPECT_EQ(lowered(r).count("cache-control"), 0u) << "public and anonymous: nothing personal";
}

TEST_F(SecurityHeaders, PlainHttpOnTheSocketPortCarriesThem)
{
    auto r = rawExchange(vtpd_->wsPort(), "PUT /testkit/poll HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(r.status, 405);
    expectBrowserHeaders(r.headers, "a plugin's answer on the socket port");
    EXPECT_EQ(r.header("cache-control"), "no-store");
    r = rawExchange(vtpd_->wsPort(), "GET /no/such/path HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << "a problem, not lws's HTML page";
    expectBrowserHeaders(r.headers, "404 on the socket port");
    r = rawExchange(vtpd_->wsPort(), "GET /hello/echo HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 426);
    expectBrowserHeaders(r.headers, "426 on the socket port");
}

// Behind the documented TLS proxy, ReverseProxy.SendsHstsOnlyOverTheProxysTls checks HSTS.
