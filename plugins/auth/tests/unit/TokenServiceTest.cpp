// Access tokens: what is issued verifies, and every forgery or misuse is refused by name.
#include "CryptoUtil.hpp"
#include "TokenService.hpp"

#include "TestSupport.hpp"

#include <Poco/Crypto/ECKey.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>

using namespace vtp::auth;
using vtp::base64UrlEncode;
using vtp::test::TempDir;

namespace {

constexpr int64_t kNow = 1'800'000'000;

TokenOptions hsOptions(const TempDir& dir)
{
    TokenOptions o;
    o.generatedSecretPath = dir.file("auth/jwt-hs256.secret");
    return o;
}

std::string reason(const TokenService& s, const std::string& token, int64_t now = kNow)
{
    try {
        s.verify(token, now);
        return "accepted";
    } catch (const TokenError& e) {
        return e.what();
    }
}

std::string b64url(const std::string& s)
{
    return base64UrlEncode(s);
}

std::string writeRsaKey(const TempDir& dir, const std::string& name)
{
    Poco::Crypto::RSAKey key(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE);
    key.save(dir.file(name + ".pub"), dir.file(name + ".pem"));
    return dir.file(name + ".pem");
}

std::string writeEcKey(const TempDir& dir, const std::string& name)
{
    Poco::Crypto::ECKey key("prime256v1");
    key.save(dir.file(name + ".pub"), dir.file(name + ".pem"));
    return dir.file(name + ".pem");
}

} // namespace

TEST(TokenService, IssuedTokenVerifiesWithItsClaims)
{
    TempDir dir;
    TokenService s(hsOptions(dir));
    AccessClaims issued;
    const std::string token = s.issue("user-1", {"student", "instructor"}, "session-1", kNow, &issued);
    const AccessClaims c = *s.verify(token, kNow + 10);
    EXPECT_EQ(c.subject, "user-1");
    EXPECT_EQ(c.sessionId, "session-1");
    EXPECT_EQ(c.roles, (std::vector<std::string>{"student", "instructor"}));
    EXPECT_EQ(c.jti, issued.jti);
    EXPECT_EQ(c.expiresAt, kNow + 900);
    Poco::JWT::Token parsed(token);
    EXPECT_EQ(parsed.header().getValue<std::string>("kid"), s.signingKid());
    EXPECT_EQ(parsed.getIssuer(), "vtp");
}

TEST(TokenService, GeneratesTheSecretOnceWithMode0600)
{
    TempDir dir;
    const std::string t1 = TokenService(hsOptions(dir)).issue("u", {}, "s", kNow);
    struct stat st {};
    ASSERT_EQ(::stat(dir.file("auth/jwt-hs256.secret").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(reason(TokenService(hsOptions(dir)), t1), "accepted") << "a restart keeps the secret";
    ::chmod(dir.file("auth/jwt-hs256.secret").c_str(), 0644);
    EXPECT_THROW(TokenService{hsOptions(dir)}, std::runtime_error) << "a readable secret is refused";
}

TEST(TokenService, RefusesExpiredTokensBeyondTheLeeway)
{
    TempDir dir;
    TokenService s(hsOptions(dir));
    const std::string token = s.issue("u", {}, "s", kNow);
    EXPECT_EQ(reason(s, token, kNow + 900 + 30), "accepted") << "within the 30 s leeway";
    EXPECT_EQ(reason(s, token, kNow + 900 + 31), "token expired");
    EXPECT_EQ(reason(s, token, kNow - 31), "token issued in the future");
}

TEST(TokenService, RefusesTamperedAndMalformedTokens)
{
    TempDir dir;
    TokenService s(hsOptions(dir));
    const std::string token = s.issue("u", {"student"}, "s", kNow);
    const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
    // Same header and signature, a payload that claims admin.
    Poco::JWT::Token t(token);
    t.payload().set("roles", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    t.payload().getArray("roles")->add("admin");
    std::ostringstream payload;
    t.payload().stringify(payload);
    const std::string forged = token.substr(0, dot1 + 1) + b64url(payload.str()) + token.substr(dot2);
    EXPECT_EQ(reason(s, forged), "invalid token signature");
    // A changed signature byte (the middle of the signature, all of whose bits count).
    std::string flipped = token;
    char& c = flipped[dot2 + 10];
    c = c == 'A' ? 'B' : 'A';
    EXPECT_EQ(reason(s, flipped), "invalid token signature");
    // The last character of a 32-byte signature carries two unused bits: setting one gives
    // another spelling of the same bytes, refused as not canonical.
    std::string respelled = token;
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    respelled.back() = alphabet[alphabet.find(respelled.back()) ^ 1];
    EXPECT_EQ(reason(s, respelled), "malformed token");
    for (const char* bad : {"", "abc", "a.b", "a.b.c.d", "...", "e30.e30."}) EXPECT_NE(reason(s, bad), "accepted") << bad;
}

TEST(TokenService, RefusesAlgNoneAndAlgorithmConfusion)
{
    TempDir dir;
    TokenOptions o;
    o.algorithm = "RS256";
    o.keyFile = writeRsaKey(dir, "rsa");
    TokenService s(o);
    const std::string good = s.issue("u", {}, "s", kNow);
    Poco::JWT::Token t(good);

    // alg none with the right kid and no signature.
    const std::string noneHeader = R"({"alg":"none","kid":")" + s.signingKid() + R"(","typ":"JWT"})";
    std::ostringstream payload;
    t.payload().stringify(payload);
    EXPECT_EQ(reason(s, b64url(noneHeader) + "." + b64url(payload.str()) + "."), "malformed token");
    EXPECT_EQ(reason(s, b64url(noneHeader) + "." + b64url(payload.str()) + ".AAAA"), "token algorithm not allowed");

    // HS256 signed with the RSA public key as the HMAC secret: the classic confusion attack.
    std::ifstream pubFile(dir.file("rsa.pub"));
    const std::string publicPem((std::istreambuf_iterator<char>(pubFile)), std::istreambuf_iterator<char>());
    Poco::JWT::Token confused;
    confused.setType("JWT");
    confused.header().set("kid", s.signingKid());
    confused.payload() = t.payload();
    Poco::JWT::Signer hmac(publicPem);
    const std::string attack = hmac.sign(confused, Poco::JWT::Signer::ALGO_HS256);
    EXPECT_EQ(reason(s, attack), "token algorithm not allowed");
}

TEST(TokenService, RefusesWrongIssuerAudienceAndUnknownKid)
{
    TempDir dir;
    const std::string secret = std::string(40, 'k');
    {
        std::ofstream(dir.file("secret")) << secret;
    }
    TokenOptions o;
    o.keyFile = dir.file("secret");
    TokenService s(o);
    const std::string good = s.issue("u", {}, "s", kNow);
    Poco::JWT::Signer signer(secret);
    auto resign = [&](auto&& change) {
        Poco::JWT::Token t(good);
        change(t);
        return signer.sign(t, Poco::JWT::Signer::ALGO_HS256);
    };
    EXPECT_EQ(reason(s, resign([](Poco::JWT::Token&) {})), "accepted");
    EXPECT_EQ(reason(s, resign([](Poco::JWT::Token& t) { t.setIssuer("someone-else"); })), "wrong token issuer");
    EXPECT_EQ(reason(s, resign([](Poco::JWT::Token& t) { t.setAudience("other-app"); })), "wrong token audience");
    EXPECT_EQ(reason(s, resign([](Poco::JWT::Token& t) { t.header().set("kid", std::string("0123456789abcdef")); })),
              "token signed with an unknown key");
    EXPECT_EQ(reason(s, resign([](Poco::JWT::Token& t) { t.header().remove("kid"); })), "token names no key");
    EXPECT_EQ(reason(s, resign([](Poco::JWT::Token& t) { t.payload().remove("sid"); })), "token lacks a required claim");
    EXPECT_EQ(reason(s, resign([](Poco::JWT::Token& t) { t.payload().set("exp", std::string("soon")); })),
              "token has no valid 'exp' claim");
}

TEST(TokenService, RotatedKeysKeepVerifyingOldTokens)
{
    TempDir dir;
    TokenOptions first;
    first.algorithm = "ES256";
    first.keyFile = writeEcKey(dir, "ec-old");
    TokenService oldService(first);
    const std::string oldToken = oldService.issue("u", {}, "s", kNow);

    TokenOptions second;
    second.algorithm = "RS256";
    second.keyFile = writeRsaKey(dir, "rsa-new");
    second.previousKeyFiles = {dir.file("ec-old.pub")};
    TokenService rotated(second);
    EXPECT_EQ(reason(rotated, oldToken), "accepted") << "the old key still verifies";
    const std::string newToken = rotated.issue("u", {}, "s", kNow);
    EXPECT_EQ(Poco::JWT::Token(newToken).getAlgorithm(), "RS256");
    EXPECT_EQ(reason(rotated, newToken), "accepted");
    EXPECT_EQ(reason(oldService, newToken), "token signed with an unknown key");

    const vtp::Json jwks = rotated.jwks();
    ASSERT_EQ(jwks["keys"].size(), 2u);
    EXPECT_EQ(jwks["keys"].at(0)["kty"].asString(), "RSA");
    EXPECT_EQ(jwks["keys"].at(0)["kid"].asString(), rotated.signingKid());
    EXPECT_EQ(jwks["keys"].at(1)["kty"].asString(), "EC");
    EXPECT_EQ(jwks["keys"].at(1)["crv"].asString(), "P-256");
    EXPECT_EQ(jwks["keys"].at(1)["x"].asString().size(), 43u) << "32 bytes, base64url";
}

TEST(TokenService, RefusesUnusableKeyConfig)
{
    TempDir dir;
    TokenOptions o;
    o.algorithm = "RS256";
    EXPECT_THROW(TokenService{o}, std::runtime_error) << "RS256 without a key file";
    o.keyFile = writeEcKey(dir, "ec");
    EXPECT_THROW(TokenService{o}, std::runtime_error) << "an EC key for RS256";
    o.keyFile = dir.file("ec.pub");
    o.algorithm = "ES256";
    EXPECT_THROW(TokenService{o}, std::runtime_error) << "a public key cannot sign";
    {
        std::ofstream(dir.file("short")) << "tooshort";
    }
    TokenOptions h;
    h.keyFile = dir.file("short");
    EXPECT_THROW(TokenService{h}, std::runtime_error) << "an HS256 secret under 32 bytes";
}
