// CORS policies as plugins declare them (vtp_cors) and the headers they give.
#include "http/Cors.hpp"

#include <gtest/gtest.h>

using namespace vtp::kernel;

namespace {

std::optional<CorsPolicy> parse(const char* origins, bool credentials = false, const char* methods = nullptr, const char* headers = nullptr,
                                int64_t maxAge = 0)
{
    std::string error;
    return CorsPolicy::parse(false, credentials, origins, methods, headers, nullptr, maxAge, error);
}

std::string header(const HeaderList& h, const std::string& name)
{
    std::string out;
    for (const auto& [k, v] : h)
        if (k == name) out += (out.empty() ? "" : "|") + v;
    return out;
}

} // namespace

TEST(CorsPolicy, RefusesMalformedDeclarations)
{
    EXPECT_TRUE(parse("*"));
    EXPECT_TRUE(parse("https://a.example, http://localhost:5173"));
    EXPECT_TRUE(parse(nullptr)); // the operator's origins
    EXPECT_FALSE(parse("*", true)) << "credentials with any origin";
    EXPECT_FALSE(parse("*,https://a.example"));
    EXPECT_FALSE(parse("a.example"));
    EXPECT_FALSE(parse("https://a.example/path"));
    EXPECT_FALSE(parse("https://user@a.example"));
    EXPECT_FALSE(parse("https://a.example", false, "GET,FETCH"));
    EXPECT_FALSE(parse("https://a.example", false, nullptr, "bad header"));
    EXPECT_FALSE(parse("https://a.example", false, nullptr, nullptr, -1));
    EXPECT_FALSE(parse("https://a.example", false, nullptr, nullptr, 86401));
    EXPECT_EQ(parse("*")->maxAgeSeconds, 600);
}

TEST(CorsPolicy, OriginsMatchExactlyWithoutCase)
{
    const auto p = parse("https://a.example");
    const std::vector<std::string> ops{"https://ops.example"};
    EXPECT_TRUE(corsOriginAllowed(*p, "https://A.example", ops));
    EXPECT_FALSE(corsOriginAllowed(*p, "https://a.example:8443", ops));
    EXPECT_FALSE(corsOriginAllowed(*p, "https://a.example.evil", ops));
    EXPECT_FALSE(corsOriginAllowed(*p, "https://ops.example", ops));
    EXPECT_FALSE(corsOriginAllowed(*p, "null", ops));
    const auto operators = parse("");
    EXPECT_TRUE(corsOriginAllowed(*operators, "https://ops.example", ops));
    EXPECT_FALSE(corsOriginAllowed(*operators, "https://a.example", ops));
    EXPECT_FALSE(corsOriginAllowed(*operators, "https://ops.example", {}));
    EXPECT_TRUE(corsOriginAllowed(*parse("*"), "null", ops));
}

TEST(CorsPolicy, PreflightEchoesWhatIsAllowedAndRefusesTheRest)
{
    const auto p = parse("https://a.example", true, "POST", "authorization,content-type", 120);
    IncomingRequest req;
    req.method = "OPTIONS";
    req.requestId = "rid";
    req.headers = {{"origin", "https://a.example"},
                   {"access-control-request-method", "POST"},
                   {"access-control-request-headers", "Content-Type, authorization"}};
    auto r = corsPreflight(&*p, "POST", req, {});
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(header(r.headers, "Access-Control-Allow-Origin"), "https://a.example");
    EXPECT_EQ(header(r.headers, "Access-Control-Allow-Credentials"), "true");
    EXPECT_EQ(header(r.headers, "Access-Control-Allow-Headers"), "content-type, authorization");
    EXPECT_EQ(header(r.headers, "Access-Control-Max-Age"), "120");
    EXPECT_EQ(corsPreflight(&*p, "DELETE", req, {}).status, 403) << "a method the policy does not list";
    EXPECT_EQ(corsPreflight(nullptr, "POST", req, {}).status, 403) << "no policy";
    req.headers[2].second = "x-other";
    EXPECT_EQ(corsPreflight(&*p, "POST", req, {}).status, 403);
}

TEST(CorsPolicy, ActualAnswersVaryByOriginUnlessAnyOriginMayRead)
{
    IncomingRequest req;
    req.method = "GET";
    req.headers = {{"origin", "https://b.example"}};
    HeaderList h;
    addCorsHeaders(*parse("https://a.example"), "GET", req, {}, h);
    EXPECT_EQ(header(h, "Vary"), "Origin");
    EXPECT_EQ(header(h, "Access-Control-Allow-Origin"), "");
    h.clear();
    std::string error;
    const auto any = CorsPolicy::parse(false, false, "*", nullptr, nullptr, "etag, content-range", 0, error);
    addCorsHeaders(*any, "GET", req, {}, h);
    EXPECT_EQ(header(h, "Vary"), "");
    EXPECT_EQ(header(h, "Access-Control-Allow-Origin"), "*");
    EXPECT_EQ(header(h, "Access-Control-Expose-Headers"), "etag, content-range");
    h.clear();
    std::string e2;
    addCorsHeaders(*CorsPolicy::parse(true, false, "*", nullptr, nullptr, nullptr, 0, e2), "GET", req, {}, h);
    EXPECT_TRUE(h.empty()) << "turned off";
}
