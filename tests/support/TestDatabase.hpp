#pragma once

// SQL from a test's side (a schema for a vtpd under test, a look at what a plugin wrote) without
// the kernel's database layer, so that plugin tests link no kernel library: libpq and SQLite's C
// API directly. Not thread-safe; one connection.

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace vtp::test {

// NULL, an integer (PostgreSQL int2/4/8 and bool as 0/1), a real, or text.
using TestValue = std::variant<std::monostate, int64_t, double, std::string>;

struct TestRows {
    std::vector<std::string> columns;
    std::vector<std::vector<TestValue>> rows;
};

class TestDatabase {
public:
    virtual ~TestDatabase() = default;
    // "sqlite:PATH", or a postgresql:// URL as libpq reads it. Throws std::runtime_error.
    static std::unique_ptr<TestDatabase> open(const std::string& url);
    // One statement with `?` placeholders (rendered $1, $2 ... for PostgreSQL). Throws on failure.
    virtual TestRows query(const std::string& sql, const std::vector<TestValue>& params = {}) = 0;
    void exec(const std::string& sql) { query(sql); }
};

} // namespace vtp::test
