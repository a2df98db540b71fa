#pragma once

#include "db/Database.hpp"
#include "db/DatabaseUrl.hpp"

#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace vtp::kernel {

// SQLite lets one writer in at a time, and its default busy handler makes the others sleep in
// growing steps (up to 100 ms) while they wait: under concurrent writes that, not the disk,
// set the latency (p99 near a second). This one wakes a waiting writer as soon as a session of
// this process ends a write, and polls every 2 ms for writers in other processes (vtpctl).
class SqliteWriteSignal {
public:
    void released();
    // sqlite3_busy_handler's callback: true to try again, false to give up (SQLITE_BUSY).
    bool waitForRelease(int attempt);

private:
    std::atomic<uint64_t> generation_{0};
    std::atomic<int> waiters_{0};
    std::mutex mutex_;
    std::condition_variable changed_;
};

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
    // Called by a PooledConnection when it may have ended a write (SQLite).
    void writeEnded() { writes_.released(); }
    const std::string& secret() const { return url_.password; }

private:
    DatabaseUrl url_;
    size_t poolSize_;
    std::chrono::milliseconds acquireTimeout_;
    SqliteWriteSignal writes_; // before pool_: its sessions point here
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
