#include "db/Migrator.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <map>

namespace vtp::kernel {

namespace {

// Serialises concurrent migrators (two vtpd starting at once) on PostgreSQL; SQLite's
// BEGIN IMMEDIATE already does. The value is arbitrary but fixed.
constexpr const char* kPostgresMigrationLock = "SELECT pg_advisory_xact_lock(5649726801)";

std::string label(const std::string& owner, const Migration& m)
{
    return owner + "/" + std::to_string(m.version) + " (" + m.name + ")";
}

std::vector<const Migration*> inVersionOrder(const std::string& owner, const std::vector<Migration>& migrations)
{
    std::vector<const Migration*> ordered;
    for (const Migration& m : migrations) ordered.push_back(&m);
    std::stable_sort(ordered.begin(), ordered.end(), [](const Migration* a, const Migration* b) { return a->version < b->version; });
    for (size_t i = 1; i < ordered.size(); ++i) {
        if (ordered[i]->version == ordered[i - 1]->version) {
            throw MigrationError("migrations of " + owner + " share version " + std::to_string(ordered[i]->version) + ": " +
                                 ordered[i - 1]->name + " and " + ordered[i]->name);
        }
    }
    return ordered;
}

const std::string* textOf(const SqlValue& value)
{
    return std::get_if<std::string>(&value);
}

void checkChecksum(const std::string& owner, const Migration& m, const std::string& recorded, const std::string& shipped)
{
    if (recorded != shipped) {
        throw MigrationError("migration " + label(owner, m) + " was changed after it was applied: recorded checksum " + recorded +
                             ", shipped " + shipped);
    }
}

} // namespace

std::string sha256Hex(std::string_view data)
{
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(data.data(), static_cast<unsigned>(data.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

Migrator::Migrator(Database& db) : db_(db) {}

void Migrator::ensureTable()
{
    try {
        db_.exec("CREATE TABLE IF NOT EXISTS vtp_migrations ("
                 "owner TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL, "
                 "checksum TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (owner, version))");
    } catch (const DbError& e) {
        throw MigrationError(std::string("cannot create the table vtp_migrations: ") + e.what());
    }
}

std::vector<MigrationRecord> Migrator::status(const std::string& owner, const std::vector<Migration>& migrations)
{
    std::vector<const Migration*> ordered = inVersionOrder(owner, migrations);
    ensureTable();

    std::map<int64_t, std::string> recorded;
    try {
        ResultSet rows = db_.exec("SELECT version, checksum FROM vtp_migrations WHERE owner = ?", {owner});
        for (const auto& row : rows.rows) {
            const auto* version = std::get_if<int64_t>(&row.at(0));
            const std::string* checksum = textOf(row.at(1));
            if (version != nullptr && checksum != nullptr) recorded[*version] = *checksum;
        }
    } catch (const DbError& e) {
        throw MigrationError("cannot read vtp_migrations for " + owner + ": " + e.what());
    }

    std::vector<MigrationRecord> records;
    for (const Migration* m : ordered) {
        MigrationRecord record{owner, m->version, m->name, sha256Hex(m->sql), false};
        if (auto it = recorded.find(m->version); it != recorded.end()) {
            checkChecksum(owner, *m, it->second, record.checksum);
            record.applied = true;
        }
        records.push_back(std::move(record));
    }
    return records;
}

std::vector<MigrationRecord> Migrator::apply(const std::string& owner, const std::vector<Migration>& migrations)
{
    // status() refuses a changed migration before anything runs.
    std::vector<MigrationRecord> records = status(owner, migrations);
    std::vector<const Migration*> ordered = inVersionOrder(owner, migrations);

    std::vector<MigrationRecord> appliedNow;
    for (size_t i = 0; i < ordered.size(); ++i) {
        if (records[i].applied) continue;
        const Migration& m = *ordered[i];
        MigrationRecord& record = records[i];
        try {
            auto connection = db_.acquire();
            connection->begin();
            if (db_.dialect() == Dialect::PostgreSQL) connection->exec(kPostgresMigrationLock);
            // Another process may have applied it while this one waited for the lock.
            ResultSet existing =
                connection->exec("SELECT checksum FROM vtp_migrations WHERE owner = ? AND version = ?", {owner, m.version});
            if (!existing.rows.empty()) {
                const std::string* checksum = textOf(existing.rows[0].at(0));
                checkChecksum(owner, m, checksum != nullptr ? *checksum : std::string(), record.checksum);
                connection->rollback();
                continue;
            }
            for (const std::string& statement : splitSqlScript(m.sql)) connection->exec(statement);
            connection->exec("INSERT INTO vtp_migrations (owner, version, name, checksum, applied_at) VALUES (?, ?, ?, ?, ?)",
                             {owner, m.version, m.name, record.checksum,
                              Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FORMAT)});
            connection->commit();
        } catch (const DbError& e) {
            // The connection's destructor has rolled the transaction back.
            throw MigrationError("migration " + label(owner, m) + " failed: " + e.what());
        }
        record.applied = true;
        appliedNow.push_back(record);
    }
    return appliedNow;
}

} // namespace vtp::kernel
