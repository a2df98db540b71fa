#pragma once

#include "db/Database.hpp"

#include <Poco/Data/Session.h>

#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace vtp::kernel {

// Runs one statement on a session of the given backend and converts every failure to DbError
// (its message scrubbed of `secret`). `sql` is portable SQL with `?` placeholders.
ResultSet execSqlite(Poco::Data::Session& session, std::string_view sql, const std::vector<SqlValue>& params);
ResultSet execPostgres(Poco::Data::Session& session, std::string_view sql, const std::vector<SqlValue>& params, const std::string& secret);

// The sqlite3 handle Poco opened for this session.
sqlite3* sqliteHandle(Poco::Data::Session& session);
// Runs SQL without parameters or results (transaction control, pragmas) on a SQLite session.
void execSqliteCommand(sqlite3* db, const char* sql);

} // namespace vtp::kernel
