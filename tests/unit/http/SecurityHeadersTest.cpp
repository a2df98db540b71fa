// What the pipeline adds to every response for browsers (nosniff, Referrer-Policy, CSP,
// Cache-Control, HSTS behind a TLS proxy) and what it keeps out of logs (secret path parameters).
#include "http/HttpPipeline.hpp"
#include "log/Logger.hpp"
#include "vtp/abi.h"

#include <gtest/gtest.h>

#include <cstdio>

using namespace vtp::kernel;

namespace {

int okHandler(void*, const vtp_request*, vtp_response* out)
{
    out->data.status = 200;
    out->data.contentType = "application/json";
    out->data.body = "{}";
    return VTP_OK;
}

// A handler that chose its own caching and policy.
int cachedHandler(void*, const vtp_request*, vtp_response* out)
{
    out->data.status = 200;
    out->data.contentType = "text/html";
    out->data.body = "<p>hi</p>";
    out->data.headers.emplace_back("cache-control", "public, max-age=60");
    out->data.headers.emplace_back("Content-Security-Policy", "default-src 'self'");
    return VTP_OK;
}

class FakeAuth : public Authenticator {
public:
    bool available() const override { return true; }
    bool verify(std::string_view token, Principal& out, std::string&) override
    {
        if (token != "good") return false;
        out = {"u1", {"student"}};
        return true;
    }
};

class SecurityHeaders : public ::testing::Test {
protected:
    SecurityHeaders() : sink_(std::fopen("/dev/null", "w")), log_(sink_), pipeline_(router_, limits(), log_)
    {
        ok_.struct_size = cached_.struct_size = sizeof ok_;
        ok_.handler = okHandler;
        cached_.handler = cachedHandler;
        add("GET", "/public", VTP_ROLE_PUBLIC, &ok_);
        add("GET", "/mine", VTP_ROLE_AUTHENTICATED, &ok_);
        add("GET", "/shared", VTP_ROLE_AUTHENTICATED, &ok_, {}, "private, max-age=30");
        add("GET", "/feed/{user}/{file}", VTP_ROLE_PUBLIC, &ok_, {"file", "code"});
        add("GET", "/page", VTP_ROLE_PUBLIC, &cached_);
        pipeline_.setAuthenticator(&auth_);
    }
    ~SecurityHeaders() override { std::fclose(sink_); }

    static HttpLimits limits()
    {
        HttpLimits l;
        l.trustedProxies.push_back(*AddressRange::parse("10.0.0.0/8"));
        l.hstsMaxAgeSeconds = 600;
        return l;
    }
    void add(const char* method, const char* pattern, const char* role, const vtp_route* target, std::vector<std::string> secret = {},
             std::string cacheControl = {})
    {
        RouteSpec s;
        s.method = method;
        s.pattern = pattern;
        s.role = role;
        s.owner = "test";
        s.target = target;
        s.secretParams = std::move(secret);
        s.cacheControl = std::move(cacheControl);
        router_.add(std::move(s));
    }
    HttpResponseData run(const std::string& target, HeaderList headers = {}, const std::string& peer = "127.0.0.1")
    {
        IncomingRequest r;
        r.method = "GET";
        r.target = target;
        r.remoteAddress = peer;
        r.headers = std::move(headers);
        auto out = pipeline_.handle(r, {});
        last_ = r;
        return out;
    }
    static std::vector<std::string> values(const HttpResponseData& r, std::string_view lowerName)
    {
        std::vector<std::string> out;
        for (const auto& [k, v] : r.headers) {
            std::string name = k;
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (name == lowerName) out.push_back(v);
        }
        return out;
    }
    static std::string value(const HttpResponseData& r, std::string_view lowerName)
    {
        const auto all = values(r, lowerName);
        return all.empty() ? std::string() : all.front();
    }

    std::FILE* sink_;
    Logger log_;
    Router router_;
    HttpPipeline pipeline_;
    vtp_route ok_{}, cached_{};
    FakeAuth auth_;
    IncomingRequest last_;
};

} // namespace

TEST_F(SecurityHeaders, EveryResponseForbidsSniffingReferrersAndLoadingAnything)
{
    for (const std::string target : {"/public", "/mine", "/nowhere", "/feed/a/b"}) {
        const auto r = run(target);
        EXPECT_EQ(value(r, "x-content-type-options"), "nosniff") << target;
        EXPECT_EQ(value(r, "referrer-policy"), "no-referrer") << target;
        EXPECT_EQ(value(r, "content-security-policy"), "default-src 'none'; frame-ancestors 'none'") << target;
    }
    // Problems too: the 404 above, and a 401.
    const auto unauthorized = run("/mine");
    EXPECT_EQ(unauthorized.status, 401);
    EXPECT_EQ(unauthorized.contentType, "application/problem+json");
    EXPECT_EQ(value(unauthorized, "content-security-policy"), "default-src 'none'; frame-ancestors 'none'");
}

TEST_F(SecurityHeaders, PersonalResponsesAreNotStoredUnlessTheRouteSaysOtherwise)
{
    const HeaderList token{{"authorization", "Bearer good"}};
    EXPECT_EQ(value(run("/mine", token), "cache-control"), "no-store");
    EXPECT_EQ(value(run("/mine"), "cache-control"), "no-store") << "its 401 as well";
    EXPECT_EQ(value(run("/public", token), "cache-control"), "no-store") << "answered someone who showed a token";
    EXPECT_EQ(value(run("/feed/a/b"), "cache-control"), "no-store") << "behind a secret URL";
    EXPECT_EQ(value(run("/public"), "cache-control"), "") << "anonymous and public: the handler decides";
    EXPECT_EQ(values(run("/shared", token), "cache-control"), std::vector<std::string>{"private, max-age=30"}) << "the route's own";
    // The handler's own Cache-Control and CSP win, once each.
    const auto page = run("/page", token);
    EXPECT_EQ(values(page, "cache-control"), std::vector<std::string>{"public, max-age=60"});
    EXPECT_EQ(values(page, "content-security-policy"), std::vector<std::string>{"default-src 'self'"});
}

TEST_F(SecurityHeaders, HstsOnlyWhenATrustedProxySaysTheClientCameOverTls)
{
    EXPECT_EQ(value(run("/public", {{"x-forwarded-proto", "https"}}, "10.1.2.3"), "strict-transport-security"), "max-age=600");
    EXPECT_EQ(value(run("/public", {{"x-forwarded-proto", "http, https"}}, "10.1.2.3"), "strict-transport-security"), "max-age=600")
        << "the nearest proxy's word counts";
    EXPECT_EQ(value(run("/public", {{"x-forwarded-proto", "http"}}, "10.1.2.3"), "strict-transport-security"), "");
    EXPECT_EQ(value(run("/public", {}, "10.1.2.3"), "strict-transport-security"), "");
    EXPECT_EQ(value(run("/public", {{"x-forwarded-proto", "https"}}, "192.0.2.7"), "strict-transport-security"), "")
        << "a client that is no trusted proxy cannot ask for it";
}

TEST_F(SecurityHeaders, SecretPathParametersAreMaskedForTheLog)
{
    run("/feed/ada/s3cr3t-t0ken.ics?code=abc");
    EXPECT_EQ(last_.logPath, "/feed/ada/***");
    run("/public?x=1");
    EXPECT_EQ(last_.logPath, "/public");
    // Refused before the handler (a malformed query): still masked.
    const auto refused = run("/feed/ada/s3cr3t-t0ken.ics?code=%zz");
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(last_.logPath, "/feed/ada/***");
    EXPECT_EQ(maskPath("/a/b/c/", "/a/{x}/c", {"x"}), "/a/***/c/");
    EXPECT_EQ(maskPath("/a/b", "/a/{x}", {}), "/a/b");
    EXPECT_EQ(maskPath("/a/%2F", "/a/{x}", {"x"}), "/a/***");
}
