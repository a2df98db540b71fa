#include "db/KernelMigrations.hpp"

namespace vtp::kernel {

namespace {

// One kernel migration: `sql` is portable; a dialect-specific script, when given, wins.
// Like a plugin's, a migration is never edited once shipped: add a new one instead.
struct KernelMigration {
    int64_t version;
    const char* name;
    const char* sql;
    const char* sqlSqlite;
    const char* sqlPostgresql;
};

// Version blocks, one per subsystem, so that concerns added independently never collide:
//   1000-1999 jobs, 2000-2999 events and webhooks, 3000-3999 metrics and admin.
// Portable column types: TEXT, BIGINT, DOUBLE PRECISION (SQLite maps them by affinity).
const KernelMigration kMigrations[] = {
    // Jobs: one row per job; times are integer epoch milliseconds (UTC).
    {1001, "1001_create_kernel_jobs",
     "CREATE TABLE kernel_jobs ("
     " id TEXT PRIMARY KEY,"
     " kind TEXT NOT NULL,"
     " owner TEXT,"
     " state TEXT NOT NULL,"
     " params TEXT NOT NULL,"
     " result TEXT,"
     " progress DOUBLE PRECISION NOT NULL DEFAULT 0,"
     " message TEXT NOT NULL DEFAULT '',"
     " attempts BIGINT NOT NULL DEFAULT 0,"
     " max_attempts BIGINT NOT NULL,"
     " error TEXT,"
     " node TEXT,"
     " claimed_at BIGINT,"
     " heartbeat_at BIGINT,"
     " next_attempt_at BIGINT NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " updated_at BIGINT NOT NULL,"
     " cancel_requested BIGINT NOT NULL DEFAULT 0);"
     "CREATE INDEX kernel_jobs_pending ON kernel_jobs (state, next_attempt_at);"
     "CREATE INDEX kernel_jobs_listing ON kernel_jobs (created_at, id);"
     "CREATE INDEX kernel_jobs_owner ON kernel_jobs (owner, created_at, id);",
     nullptr, nullptr},
    // Webhooks: subscribed endpoints and the outbox of deliveries (kernel/src/webhooks).
    // Times are epoch milliseconds; events is a JSON array of patterns.
    {2001, "2001_create_kernel_webhooks",
     "CREATE TABLE kernel_webhook_endpoints ("
     " id TEXT PRIMARY KEY,"
     " url TEXT NOT NULL,"
     " events TEXT NOT NULL,"
     " secret TEXT NOT NULL,"
     " created_at BIGINT NOT NULL);"
     "CREATE TABLE kernel_webhook_deliveries ("
     " id TEXT PRIMARY KEY,"
     " endpoint_id TEXT NOT NULL REFERENCES kernel_webhook_endpoints (id) ON DELETE CASCADE,"
     " event TEXT NOT NULL,"
     " body TEXT NOT NULL,"
     " status TEXT NOT NULL,"
     " attempts BIGINT NOT NULL DEFAULT 0,"
     " last_status BIGINT,"
     " last_error TEXT,"
     " next_attempt_at BIGINT NOT NULL,"
     " locked_until BIGINT NOT NULL DEFAULT 0,"
     " created_at BIGINT NOT NULL,"
     " updated_at BIGINT NOT NULL);"
     "CREATE INDEX kernel_webhook_deliveries_due ON kernel_webhook_deliveries (status, next_attempt_at);"
     "CREATE INDEX kernel_webhook_deliveries_endpoint ON kernel_webhook_deliveries (endpoint_id, created_at, id);",
     nullptr, nullptr},
};

} // namespace

std::vector<Migration> kernelMigrations(Dialect dialect)
{
    std::vector<Migration> out;
    for (const auto& m : kMigrations) {
        const char* sql = dialect == Dialect::PostgreSQL ? m.sqlPostgresql : m.sqlSqlite;
        if (!sql) sql = m.sql;
        out.push_back({m.version, m.name, sql});
    }
    return out;
}

} // namespace vtp::kernel
