#pragma once

#include "db/Database.hpp"

#include <string>

namespace vtp::kernel {

// A database URL resolved into what Poco's connector needs.
struct DatabaseUrl {
    Dialect dialect = Dialect::SQLite;
    // SQLite: the absolute file path. PostgreSQL: libpq "key=value ..." pairs.
    std::string connectionString;
    // The URL with its password replaced by "****".
    std::string displayUrl;
    // The password, to scrub from error messages; empty for SQLite.
    std::string password;
};

// Parses "sqlite:PATH" (relative PATH resolved against dataDir) or
// "postgresql://user:pass@host:port/db?param=value" (postgres:// too; query parameters such as
// sslmode or options pass through to libpq). Throws DbError for anything else.
DatabaseUrl parseDatabaseUrl(const std::string& url, const std::string& dataDir);

// message with every occurrence of secret replaced by "****".
std::string scrubSecret(std::string message, const std::string& secret);

} // namespace vtp::kernel
