#include "db/DatabaseUrl.hpp"

#include "TestSupport.hpp"

#include <gtest/gtest.h>

using vtp::kernel::DatabaseUrl;
using vtp::kernel::DbError;
using vtp::kernel::Dialect;
using vtp::kernel::parseDatabaseUrl;

namespace {

TEST(DatabaseUrl, ConvertsPostgresUrlToKeyValuePairs)
{
    DatabaseUrl url = parseDatabaseUrl("postgresql://vtp:s3cret@db.example:6543/vtp_prod?sslmode=require", "/data");
    EXPECT_EQ(url.dialect, Dialect::PostgreSQL);
    EXPECT_EQ(url.connectionString,
              "host=db.example port=6543 dbname=vtp_prod user=vtp password=s3cret sslmode=require connect_timeout=10");
    EXPECT_EQ(url.password, "s3cret");
}

TEST(DatabaseUrl, HidesPasswordInDisplayUrl)
{
    DatabaseUrl url = parseDatabaseUrl("postgres://vtp:s3cret@127.0.0.1:5432/vtp", "");
    EXPECT_EQ(url.displayUrl.find("s3cret"), std::string::npos) << url.displayUrl;
    EXPECT_NE(url.displayUrl.find("vtp:****@127.0.0.1"), std::string::npos) << url.displayUrl;
}

TEST(DatabaseUrl, DecodesPercentEncodedPassword)
{
    DatabaseUrl url = parseDatabaseUrl("postgresql://vtp:p%40ss%27w@localhost/vtp", "");
    EXPECT_EQ(url.password, "p@ss'w");
    EXPECT_NE(url.connectionString.find("password=p@ss\\'w"), std::string::npos) << url.connectionString;
}

TEST(DatabaseUrl, RefusesWhitespaceInConnectionValues)
{
    EXPECT_THROW(parseDatabaseUrl("postgresql://vtp:a%20b@localhost/vtp", ""), DbError);
}

TEST(DatabaseUrl, ResolvesRelativeSqlitePathAgainstDataDir)
{
    DatabaseUrl url = parseDatabaseUrl("sqlite:db/vtp.sqlite", "/var/lib/vtp");
    EXPECT_EQ(url.dialect, Dialect::SQLite);
    EXPECT_EQ(url.connectionString, "/var/lib/vtp/db/vtp.sqlite");
}

TEST(DatabaseUrl, KeepsAbsoluteSqlitePath)
{
    EXPECT_EQ(parseDatabaseUrl("sqlite:/srv/vtp.db", "/var/lib/vtp").connectionString, "/srv/vtp.db");
}

TEST(DatabaseUrl, RefusesInMemorySqlite)
{
    EXPECT_THROW(parseDatabaseUrl("sqlite::memory:", "/tmp"), DbError);
}

TEST(DatabaseUrl, RefusesUnknownSchemeWithoutEchoingCredentials)
{
    try {
        parseDatabaseUrl("mysql://root:hunter2@localhost/db", "");
        FAIL() << "expected DbError";
    } catch (const DbError& e) {
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    }
}

TEST(TestSupport, FreeLoopbackPortIsNonZero)
{
    EXPECT_NE(vtp::test::freeLoopbackPort(), 0);
}

TEST(TestSupport, TempDirIsRemovedWithItsContents)
{
    std::string path;
    {
        vtp::test::TempDir dir;
        path = dir.path();
        vtp::test::writeFile(dir.file("a.txt"), "hello");
        EXPECT_EQ(vtp::test::readFile(dir.file("a.txt")), "hello");
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

} // namespace
