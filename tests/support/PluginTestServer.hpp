#pragma once

// What the end-to-end tests of plugins that stand on auth share (courses, recording): a real vtpd
// with auth and the plugins under test on SQLite or PostgreSQL, accounts made the way users and
// operators make them, JSON calls with a bearer token, testkit's record of published events, and
// a course section to work in. Each plugin's own support header derives from PluginTestServer and
// adds what only it needs. Includers put tests/integration and plugins/auth/tests/integration on
// their include path (for IntegrationSupport.hpp and AuthTestSupport.hpp).

#include "AuthTestSupport.hpp"
#include "PollUntil.hpp"

#include <Poco/JSON/Array.h>

#include <chrono>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace vtp::test {

inline const char* kTestPassword = "lecture-hall-42-blue";

struct Account {
    std::string id, email, token;
};

using JsonObject = Poco::JSON::Object::Ptr;
using JsonArray = Poco::JSON::Array::Ptr;

inline std::string str(const JsonObject& o, const std::string& key)
{
    return jsonString(o, key);
}

class PluginTestServer {
public:
    // `plugins`: besides auth, which is always enabled (with open registration and fast hashing);
    // list "testkit" among them for events(). `eventPatterns`: what testkit records (TOML array
    // items, e.g. "\"course.*\""); `extraToml`: appended to the config.
    PluginTestServer(Backend backend, const std::vector<std::string>& plugins, const std::string& eventPatterns,
                     const std::string& extraToml = "")
        : auth_(backend,
                std::string("[plugins.auth]\nregistration = \"open\"\n\n") + kFastArgon + "[plugins.testkit]\nevent_patterns = [" +
                    eventPatterns + "]\n\n" + extraToml,
                withAuth(plugins))
    {
        if (!auth_.start()) throw std::runtime_error("vtpd did not start: " + auth_.vtpd().logs());
    }

    AuthServer& auth() { return auth_; }
    VtpdProcess& vtpd() { return auth_.vtpd(); }

    // A student who registered through auth's open registration.
    Account student(const std::string& email)
    {
        const auto reg = auth_.post("/api/v1/auth/register",
                                    jsonBody({{"email", email}, {"password", kTestPassword}, {"display_name", "Student " + email}}));
        if (reg.status != 201) throw std::runtime_error("register answered " + std::to_string(reg.status) + ": " + reg.body);
        return {jsonString(reg.json(), "id"), email, auth_.login(email, kTestPassword).access};
    }

    // An admin or instructor made with vtpctl, as an operator would.
    Account staff(const std::string& email, const std::string& role)
    {
        auth_.createUser(email, kTestPassword, role);
        const std::string token = auth_.login(email, kTestPassword).access;
        const auto me = vtpd().get("/api/v1/users/me", bearer(token));
        return {jsonString(me.json(), "id"), email, token};
    }

    // A fresh login of the same account (tokens expire; a restarted vtpd keeps its keys).
    void relogin(Account& a) { a.token = auth_.login(a.email, kTestPassword).access; }

    HttpResult call(const std::string& method, const std::string& path, const Account& who, const std::string& body = {},
                    const std::string& contentType = "application/json", std::map<std::string, std::string> headers = {})
    {
        if (!who.token.empty()) headers["Authorization"] = "Bearer " + who.token;
        return auth_.vtpd().request(method, path, body, contentType, headers);
    }

    // A call that must answer `status`; returns its JSON object (or null for an empty body).
    JsonObject expect(int status, const std::string& method, const std::string& path, const Account& who, const std::string& body = {})
    {
        const auto r = call(method, path, who, body);
        if (r.status != status)
            throw std::runtime_error(method + " " + path + " answered " + std::to_string(r.status) + " (expected " +
                                     std::to_string(status) + "): " + r.body);
        return r.body.empty() ? JsonObject() : r.json();
    }

    // A term, a course in it and a section of that course taught by `instructorIds` (courses must be
    // enabled); returns the section's id.
    std::string section(const Account& admin, const std::vector<std::string>& instructorIds, const std::string& code = "CS101")
    {
        const auto term = expect(201, "POST", "/api/v1/terms", admin,
                                 R"({"name":"Autumn )" + code + R"(","start_date":"2025-09-01","end_date":"2025-12-19"})");
        const auto course = expect(201, "POST", "/api/v1/courses", admin,
                                   R"({"term_id":")" + str(term, "id") + R"(","code":")" + code + R"(","title":"Algorithms"})");
        std::string instructors;
        for (const auto& id : instructorIds) instructors += (instructors.empty() ? "\"" : ",\"") + id + "\"";
        return str(expect(201, "POST", "/api/v1/sections", admin,
                          R"({"course_id":")" + str(course, "id") + R"(","name":"A","capacity":30,"waitlist_capacity":0,"instructors":[)" +
                              instructors + "]}"),
                   "id");
    }

    // The events testkit received so far.
    JsonArray events() { return vtpd().get("/api/v1/testkit/events").json()->getArray("events"); }

    // Waits until testkit has received an event called `name` whose payload satisfies `match`.
    bool waitForEvent(const std::string& name, const std::function<bool(const JsonObject&)>& match,
                      std::chrono::seconds timeout = std::chrono::seconds(10))
    {
        return vtp::test::pollUntil(
            [&] {
                const auto all = events();
                for (size_t i = 0; i < all->size(); ++i) {
                    const auto e = all->getObject(static_cast<unsigned>(i));
                    if (e->getValue<std::string>("name") == name && match(e->getObject("payload"))) return true;
                }
                return false;
            },
            timeout, std::chrono::milliseconds(20));
    }

    static std::string stringify(const JsonObject& o)
    {
        if (!o) return "null";
        std::ostringstream s;
        o->stringify(s);
        return s.str();
    }

private:
    static std::vector<std::string> withAuth(std::vector<std::string> plugins)
    {
        plugins.insert(plugins.begin(), "auth");
        return plugins;
    }

    AuthServer auth_;
};

} // namespace vtp::test
