#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vtp::kernel {

class Logger;

enum class Dialect { SQLite, PostgreSQL };

struct Blob {
    std::vector<unsigned char> bytes;
    bool operator==(const Blob&) const = default;
};
// NULL, integer, real, text, blob. Booleans are stored as integers 0/1 on both backends.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string, Blob>;

struct ResultSet {
    std::vector<std::string> columns;
    std::vector<std::vector<SqlValue>> rows;
    int64_t affectedRows = 0;
};

// A database failure. `constraint` is true for unique/foreign-key/check violations so that
// callers can answer 409 rather than 500.
class DbError : public std::runtime_error {
public:
    DbError(const std::string& message, bool constraint = false) : std::runtime_error(message), constraint_(constraint) {}
    bool constraintViolation() const { return constraint_; }

private:
    bool constraint_;
};

// Rewrites portable SQL (placeholders written `?`) into the dialect's form: `$1, $2, ...` for
// PostgreSQL; leaves `?` inside quoted strings, quoted identifiers and comments alone.
std::string renderSql(std::string_view sql, Dialect dialect);

// Splits a script into statements at top-level ';' (not inside quotes, comments or
// PostgreSQL dollar-quoted bodies). Empty statements are dropped.
std::vector<std::string> splitSqlScript(std::string_view script);

// One pooled session. Destroying it returns the session to the pool (rolling back an open transaction).
// Use it from one thread at a time, and destroy it before the Database it came from. A failed
// statement spoils the open transaction (on both backends): commit() then rolls back and throws.
class Connection {
public:
    virtual ~Connection() = default;
    virtual ResultSet exec(std::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
    virtual void begin() = 0;
    virtual void commit() = 0;
    virtual void rollback() = 0;
    virtual bool inTransaction() const = 0;
};

// Thread-safe pool over SQLite (WAL, busy timeout, foreign keys on) or PostgreSQL.
class Database {
public:
    // url: "sqlite:PATH" (relative PATH is resolved against dataDir; ":memory:" not allowed
    // because pooled sessions would not share it) or "postgresql://user:pass@host:port/db".
    // Connects once before returning; throws DbError if that fails. acquire() waits up to 10 s.
    static std::unique_ptr<Database> open(const std::string& url, const std::string& dataDir, size_t poolSize, Logger& log);
    // As above, with the longest time acquire() waits for a free session.
    static std::unique_ptr<Database> open(const std::string& url, const std::string& dataDir, size_t poolSize, Logger& log,
                                          std::chrono::milliseconds acquireTimeout);
    virtual ~Database() = default;

    virtual Dialect dialect() const = 0;
    // Runs one statement on a pooled session in autocommit mode. ResultSet::affectedRows is
    // the number of rows changed by INSERT/UPDATE/DELETE (with or without RETURNING) and the
    // number of rows returned by a query. Thread-safe, like acquire().
    virtual ResultSet exec(std::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
    // Waits up to the pool's timeout for a free session; throws DbError when none frees up.
    virtual std::unique_ptr<Connection> acquire() = 0;
    // True if a trivial query succeeds now.
    virtual bool ping() = 0;
    // The URL with any password replaced by "****", for logs.
    virtual std::string displayUrl() const = 0;
};

} // namespace vtp::kernel
