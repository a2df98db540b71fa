// A section of a course with one class session open now, made over the REST API of a running
// vtpd with the courses plugin: what the tests of a class session's live room start from.
#pragma once

#include "AuthTestSupport.hpp"

#include <algorithm>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

namespace vtp::test {

// `method path` as `token` must answer `status`; its JSON body (null when empty).
inline Poco::JSON::Object::Ptr expectStatus(VtpdProcess& v, int status, const std::string& method, const std::string& path,
                                            const std::string& token, const std::string& body = {})
{
    auto r = v.request(method, path, body, "application/json", bearer(token));
    if (r.status != status) throw std::runtime_error(method + " " + path + ": " + std::to_string(r.status) + " " + r.body);
    return r.body.empty() ? Poco::JSON::Object::Ptr() : r.json();
}

struct ClassSession {
    std::string section, session; // ids; the live room is "courses:" + session
};

// A term around today and one section taught by `instructorId` (with `assistantIds`), the
// `studentTokens` enrolled, and its first session moved to today around now: started ten minutes
// ago (or at midnight), ending twenty minutes from now (or at 23:59), so that its room is open
// whatever the time of day the test runs.
inline ClassSession openClassSession(VtpdProcess& v, const std::string& admin, const std::string& instructor,
                                     const std::string& instructorId, const std::vector<std::string>& assistantIds,
                                     const std::vector<std::string>& studentTokens)
{
    auto day = [](std::time_t t) {
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[16];
        std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
        return std::string(buf);
    };
    auto hhmm = [](std::time_t t) {
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[8];
        std::strftime(buf, sizeof buf, "%H:%M", &tm);
        return std::string(buf);
    };
    auto ids = [](const std::vector<std::string>& list) {
        std::string out;
        for (const auto& id : list) out += (out.empty() ? "\"" : ",\"") + id + "\"";
        return "[" + out + "]";
    };
    const std::time_t now = std::time(nullptr);
    const std::string term = jsonString(expectStatus(v, 201, "POST", "/api/v1/terms", admin,
                                                     R"({"name":"Now","start_date":")" + day(now - 7 * 86400) + R"(","end_date":")" +
                                                         day(now + 30 * 86400) + R"(","time_zone":"UTC"})"),
                                        "id");
    const std::string course = jsonString(
        expectStatus(v, 201, "POST", "/api/v1/courses", admin, R"({"term_id":")" + term + R"(","code":"MA101","title":"Calculus"})"), "id");
    ClassSession out;
    out.section = jsonString(expectStatus(v, 201, "POST", "/api/v1/sections", admin,
                                          R"({"course_id":")" + course + R"(","name":"A","capacity":10,"instructors":[")" + instructorId +
                                              R"("],"assistants":)" + ids(assistantIds) + "}"),
                             "id");
    expectStatus(v, 200, "PUT", "/api/v1/sections/" + out.section + "/meetings", instructor,
                 R"({"meetings":[{"weekday":1,"start_time":"09:00","end_time":"10:00"}]})");
    for (const auto& student : studentTokens) expectStatus(v, 201, "POST", "/api/v1/sections/" + out.section + "/enroll", student);
    const auto sessions = expectStatus(v, 200, "GET", "/api/v1/sections/" + out.section + "/sessions", instructor)->getArray("sessions");
    if (!sessions || sessions->size() == 0) throw std::runtime_error("the section has no sessions");
    out.session = sessions->getObject(0)->getValue<std::string>("id");
    const std::time_t midnight = now - now % 86400;
    const std::time_t start = std::max(midnight, now - 10 * 60);
    const std::time_t end = std::min(midnight + 23 * 3600 + 59 * 60, now + 20 * 60);
    expectStatus(v, 200, "PATCH", "/api/v1/sessions/" + out.session, instructor,
                 R"({"date":")" + day(now) + R"(","start_time":")" + hhmm(start) + R"(","end_time":")" + hhmm(end) + R"("})");
    return out;
}

} // namespace vtp::test
