#pragma once

#include "db/Database.hpp"
#include "log/Logger.hpp"

#include "TestSupport.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>

namespace vtp::kernel::test {

inline std::string dialectName(const ::testing::TestParamInfo<Dialect>& info)
{
    return info.param == Dialect::SQLite ? "SQLite" : "PostgreSQL";
}

// A fresh, empty database per test: a new SQLite file in a temporary directory, or a new
// schema (first on search_path, dropped afterwards) in the fixture's PostgreSQL database.
class DbTest : public ::testing::TestWithParam<Dialect> {
protected:
    void SetUp() override { db_ = openDatabase(4); }

    void TearDown() override
    {
        db_.reset();
        if (admin_) admin_->exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    }

    std::unique_ptr<Database> openDatabase(size_t poolSize, std::chrono::milliseconds acquireTimeout = std::chrono::seconds(10))
    {
        if (GetParam() == Dialect::SQLite) {
            return Database::open("sqlite:nested/dir/test.db", dir_.path(), poolSize, log_, acquireTimeout);
        }
        const std::string url = vtp::test::postgresUrl();
        if (!admin_) {
            admin_ = Database::open(url + "?options=-cclient_min_messages%3Dwarning", "", 1, log_);
            std::random_device random;
            schema_ = "t_" + std::to_string(random()) + std::to_string(random());
            admin_->exec("CREATE SCHEMA " + schema_);
        }
        return Database::open(url + "?options=-csearch_path%3D" + schema_, "", poolSize, log_, acquireTimeout);
    }

    Dialect dialect() const { return GetParam(); }
    // Column definitions that differ between the backends.
    std::string idColumn() const { return dialect() == Dialect::SQLite ? "id INTEGER PRIMARY KEY" : "id BIGSERIAL PRIMARY KEY"; }
    std::string blobType() const { return dialect() == Dialect::SQLite ? "BLOB" : "BYTEA"; }

    int64_t count(const std::string& table)
    {
        ResultSet result = db_->exec("SELECT COUNT(*) FROM " + table);
        return std::get<int64_t>(result.rows.at(0).at(0));
    }

    vtp::test::TempDir dir_;
    Logger log_{stderr};
    std::string schema_;
    std::unique_ptr<Database> admin_;
    std::unique_ptr<Database> db_;
};

} // namespace vtp::kernel::test
