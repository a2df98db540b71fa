#pragma once

// What the courses plugin's end-to-end tests share: a real vtpd with auth, courses and testkit
// (whose events route shows what courses published) on SQLite or PostgreSQL. Accounts, calls and
// events come from tests/support/PluginTestServer.hpp; the courses jobs' polling is here.

#include "PluginTestServer.hpp"

#include <chrono>
#include <functional>

namespace vtp::test {

class CoursesServer : public PluginTestServer {
public:
    explicit CoursesServer(Backend backend, const std::string& extraToml = "")
        : PluginTestServer(backend, {"courses", "testkit"}, R"("course.*", "enrollment.*", "session.*", "timetable.*")", extraToml)
    {
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
};

} // namespace vtp::test
