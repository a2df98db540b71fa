#include "db/PooledDatabase.hpp"

#include "db/SessionExec.hpp"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Exception.h>

#include <libpq-fe.h>
#include <sqlite3.h>

namespace vtp::kernel {

namespace {

constexpr int kSqliteBusyTimeoutMs = 5000;
constexpr int kPoolIdleSeconds = 60;

// Per-connection settings that SQLite does not persist in the file, applied to each new
// session before the pool hands it out.
class SqliteSessionPool final : public Poco::Data::SessionPool {
public:
    SqliteSessionPool(const std::string& path, int maxSessions, SqliteWriteSignal& writes)
        : Poco::Data::SessionPool(Poco::Data::SQLite::Connector::KEY, path, 1, maxSessions, kPoolIdleSeconds), writes_(writes)
    {
    }

protected:
    void customizeSession(Poco::Data::Session& session) override
    {
        sqlite3* db = sqliteHandle(session);
        sqlite3_busy_handler(db, &SqliteSessionPool::busy, &writes_);
        execSqliteCommand(db, "PRAGMA foreign_keys = ON");
    }

private:
    static int busy(void* writes, int attempt) { return static_cast<SqliteWriteSignal*>(writes)->waitForRelease(attempt) ? 1 : 0; }

    SqliteWriteSignal& writes_;
};

std::string poolError(const Poco::Exception& e, const std::string& secret)
{
    return "cannot open a database session: " + scrubSecret(e.displayText(), secret);
}

// Poco 1.11's PostgreSQL SessionHandle::connect leaks libpq's PGconn (about 34 KiB) on every
// failed connect: it throws without PQfinish. So before the pool opens a new session, libpq
// itself tries the same connection string and cleans up after itself; Poco connects only to a
// server that just answered. Costs one extra connect per new pool session (sessions live long).
void probePostgres(const std::string& connectionString, const std::string& secret)
{
    PGconn* conn = PQconnectdb(connectionString.c_str());
    const bool ok = conn && PQstatus(conn) == CONNECTION_OK;
    std::string why = ok ? std::string() : conn ? std::string(PQerrorMessage(conn)) : std::string("out of memory");
    PQfinish(conn);
    if (ok) return;
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    throw DbError("cannot open a database session: " + scrubSecret(why, secret));
}

} // namespace

void SqliteWriteSignal::released()
{
    generation_.fetch_add(1);
    if (waiters_.load() > 0) {
        std::lock_guard lock(mutex_);
        changed_.notify_all();
    }
}

bool SqliteWriteSignal::waitForRelease(int attempt)
{
    // SQLite counts the calls for one wait from 0; the deadline is kept per thread from there.
    thread_local std::chrono::steady_clock::time_point started;
    const auto now = std::chrono::steady_clock::now();
    if (attempt == 0) started = now;
    if (now - started >= std::chrono::milliseconds(kSqliteBusyTimeoutMs)) return false;
    ++waiters_;
    const uint64_t seen = generation_.load();
    {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, std::chrono::milliseconds(2), [&] { return generation_.load() != seen; });
    }
    --waiters_;
    return true;
}

PooledDatabase::PooledDatabase(DatabaseUrl url, size_t poolSize, std::chrono::milliseconds acquireTimeout)
    : url_(std::move(url)), poolSize_(poolSize == 0 ? 1 : poolSize), acquireTimeout_(acquireTimeout)
{
    const int maxSessions = static_cast<int>(poolSize_);
    if (url_.dialect == Dialect::SQLite) {
        pool_ = std::make_unique<SqliteSessionPool>(url_.connectionString, maxSessions, writes_);
    } else {
        pool_ = std::make_unique<Poco::Data::SessionPool>(Poco::Data::PostgreSQL::Connector::KEY, url_.connectionString, 1, maxSessions,
                                                          kPoolIdleSeconds);
    }
}

PooledDatabase::~PooledDatabase()
{
    try {
        pool_->shutdown();
    } catch (...) {
        // Closing sessions at shutdown can fail if the server is gone; nothing is left to do.
    }
}

ResultSet PooledDatabase::exec(std::string_view sql, const std::vector<SqlValue>& params)
{
    return acquire()->exec(sql, params);
}

std::unique_ptr<Connection> PooledDatabase::acquire()
{
    {
        std::unique_lock lock(mutex_);
        if (!released_.wait_for(lock, acquireTimeout_, [this] { return inUse_ < poolSize_; })) {
            throw DbError("database pool exhausted");
        }
        ++inUse_;
    }
    try {
        // No idle session: the pool is about to connect.
        if (url_.dialect == Dialect::PostgreSQL && pool_->idle() == 0) probePostgres(url_.connectionString, url_.password);
        return std::make_unique<PooledConnection>(*this, pool_->get());
    } catch (const Poco::Exception& e) {
        releaseSlot();
        throw DbError(poolError(e, url_.password));
    } catch (...) {
        releaseSlot();
        throw;
    }
}

void PooledDatabase::releaseSlot()
{
    {
        std::lock_guard lock(mutex_);
        --inUse_;
    }
    released_.notify_one();
}

bool PooledDatabase::ping()
{
    try {
        ResultSet result = exec("SELECT 1");
        return result.rows.size() == 1;
    } catch (const std::exception&) {
        return false;
    }
}

PooledConnection::PooledConnection(PooledDatabase& db, Poco::Data::Session session) : db_(db), session_(std::move(session)) {}

PooledConnection::~PooledConnection()
{
    if (inTransaction_) {
        try {
            rollback();
        } catch (...) {
            // The session is returned anyway; a broken one is dropped by the pool.
        }
    }
    try {
        session_.close();
    } catch (...) {
        // Same as above: closing only hands the session back.
    }
    db_.releaseSlot();
}

ResultSet PooledConnection::exec(std::string_view sql, const std::vector<SqlValue>& params)
{
    try {
        if (db_.dialect() == Dialect::SQLite) {
            ResultSet result = execSqlite(session_, sql, params);
            if (!inTransaction_) db_.writeEnded(); // an autocommit statement released its locks
            return result;
        }
        return execPostgres(session_, sql, params, db_.secret());
    } catch (const DbError&) {
        if (inTransaction_)
            transactionFailed_ = true;
        else if (db_.dialect() == Dialect::SQLite)
            db_.writeEnded();
        throw;
    }
}

void PooledConnection::begin()
{
    if (inTransaction_) throw DbError("a transaction is already open on this connection");
    try {
        if (db_.dialect() == Dialect::SQLite) {
            // IMMEDIATE takes the write lock up front, so a transaction that reads and then writes
            // waits (busy timeout) instead of failing with SQLITE_BUSY on the lock upgrade.
            execSqliteCommand(sqliteHandle(session_), "BEGIN IMMEDIATE");
        } else {
            session_.begin();
        }
    } catch (const Poco::Exception& e) {
        throw DbError("cannot begin a transaction: " + scrubSecret(e.displayText(), db_.secret()));
    }
    inTransaction_ = true;
    transactionFailed_ = false;
}

void PooledConnection::commit()
{
    if (!inTransaction_) throw DbError("commit without an open transaction");
    if (transactionFailed_) {
        rollback();
        throw DbError("commit refused: a statement in the transaction failed; the transaction was rolled back");
    }
    // A failed COMMIT ends the transaction on both backends (SQLite keeps it open only on
    // SQLITE_BUSY, where the rollback in the destructor then ends it).
    try {
        if (db_.dialect() == Dialect::SQLite) {
            sqlite3* handle = sqliteHandle(session_);
            execSqliteCommand(handle, "COMMIT");
            inTransaction_ = sqlite3_get_autocommit(handle) == 0;
            if (!inTransaction_) db_.writeEnded();
        } else {
            inTransaction_ = false;
            session_.commit();
        }
    } catch (const DbError&) {
        if (db_.dialect() == Dialect::SQLite) inTransaction_ = sqlite3_get_autocommit(sqliteHandle(session_)) == 0;
        throw;
    } catch (const Poco::Exception& e) {
        std::string message = scrubSecret(e.displayText(), db_.secret());
        throw DbError("commit failed: " + message, message.find("State: 23") != std::string::npos);
    }
}

void PooledConnection::rollback()
{
    if (!inTransaction_) return;
    inTransaction_ = false;
    try {
        if (db_.dialect() == Dialect::SQLite) {
            sqlite3* handle = sqliteHandle(session_);
            // SQLite may already have rolled back by itself (e.g. after SQLITE_FULL).
            if (sqlite3_get_autocommit(handle) == 0) execSqliteCommand(handle, "ROLLBACK");
            db_.writeEnded();
        } else {
            session_.rollback();
        }
    } catch (const Poco::Exception& e) {
        throw DbError("rollback failed: " + scrubSecret(e.displayText(), db_.secret()));
    }
}

} // namespace vtp::kernel
