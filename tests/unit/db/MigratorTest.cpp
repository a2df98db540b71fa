#include "db/Migrator.hpp"

#include "DbTestFixture.hpp"

namespace vtp::kernel::test {
namespace {

class MigratorTest : public DbTest {
protected:
    std::vector<Migration> greetings() const
    {
        return {
            {1, "001_create_greetings",
             "CREATE TABLE greetings (" + idColumn() +
                 ", text TEXT NOT NULL);\n"
                 "CREATE INDEX greetings_text ON greetings (text);"},
            {2, "002_seed", "-- the first greeting; more come later\nINSERT INTO greetings (text) VALUES ('hello; world');"},
        };
    }

    bool tableExists(const std::string& table)
    {
        try {
            db_->exec("SELECT COUNT(*) FROM " + table);
            return true;
        } catch (const DbError&) {
            return false;
        }
    }
};

std::vector<int64_t> versions(const std::vector<MigrationRecord>& records)
{
    std::vector<int64_t> out;
    for (const auto& record : records) out.push_back(record.version);
    return out;
}

TEST_P(MigratorTest, AppliesMigrationsInVersionOrder)
{
    std::vector<Migration> shuffled = greetings();
    std::swap(shuffled[0], shuffled[1]);
    Migrator migrator(*db_);
    std::vector<MigrationRecord> applied = migrator.apply("greeter", shuffled);
    EXPECT_EQ(versions(applied), (std::vector<int64_t>{1, 2}));
    for (const auto& record : applied) {
        EXPECT_TRUE(record.applied);
        EXPECT_EQ(record.owner, "greeter");
    }
    ResultSet rows = db_->exec("SELECT text FROM greetings");
    ASSERT_EQ(rows.rows.size(), 1u);
    EXPECT_EQ(rows.rows[0][0], SqlValue(std::string("hello; world")));

    ResultSet recorded = db_->exec("SELECT owner, version, name, checksum FROM vtp_migrations ORDER BY version");
    ASSERT_EQ(recorded.rows.size(), 2u);
    EXPECT_EQ(recorded.rows[1],
              (std::vector<SqlValue>{std::string("greeter"), int64_t{2}, std::string("002_seed"), sha256Hex(greetings()[1].sql)}));
}

TEST_P(MigratorTest, ReapplyingIsANoOp)
{
    Migrator migrator(*db_);
    migrator.apply("greeter", greetings());
    EXPECT_TRUE(migrator.apply("greeter", greetings()).empty());
    EXPECT_EQ(count("greetings"), 1);
    EXPECT_EQ(count("vtp_migrations"), 2);
}

TEST_P(MigratorTest, AppliesOnlyNewMigrationsLater)
{
    Migrator migrator(*db_);
    std::vector<Migration> migrations = greetings();
    migrator.apply("greeter", {migrations[0]});
    EXPECT_EQ(count("greetings"), 0);
    EXPECT_EQ(versions(migrator.apply("greeter", migrations)), (std::vector<int64_t>{2}));
    EXPECT_EQ(count("greetings"), 1);
}

TEST_P(MigratorTest, RefusesMigrationChangedAfterItWasApplied)
{
    Migrator migrator(*db_);
    std::vector<Migration> migrations = greetings();
    migrator.apply("greeter", {migrations[0]});
    const std::string recorded = sha256Hex(migrations[0].sql);
    migrations[0].sql += "\nCREATE INDEX greetings_id ON greetings (id);";
    const std::string shipped = sha256Hex(migrations[0].sql);
    try {
        migrator.apply("greeter", migrations);
        FAIL() << "a changed migration was accepted";
    } catch (const MigrationError& e) {
        EXPECT_EQ(std::string(e.what()), "migration greeter/1 (001_create_greetings) was changed after it was applied: recorded checksum " +
                                             recorded + ", shipped " + shipped);
    }
    EXPECT_EQ(count("greetings"), 0); // 002_seed did not run
    EXPECT_EQ(count("vtp_migrations"), 1);
    EXPECT_THROW(migrator.status("greeter", migrations), MigrationError);
}

TEST_P(MigratorTest, FailingMigrationRollsBackEntirely)
{
    Migrator migrator(*db_);
    std::vector<Migration> migrations = greetings();
    migrations.push_back({3, "003_broken",
                          "CREATE TABLE half_done (x INTEGER);\n"
                          "INSERT INTO half_done (x) VALUES (1);\n"
                          "INSERT INTO no_such_table (x) VALUES (1);"});
    migrations.push_back({4, "004_after", "CREATE TABLE after_broken (x INTEGER);"});
    try {
        migrator.apply("greeter", migrations);
        FAIL() << "a broken migration was applied";
    } catch (const MigrationError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("migration greeter/3 (003_broken) failed"), std::string::npos) << message;
        EXPECT_NE(message.find("no_such_table"), std::string::npos) << message;
    }
    EXPECT_FALSE(tableExists("half_done"));
    EXPECT_FALSE(tableExists("after_broken"));
    EXPECT_EQ(count("greetings"), 1); // earlier migrations stay applied
    std::vector<MigrationRecord> status = migrator.status("greeter", migrations);
    ASSERT_EQ(status.size(), 4u);
    EXPECT_TRUE(status[1].applied);
    EXPECT_FALSE(status[2].applied);
    EXPECT_FALSE(status[3].applied);
}

TEST_P(MigratorTest, StatusReportsPendingAndApplied)
{
    Migrator migrator(*db_);
    std::vector<Migration> migrations = greetings();
    std::vector<MigrationRecord> before = migrator.status("greeter", migrations);
    ASSERT_EQ(before.size(), 2u);
    EXPECT_FALSE(before[0].applied);
    EXPECT_FALSE(before[1].applied);

    migrator.apply("greeter", {migrations[0]});
    std::vector<MigrationRecord> after = migrator.status("greeter", migrations);
    ASSERT_EQ(after.size(), 2u);
    EXPECT_TRUE(after[0].applied);
    EXPECT_FALSE(after[1].applied);
    EXPECT_EQ(after[1].name, "002_seed");
    EXPECT_EQ(after[1].checksum, sha256Hex(migrations[1].sql));
    EXPECT_EQ(count("greetings"), 0); // status() applies nothing
}

TEST_P(MigratorTest, KeepsOwnersApart)
{
    Migrator migrator(*db_);
    migrator.apply("greeter", greetings());
    std::vector<MigrationRecord> other = migrator.apply("other", {{1, "001_other", "CREATE TABLE other_things (x INTEGER);"}});
    EXPECT_EQ(versions(other), (std::vector<int64_t>{1}));
    EXPECT_TRUE(tableExists("other_things"));
}

TEST_P(MigratorTest, RefusesDuplicateVersions)
{
    Migrator migrator(*db_);
    EXPECT_THROW(migrator.apply("greeter", {{1, "001_a", "CREATE TABLE a (x INTEGER);"}, {1, "001_b", "CREATE TABLE b (x INTEGER);"}}),
                 MigrationError);
    EXPECT_FALSE(tableExists("a"));
}

TEST_P(MigratorTest, RunsTriggerAndFunctionBodiesWithSemicolons)
{
    std::string sql = "CREATE TABLE events (n INTEGER);\nCREATE TABLE tally (total INTEGER);\n"
                      "INSERT INTO tally (total) VALUES (0);\n";
    if (dialect() == Dialect::SQLite) {
        sql += "CREATE TRIGGER count_events AFTER INSERT ON events BEGIN\n"
               "  UPDATE tally SET total = total + NEW.n;\nEND;\n";
    } else {
        sql += "CREATE FUNCTION count_event() RETURNS trigger AS $$\nBEGIN\n"
               "  UPDATE tally SET total = total + NEW.n;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n"
               "CREATE TRIGGER count_events AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION count_event();\n";
    }
    Migrator migrator(*db_);
    migrator.apply("events", {{1, "001_events", sql}});
    db_->exec("INSERT INTO events (n) VALUES (?)", {int64_t{5}});
    db_->exec("INSERT INTO events (n) VALUES (?)", {int64_t{7}});
    EXPECT_EQ(db_->exec("SELECT total FROM tally").rows.at(0).at(0), SqlValue(int64_t{12}));
}

INSTANTIATE_TEST_SUITE_P(Backends, MigratorTest, ::testing::Values(Dialect::SQLite, Dialect::PostgreSQL), dialectName);

} // namespace
} // namespace vtp::kernel::test
