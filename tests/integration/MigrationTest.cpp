// Migrations through the real vtpd: a migration edited after it was applied stops the start.
#include "IntegrationSupport.hpp"

#include <sqlite3.h>

#include <gtest/gtest.h>

using namespace vtp::test;

namespace {

// Runs one statement on a SQLite file; returns the rows changed.
int sqliteExec(const std::string& file, const std::string& sql)
{
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        const std::string error = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        throw std::runtime_error("cannot open " + file + ": " + error);
    }
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    const int changed = sqlite3_changes(db);
    const std::string message = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    if (rc != SQLITE_OK) throw std::runtime_error(sql + ": " + message);
    return changed;
}

} // namespace

TEST(Migration, ChangedChecksumStopsStartNamingPluginAndVersion)
{
    VtpdProcess vtpd;
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    ASSERT_EQ(vtpd.stop(), 0) << vtpd.logs();
    EXPECT_NE(vtpd.logs().find("migration applied"), std::string::npos);

    const int changed =
        sqliteExec(vtpd.dir() + "/data/vtp.db", "UPDATE vtp_migrations SET checksum = 'tampered' WHERE owner = 'hello' AND version = 1");
    ASSERT_EQ(changed, 1);

    EXPECT_FALSE(vtpd.start(std::chrono::seconds(15))) << "vtpd started on a tampered migration";
    EXPECT_NE(vtpd.wait(), 0);
    const std::string logs = vtpd.logs();
    EXPECT_NE(logs.find("hello/1"), std::string::npos) << logs;
    EXPECT_NE(logs.find("changed after it was applied"), std::string::npos) << logs;
}

TEST(Migration, RestartWithUnchangedMigrationsAppliesNothingAndKeepsData)
{
    VtpdProcess vtpd;
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    EXPECT_EQ(jsonString(vtpd.get("/api/v1/hello/kept").json(), "greeting"), "Hello, kept!");
    ASSERT_EQ(vtpd.stop(), 0);
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    auto r = vtpd.get("/api/v1/hello/kept");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()->getValue<int>("count"), 2);
}
