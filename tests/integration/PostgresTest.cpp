// vtpd and vtpctl on a real PostgreSQL (the ctest fixture `postgres`), each test in a schema
// of its own so that tests never see each other's tables.
#include "IntegrationSupport.hpp"

#include "db/Database.hpp"
#include "log/Logger.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace vtp::test;

namespace {

class Postgres : public ::testing::Test {
protected:
    void SetUp() override
    {
        const std::string url = postgresUrl();
        admin_ = vtp::kernel::Database::open(url + "?options=-cclient_min_messages%3Dwarning", "", 1, log_);
        std::random_device random;
        schema_ = "it_" + std::to_string(random()) + std::to_string(random());
        admin_->exec("CREATE SCHEMA " + schema_);
        schemaUrl_ = url + "?options=-csearch_path%3D" + schema_;
    }
    void TearDown() override
    {
        if (admin_ && !schema_.empty()) admin_->exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    }

    VtpdOptions options(std::vector<std::string> enabled = {"hello"}) const
    {
        VtpdOptions o;
        o.enabled = std::move(enabled);
        o.databaseUrl = schemaUrl_;
        return o;
    }
    int64_t count(const std::string& sql)
    {
        auto r = admin_->exec(sql);
        return std::get<int64_t>(r.rows.at(0).at(0));
    }

    vtp::kernel::Logger log_{stderr};
    std::unique_ptr<vtp::kernel::Database> admin_;
    std::string schema_, schemaUrl_;
};

} // namespace

TEST_F(Postgres, HelloGreetsCountsAndListsOnPostgres)
{
    VtpdProcess vtpd(options());
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    auto ready = vtpd.get("/ready");
    ASSERT_EQ(ready.status, 200) << ready.body;
    EXPECT_EQ(jsonString(ready.json()->getObject("database"), "backend"), "postgresql");

    EXPECT_EQ(vtpd.get("/api/v1/hello/ada").json()->getValue<int>("count"), 1);
    auto second = vtpd.get("/api/v1/hello/ada");
    ASSERT_EQ(second.status, 200) << second.body;
    EXPECT_EQ(second.json()->getValue<int>("count"), 2);
    EXPECT_EQ(vtpd.get("/api/v1/hello/bob").json()->getValue<int>("count"), 1);

    auto list = vtpd.get("/api/v1/hello?limit=1");
    ASSERT_EQ(list.status, 200) << list.body;
    auto items = list.json()->getArray("items");
    ASSERT_EQ(items->size(), 1u) << list.body;
    EXPECT_EQ(jsonString(items->getObject(0), "name"), "ada");
    EXPECT_EQ(items->getObject(0)->getValue<int>("count"), 2);
    EXPECT_EQ(jsonString(list.json(), "next_cursor"), "1");

    // The rows live in this test's schema, where vtpd put them.
    EXPECT_EQ(count("SELECT COUNT(*) FROM " + schema_ + ".hello_greetings"), 2);
}

TEST_F(Postgres, ConstraintViolationIs409OnPostgres)
{
    VtpdProcess vtpd(options({"hello", "testkit"}));
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    auto r = vtpd.get("/api/v1/testkit/conflict");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(vtpd.get("/health").status, 200);
}

TEST_F(Postgres, VtpctlMigrateAppliesPendingMigrationsOnPostgres)
{
    VtpdOptions o = options();
    VtpdProcess config(o); // never started: provides the config file
    auto vtpctl = [&](std::vector<std::string> words, std::string& out) {
        std::vector<std::string> args{VTP_TEST_VTPCTL, "--config", config.configPath()};
        args.insert(args.end(), words.begin(), words.end());
        return VtpdProcess::run(args, out);
    };
    std::string out;
    ASSERT_EQ(vtpctl({"migrate", "--dry-run"}, out), 0) << out;
    EXPECT_NE(out.find("pending"), std::string::npos) << out;
    ASSERT_EQ(vtpctl({"migrate"}, out), 0) << out;
    EXPECT_NE(out.find("applied hello 1 001_create_greetings"), std::string::npos) << out;
    EXPECT_EQ(count("SELECT COUNT(*) FROM " + schema_ + ".vtp_migrations WHERE owner = 'hello'"), 1);

    ASSERT_EQ(vtpctl({"hello", "greet", "ada"}, out), 0) << out;
    EXPECT_NE(out.find("\"greeting\":\"Hello, ada!\""), std::string::npos) << out;
    EXPECT_EQ(count("SELECT COUNT(*) FROM " + schema_ + ".hello_greetings"), 1);
}
