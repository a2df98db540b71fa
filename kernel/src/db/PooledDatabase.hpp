#pragma once

#include "db/Database.hpp"
#include "db/DatabaseUrl.hpp"

#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace vtp::kernel {

// Database over a Poco SessionPool of at most poolSize sessions. Poco's pool throws at once
// when exhausted; this class makes callers wait (bounded) for a session to come back.
// Connections must be destroyed before the PooledDatabase.
class PooledDatabase final : public Database {
public:
    PooledDatabase(DatabaseUrl url, size_t poolSize, std::chrono::milliseconds acquireTimeout);
    ~PooledDatabase() override;

    Dialect dialect() const override { return url_.dialect; }
    ResultSet exec(std::string_view sql, const std::vector<SqlValue>& params = {}) override;
    std::unique_ptr<Connection> acquire() override;
    bool ping() override;
    std::string displayUrl() const override { return url_.displayUrl; }

    // Called by a PooledConnection after it returned its session to the pool.
    void releaseSlot();
    const std::string& secret() const { return url_.password; }

private:
    DatabaseUrl url_;
    size_t poolSize_;
    std::chrono::milliseconds acquireTimeout_;
    std::unique_ptr<Poco::Data::SessionPool> pool_;
    std::mutex mutex_;
    std::condition_variable released_;
    size_t inUse_ = 0;
};

// One session taken from a PooledDatabase; returns it (after rolling back) when destroyed.
class PooledConnection final : public Connection {
public:
    PooledConnection(PooledDatabase& db, Poco::Data::Session session);
    ~PooledConnection() override;
    PooledConnection(const PooledConnection&) = delete;
    PooledConnection& operator=(const PooledConnection&) = delete;

    ResultSet exec(std::string_view sql, const std::vector<SqlValue>& params = {}) override;
    void begin() override;
    void commit() override;
    void rollback() override;
    bool inTransaction() const override { return inTransaction_; }

private:
    PooledDatabase& db_;
    Poco::Data::Session session_;
    bool inTransaction_ = false;
    // PostgreSQL refuses every statement after an error until the transaction ends, and turns
    // COMMIT into a silent ROLLBACK; remember the error so commit() reports it. SQLite would
    // commit the statements that succeeded; both backends refuse, so callers see one behaviour.
    bool transactionFailed_ = false;
};

} // namespace vtp::kernel
