// The auth plugin's user flows end to end through the real vtpd, on SQLite and PostgreSQL.
#include "AuthTestSupport.hpp"

#include <set>

using namespace vtp::test;

namespace {

const char* kPassword = "lecture-hall-42-blue";
const char* kOpen = "[plugins.auth]\nregistration = \"open\"\n\n";

class AuthFlow : public ::testing::TestWithParam<Backend> {
protected:
    std::unique_ptr<AuthServer> server(const std::string& toml = kOpen)
    {
        auto s = std::make_unique<AuthServer>(GetParam(), toml + kFastArgon);
        if (!s->start()) throw std::runtime_error("vtpd did not start: " + s->vtpd().logs());
        return s;
    }
    static HttpResult registerUser(AuthServer& s, const std::string& email, const std::string& password = kPassword,
                                   const std::string& extra = "")
    {
        std::string body = jsonBody({{"email", email}, {"password", password}, {"display_name", "Test User"}});
        if (!extra.empty()) body.insert(body.size() - 1, "," + extra);
        return s.post("/api/v1/auth/register", body);
    }
};

TEST_P(AuthFlow, RegisterLoginRefreshReuseRevokesTheFamilyAndLogoutEndsTheSession)
{
    auto s = server();
    auto reg = registerUser(*s, "  Grace.Hopper@Uni.Example ");
    ASSERT_EQ(reg.status, 201) << reg.body;
    EXPECT_EQ(jsonString(reg.json(), "email"), "grace.hopper@uni.example");
    EXPECT_EQ(reg.json()->getArray("roles")->getElement<std::string>(0), "student");
    EXPECT_EQ(registerUser(*s, "grace.hopper@uni.example").status, 409) << "duplicate email";

    auto login = s->post("/api/v1/auth/login", jsonBody({{"email", "GRACE.hopper@uni.example"}, {"password", kPassword}}));
    ASSERT_EQ(login.status, 200) << login.body;
    auto j = login.json();
    EXPECT_EQ(jsonString(j, "token_type"), "Bearer");
    EXPECT_EQ(j->getValue<int>("expires_in"), 900);
    const Tokens first{jsonString(j, "access_token"), jsonString(j, "refresh_token"), jsonString(j, "session_id")};

    // The kernel authenticates through the plugin's verifier: another plugin's route sees the user.
    auto whoami = s->vtpd().get("/api/v1/testkit/whoami", bearer(first.access));
    ASSERT_EQ(whoami.status, 200) << whoami.body;
    EXPECT_EQ(jsonString(whoami.json(), "subject"), jsonString(reg.json(), "id"));
    auto me = s->vtpd().get("/api/v1/users/me", bearer(first.access));
    ASSERT_EQ(me.status, 200);
    EXPECT_EQ(jsonString(me.json(), "email"), "grace.hopper@uni.example");

    auto refreshed = s->post("/api/v1/auth/refresh", jsonBody({{"refresh_token", first.refresh}}));
    ASSERT_EQ(refreshed.status, 200) << refreshed.body;
    const std::string secondAccess = jsonString(refreshed.json(), "access_token");
    const std::string secondRefresh = jsonString(refreshed.json(), "refresh_token");
    EXPECT_NE(secondRefresh, first.refresh) << "rotated";
    EXPECT_EQ(jsonString(refreshed.json(), "session_id"), first.session);
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(secondAccess)).status, 200);

    // A replayed refresh token revokes the whole family: the newer refresh and access tokens too.
    auto replay = s->post("/api/v1/auth/refresh", jsonBody({{"refresh_token", first.refresh}}));
    EXPECT_EQ(replay.status, 401);
    EXPECT_NE(replay.body.find("reuse"), std::string::npos) << replay.body;
    EXPECT_EQ(s->post("/api/v1/auth/refresh", jsonBody({{"refresh_token", secondRefresh}})).status, 401);
    auto revoked = s->vtpd().get("/api/v1/users/me", bearer(secondAccess));
    EXPECT_EQ(revoked.status, 401);
    EXPECT_NE(revoked.body.find("revoked"), std::string::npos) << revoked.body;
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(first.access)).status, 401);

    // A new login works; logout refuses its access token from then on.
    const Tokens again = s->login("grace.hopper@uni.example", kPassword);
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(again.access)).status, 200);
    EXPECT_EQ(s->post("/api/v1/auth/logout", "", bearer(again.access)).status, 204);
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(again.access)).status, 401);
    EXPECT_EQ(s->vtpd().get("/api/v1/testkit/whoami", bearer(again.access)).status, 401);
    EXPECT_EQ(s->post("/api/v1/auth/refresh", jsonBody({{"refresh_token", again.refresh}})).status, 401);
}

TEST_P(AuthFlow, KernelEnforcesRolesDeclaredByRoutes)
{
    auto s = server();
    ASSERT_EQ(registerUser(*s, "student@uni.example").status, 201);
    s->createUser("admin@uni.example", kPassword, "admin");
    const Tokens student = s->login("student@uni.example", kPassword);
    const Tokens admin = s->login("admin@uni.example", kPassword);

    EXPECT_EQ(s->vtpd().get("/api/v1/testkit/admin").status, 401) << "no token";
    EXPECT_EQ(s->vtpd().get("/api/v1/testkit/admin", bearer(student.access)).status, 403);
    EXPECT_EQ(s->vtpd().get("/api/v1/testkit/admin", bearer(admin.access)).status, 200);
    EXPECT_EQ(s->vtpd().get("/api/v1/users", bearer(student.access)).status, 403);
    EXPECT_EQ(s->vtpd().get("/api/v1/users", bearer(admin.access)).status, 200);
    EXPECT_EQ(s->vtpd().get("/api/v1/testkit/instructor", bearer(student.access)).status, 403);
}

TEST_P(AuthFlow, InviteModeNeedsASingleUseCodeAndClosedModeRefusesEveryone)
{
    {
        auto s = server("[plugins.auth]\nregistration = \"invite\"\n\n");
        auto none = registerUser(*s, "someone@uni.example");
        EXPECT_EQ(none.status, 403);
        s->createUser("admin@uni.example", kPassword, "admin");
        const Tokens admin = s->login("admin@uni.example", kPassword);
        auto invite = s->post("/api/v1/invites", R"({"roles":["instructor"]})", bearer(admin.access));
        ASSERT_EQ(invite.status, 201) << invite.body;
        const std::string code = jsonString(invite.json(), "code");
        EXPECT_EQ(registerUser(*s, "prof@uni.example", kPassword, "\"invite_code\":\"wrong\"").status, 403);
        auto ok = registerUser(*s, "prof@uni.example", kPassword, "\"invite_code\":\"" + code + "\"");
        ASSERT_EQ(ok.status, 201) << ok.body;
        EXPECT_EQ(ok.json()->getArray("roles")->getElement<std::string>(0), "instructor");
        EXPECT_EQ(registerUser(*s, "other@uni.example", kPassword, "\"invite_code\":\"" + code + "\"").status, 403) << "single use";

        auto bound = s->post("/api/v1/invites", R"({"email":"ta@uni.example"})", bearer(admin.access));
        ASSERT_EQ(bound.status, 201);
        const std::string boundCode = jsonString(bound.json(), "code");
        EXPECT_EQ(registerUser(*s, "not-ta@uni.example", kPassword, "\"invite_code\":\"" + boundCode + "\"").status, 403);
        EXPECT_EQ(registerUser(*s, "TA@uni.example", kPassword, "\"invite_code\":\"" + boundCode + "\"").status, 201);
        EXPECT_EQ(s->post("/api/v1/invites", R"({"roles":["wizard"]})", bearer(admin.access)).status, 422);
    }
    auto closed = server("[plugins.auth]\nregistration = \"closed\"\n\n");
    auto r = registerUser(*closed, "someone@uni.example");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.contentType, "application/problem+json");
}

TEST_P(AuthFlow, UsersSeeAndEndTheirOwnSessionsOnly)
{
    auto s = server();
    ASSERT_EQ(registerUser(*s, "ada@uni.example").status, 201);
    ASSERT_EQ(registerUser(*s, "bob@uni.example").status, 201);
    const Tokens laptop = s->login("ada@uni.example", kPassword);
    const Tokens phone = s->login("ada@uni.example", kPassword);
    const Tokens bob = s->login("bob@uni.example", kPassword);

    auto list = s->vtpd().get("/api/v1/auth/sessions", bearer(laptop.access));
    ASSERT_EQ(list.status, 200);
    auto sessions = list.json()->getArray("sessions");
    ASSERT_EQ(sessions->size(), 2u);
    int current = 0;
    for (size_t i = 0; i < sessions->size(); ++i) {
        auto o = sessions->getObject(static_cast<unsigned>(i));
        if (o->getValue<bool>("current")) {
            ++current;
            EXPECT_EQ(o->getValue<std::string>("id"), laptop.session);
        }
    }
    EXPECT_EQ(current, 1);

    EXPECT_EQ(s->vtpd().request("DELETE", "/api/v1/auth/sessions/" + bob.session, {}, {}, bearer(laptop.access)).status, 404)
        << "someone else's session";
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(bob.access)).status, 200);
    EXPECT_EQ(s->vtpd().request("DELETE", "/api/v1/auth/sessions/" + phone.session, {}, {}, bearer(laptop.access)).status, 204);
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(phone.access)).status, 401);
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(laptop.access)).status, 200);
}

TEST_P(AuthFlow, PasswordChangeEndsEveryOtherSession)
{
    auto s = server();
    ASSERT_EQ(registerUser(*s, "ada@uni.example").status, 201);
    const Tokens here = s->login("ada@uni.example", kPassword);
    const Tokens there = s->login("ada@uni.example", kPassword);
    const std::string next = "a-new-and-long-passphrase";
    EXPECT_EQ(s->post("/api/v1/users/me/password", jsonBody({{"current_password", "wrong-password-here"}, {"new_password", next}}),
                      bearer(here.access))
                  .status,
              403);
    EXPECT_EQ(
        s->post("/api/v1/users/me/password", jsonBody({{"current_password", kPassword}, {"new_password", "short"}}), bearer(here.access))
            .status,
        422);
    ASSERT_EQ(s->post("/api/v1/users/me/password", jsonBody({{"current_password", kPassword}, {"new_password", next}}), bearer(here.access))
                  .status,
              204);
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(here.access)).status, 200) << "this session stays";
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(there.access)).status, 401);
    EXPECT_EQ(s->post("/api/v1/auth/refresh", jsonBody({{"refresh_token", there.refresh}})).status, 401);
    EXPECT_EQ(s->post("/api/v1/auth/login", jsonBody({{"email", "ada@uni.example"}, {"password", kPassword}})).status, 401);
    EXPECT_NO_THROW(s->login("ada@uni.example", next));
}

TEST_P(AuthFlow, PasswordResetByMailEndsEverySessionAndLeaksNothing)
{
    SmtpServer smtp;
    auto s = server(std::string(kOpen) + "[plugins.auth.smtp]\nhost = \"127.0.0.1\"\nport = " + std::to_string(smtp.port()) +
                    "\npassword = \"smtp-secret-never-logged\"\n\n");
    ASSERT_EQ(registerUser(*s, "ada@uni.example").status, 201);
    const Tokens before = s->login("ada@uni.example", kPassword);
    const std::string refreshed =
        jsonString(s->post("/api/v1/auth/refresh", jsonBody({{"refresh_token", before.refresh}})).json(), "refresh_token");

    // Known and unknown addresses get the same answer.
    auto unknown = s->post("/api/v1/auth/password-reset", jsonBody({{"email", "nobody@uni.example"}}));
    auto known = s->post("/api/v1/auth/password-reset", jsonBody({{"email", "Ada@uni.example"}}));
    EXPECT_EQ(unknown.status, 202);
    EXPECT_EQ(known.status, 202);
    EXPECT_EQ(unknown.body, known.body);
    EXPECT_EQ(s->post("/api/v1/auth/password-reset", jsonBody({{"email", "not an email"}})).status, 400);

    const std::string mail = smtp.waitForMail(0);
    EXPECT_NE(mail.find("ada@uni.example"), std::string::npos);
    const auto at = mail.find("Reset token: ");
    ASSERT_NE(at, std::string::npos) << mail;
    const std::string token = mail.substr(at + 13, 43);
    EXPECT_EQ(smtp.messages().size(), 1u) << "nothing is sent for an unknown address";

    const std::string next = "freshly-chosen-passphrase";
    EXPECT_EQ(s->post("/api/v1/auth/password-reset/confirm", jsonBody({{"token", "forged"}, {"new_password", next}})).status, 400);
    EXPECT_EQ(s->post("/api/v1/auth/password-reset/confirm", jsonBody({{"token", token}, {"new_password", "password1234"}})).status, 422);
    ASSERT_EQ(s->post("/api/v1/auth/password-reset/confirm", jsonBody({{"token", token}, {"new_password", next}})).status, 204);
    EXPECT_EQ(s->post("/api/v1/auth/password-reset/confirm", jsonBody({{"token", token}, {"new_password", next + "x"}})).status, 400)
        << "single use";
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(before.access)).status, 401) << "every session ended";
    EXPECT_EQ(s->post("/api/v1/auth/login", jsonBody({{"email", "ada@uni.example"}, {"password", kPassword}})).status, 401);
    const Tokens after = s->login("ada@uni.example", next);

    // No password, token or reset link in any log line of the whole run.
    s->vtpd().stop();
    const std::string logs = s->vtpd().logs();
    ASSERT_FALSE(logs.empty());
    for (const std::string& secret : {std::string(kPassword), next, token, before.access, before.refresh, refreshed, after.access,
                                      after.refresh, std::string("smtp-secret-never-logged")})
        EXPECT_EQ(logs.find(secret), std::string::npos) << "a secret appears in the log: " << secret.substr(0, 12) << "...";
}

TEST_P(AuthFlow, AdminsListSearchPageDisableAndChangeRoles)
{
    auto s = server();
    s->createUser("admin@uni.example", kPassword, "admin");
    for (int i = 0; i < 5; ++i) ASSERT_EQ(registerUser(*s, "student" + std::to_string(i) + "@uni.example").status, 201);
    const Tokens admin = s->login("admin@uni.example", kPassword);

    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
        auto r = s->vtpd().get("/api/v1/users?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), bearer(admin.access));
        ASSERT_EQ(r.status, 200) << r.body;
        auto users = r.json()->getArray("users");
        for (size_t i = 0; i < users->size(); ++i) seen.insert(users->getObject(static_cast<unsigned>(i))->getValue<std::string>("email"));
        cursor = r.json()->isNull("next_cursor") ? "" : r.json()->getValue<std::string>("next_cursor");
        ++pages;
    } while (!cursor.empty() && pages < 10);
    EXPECT_EQ(seen.size(), 6u);
    EXPECT_EQ(pages, 3);

    auto search = s->vtpd().get("/api/v1/users?q=STUDENT3", bearer(admin.access));
    ASSERT_EQ(search.status, 200);
    ASSERT_EQ(search.json()->getArray("users")->size(), 1u);
    const std::string id = search.json()->getArray("users")->getObject(0)->getValue<std::string>("id");
    auto admins = s->vtpd().get("/api/v1/users?role=admin", bearer(admin.access));
    EXPECT_EQ(admins.json()->getArray("users")->size(), 1u);
    EXPECT_EQ(s->vtpd().get("/api/v1/users?limit=0", bearer(admin.access)).status, 400);
    EXPECT_EQ(s->vtpd().get("/api/v1/users?role=wizard", bearer(admin.access)).status, 400);
    EXPECT_EQ(s->vtpd().get("/api/v1/users/no-such-id", bearer(admin.access)).status, 404);

    // Roles change for the next token (at the next refresh).
    const Tokens student = s->login("student3@uni.example", kPassword);
    auto promoted = s->vtpd().request("PATCH", "/api/v1/users/" + id, R"({"roles":["student","instructor"]})", "application/json",
                                      bearer(admin.access));
    ASSERT_EQ(promoted.status, 200) << promoted.body;
    EXPECT_EQ(s->vtpd().get("/api/v1/testkit/instructor", bearer(student.access)).status, 403);
    auto refreshed = s->post("/api/v1/auth/refresh", jsonBody({{"refresh_token", student.refresh}}));
    EXPECT_EQ(s->vtpd().get("/api/v1/testkit/instructor", bearer(jsonString(refreshed.json(), "access_token"))).status, 200);

    // Disabling ends every session at once and refuses logins.
    auto disabled = s->vtpd().request("PATCH", "/api/v1/users/" + id, R"({"disabled":true})", "application/json", bearer(admin.access));
    ASSERT_EQ(disabled.status, 200);
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer(jsonString(refreshed.json(), "access_token"))).status, 401);
    EXPECT_EQ(s->post("/api/v1/auth/login", jsonBody({{"email", "student3@uni.example"}, {"password", kPassword}})).status, 403);
    EXPECT_EQ(
        s->vtpd().request("PATCH", "/api/v1/users/" + id, R"({"roles":["emperor"]})", "application/json", bearer(admin.access)).status,
        422);
    const std::string adminId = jsonString(s->vtpd().get("/api/v1/users/me", bearer(admin.access)).json(), "id");
    EXPECT_EQ(
        s->vtpd().request("PATCH", "/api/v1/users/" + adminId, R"({"disabled":true})", "application/json", bearer(admin.access)).status,
        422)
        << "an admin cannot lock themselves out";
}

TEST_P(AuthFlow, ProfileChangesAreValidated)
{
    auto s = server();
    ASSERT_EQ(registerUser(*s, "ada@uni.example").status, 201);
    const Tokens t = s->login("ada@uni.example", kPassword);
    auto patch = [&](const std::string& body) {
        return s->vtpd().request("PATCH", "/api/v1/users/me", body, "application/json", bearer(t.access));
    };
    auto ok =
        patch(R"({"display_name":"Ada L.","locale":"en-GB","time_zone":"Europe/London","avatar_url":"https://cdn.uni.example/a.png"})");
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(jsonString(ok.json(), "time_zone"), "Europe/London");
    EXPECT_EQ(jsonString(s->vtpd().get("/api/v1/users/me", bearer(t.access)).json(), "locale"), "en-GB");
    for (const char* bad :
         {R"({"locale":"not a locale"})", R"({"time_zone":"Mars/Olympus_Mons"})", R"({"time_zone":"../../etc/passwd"})",
          R"j({"avatar_url":"javascript:alert(1)"})j", R"({"display_name":""})", R"({"email":"x@y.z"})", R"({"roles":["admin"]})"}) {
        auto r = patch(bad);
        EXPECT_EQ(r.status, 422) << bad << " -> " << r.body;
    }
    auto cleared = patch(R"({"avatar_url":null})");
    EXPECT_TRUE(cleared.json()->isNull("avatar_url"));
}

TEST_P(AuthFlow, BadInputGetsTheRightProblem)
{
    auto s = server();
    auto reg = [&](const std::string& email, const std::string& password) { return registerUser(*s, email, password); };
    EXPECT_EQ(problemType(reg("not-an-email", kPassword)), "urn:vtp:problem:invalid-email");
    EXPECT_EQ(problemType(reg("short@uni.example", "short")), "urn:vtp:problem:weak-password");
    EXPECT_EQ(problemType(reg("common@uni.example", "password1234")), "urn:vtp:problem:weak-password");
    EXPECT_EQ(reg("ok@uni.example", kPassword).status, 201);

    auto wrong = s->post("/api/v1/auth/login", jsonBody({{"email", "ok@uni.example"}, {"password", "not-the-password"}}));
    EXPECT_EQ(wrong.status, 401);
    auto unknown = s->post("/api/v1/auth/login", jsonBody({{"email", "nobody@uni.example"}, {"password", "not-the-password"}}));
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(wrong.json()->getValue<std::string>("detail"), unknown.json()->getValue<std::string>("detail"))
        << "an unknown account looks like a wrong password";
    EXPECT_EQ(s->post("/api/v1/auth/login", jsonBody({{"email", "bad email"}, {"password", "x"}})).status, 400);
    EXPECT_EQ(s->post("/api/v1/auth/login", R"({"email":"ok@uni.example"})").status, 400);
    EXPECT_EQ(s->post("/api/v1/auth/login", R"({"email":"ok@uni.example","password":12})").status, 400);
    EXPECT_EQ(s->post("/api/v1/auth/login", R"({"email":)").status, 400) << "malformed JSON";
    EXPECT_EQ(s->post("/api/v1/auth/login", "[1,2]").status, 400);
    // Auth routes take 16 KiB: judged on the header, before a byte of the body is read.
    auto huge = rawExchange(s->vtpd().httpPort(), "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                                  "Content-Length: 20000\r\n\r\n");
    EXPECT_EQ(huge.status, 413);
    EXPECT_EQ(huge.header("content-type"), "application/problem+json");
    EXPECT_EQ(s->post("/api/v1/auth/refresh", jsonBody({{"refresh_token", "made-up"}})).status, 401);
    EXPECT_EQ(s->vtpd().get("/api/v1/users/me", bearer("garbage")).status, 401);
}

TEST_P(AuthFlow, OutdatedPasswordHashIsUpgradedAtLogin)
{
    auto s = server(); // registers with m=8192, t=1
    ASSERT_EQ(registerUser(*s, "ada@uni.example").status, 201);
    auto hashOf = [&] {
        auto rs = s->query("SELECT password_hash FROM auth_users WHERE email = ?", {std::string("ada@uni.example")});
        return std::get<std::string>(rs.rows.at(0).at(0));
    };
    EXPECT_EQ(hashOf().rfind("$argon2id$v=19$m=8192,t=1,p=1$", 0), 0u) << hashOf();
    s->vtpd().stop();
    std::string config = s->vtpd().config();
    const std::string weak = "memory_kib = 8192\niterations = 1";
    ASSERT_NE(config.find(weak), std::string::npos);
    config.replace(config.find(weak), weak.size(), "memory_kib = 19456\niterations = 2");
    s->vtpd().rewriteConfig(config);
    ASSERT_TRUE(s->start()) << s->vtpd().logs();
    EXPECT_NO_THROW(s->login("ada@uni.example", kPassword));
    EXPECT_EQ(hashOf().rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << hashOf();
    EXPECT_NO_THROW(s->login("ada@uni.example", kPassword));
}

TEST_P(AuthFlow, PublishesAccountEventsWithoutSecrets)
{
    SmtpServer smtp;
    auto s = server(std::string(kOpen) +
                    "[plugins.testkit]\nevent_patterns = [\"user.*\", \"auth.password_reset_requested\"]\n\n"
                    "[plugins.auth.smtp]\nhost = \"127.0.0.1\"\nport = " +
                    std::to_string(smtp.port()) + "\n\n");
    auto reg = registerUser(*s, "ada@uni.example");
    ASSERT_EQ(reg.status, 201);
    const std::string id = jsonString(reg.json(), "id");
    const Tokens t = s->login("ada@uni.example", kPassword);
    ASSERT_EQ(s->post("/api/v1/auth/password-reset", jsonBody({{"email", "ada@uni.example"}})).status, 202);
    const std::string mail = smtp.waitForMail(0);
    const std::string resetToken = mail.substr(mail.find("Reset token: ") + 13, 43);

    // Delivery is asynchronous: wait until all three have arrived.
    Poco::JSON::Array::Ptr events;
    vtp::test::pollUntil([&] { return (events = s->vtpd().get("/api/v1/testkit/events").json()->getArray("events"))->size() >= 3; },
                         std::chrono::seconds(20), std::chrono::milliseconds(20));
    ASSERT_EQ(events->size(), 3u);
    std::map<std::string, Poco::JSON::Object::Ptr> byName;
    for (size_t i = 0; i < events->size(); ++i) {
        auto e = events->getObject(static_cast<unsigned>(i));
        byName[e->getValue<std::string>("name")] = e->getObject("payload");
        std::ostringstream text;
        e->stringify(text);
        for (const std::string& secret : {std::string(kPassword), t.access, t.refresh, resetToken})
            EXPECT_EQ(text.str().find(secret), std::string::npos) << "an event carries a secret: " << text.str();
    }
    ASSERT_TRUE(byName.count("user.registered") && byName.count("user.logged_in") && byName.count("auth.password_reset_requested"));
    EXPECT_EQ(byName["user.registered"]->getValue<std::string>("user_id"), id);
    EXPECT_EQ(byName["user.logged_in"]->getValue<std::string>("session_id"), t.session);
    EXPECT_EQ(byName["auth.password_reset_requested"]->getValue<std::string>("user_id"), id);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthFlow, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
