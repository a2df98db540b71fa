#pragma once

// SQL helpers the routes share: parameters bound from mixed arguments, cursor pagination of a
// list, and JSON arrays stored as text in a column.

#include <vtp/sdk.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace vtp::courses {

using SqlArg = std::variant<std::string, int64_t>;
// Params that borrow from `args` (which must outlive them).
std::vector<Param> bindArgs(const std::vector<SqlArg>& args);

// One page of a list ordered by (sortColumn, id): `sql` selects from a table aliased so that
// `sortColumn` and `idColumn` resolve, ends with a WHERE clause, and `args` are its parameters.
// The cursor is opaque to clients: the last row's sort key and id.
struct PageQuery {
    std::string sql{};          // "SELECT ... FROM t WHERE 1 = 1 AND ..."
    std::vector<SqlArg> args{}; // parameters of the WHERE clause, in order
    std::string sortColumn{};   // e.g. "c.code"
    std::string idColumn{};     // e.g. "c.id"
    bool sortIsInteger = false;
    std::string sortAlias{}; // the sort column's name in the result rows
};
// Runs the page query for `req`'s limit (1..200, default 50) and cursor; returns the items
// converted by `toJson` and next_cursor, under `itemsName`.
Json listPage(const Db& db, const Request& req, PageQuery q, const std::string& itemsName,
              const std::function<Json(const Rows::Row&)>& toJson);

// A LIKE pattern (escape character '!') matching names that contain `q`, lower-cased; at most 200 characters.
std::string likeContains(const std::string& q);

// A JSON array stored as text in a column (holidays, features).
Json parseJsonText(const std::string& text);

} // namespace vtp::courses
