// Sockets end with the login they were opened with: after a logout, an admin disabling the
// account, a password change that ends the other sessions, and when the token runs out without
// a renewal over the socket; a student removed from a section leaves its class room at once.
// The real vtpd on SQLite and PostgreSQL, the stock socket.io-client and a raw Engine.IO
// WebSocket (tests/e2e/sessions.mjs, one scenario per run).
#include "ClassSessionSupport.hpp"

using namespace vtp::test;

namespace {

const char* kPassword = "lecture-hall-42-blue";

// Runs one sessions.mjs scenario with `config`; its output (PASS on success).
std::string scenario(const std::string& name, const Poco::JSON::Object& config)
{
    TempDir dir;
    std::ostringstream text;
    config.stringify(text);
    writeFile(dir.file("config.json"), text.str());
    std::string out;
    const int rc =
        VtpdProcess::run({VTP_TEST_NODE_BIN, std::string(VTP_SIGNALLING_E2E_DIR) + "/sessions.mjs", name, dir.file("config.json")}, out);
    EXPECT_EQ(rc, 0) << name << ": " << out;
    return out;
}

Poco::JSON::Object::Ptr object(std::initializer_list<std::pair<std::string, Poco::Dynamic::Var>> members)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    for (const auto& [k, v] : members) o->set(k, v);
    return o;
}

Poco::JSON::Array::Ptr array(std::initializer_list<std::string> items)
{
    Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
    for (const auto& i : items) a->add(i);
    return a;
}

class SessionEnd : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        server_ = std::make_unique<AuthServer>(GetParam(), std::string(kFastArgon) + extraToml(), plugins());
        ASSERT_TRUE(server_->start()) << server_->vtpd().logs();
        server_->createUser("admin@uni.example", kPassword, "admin");
        server_->createUser("prof@uni.example", kPassword, "instructor");
        server_->createUser("ada@uni.example", kPassword, "student");
        server_->createUser("bob@uni.example", kPassword, "student");
        server_->createUser("tess@uni.example", kPassword, "student");
    }
    virtual std::string extraToml() const { return {}; }
    virtual std::vector<std::string> plugins() const { return {"auth", "signalling"}; }

    std::string token(const std::string& email) { return server_->login(email, kPassword).access; }
    std::string userId(const std::string& token) { return jsonString(server_->vtpd().get("/api/v1/users/me", bearer(token)).json(), "id"); }
    std::string createRoom()
    {
        auto r = server_->post("/api/v1/rooms", R"({"name":"Seminar"})", bearer(token("prof@uni.example")));
        if (r.status != 201) throw std::runtime_error("room: " + std::to_string(r.status) + " " + r.body);
        return jsonString(r.json(), "id");
    }
    // What every scenario needs: where to connect, and the room.
    Poco::JSON::Object config(const std::string& room)
    {
        Poco::JSON::Object c;
        c.set("url", "http://127.0.0.1:" + std::to_string(server_->vtpd().wsPort()));
        c.set("http", "http://127.0.0.1:" + std::to_string(server_->vtpd().httpPort()));
        c.set("room", room);
        return c;
    }
    // Ada (the victim) and Bob (watching) in a room; `trigger` ends Ada's login.
    void expectEnded(const std::string& victimToken, Poco::JSON::Object::Ptr trigger, const std::string& reason, const std::string& cause,
                     std::initializer_list<std::string> transports)
    {
        Poco::JSON::Object c = config(createRoom());
        c.set("victim", object({{"token", victimToken}}));
        c.set("observer", token("bob@uni.example"));
        c.set("trigger", trigger);
        c.set("reason", reason);
        c.set("cause", cause);
        c.set("refusal", "token revoked");
        c.set("transports", array(transports));
        const std::string out = scenario("revoked", c);
        EXPECT_NE(out.find("PASS"), std::string::npos) << out << server_->vtpd().logs();
    }

    std::unique_ptr<AuthServer> server_;
};

TEST_P(SessionEnd, LogoutEndsTheSocketsOfThatSession)
{
    const std::string ada = token("ada@uni.example");
    expectEnded(ada, object({{"method", "POST"}, {"path", "/api/v1/auth/logout"}, {"token", ada}}), "session-revoked", "logout",
                {"polling", "websocket"});
}

TEST_P(SessionEnd, DisablingAnAccountEndsItsSockets)
{
    const std::string ada = token("ada@uni.example");
    expectEnded(ada,
                object({{"method", "PATCH"},
                        {"path", "/api/v1/users/" + userId(ada)},
                        {"token", token("admin@uni.example")},
                        {"body", object({{"disabled", true}})}}),
                "account-disabled", "", {"polling"});
}

TEST_P(SessionEnd, APasswordChangeEndsTheOtherSessionsSockets)
{
    const std::string ada = token("ada@uni.example");
    const std::string adaElsewhere = token("ada@uni.example");
    expectEnded(ada,
                object({{"method", "POST"},
                        {"path", "/api/v1/users/me/password"},
                        {"token", adaElsewhere},
                        {"body", object({{"current_password", kPassword}, {"new_password", "a-brand-new-passphrase-77"}})}}),
                "session-revoked", "password-changed", {"websocket"});
}

INSTANTIATE_TEST_SUITE_P(Backends, SessionEnd, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

// Access tokens of 8 seconds, no leeway, one second of grace: a socket must renew or end.
class TokenExpiry : public SessionEnd {
protected:
    static constexpr int kTtl = 8, kGrace = 1;
    std::string extraToml() const override
    {
        return "[plugins.auth.tokens]\naccess_ttl_seconds = " + std::to_string(kTtl) +
               "\nleeway_seconds = 0\n\n[plugins.signalling]\nrenew_grace_seconds = " + std::to_string(kGrace) + "\n";
    }
    Poco::JSON::Object expiryConfig()
    {
        Poco::JSON::Object c = config(createRoom());
        c.set("victim", object({{"email", "ada@uni.example"}, {"password", kPassword}}));
        c.set("observerLogin", object({{"email", "bob@uni.example"}, {"password", kPassword}}));
        c.set("grace", kGrace);
        c.set("ttl", kTtl);
        return c;
    }
};

TEST_P(TokenExpiry, ASocketWhoseTokenRunsOutIsEndedAfterTheGrace)
{
    Poco::JSON::Object c = expiryConfig();
    c.set("reason", "token-expired");
    c.set("refusal", "token expired");
    c.set("transports", array({"websocket"}));
    const std::string out = scenario("expired", c);
    EXPECT_NE(out.find("PASS"), std::string::npos) << out << server_->vtpd().logs();
}

TEST_P(TokenExpiry, RenewingOverTheSocketKeepsItPastTheFirstTokensExpiry)
{
    const std::string out = scenario("renew", expiryConfig());
    EXPECT_NE(out.find("PASS"), std::string::npos) << out << server_->vtpd().logs();
}

INSTANTIATE_TEST_SUITE_P(Backends, TokenExpiry, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

class SectionRemoval : public SessionEnd {
protected:
    std::vector<std::string> plugins() const override { return {"auth", "signalling", "courses"}; }
};

TEST_P(SectionRemoval, ARemovedStudentOrAssistantOrADeletedSectionEmptiesTheClassRoomAtOnce)
{
    const std::string admin = token("admin@uni.example"), prof = token("prof@uni.example");
    const std::string ada = token("ada@uni.example"), bob = token("bob@uni.example"), tess = token("tess@uni.example");
    auto& v = server_->vtpd();
    // One section taught by prof with Tess assisting and a session open now; Ada and Bob enrolled.
    const auto cls = openClassSession(v, admin, prof, userId(prof), {userId(tess)}, {ada, bob});
    const std::string& section = cls.section;
    const std::string& session = cls.session;

    Poco::JSON::Object c = config("courses:" + session);
    c.set("tokens", object({{"prof", prof}}));
    Poco::JSON::Array::Ptr removals = new Poco::JSON::Array;
    // The instructor removes Ada from the roster; Bob drops himself.
    removals->add(object({{"student", ada},
                          {"method", "DELETE"},
                          {"path", "/api/v1/sections/" + section + "/enrollments/" + userId(ada)},
                          {"token", prof}}));
    removals->add(object({{"student", bob}, {"method", "DELETE"}, {"path", "/api/v1/sections/" + section + "/enroll"}, {"token", bob}}));
    // The instructor takes the assistant off the staff (section.staff_changed).
    removals->add(object({{"student", tess},
                          {"method", "PATCH"},
                          {"path", "/api/v1/sections/" + section},
                          {"token", prof},
                          {"body", object({{"assistants", Poco::JSON::Array::Ptr(new Poco::JSON::Array)}})}}));
    c.set("removals", removals);
    // Then the admin deletes the section (section.deleted) while the instructor is in its room.
    c.set("deletion", object({{"method", "DELETE"}, {"path", "/api/v1/sections/" + section}, {"token", admin}}));
    const std::string out = scenario("removed", c);
    EXPECT_NE(out.find("PASS"), std::string::npos) << out << v.logs();
}

INSTANTIATE_TEST_SUITE_P(Backends, SectionRemoval, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
