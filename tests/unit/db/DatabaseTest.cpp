#include "DbTestFixture.hpp"

#include <atomic>
#include <filesystem>
#include <future>
#include <limits>
#include <thread>

namespace vtp::kernel::test {
namespace {

using Row = std::vector<SqlValue>;

Blob blobOf(std::initializer_list<unsigned char> bytes)
{
    return Blob{std::vector<unsigned char>(bytes)};
}

TEST_P(DbTest, RoundTripsEveryValueType)
{
    db_->exec("CREATE TABLE vals (" + idColumn() + ", i BIGINT, r DOUBLE PRECISION, t TEXT, b " + blobType() + ")");
    const int64_t big = 5'000'000'000LL;
    const int64_t max = std::numeric_limits<int64_t>::max();
    const std::string text = "h\xc3\xa9llo 'quoted' \"double\" ? $1 ;";
    const Blob blob = blobOf({0x00, 0x01, 0x7f, 0x80, 0xff, 0x00});
    const std::string insert = "INSERT INTO vals (i, r, t, b) VALUES (?, ?, ?, ?)";
    db_->exec(insert, {big, 3.141592653589793, text, blob});
    db_->exec(insert, {-max, -0.5e-300, std::string(), Blob{}});
    db_->exec(insert, {std::monostate{}, std::monostate{}, std::monostate{}, std::monostate{}});

    ResultSet result = db_->exec("SELECT i, r, t, b FROM vals ORDER BY id");
    EXPECT_EQ(result.columns, (std::vector<std::string>{"i", "r", "t", "b"}));
    ASSERT_EQ(result.rows.size(), 3u);
    EXPECT_EQ(result.rows[0], (Row{big, 3.141592653589793, text, blob}));
    EXPECT_EQ(result.rows[1], (Row{-max, -0.5e-300, std::string(), Blob{}}));
    EXPECT_EQ(result.rows[2], (Row{std::monostate{}, std::monostate{}, std::monostate{}, std::monostate{}}));
}

TEST_P(DbTest, SelectsByLargeIntegerParameter)
{
    db_->exec("CREATE TABLE big (n BIGINT NOT NULL)");
    db_->exec("INSERT INTO big (n) VALUES (?), (?)", {int64_t{1}, int64_t{1} << 40});
    ResultSet result = db_->exec("SELECT n FROM big WHERE n > ?", {int64_t{1} << 35});
    ASSERT_EQ(result.rows.size(), 1u);
    EXPECT_EQ(result.rows[0][0], SqlValue(int64_t{1} << 40));
}

TEST_P(DbTest, CountAndIntegerExpressionsAreInt64)
{
    db_->exec("CREATE TABLE items (n INTEGER)");
    for (int64_t i = 0; i < 3; ++i) db_->exec("INSERT INTO items (n) VALUES (?)", {i});
    ResultSet result = db_->exec("SELECT COUNT(*), SUM(n), MAX(n), 40 + 2 FROM items");
    ASSERT_EQ(result.rows.size(), 1u);
    EXPECT_EQ(result.rows[0], (Row{int64_t{3}, int64_t{3}, int64_t{2}, int64_t{42}}));
}

TEST_P(DbTest, IntegerColumnIsInt64)
{
    db_->exec("CREATE TABLE ints (n INTEGER, flag BOOLEAN)");
    db_->exec("INSERT INTO ints (n, flag) VALUES (?, " + std::string(dialect() == Dialect::SQLite ? "1" : "TRUE") + ")", {int64_t{7}});
    ResultSet result = db_->exec("SELECT n, flag FROM ints");
    ASSERT_EQ(result.rows.size(), 1u);
    EXPECT_EQ(result.rows[0], (Row{int64_t{7}, int64_t{1}}));
}

TEST_P(DbTest, ReturningGivesGeneratedIds)
{
    db_->exec("CREATE TABLE people (" + idColumn() + ", name TEXT NOT NULL)");
    ResultSet first = db_->exec("INSERT INTO people (name) VALUES (?) RETURNING id", {std::string("ada")});
    ResultSet second = db_->exec("INSERT INTO people (name) VALUES (?) RETURNING id", {std::string("bob")});
    ASSERT_EQ(first.rows.size(), 1u);
    ASSERT_EQ(second.rows.size(), 1u);
    EXPECT_EQ(first.columns, (std::vector<std::string>{"id"}));
    EXPECT_EQ(first.affectedRows, 1);
    const int64_t a = std::get<int64_t>(first.rows[0][0]);
    const int64_t b = std::get<int64_t>(second.rows[0][0]);
    EXPECT_LT(a, b);
    ResultSet name = db_->exec("SELECT name FROM people WHERE id = ?", {b});
    ASSERT_EQ(name.rows.size(), 1u);
    EXPECT_EQ(name.rows[0][0], SqlValue(std::string("bob")));
}

TEST_P(DbTest, ReportsAffectedRows)
{
    db_->exec("CREATE TABLE counted (n INTEGER)");
    EXPECT_EQ(db_->exec("INSERT INTO counted (n) VALUES (1), (2), (3)").affectedRows, 3);
    EXPECT_EQ(db_->exec("UPDATE counted SET n = n * 10 WHERE n >= ?", {int64_t{2}}).affectedRows, 2);
    EXPECT_EQ(db_->exec("DELETE FROM counted WHERE n = ?", {int64_t{1}}).affectedRows, 1);
    EXPECT_EQ(db_->exec("UPDATE counted SET n = 0 WHERE n < 0").affectedRows, 0);
    EXPECT_EQ(db_->exec("CREATE TABLE other (n INTEGER)").affectedRows, 0);
    EXPECT_EQ(db_->exec("SELECT n FROM counted").affectedRows, 2);
}

TEST_P(DbTest, EmptyQueryStillNamesColumns)
{
    db_->exec("CREATE TABLE empty (a INTEGER, b TEXT)");
    ResultSet result = db_->exec("SELECT a, b FROM empty");
    EXPECT_TRUE(result.rows.empty());
    EXPECT_EQ(result.columns, (std::vector<std::string>{"a", "b"}));
}

TEST_P(DbTest, PlaceholderInsideStringIsNotAParameter)
{
    ResultSet result = db_->exec("SELECT '?' AS q, ? AS v", {std::string("x")});
    ASSERT_EQ(result.rows.size(), 1u);
    EXPECT_EQ(result.rows[0], (Row{std::string("?"), std::string("x")}));
}

TEST_P(DbTest, FlagsUniqueViolation)
{
    db_->exec("CREATE TABLE users (name TEXT UNIQUE)");
    db_->exec("INSERT INTO users (name) VALUES (?)", {std::string("ada")});
    try {
        db_->exec("INSERT INTO users (name) VALUES (?)", {std::string("ada")});
        FAIL() << "duplicate insert succeeded";
    } catch (const DbError& e) {
        EXPECT_TRUE(e.constraintViolation()) << e.what();
    }
}

TEST_P(DbTest, FlagsForeignKeyViolation)
{
    db_->exec("CREATE TABLE parents (id INTEGER PRIMARY KEY)");
    db_->exec("CREATE TABLE children (parent INTEGER NOT NULL REFERENCES parents (id))");
    try {
        db_->exec("INSERT INTO children (parent) VALUES (?)", {int64_t{42}});
        FAIL() << "insert with a dangling foreign key succeeded";
    } catch (const DbError& e) {
        EXPECT_TRUE(e.constraintViolation()) << e.what();
    }
}

TEST_P(DbTest, FlagsCheckViolation)
{
    db_->exec("CREATE TABLE positive (n INTEGER CHECK (n > 0))");
    try {
        db_->exec("INSERT INTO positive (n) VALUES (?)", {int64_t{-1}});
        FAIL() << "insert violating a CHECK succeeded";
    } catch (const DbError& e) {
        EXPECT_TRUE(e.constraintViolation()) << e.what();
    }
}

TEST_P(DbTest, SyntaxErrorIsNotAConstraintViolation)
{
    try {
        db_->exec("SELEC 1");
        FAIL() << "bad SQL succeeded";
    } catch (const DbError& e) {
        EXPECT_FALSE(e.constraintViolation()) << e.what();
        EXPECT_NE(std::string(e.what()).find("SELEC"), std::string::npos) << e.what();
    }
}

TEST_P(DbTest, RefusesWrongParameterCount)
{
    db_->exec("CREATE TABLE pair (a INTEGER, b INTEGER)");
    EXPECT_THROW(db_->exec("INSERT INTO pair (a, b) VALUES (?, ?)", {int64_t{1}}), DbError);
}

TEST_P(DbTest, CommitMakesChangesVisibleOnlyAfterwards)
{
    db_->exec("CREATE TABLE tx (n INTEGER)");
    auto connection = db_->acquire();
    connection->begin();
    EXPECT_TRUE(connection->inTransaction());
    connection->exec("INSERT INTO tx (n) VALUES (?)", {int64_t{1}});
    EXPECT_EQ(count("tx"), 0); // another pooled session does not see it yet
    connection->commit();
    EXPECT_FALSE(connection->inTransaction());
    EXPECT_EQ(count("tx"), 1);
}

TEST_P(DbTest, RollbackDiscardsChanges)
{
    db_->exec("CREATE TABLE tx (n INTEGER)");
    auto connection = db_->acquire();
    connection->begin();
    connection->exec("INSERT INTO tx (n) VALUES (?)", {int64_t{1}});
    EXPECT_EQ(std::get<int64_t>(connection->exec("SELECT COUNT(*) FROM tx").rows[0][0]), 1);
    connection->rollback();
    EXPECT_FALSE(connection->inTransaction());
    EXPECT_EQ(count("tx"), 0);
}

TEST_P(DbTest, DestroyingConnectionRollsBackOpenTransaction)
{
    db_->exec("CREATE TABLE tx (n INTEGER)");
    {
        auto connection = db_->acquire();
        connection->begin();
        connection->exec("INSERT INTO tx (n) VALUES (?)", {int64_t{1}});
    }
    EXPECT_EQ(count("tx"), 0);
    // The returned session is usable again and not stuck in the old transaction.
    auto connection = db_->acquire();
    connection->begin();
    connection->exec("INSERT INTO tx (n) VALUES (?)", {int64_t{2}});
    connection->commit();
    EXPECT_EQ(count("tx"), 1);
}

TEST_P(DbTest, FailedStatementInTransactionKeepsNothingAfterRollback)
{
    db_->exec("CREATE TABLE tx (n INTEGER UNIQUE)");
    auto connection = db_->acquire();
    connection->begin();
    connection->exec("INSERT INTO tx (n) VALUES (1)");
    EXPECT_THROW(connection->exec("INSERT INTO tx (n) VALUES (1)"), DbError);
    connection->rollback();
    EXPECT_EQ(count("tx"), 0);
}

TEST_P(DbTest, CommitAfterFailedStatementRollsBackAndThrows)
{
    db_->exec("CREATE TABLE tx (n INTEGER UNIQUE)");
    auto connection = db_->acquire();
    connection->begin();
    connection->exec("INSERT INTO tx (n) VALUES (1)");
    EXPECT_THROW(connection->exec("INSERT INTO tx (n) VALUES (1)"), DbError);
    EXPECT_THROW(connection->commit(), DbError);
    EXPECT_FALSE(connection->inTransaction());
    EXPECT_EQ(count("tx"), 0);
}

TEST_P(DbTest, ConcurrentExecFromSeveralThreads)
{
    db_->exec("CREATE TABLE hits (thread INTEGER, n INTEGER)");
    constexpr int kThreads = 6; // more threads than pooled sessions: some must wait
    constexpr int kInserts = 25;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kInserts; ++i) {
                try {
                    db_->exec("INSERT INTO hits (thread, n) VALUES (?, ?)", {int64_t{t}, int64_t{i}});
                    db_->exec("SELECT COUNT(*) FROM hits WHERE thread = ?", {int64_t{t}});
                } catch (const std::exception& e) {
                    ADD_FAILURE() << e.what();
                    ++failures;
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(count("hits"), kThreads * kInserts);
}

TEST_P(DbTest, AcquireFailsWhenPoolStaysExhausted)
{
    auto small = openDatabase(1, std::chrono::milliseconds(200));
    auto held = small->acquire();
    try {
        small->acquire();
        FAIL() << "acquired a second session from a pool of one";
    } catch (const DbError& e) {
        EXPECT_STREQ(e.what(), "database pool exhausted");
    }
    held.reset();
    EXPECT_NO_THROW(small->acquire());
}

TEST_P(DbTest, WaitingAcquireGetsReleasedSession)
{
    auto small = openDatabase(1, std::chrono::seconds(20));
    auto held = small->acquire();
    std::atomic<bool> acquired{false};
    std::thread waiter([&] {
        auto connection = small->acquire();
        acquired = connection != nullptr;
    });
    held.reset();
    waiter.join();
    EXPECT_TRUE(acquired.load());
}

TEST_P(DbTest, PingSucceeds)
{
    EXPECT_TRUE(db_->ping());
}

TEST_P(DbTest, DisplayUrlHasNoPassword)
{
    const std::string shown = db_->displayUrl();
    if (dialect() == Dialect::SQLite) {
        EXPECT_EQ(shown, "sqlite:" + dir_.path() + "/nested/dir/test.db");
    } else {
        const std::string url = vtp::test::postgresUrl();
        const std::string password = url.substr(url.find(':', 14) + 1, url.find('@') - url.find(':', 14) - 1);
        ASSERT_FALSE(password.empty());
        EXPECT_EQ(shown.find(password), std::string::npos) << shown;
        EXPECT_NE(shown.find("****"), std::string::npos) << shown;
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, DbTest, ::testing::Values(Dialect::SQLite, Dialect::PostgreSQL), dialectName);

class SqliteDatabaseTest : public ::testing::Test {
protected:
    vtp::test::TempDir dir_;
    Logger log_{stderr};
};

TEST_F(SqliteDatabaseTest, CreatesFileUnderDataDirWithWalJournal)
{
    auto db = Database::open("sqlite:a/b/vtp.db", dir_.path(), 2, log_);
    EXPECT_TRUE(std::filesystem::exists(dir_.file("a/b/vtp.db")));
    ResultSet mode = db->exec("PRAGMA journal_mode");
    ASSERT_EQ(mode.rows.size(), 1u);
    EXPECT_EQ(mode.rows[0][0], SqlValue(std::string("wal")));
}

TEST_F(SqliteDatabaseTest, EnablesForeignKeysOnEverySession)
{
    auto db = Database::open("sqlite:vtp.db", dir_.path(), 3, log_);
    std::vector<std::unique_ptr<Connection>> connections;
    for (int i = 0; i < 3; ++i) connections.push_back(db->acquire());
    for (auto& connection : connections) EXPECT_EQ(connection->exec("PRAGMA foreign_keys").rows.at(0).at(0), SqlValue(int64_t{1}));
}

TEST_F(SqliteDatabaseTest, AWriterWaitsForAnotherSessionsTransaction)
{
    auto db = Database::open("sqlite:vtp.db", dir_.path(), 2, log_);
    db->exec("CREATE TABLE t (x INTEGER)");
    auto holder = db->acquire();
    holder->begin();
    holder->exec("INSERT INTO t (x) VALUES (1)");
    auto waiter = std::async(std::launch::async, [&] { db->exec("INSERT INTO t (x) VALUES (2)"); });
    holder->exec("INSERT INTO t (x) VALUES (3)");
    holder->commit();
    EXPECT_NO_THROW(waiter.get());
    EXPECT_EQ(db->exec("SELECT COUNT(*) FROM t").rows.at(0).at(0), SqlValue(int64_t{3}));
}

TEST_F(SqliteDatabaseTest, AWriterGivesUpAfterFiveSecondsOfWaiting)
{
    auto db = Database::open("sqlite:vtp.db", dir_.path(), 2, log_);
    db->exec("CREATE TABLE t (x INTEGER)");
    auto holder = db->acquire();
    holder->begin();
    holder->exec("INSERT INTO t (x) VALUES (1)");
    const auto started = std::chrono::steady_clock::now();
    EXPECT_THROW(db->exec("INSERT INTO t (x) VALUES (2)"), DbError);
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(4900));
    holder->rollback();
    EXPECT_NO_THROW(db->exec("INSERT INTO t (x) VALUES (3)"));
}

TEST_F(SqliteDatabaseTest, RefusesSeveralStatementsInOneExec)
{
    auto db = Database::open("sqlite:vtp.db", dir_.path(), 1, log_);
    EXPECT_THROW(db->exec("CREATE TABLE a (x INTEGER); CREATE TABLE b (x INTEGER)"), DbError);
    EXPECT_NO_THROW(db->exec("CREATE TABLE c (x INTEGER); -- trailing comment"));
}

TEST(PostgresDatabaseTest, UnreachableServerFailsWithoutLeakingPassword)
{
    Logger log(stderr);
    const std::string url = "postgresql://vtp:Sup3rSecretPw@127.0.0.1:" + std::to_string(vtp::test::freeLoopbackPort()) + "/vtp_test";
    // Several attempts, as a server retrying through an outage makes them: under the sanitizers
    // LeakSanitizer fails this test if a failed connect leaves anything behind (Poco 1.11 leaks
    // libpq's PGconn on each one; the pool probes with libpq first so Poco never fails there).
    for (int attempt = 0; attempt < 3; ++attempt) {
        try {
            Database::open(url, "", 1, log);
            FAIL() << "opened a database on a closed port";
        } catch (const DbError& e) {
            EXPECT_EQ(std::string(e.what()).find("Sup3rSecretPw"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("127.0.0.1"), std::string::npos) << e.what();
        }
    }
}

} // namespace
} // namespace vtp::kernel::test
