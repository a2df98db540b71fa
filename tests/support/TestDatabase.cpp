#include "TestDatabase.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <stdexcept>

namespace vtp::test {

namespace {

class SqliteTestDatabase : public TestDatabase {
public:
    explicit SqliteTestDatabase(const std::string& path)
    {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
            const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw std::runtime_error("cannot open " + path + ": " + why);
        }
        sqlite3_busy_timeout(db_, 10000); // vtpd may be writing at the same time
    }
    ~SqliteTestDatabase() override { sqlite3_close(db_); }

    TestRows query(const std::string& sql, const std::vector<TestValue>& params) override
    {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error("SQLite: " + std::string(sqlite3_errmsg(db_)) + " in " + sql);
        for (size_t i = 0; i < params.size(); ++i) {
            const int at = static_cast<int>(i + 1);
            const TestValue& p = params[i];
            if (auto* n = std::get_if<int64_t>(&p))
                sqlite3_bind_int64(stmt, at, *n);
            else if (auto* r = std::get_if<double>(&p))
                sqlite3_bind_double(stmt, at, *r);
            else if (auto* s = std::get_if<std::string>(&p))
                sqlite3_bind_text(stmt, at, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(stmt, at);
        }
        TestRows out;
        for (int c = 0; c < sqlite3_column_count(stmt); ++c) out.columns.emplace_back(sqlite3_column_name(stmt, c));
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            auto& row = out.rows.emplace_back();
            for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
                switch (sqlite3_column_type(stmt, c)) {
                case SQLITE_INTEGER: row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c))); break;
                case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(stmt, c)); break;
                case SQLITE_NULL: row.emplace_back(std::monostate{}); break;
                default:
                    row.emplace_back(std::string(static_cast<const char*>(sqlite3_column_blob(stmt, c))
                                                     ? static_cast<const char*>(sqlite3_column_blob(stmt, c))
                                                     : "",
                                                 static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
                }
            }
        }
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE) throw std::runtime_error("SQLite: " + std::string(sqlite3_errmsg(db_)) + " in " + sql);
        return out;
    }

private:
    sqlite3* db_ = nullptr;
};

class PostgresTestDatabase : public TestDatabase {
public:
    explicit PostgresTestDatabase(const std::string& url) : conn_(PQconnectdb(url.c_str()))
    {
        if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
            const std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
            PQfinish(conn_);
            throw std::runtime_error("cannot connect to PostgreSQL: " + why);
        }
    }
    ~PostgresTestDatabase() override { PQfinish(conn_); }

    TestRows query(const std::string& sql, const std::vector<TestValue>& params) override
    {
        // `?` outside quotes becomes $1, $2, ...
        std::string text;
        int n = 0;
        bool quoted = false;
        for (char c : sql) {
            if (c == '\'') quoted = !quoted;
            if (c == '?' && !quoted)
                text += "$" + std::to_string(++n);
            else
                text += c;
        }
        std::vector<std::string> values(params.size());
        std::vector<const char*> pointers(params.size());
        for (size_t i = 0; i < params.size(); ++i) {
            const TestValue& p = params[i];
            if (auto* v = std::get_if<int64_t>(&p))
                values[i] = std::to_string(*v);
            else if (auto* r = std::get_if<double>(&p))
                values[i] = std::to_string(*r);
            else if (auto* s = std::get_if<std::string>(&p))
                values[i] = *s;
            pointers[i] = std::holds_alternative<std::monostate>(p) ? nullptr : values[i].c_str();
        }
        PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr, pointers.data(), nullptr, nullptr, 0);
        const auto status = PQresultStatus(res);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            const std::string why = PQresultErrorMessage(res);
            PQclear(res);
            throw std::runtime_error("PostgreSQL: " + why + " in " + sql);
        }
        TestRows out;
        for (int c = 0; c < PQnfields(res); ++c) out.columns.emplace_back(PQfname(res, c));
        for (int r = 0; r < PQntuples(res); ++r) {
            auto& row = out.rows.emplace_back();
            for (int c = 0; c < PQnfields(res); ++c) {
                if (PQgetisnull(res, r, c)) {
                    row.emplace_back(std::monostate{});
                    continue;
                }
                const std::string v(PQgetvalue(res, r, c), static_cast<size_t>(PQgetlength(res, r, c)));
                switch (PQftype(res, c)) { // type OIDs from pg_type
                case 16: row.emplace_back(static_cast<int64_t>(v == "t")); break;
                case 20:
                case 21:
                case 23: row.emplace_back(static_cast<int64_t>(std::stoll(v))); break;
                case 700:
                case 701:
                case 1700: row.emplace_back(std::stod(v)); break;
                default: row.emplace_back(v);
                }
            }
        }
        PQclear(res);
        return out;
    }

private:
    PGconn* conn_;
};

} // namespace

std::unique_ptr<TestDatabase> TestDatabase::open(const std::string& url)
{
    if (url.rfind("sqlite:", 0) == 0) return std::make_unique<SqliteTestDatabase>(url.substr(7));
    if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) return std::make_unique<PostgresTestDatabase>(url);
    throw std::runtime_error("not a database URL the tests know: " + url);
}

} // namespace vtp::test
