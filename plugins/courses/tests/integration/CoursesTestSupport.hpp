#pragma once

// What the courses plugin's end-to-end tests share: a real vtpd with auth, courses and testkit
// (whose events route shows what courses published) on SQLite or PostgreSQL, accounts made the
// way users and operators make them, and JSON calls with a bearer token.

#include "AuthTestSupport.hpp"
#include "PollUntil.hpp"

#include <Poco/JSON/Array.h>

#include <chrono>
#include <functional>
#include <thread>

namespace vtp::test {

inline const char* kCoursesPassword = "lecture-hall-42-blue";

struct Account {
    std::string id, email, token;
};

using JsonObject = Poco::JSON::Object::Ptr;
using JsonArray = Poco::JSON::Array::Ptr;

class CoursesServer {
public:
    explicit CoursesServer(Backend backend, const std::string& extraToml = "")
        : auth_(backend,
                std::string("[plugins.auth]\nregistration = \"open\"\n\n") + kFastArgon +
                    "[plugins.testkit]\nevent_patterns = [\"course.*\", \"enrollment.*\", \"session.*\", \"timetable.*\"]\n\n" + extraToml,
                {"auth", "courses", "testkit"})
    {
        if (!auth_.start()) throw std::runtime_error("vtpd did not start: " + auth_.vtpd().logs());
    }

    AuthServer& auth() { return auth_; }
    VtpdProcess& vtpd() { return auth_.vtpd(); }

    // A student who registered through auth's open registration.
    Account student(const std::string& email)
    {
        const auto reg = auth_.post("/api/v1/auth/register",
                                    jsonBody({{"email", email}, {"password", kCoursesPassword}, {"display_name", "Student " + email}}));
        if (reg.status != 201) throw std::runtime_error("register answered " + std::to_string(reg.status) + ": " + reg.body);
        return {jsonString(reg.json(), "id"), email, auth_.login(email, kCoursesPassword).access};
    }

    // An admin or instructor made with vtpctl, as an operator would.
    Account staff(const std::string& email, const std::string& role)
    {
        auth_.createUser(email, kCoursesPassword, role);
        const std::string token = auth_.login(email, kCoursesPassword).access;
        const auto me = vtpd().get("/api/v1/users/me", bearer(token));
        return {jsonString(me.json(), "id"), email, token};
    }

    HttpResult call(const std::string& method, const std::string& path, const Account& who, const std::string& body = {},
                    const std::string& contentType = "application/json")
    {
        std::map<std::string, std::string> headers;
        if (!who.token.empty()) headers = bearer(who.token);
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

    // Polls a job until `done` holds for it; returns the last state seen.
    JsonObject waitForJob(const std::string& jobId, const Account& who, const std::function<bool(const JsonObject&)>& done,
                          std::chrono::seconds timeout = std::chrono::seconds(30))
    {
        JsonObject job;
        if (vtp::test::pollUntil([&] { return done(job = expect(200, "GET", "/api/v1/jobs/" + jobId, who)); }, timeout,
                                 std::chrono::milliseconds(25)))
            return job;
        throw std::runtime_error("job " + jobId + " did not reach the expected state; last: " + stringify(job));
    }

    static std::string stringify(const JsonObject& o)
    {
        if (!o) return "null";
        std::ostringstream s;
        o->stringify(s);
        return s.str();
    }

private:
    AuthServer auth_;
};

inline std::string str(const JsonObject& o, const std::string& key)
{
    return jsonString(o, key);
}

} // namespace vtp::test
