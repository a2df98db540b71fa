#pragma once

#include "db/Database.hpp"

#include <string>
#include <vector>

namespace vtp::kernel {

// A migration as the kernel sees it: the SQL already chosen for the running dialect.
struct Migration {
    int64_t version = 0; // strictly increasing per owner
    std::string name;    // e.g. "001_create_greetings"
    std::string sql;     // a script of one or more statements
};

struct MigrationRecord {
    std::string owner;
    int64_t version = 0;
    std::string name;
    std::string checksum; // hex SHA-256 of the SQL text
    bool applied = false;
};

class MigrationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Applies each owner's migrations in version order, each in its own transaction, and records
// them in the table vtp_migrations(owner, version, name, checksum, applied_at).
// A recorded migration whose checksum differs from the shipped one stops everything with a
// MigrationError naming owner, version, both checksums; nothing further is applied.
class Migrator {
public:
    explicit Migrator(Database& db);
    // All of owner's migrations with applied=true/false (checks checksums; throws on mismatch).
    std::vector<MigrationRecord> status(const std::string& owner, const std::vector<Migration>& migrations);
    // Applies the pending ones in version order, each migration's statements and its record in
    // one transaction; returns those applied now. A failing migration is rolled back entirely and
    // reported as a MigrationError naming it and the database error; later ones are not tried.
    std::vector<MigrationRecord> apply(const std::string& owner, const std::vector<Migration>& migrations);

private:
    // Creates vtp_migrations if it does not exist (the same DDL works on both backends).
    void ensureTable();

    Database& db_;
};

std::string sha256Hex(std::string_view data);

} // namespace vtp::kernel
