#include "db/Database.hpp"
#include "db/Migrator.hpp"

#include <gtest/gtest.h>

using vtp::kernel::Dialect;
using vtp::kernel::renderSql;
using vtp::kernel::splitSqlScript;

namespace {

using Statements = std::vector<std::string>;

TEST(RenderSql, NumbersPlaceholdersForPostgres)
{
    EXPECT_EQ(renderSql("INSERT INTO t (a, b, c) VALUES (?, ?,?)", Dialect::PostgreSQL), "INSERT INTO t (a, b, c) VALUES ($1, $2,$3)");
}

TEST(RenderSql, LeavesSqliteUnchanged)
{
    EXPECT_EQ(renderSql("SELECT ? FROM t WHERE a = ?", Dialect::SQLite), "SELECT ? FROM t WHERE a = ?");
}

TEST(RenderSql, IgnoresQuestionMarksInStringsIdentifiersAndComments)
{
    EXPECT_EQ(renderSql("SELECT '?', 'it''s ?', \"a?b\", ? -- what?\n/* ? */ , ?", Dialect::PostgreSQL),
              "SELECT '?', 'it''s ?', \"a?b\", $1 -- what?\n/* ? */ , $2");
}

TEST(RenderSql, IgnoresQuestionMarksInDollarQuotedBodies)
{
    EXPECT_EQ(renderSql("SELECT $$ ? $$, $fn$ it's ? $fn$, ?", Dialect::PostgreSQL), "SELECT $$ ? $$, $fn$ it's ? $fn$, $1");
}

TEST(RenderSql, HonoursBackslashEscapesInEscapeStrings)
{
    EXPECT_EQ(renderSql("SELECT E'\\' ?', ?", Dialect::PostgreSQL), "SELECT E'\\' ?', $1");
}

TEST(SplitSqlScript, SplitsAtTopLevelSemicolons)
{
    EXPECT_EQ(splitSqlScript("CREATE TABLE a (x INTEGER);\nINSERT INTO a VALUES (1);  SELECT 1"),
              (Statements{"CREATE TABLE a (x INTEGER)", "INSERT INTO a VALUES (1)", "SELECT 1"}));
}

TEST(SplitSqlScript, DropsEmptyAndCommentOnlyStatements)
{
    EXPECT_EQ(splitSqlScript(";;  ;\n-- only a comment;\n/* block; */ ;SELECT 2;\n-- trailing\n"), (Statements{"SELECT 2"}));
    EXPECT_TRUE(splitSqlScript("  \n-- nothing\n").empty());
}

TEST(SplitSqlScript, KeepsSemicolonsInsideQuotesAndComments)
{
    EXPECT_EQ(splitSqlScript("INSERT INTO t VALUES ('a;b', 'it''s;'); SELECT \"x;y\" -- c;d\nFROM t; /* e;f */ SELECT 3"),
              (Statements{"INSERT INTO t VALUES ('a;b', 'it''s;')", "SELECT \"x;y\" -- c;d\nFROM t", "/* e;f */ SELECT 3"}));
}

TEST(SplitSqlScript, KeepsDollarQuotedFunctionBodiesTogether)
{
    const std::string function = "CREATE FUNCTION bump() RETURNS trigger AS $body$\nBEGIN\n  NEW.n := NEW.n + 1;\n  RETURN NEW;\nEND;\n"
                                 "$body$ LANGUAGE plpgsql";
    EXPECT_EQ(splitSqlScript(function + ";\nSELECT $$;$$;"), (Statements{function, "SELECT $$;$$"}));
}

TEST(SplitSqlScript, KeepsSqliteTriggerBodiesTogether)
{
    const std::string trigger = "CREATE TRIGGER log_insert AFTER INSERT ON t BEGIN\n"
                                "  INSERT INTO log VALUES (CASE WHEN NEW.x > 0 THEN 'pos' ELSE 'neg' END);\n"
                                "  UPDATE counter SET n = n + 1;\nEND";
    EXPECT_EQ(splitSqlScript("CREATE TABLE t (x INTEGER);\n" + trigger + ";\nINSERT INTO t VALUES (1);"),
              (Statements{"CREATE TABLE t (x INTEGER)", trigger, "INSERT INTO t VALUES (1)"}));
}

TEST(SplitSqlScript, TreatsTransactionBeginAsOrdinaryStatement)
{
    EXPECT_EQ(splitSqlScript("BEGIN; SELECT 1; END;"), (Statements{"BEGIN", "SELECT 1", "END"}));
}

TEST(Sha256Hex, MatchesKnownDigest)
{
    EXPECT_EQ(vtp::kernel::sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

} // namespace
