// SQLite statements run through the sqlite3 C API on the handle of the Poco session: Poco's
// connector types result columns by their declared type, so COUNT(*), RETURNING and other
// expressions would come back as strings, and unknown declared types throw. SQLite knows the
// storage class of every value, which is what SqlValue needs.
#include "db/SessionExec.hpp"

#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Exception.h>

#include <sqlite3.h>

#include <memory>
#include <type_traits>

namespace vtp::kernel {

namespace {

struct StatementFinalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

[[noreturn]] void throwSqlite(sqlite3* db, int rc, std::string_view sql)
{
    const int code = sqlite3_extended_errcode(db);
    const bool constraint = (rc & 0xff) == SQLITE_CONSTRAINT || (code & 0xff) == SQLITE_CONSTRAINT;
    std::string message = "SQLite error: ";
    message += sqlite3_errmsg(db);
    message += " (code " + std::to_string(code) + ") in: ";
    message += sql.substr(0, 200);
    throw DbError(message, constraint);
}

void bindParam(sqlite3* db, sqlite3_stmt* stmt, int index, const SqlValue& value, std::string_view sql)
{
    int rc = std::visit(
        [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return sqlite3_bind_null(stmt, index);
            } else if constexpr (std::is_same_v<T, int64_t>) {
                return sqlite3_bind_int64(stmt, index, v);
            } else if constexpr (std::is_same_v<T, double>) {
                return sqlite3_bind_double(stmt, index, v);
            } else if constexpr (std::is_same_v<T, std::string>) {
                return sqlite3_bind_text64(stmt, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
            } else {
                // A null data pointer would bind NULL, not an empty blob.
                if (v.bytes.empty()) return sqlite3_bind_zeroblob(stmt, index, 0);
                return sqlite3_bind_blob64(stmt, index, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT);
            }
        },
        value);
    if (rc != SQLITE_OK) throwSqlite(db, rc, sql);
}

SqlValue columnValue(sqlite3_stmt* stmt, int column)
{
    switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER: return static_cast<int64_t>(sqlite3_column_int64(stmt, column));
    case SQLITE_FLOAT: return sqlite3_column_double(stmt, column);
    case SQLITE_TEXT: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
        return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
    }
    case SQLITE_BLOB: {
        const auto* data = static_cast<const unsigned char*>(sqlite3_column_blob(stmt, column));
        Blob blob;
        blob.bytes.assign(data, data + sqlite3_column_bytes(stmt, column));
        return blob;
    }
    default: return std::monostate{};
    }
}

} // namespace

sqlite3* sqliteHandle(Poco::Data::Session& session)
{
    try {
        return Poco::Data::SQLite::Utility::dbHandle(session);
    } catch (const Poco::Exception& e) {
        throw DbError("SQLite session has no handle: " + e.displayText());
    }
}

void execSqliteCommand(sqlite3* db, const char* sql)
{
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        std::string message = std::string("SQLite error: ") + (error != nullptr ? error : sqlite3_errstr(rc)) + " in: " + sql;
        sqlite3_free(error);
        throw DbError(message, (rc & 0xff) == SQLITE_CONSTRAINT);
    }
}

ResultSet execSqlite(Poco::Data::Session& session, std::string_view sql, const std::vector<SqlValue>& params)
{
    sqlite3* db = sqliteHandle(session);
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
    StatementPtr stmt(raw);
    if (rc != SQLITE_OK) throwSqlite(db, rc, sql);
    if (!stmt) throw DbError("SQL text contains no statement");
    if (tail != nullptr && tail < sql.data() + sql.size()) {
        sqlite3_stmt* next = nullptr;
        rc = sqlite3_prepare_v2(db, tail, static_cast<int>(sql.data() + sql.size() - tail), &next, nullptr);
        StatementPtr nextStmt(next);
        if (rc != SQLITE_OK || nextStmt) {
            throw DbError("exec runs exactly one statement; split scripts with splitSqlScript");
        }
    }

    const int expected = sqlite3_bind_parameter_count(stmt.get());
    if (expected != static_cast<int>(params.size())) {
        throw DbError("statement has " + std::to_string(expected) + " placeholders but " + std::to_string(params.size()) +
                      " parameters were given: " + std::string(sql.substr(0, 200)));
    }
    for (size_t i = 0; i < params.size(); ++i) bindParam(db, stmt.get(), static_cast<int>(i + 1), params[i], sql);

    ResultSet result;
    const int columns = sqlite3_column_count(stmt.get());
    for (int c = 0; c < columns; ++c) {
        const char* name = sqlite3_column_name(stmt.get(), c);
        result.columns.emplace_back(name != nullptr ? name : "");
    }
    const sqlite3_int64 changesBefore = sqlite3_total_changes64(db);
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
        std::vector<SqlValue> row;
        row.reserve(static_cast<size_t>(columns));
        for (int c = 0; c < columns; ++c) row.push_back(columnValue(stmt.get(), c));
        result.rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) throwSqlite(db, rc, sql);

    // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, so it is stale after
    // a query or DDL; the total-changes counter tells whether this statement changed anything.
    if (sqlite3_total_changes64(db) != changesBefore) {
        result.affectedRows = sqlite3_changes64(db);
    } else if (sqlite3_stmt_readonly(stmt.get()) != 0) {
        result.affectedRows = static_cast<int64_t>(result.rows.size());
    }
    return result;
}

} // namespace vtp::kernel
