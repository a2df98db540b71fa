// Jobs end to end through the real vtpd, on SQLite and on PostgreSQL: testkit's job kind
// "testkit.count" is submitted over HTTP and followed through /api/v1/jobs. Holds are released
// by files the test writes, so no test depends on timing.
#include "IntegrationSupport.hpp"
#include "PollUntil.hpp"

#include "db/Database.hpp"
#include "log/Logger.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <thread>

using namespace vtp::test;

namespace {

enum class Backend { SQLite, PostgreSQL };

std::string backendName(const ::testing::TestParamInfo<Backend>& info)
{
    return info.param == Backend::SQLite ? "SQLite" : "PostgreSQL";
}

std::map<std::string, std::string> as(const std::string& subject, const std::string& roles = "student")
{
    return {{"Authorization", "Bearer test:" + subject + ":" + roles}};
}

class Jobs : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        if (GetParam() == Backend::PostgreSQL) {
            const std::string url = postgresUrl();
            admin_ = vtp::kernel::Database::open(url + "?options=-cclient_min_messages%3Dwarning", "", 1, log_);
            std::random_device random;
            schema_ = "jobs_" + std::to_string(random()) + std::to_string(random());
            admin_->exec("CREATE SCHEMA " + schema_);
            databaseUrl_ = url + "?options=-csearch_path%3D" + schema_;
        }
    }
    void TearDown() override
    {
        if (admin_) admin_->exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    }

    VtpdOptions options(const std::string& node = "") const
    {
        VtpdOptions o;
        o.enabled = {"testkit"};
        o.databaseUrl = databaseUrl_;
        o.extraToml = "[plugins.testkit]\nverifier = true\n\n"
                      "[jobs]\nworkers = 2\nbackoff_initial_ms = 50\nbackoff_max_ms = 200\npoll_interval_ms = 50\n";
        if (!node.empty()) o.extraToml += "\n[node]\nid = \"" + node + "\"\n";
        return o;
    }

    static std::string submit(const VtpdProcess& vtpd, const std::string& subject, const std::string& params)
    {
        auto r = vtpd.request("POST", "/api/v1/testkit/jobs", params, "application/json", as(subject));
        if (r.status != 202) throw std::runtime_error("submit answered " + std::to_string(r.status) + ": " + r.body);
        return r.json()->getValue<std::string>("id");
    }

    static Poco::JSON::Object::Ptr job(const VtpdProcess& vtpd, const std::string& id, const std::string& subject = "root",
                                       const std::string& roles = "admin")
    {
        auto r = vtpd.get("/api/v1/jobs/" + id, as(subject, roles));
        if (r.status != 200) throw std::runtime_error("GET job answered " + std::to_string(r.status) + ": " + r.body);
        return r.json();
    }

    // Polls the job over HTTP until it reaches `state`; returns it (or the last seen, failing).
    static Poco::JSON::Object::Ptr waitForState(const VtpdProcess& vtpd, const std::string& id, const std::string& state)
    {
        Poco::JSON::Object::Ptr j;
        if (pollUntil([&] { return jsonString(j = job(vtpd, id), "state") == state; }, std::chrono::seconds(20),
                      std::chrono::milliseconds(20)))
            return j;
        ADD_FAILURE() << "job " << id << " never reached " << state << "; last seen " << (j ? jsonString(j, "state") : "nothing");
        return j;
    }

    static std::string dataFile(const VtpdProcess& vtpd, const std::string& name) { return vtpd.dir() + "/data/" + name; }

    vtp::kernel::Logger log_{stderr};
    std::unique_ptr<vtp::kernel::Database> admin_;
    std::string schema_, databaseUrl_;
};

TEST_P(Jobs, SubmittedJobShowsProgressThenSucceedsWithResult)
{
    VtpdProcess vtpd(options());
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    const std::string id = submit(vtpd, "alice", R"({"tag":"p","hold":"p","steps":4})");
    ASSERT_TRUE(waitForFile(dataFile(vtpd, "job-p-entered"), -1, std::chrono::seconds(20))) << vtpd.logs();

    auto running = job(vtpd, id, "alice");
    EXPECT_EQ(jsonString(running, "state"), "running");
    EXPECT_DOUBLE_EQ(running->getObject("progress")->getValue<double>("fraction"), 0.5);
    EXPECT_EQ(jsonString(running->getObject("progress"), "message"), "held");
    EXPECT_EQ(jsonString(running, "owner"), "alice");
    EXPECT_EQ(jsonString(running, "kind"), "testkit.count");

    writeFile(dataFile(vtpd, "job-p-release"), "go\n");
    auto done = waitForState(vtpd, id, "succeeded");
    ASSERT_TRUE(done);
    EXPECT_EQ(done->getValue<int>("attempts"), 1);
    EXPECT_DOUBLE_EQ(done->getObject("progress")->getValue<double>("fraction"), 1.0);
    EXPECT_EQ(done->getObject("result")->getValue<int>("steps"), 4);
    EXPECT_TRUE(done->isNull("error"));
    EXPECT_FALSE(jsonString(done, "node").empty());
    EXPECT_FALSE(jsonString(done, "created_at").empty());
}

TEST_P(Jobs, FailedFirstAttemptIsRetriedThenSucceeds)
{
    VtpdProcess vtpd(options());
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    const std::string id = submit(vtpd, "alice", R"({"tag":"flaky","fail_first_attempts":1})");
    auto done = waitForState(vtpd, id, "succeeded");
    ASSERT_TRUE(done);
    EXPECT_EQ(done->getValue<int>("attempts"), 2);
    EXPECT_EQ(done->getObject("result")->getValue<int>("attempt"), 2);
    EXPECT_NE(vtpd.logs().find("testkit fails attempt 1 on purpose"), std::string::npos);
}

TEST_P(Jobs, JobFailsWithItsErrorWhenAttemptsAreUsedUp)
{
    VtpdProcess vtpd(options());
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    const std::string id = submit(vtpd, "alice", R"({"tag":"doomed","fail_first_attempts":99})");
    auto failed = waitForState(vtpd, id, "failed");
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->getValue<int>("attempts"), 3); // the kernel's default jobs.max_attempts
    EXPECT_EQ(jsonString(failed, "error"), "testkit fails attempt 3 on purpose");
}

TEST_P(Jobs, CancelOfAHeldJobEndsCancelledKeepingItsResult)
{
    VtpdProcess vtpd(options());
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    const std::string id = submit(vtpd, "alice", R"({"tag":"c","hold":"c"})");
    ASSERT_TRUE(waitForFile(dataFile(vtpd, "job-c-entered"), -1, std::chrono::seconds(20))) << vtpd.logs();

    auto r = vtpd.request("POST", "/api/v1/jobs/" + id + "/cancel", {}, {}, as("alice"));
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_TRUE(r.json()->getValue<bool>("cancel_requested"));
    auto cancelled = waitForState(vtpd, id, "cancelled");
    ASSERT_TRUE(cancelled);
    EXPECT_EQ(jsonString(cancelled->getObject("result"), "stopped"), "cancelled while held");

    // A finished job cannot be cancelled; cancelling a cancelled one again is harmless.
    EXPECT_EQ(vtpd.request("POST", "/api/v1/jobs/" + id + "/cancel", {}, {}, as("alice")).status, 202);
    const std::string ok = submit(vtpd, "alice", R"({"tag":"fin"})");
    ASSERT_TRUE(waitForState(vtpd, ok, "succeeded"));
    auto late = vtpd.request("POST", "/api/v1/jobs/" + ok + "/cancel", {}, {}, as("alice"));
    EXPECT_EQ(late.status, 409) << late.body;
    EXPECT_EQ(late.contentType, "application/problem+json");
}

TEST_P(Jobs, UsersSeeTheirOwnJobsAndAdminsSeeAll)
{
    VtpdProcess vtpd(options());
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    const std::string a1 = submit(vtpd, "alice", R"({"tag":"a1","steps":1})");
    const std::string a2 = submit(vtpd, "alice", R"({"tag":"a2","steps":1})");
    const std::string b1 = submit(vtpd, "bob", R"({"tag":"b1","steps":1})");

    auto mine = vtpd.get("/api/v1/jobs", as("alice"));
    ASSERT_EQ(mine.status, 200) << mine.body;
    auto jobs = mine.json()->getArray("jobs");
    ASSERT_EQ(jobs->size(), 2u);
    for (size_t i = 0; i < jobs->size(); ++i) EXPECT_EQ(jsonString(jobs->getObject(static_cast<unsigned>(i)), "owner"), "alice");

    EXPECT_EQ(vtpd.get("/api/v1/jobs/" + a1, as("alice")).status, 200);
    EXPECT_EQ(vtpd.get("/api/v1/jobs/" + a1, as("bob")).status, 404);
    EXPECT_EQ(vtpd.request("POST", "/api/v1/jobs/" + a1 + "/cancel", {}, {}, as("bob")).status, 404);
    EXPECT_EQ(vtpd.get("/api/v1/jobs?owner=bob", as("alice")).status, 403);
    EXPECT_EQ(vtpd.get("/api/v1/jobs").status, 401);

    auto all = vtpd.get("/api/v1/jobs", as("root", "admin"));
    ASSERT_EQ(all.status, 200) << all.body;
    EXPECT_EQ(all.json()->getArray("jobs")->size(), 3u);
    auto bobs = vtpd.get("/api/v1/jobs?owner=bob", as("root", "admin")).json()->getArray("jobs");
    ASSERT_EQ(bobs->size(), 1u);
    EXPECT_EQ(jsonString(bobs->getObject(0), "id"), b1);
    EXPECT_EQ(vtpd.get("/api/v1/jobs/" + b1, as("root", "admin")).status, 200);
    (void)a2;
}

TEST_P(Jobs, ListingPagesWithACursorAndRefusesBadParameters)
{
    VtpdProcess vtpd(options());
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    std::set<std::string> submitted;
    for (int i = 0; i < 5; ++i) submitted.insert(submit(vtpd, "alice", R"({"steps":1})"));
    for (const auto& id : submitted) ASSERT_TRUE(waitForState(vtpd, id, "succeeded"));

    std::set<std::string> seen;
    std::string path = "/api/v1/jobs?state=succeeded&kind=testkit.count&limit=2";
    for (int page = 0; page < 5; ++page) {
        auto r = vtpd.get(path, as("alice"));
        ASSERT_EQ(r.status, 200) << r.body;
        auto body = r.json();
        auto jobs = body->getArray("jobs");
        EXPECT_LE(jobs->size(), 2u);
        for (size_t i = 0; i < jobs->size(); ++i) seen.insert(jsonString(jobs->getObject(static_cast<unsigned>(i)), "id"));
        if (body->isNull("next_cursor")) break;
        path = "/api/v1/jobs?state=succeeded&kind=testkit.count&limit=2&cursor=" + body->getValue<std::string>("next_cursor");
    }
    EXPECT_EQ(seen, submitted);

    for (const char* bad : {"?limit=0", "?limit=500", "?limit=two", "?state=sleeping", "?cursor=garbage"}) {
        auto r = vtpd.get(std::string("/api/v1/jobs") + bad, as("alice"));
        EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
        EXPECT_EQ(r.contentType, "application/problem+json") << bad;
    }
    EXPECT_EQ(vtpd.get("/api/v1/jobs/no-such-job", as("root", "admin")).status, 404);
}

TEST_P(Jobs, JobRunningWhenVtpdIsKilledComesBackAfterRestartAndSucceeds)
{
    VtpdProcess vtpd(options());
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    const std::string id = submit(vtpd, "alice", R"({"tag":"k","hold":"k"})");
    const std::string entered = dataFile(vtpd, "job-k-entered");
    ASSERT_TRUE(waitForFile(entered, -1, std::chrono::seconds(20))) << vtpd.logs();
    EXPECT_EQ(vtpd.stop(SIGKILL), 128 + SIGKILL);
    std::filesystem::remove(entered);

    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    // The interrupted attempt is recovered and retried: the runner enters its hold again.
    ASSERT_TRUE(waitForFile(entered, -1, std::chrono::seconds(20))) << vtpd.logs();
    auto again = job(vtpd, id);
    EXPECT_EQ(jsonString(again, "state"), "running");
    EXPECT_EQ(again->getValue<int>("attempts"), 2);
    EXPECT_EQ(jsonString(again, "error"), "interrupted by restart");
    EXPECT_NE(vtpd.logs().find("interrupted job recovered"), std::string::npos);

    writeFile(dataFile(vtpd, "job-k-release"), "go\n");
    auto done = waitForState(vtpd, id, "succeeded");
    ASSERT_TRUE(done);
    EXPECT_EQ(done->getValue<int>("attempts"), 2);
}

// Several nodes share a PostgreSQL database (never a SQLite file): PostgreSQL only.
class JobsOnSeveralNodes : public Jobs {};

TEST_P(JobsOnSeveralNodes, TwoNodesOnOneDatabaseRunEachJobExactlyOnce)
{
    VtpdProcess a(options("node-a"));
    ASSERT_TRUE(a.start()) << a.logs();
    VtpdProcess b(options("node-b"));
    ASSERT_TRUE(b.start()) << b.logs();

    std::vector<std::string> ids;
    for (int i = 0; i < 30; ++i) ids.push_back(submit(i % 2 ? a : b, "alice", "{\"tag\":\"t" + std::to_string(i) + "\",\"steps\":1}"));
    std::set<std::string> nodes;
    for (const auto& id : ids) {
        auto done = waitForState(a, id, "succeeded");
        ASSERT_TRUE(done);
        EXPECT_EQ(done->getValue<int>("attempts"), 1) << id;
        nodes.insert(jsonString(done, "node"));
    }
    for (const auto& n : nodes) EXPECT_TRUE(n == "node-a" || n == "node-b") << n;

    auto runs = a.get("/api/v1/testkit/job-runs").json()->getObject("tags");
    EXPECT_EQ(runs->size(), ids.size());
    for (int i = 0; i < 30; ++i) EXPECT_EQ(runs->getValue<int>("t" + std::to_string(i)), 1) << "t" << i;
}

INSTANTIATE_TEST_SUITE_P(Backends, Jobs, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);
INSTANTIATE_TEST_SUITE_P(Backends, JobsOnSeveralNodes, ::testing::Values(Backend::PostgreSQL), backendName);

} // namespace
