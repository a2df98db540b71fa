#include "db/Database.hpp"

#include "db/DatabaseUrl.hpp"
#include "db/PooledDatabase.hpp"
#include "log/Logger.hpp"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>

#include <filesystem>
#include <mutex>
#include <system_error>

namespace vtp::kernel {

namespace {

constexpr std::chrono::milliseconds kDefaultAcquireTimeout{10000};

void registerConnectors()
{
    // Poco's connector registry is process-wide; registering twice concurrently is not safe.
    static std::once_flag once;
    std::call_once(once, [] {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::PostgreSQL::Connector::registerConnector();
    });
}

} // namespace

std::unique_ptr<Database> Database::open(const std::string& url, const std::string& dataDir, size_t poolSize, Logger& log)
{
    return open(url, dataDir, poolSize, log, kDefaultAcquireTimeout);
}

std::unique_ptr<Database> Database::open(const std::string& url, const std::string& dataDir, size_t poolSize, Logger& log,
                                         std::chrono::milliseconds acquireTimeout)
{
    registerConnectors();
    DatabaseUrl parsed = parseDatabaseUrl(url, dataDir);
    if (parsed.dialect == Dialect::SQLite) {
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(parsed.connectionString).parent_path(), ec);
        if (ec) throw DbError("cannot create the directory for " + parsed.connectionString + ": " + ec.message());
    }
    const std::string display = parsed.displayUrl;
    const Dialect dialect = parsed.dialect;
    auto db = std::make_unique<PooledDatabase>(std::move(parsed), poolSize, acquireTimeout);

    // Fail at startup rather than on the first request if the database cannot be reached.
    try {
        auto connection = db->acquire();
        if (dialect == Dialect::SQLite) {
            // WAL is persistent in the file, so setting it once is enough; it lets readers run
            // while a writer commits.
            ResultSet mode = connection->exec("PRAGMA journal_mode = WAL");
            if (mode.rows.empty() || mode.rows[0].empty() || mode.rows[0][0] != SqlValue(std::string("wal"))) {
                log.warn("db", "SQLite did not switch to WAL journal mode", {{"url", display}});
            }
        } else {
            connection->exec("SELECT 1");
        }
    } catch (const DbError& e) {
        throw DbError("cannot open database " + display + ": " + e.what(), e.constraintViolation());
    }
    log.info("db", "database opened",
             {{"url", display},
              {"dialect", dialect == Dialect::SQLite ? "sqlite" : "postgresql"},
              {"pool", std::to_string(poolSize == 0 ? 1 : poolSize)}});
    return db;
}

} // namespace vtp::kernel
