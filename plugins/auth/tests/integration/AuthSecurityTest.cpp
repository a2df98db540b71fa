// The auth plugin against an attacker: forged and misused tokens, login throttling from
// several addresses, asymmetric keys published as JWKS and verified by another implementation
// (Node's crypto), key rotation, and vtpctl's refusal to take passwords as arguments.
#include "AuthTestSupport.hpp"

#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

using namespace vtp::test;

namespace {

const char* kPassword = "lecture-hall-42-blue";
const std::string kOpen = std::string("[plugins.auth]\nregistration = \"open\"\n\n") + kFastArgon;

std::unique_ptr<AuthServer> startServer(const std::string& toml, Backend backend = Backend::SQLite)
{
    auto s = std::make_unique<AuthServer>(backend, toml);
    if (!s->start()) throw std::runtime_error("vtpd did not start: " + s->vtpd().logs());
    return s;
}

std::string detailOf(const HttpResult& r)
{
    try {
        return jsonString(r.json(), "detail");
    } catch (...) {
        return r.body;
    }
}

std::string b64url(const std::string& s)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    size_t i = 0;
    for (; i + 2 < s.size(); i += 3) {
        const unsigned v = (unsigned(uint8_t(s[i])) << 16) | (unsigned(uint8_t(s[i + 1])) << 8) | uint8_t(s[i + 2]);
        out += {t[v >> 18 & 63], t[v >> 12 & 63], t[v >> 6 & 63], t[v & 63]};
    }
    if (i + 1 == s.size()) {
        const unsigned v = unsigned(uint8_t(s[i])) << 16;
        out += {t[v >> 18 & 63], t[v >> 12 & 63]};
    } else if (i + 2 == s.size()) {
        const unsigned v = (unsigned(uint8_t(s[i])) << 16) | (unsigned(uint8_t(s[i + 1])) << 8);
        out += {t[v >> 18 & 63], t[v >> 12 & 63], t[v >> 6 & 63]};
    }
    return out;
}

void runOrThrow(const std::string& command)
{
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

} // namespace

TEST(AuthSecurity, ForgedExpiredAndMisdirectedTokensAreRefused)
{
    auto s = startServer(kOpen);
    ASSERT_EQ(
        s->post("/api/v1/auth/register", jsonBody({{"email", "ada@uni.example"}, {"password", kPassword}, {"display_name", "Ada"}})).status,
        201);
    const Tokens t = s->login("ada@uni.example", kPassword);
    ASSERT_EQ(s->vtpd().get("/api/v1/users/me", bearer(t.access)).status, 200);

    // The attacker who stole the HS256 secret could mint tokens; here the test does, to check
    // every claim on its own. The secret lives in the data directory.
    const std::string secret = [&] {
        std::string x = readFile(s->vtpd().dir() + "/data/auth/jwt-hs256.secret");
        while (!x.empty() && (x.back() == '\n' || x.back() == ' ')) x.pop_back();
        return x;
    }();
    Poco::JWT::Signer signer(secret);
    const Poco::JWT::Token good(t.access);
    auto mint = [&](auto&& change) {
        Poco::JWT::Token copy(t.access);
        change(copy);
        return signer.sign(copy, Poco::JWT::Signer::ALGO_HS256);
    };
    const auto now = static_cast<Poco::Int64>(std::time(nullptr));
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(mint([](Poco::JWT::Token&) {}))).status, 200) << "the minting itself is right";

    struct Case {
        const char* what;
        std::string token;
        const char* reason;
    };
    std::string tampered = t.access;
    tampered[tampered.find('.') + 5] ^= 1;
    const std::string noneToken = b64url(R"({"alg":"none","typ":"JWT","kid":")" + good.header().getValue<std::string>("kid") + R"("})") +
                                  "." + t.access.substr(t.access.find('.') + 1, t.access.rfind('.') - t.access.find('.') - 1) + ".";
    const std::vector<Case> cases = {
        {"expired", mint([&](Poco::JWT::Token& x) {
             x.payload().set("exp", now - 120);
             x.payload().set("iat", now - 1000);
         }),
         "token expired"},
        {"wrong issuer", mint([](Poco::JWT::Token& x) { x.setIssuer("https://evil.example"); }), "wrong token issuer"},
        {"wrong audience", mint([](Poco::JWT::Token& x) { x.setAudience("another-service"); }), "wrong token audience"},
        {"unknown kid", mint([](Poco::JWT::Token& x) { x.header().set("kid", std::string("ffffffffffffffff")); }),
         "token signed with an unknown key"},
        {"tampered", tampered, "malformed token"},
        {"alg none", noneToken, "malformed token"},
        {"alg none with a signature", noneToken + "AAAA", "token algorithm not allowed"},
    };
    for (const auto& c : cases) {
        auto r = s->vtpd().get("/api/v1/users/me", bearer(c.token));
        EXPECT_EQ(r.status, 401) << c.what;
        EXPECT_EQ(r.contentType, "application/problem+json") << c.what;
        if (std::string(c.what) == "tampered")
            EXPECT_NE(detailOf(r), "") << c.what;
        else
            EXPECT_EQ(detailOf(r), c.reason) << c.what;
        EXPECT_EQ(s->vtpd().get("/api/v1/testkit/whoami", bearer(c.token)).status, 401) << c.what << " on another plugin's route";
    }
}

// The throttle lives in the database, shared by every node: checked on both backends.
class Throttling : public ::testing::TestWithParam<Backend> {};

TEST_P(Throttling, LocksAddressesAndAccountsButNeverForever)
{
    // Locks of a minute and more, which real time cannot end during the test: only the test's
    // own clock (advanceThrottleClock) moves them.
    auto s = startServer(kOpen + "[plugins.auth.throttle]\naccount_failures = 3\naddress_failures = 6\nbase_delay_seconds = 60\n"
                                 "max_lockout_seconds = 60\naddress_max_lockout_seconds = 3600\nwindow_seconds = 600\n",
                         GetParam());
    // The throttle's only clock reading is its stored instants (locked_until, window_start):
    // moving them back by `seconds` is the clock moving forward by as much, on both backends.
    auto advanceThrottleClock = [&](int64_t seconds) {
        s->query("UPDATE auth_throttle SET locked_until = locked_until - ?, window_start = window_start - ?", {seconds, seconds});
    };
    ASSERT_EQ(s->post("/api/v1/auth/register", jsonBody({{"email", "victim@uni.example"}, {"password", kPassword}, {"display_name", "V"}}))
                  .status,
              201);
    const uint16_t port = s->vtpd().httpPort();
    auto attempt = [&](const std::string& from, const std::string& email, const std::string& password) {
        return requestFrom(from, port, "POST", "/api/v1/auth/login", jsonBody({{"email", email}, {"password", password}}));
    };

    // The attacker (127.0.0.2) guesses the victim's password three times: the account locks.
    for (int i = 0; i < 3; ++i) EXPECT_EQ(attempt("127.0.0.2", "victim@uni.example", "guess-number-" + std::to_string(i)).status, 401);
    auto locked = attempt("127.0.0.2", "victim@uni.example", "guess-number-3");
    ASSERT_EQ(locked.status, 429);
    ASSERT_FALSE(locked.header("retry-after").empty());
    EXPECT_GE(std::stoi(locked.header("retry-after")), 1);
    EXPECT_LE(std::stoi(locked.header("retry-after")), 60);
    // Even the right password waits out the lock, from any address.
    EXPECT_EQ(attempt("127.0.0.3", "victim@uni.example", kPassword).status, 429);

    // The attacker moves on to other accounts; the address locks after six failures in all.
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(attempt("127.0.0.2", "other" + std::to_string(i) + "@uni.example", "guess-guess-guess").status, 401);
    auto addressLocked = attempt("127.0.0.2", "fresh@uni.example", "guess-guess-guess");
    EXPECT_EQ(addressLocked.status, 429);
    EXPECT_NE(addressLocked.body.find("address"), std::string::npos) << addressLocked.body;

    // The victim gets in once the account's short lock has run out, although the attacker keeps
    // trying: its address's lock grows past the account's, and refused attempts do not count.
    int status = 0, attackerRefused = 0;
    for (int step = 0; step < 60 && status != 200; ++step) { // 10 s a step: 10 minutes at most
        const int a = attempt("127.0.0.2", "victim@uni.example", "another-guess-here").status;
        EXPECT_TRUE(a == 429 || a == 401) << a;
        attackerRefused += a == 429;
        status = attempt("127.0.0.3", "victim@uni.example", kPassword).status;
        if (status == 200) break;
        ASSERT_EQ(status, 429);
        advanceThrottleClock(10);
    }
    EXPECT_EQ(status, 200) << "the victim's account stayed locked";
    EXPECT_GT(attackerRefused, 0);
}

// Open registration answers 409 email-taken: without a limit, anyone could list who has an account.
TEST_P(Throttling, RefusedRegistrationsAreThrottledPerEmailAndPerClientAddress)
{
    // A long base delay: the locks outlast the test on any machine.
    auto s = startServer(kOpen + "[plugins.auth.throttle]\nregistration_email_failures = 2\nregistration_address_failures = 3\n"
                                 "base_delay_seconds = 120\nmax_lockout_seconds = 120\naddress_max_lockout_seconds = 600\n",
                         GetParam());
    const uint16_t port = s->vtpd().httpPort();
    auto attempt = [&](const std::string& from, const std::string& email) {
        return requestFrom(from, port, "POST", "/api/v1/auth/register",
                           jsonBody({{"email", email}, {"password", kPassword}, {"display_name", "Someone"}}));
    };
    for (const char* email : {"a@uni.example", "b@uni.example", "c@uni.example", "d@uni.example"})
        ASSERT_EQ(attempt("127.0.0.1", email).status, 201) << email;

    // One email address asked about again and again, from different clients: after two refusals, 429.
    EXPECT_EQ(attempt("127.0.0.2", "a@uni.example").status, 409);
    EXPECT_EQ(attempt("127.0.0.3", "A@uni.example").status, 409) << "the same address however it is written";
    auto locked = attempt("127.0.0.4", "a@uni.example");
    EXPECT_EQ(locked.status, 429) << locked.body;
    ASSERT_FALSE(locked.header("retry-after").empty());
    EXPECT_GT(std::stoi(locked.header("retry-after")), 0);
    EXPECT_NE(locked.body.find("email address"), std::string::npos) << locked.body;

    // One client asking about many addresses: after three refusals, 429 even for a free address,
    // so it learns nothing more; other clients still register.
    EXPECT_EQ(attempt("127.0.0.5", "b@uni.example").status, 409);
    EXPECT_EQ(attempt("127.0.0.5", "c@uni.example").status, 409);
    EXPECT_EQ(attempt("127.0.0.5", "d@uni.example").status, 409);
    locked = attempt("127.0.0.5", "free@uni.example");
    EXPECT_EQ(locked.status, 429) << locked.body;
    EXPECT_FALSE(locked.header("retry-after").empty());
    EXPECT_NE(locked.body.find("from this address"), std::string::npos) << locked.body;
    EXPECT_EQ(attempt("127.0.0.6", "free@uni.example").status, 201);
    // A successful registration is never counted: many students behind one address may register.
    for (int i = 0; i < 5; ++i) EXPECT_EQ(attempt("127.0.0.7", "student" + std::to_string(i) + "@uni.example").status, 201) << i;
}

INSTANTIATE_TEST_SUITE_P(Backends, Throttling, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

TEST(AuthSecurity, AsymmetricKeysArePublishedAndVerifyInAnotherImplementation)
{
    for (const std::string alg : {"RS256", "ES256"}) {
        TempDir keys;
        const std::string key = keys.file("signing.pem");
        runOrThrow(std::string(VTP_TEST_OPENSSL) +
                   (alg == "RS256" ? " genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
                                   : " genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256") +
                   " -out " + key + " 2>/dev/null");
        auto s = startServer(kOpen + "[plugins.auth.tokens]\nalgorithm = \"" + alg + "\"\nkey_file = \"" + key + "\"\n");
        ASSERT_EQ(
            s->post("/api/v1/auth/register", jsonBody({{"email", "ada@uni.example"}, {"password", kPassword}, {"display_name", "Ada"}}))
                .status,
            201);
        const Tokens t = s->login("ada@uni.example", kPassword);
        EXPECT_EQ(Poco::JWT::Token(t.access).getAlgorithm(), alg);
        auto jwks = s->vtpd().get("/.well-known/jwks.json");
        ASSERT_EQ(jwks.status, 200);
        ASSERT_EQ(jwks.json()->getArray("keys")->size(), 1u) << jwks.body;

        // Node's crypto imports the JWK and checks the JWS signature itself.
        TempDir work;
        writeFile(work.file("jwks.json"), jwks.body);
        writeFile(work.file("token.txt"), t.access);
        writeFile(work.file("verify.js"), R"JS(
const fs = require('fs'), crypto = require('crypto');
const [dir] = process.argv.slice(2);
const jwks = JSON.parse(fs.readFileSync(dir + '/jwks.json'));
const token = fs.readFileSync(dir + '/token.txt', 'utf8').trim();
const [h, p, s] = token.split('.');
const header = JSON.parse(Buffer.from(h, 'base64url'));
const jwk = jwks.keys.find(k => k.kid === header.kid);
if (!jwk || jwk.alg !== header.alg) { console.log('no key'); process.exit(2); }
const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
const ok = crypto.verify('sha256', Buffer.from(h + '.' + p), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
const bad = crypto.verify('sha256', Buffer.from(h + '.' + p + 'x'), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
console.log(ok && !bad ? 'verified' : 'refused');
process.exit(ok && !bad ? 0 : 1);
)JS");
        std::string out;
        const int rc = VtpdProcess::run({VTP_TEST_NODE_BIN, work.file("verify.js"), work.path()}, out);
        EXPECT_EQ(rc, 0) << alg << ": " << out;
        EXPECT_NE(out.find("verified"), std::string::npos) << out;
    }
}

TEST(AuthSecurity, RotatedKeyKeepsOldTokensValidUntilTheyExpire)
{
    TempDir keys;
    const std::string oldKey = keys.file("old.pem"), newKey = keys.file("new.pem");
    runOrThrow(std::string(VTP_TEST_OPENSSL) + " genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + oldKey + " 2>/dev/null");
    runOrThrow(std::string(VTP_TEST_OPENSSL) + " genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + newKey + " 2>/dev/null");
    auto s = startServer(kOpen + "[plugins.auth.tokens]\nalgorithm = \"ES256\"\nkey_file = \"" + oldKey + "\"\n");
    ASSERT_EQ(
        s->post("/api/v1/auth/register", jsonBody({{"email", "ada@uni.example"}, {"password", kPassword}, {"display_name", "Ada"}})).status,
        201);
    const Tokens before = s->login("ada@uni.example", kPassword);
    const std::string oldKid = Poco::JWT::Token(before.access).header().getValue<std::string>("kid");

    s->vtpd().stop();
    std::string config = s->vtpd().config();
    const std::string from = "key_file = \"" + oldKey + "\"";
    config.replace(config.find(from), from.size(), "key_file = \"" + newKey + "\"\nprevious_key_files = [\"" + oldKey + "\"]");
    s->vtpd().rewriteConfig(config);
    ASSERT_TRUE(s->start()) << s->vtpd().logs();

    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(before.access)).status, 200) << "an old token still verifies";
    const Tokens after = s->login("ada@uni.example", kPassword);
    EXPECT_NE(Poco::JWT::Token(after.access).header().getValue<std::string>("kid"), oldKid) << "the new key signs";
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(after.access)).status, 200);
    EXPECT_EQ(s->vtpd().get("/.well-known/jwks.json").json()->getArray("keys")->size(), 2u);
}

TEST(AuthSecurity, VtpctlCreatesUsersFromStdinAndNeverTakesPasswordArguments)
{
    auto s = startServer(kOpen);
    std::string out;
    EXPECT_EQ(s->vtpctl({"user", "create", "--email", "root@uni.example", "--role", "admin", "--password", kPassword}, "", out), 2);
    EXPECT_NE(out.find("never taken as arguments"), std::string::npos) << out;
    out.clear();
    EXPECT_EQ(s->vtpctl({"user", "create", "--email", "root@uni.example", "--role", "admin"}, "short\n", out), 1);
    EXPECT_NE(out.find("at least 12"), std::string::npos) << out;
    out.clear();
    EXPECT_EQ(s->vtpctl({"user", "create", "--email", "root@uni.example", "--role", "overlord"}, std::string(kPassword) + "\n", out), 1);
    out.clear();
    ASSERT_EQ(s->vtpctl({"user", "create", "--email", "root@uni.example", "--role", "admin", "--role", "instructor"},
                        std::string(kPassword) + "\n", out),
              0)
        << out;
    EXPECT_NE(out.find("roles=admin,instructor"), std::string::npos) << out;
    const Tokens t = s->login("root@uni.example", kPassword);
    EXPECT_EQ(s->vtpd().get("/api/v1/testkit/admin", bearer(t.access)).status, 200);
    out.clear();
    EXPECT_EQ(s->vtpctl({"user", "create", "--email", "ROOT@uni.example"}, std::string(kPassword) + "\n", out), 1) << "duplicate";
}

TEST(AuthSecurity, FirstAdminCanBeCreatedBeforeVtpdEverRan)
{
    AuthServer s(Backend::SQLite, kOpen);
    std::string out;
    ASSERT_EQ(s.vtpctl({"user", "create", "--email", "first@uni.example", "--role", "admin"}, std::string(kPassword) + "\n", out), 0)
        << out;
    ASSERT_TRUE(s.start()) << s.vtpd().logs();
    EXPECT_NO_THROW(s.login("first@uni.example", kPassword));
}
