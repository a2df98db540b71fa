#pragma once

// Small helpers the courses plugin's routes share: token hashes, dates and times, request
// validation (throwing the SDK's problem exceptions) and cursor pagination.

#include <vtp/random.hpp>
#include <vtp/sdk.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vtp::courses {

int64_t unixNow();
std::string sha256Hex(std::string_view data);

// Civil dates as days since 1970-01-01 (proleptic Gregorian), and back.
int64_t daysFromCivil(int y, int m, int d);
void civilFromDays(int64_t days, int& y, int& m, int& d);
// "YYYY-MM-DD" that names a real date, or nothing.
std::optional<int64_t> parseDate(std::string_view s);
std::string formatDate(int64_t days);
// ISO weekday of a day number: 1 = Monday ... 7 = Sunday.
int isoWeekday(int64_t days);
// "HH:MM" (00:00 to 23:59, or 24:00 when allowEndOfDay) as minutes after midnight, or nothing.
std::optional<int> parseTime(std::string_view s, bool allowEndOfDay = false);
std::string formatTime(int minutes);

// Request bodies: the object itself, and typed fields with a clear 422 when they are wrong.
Json requireObject(const Request& req);
void allowOnlyKeys(const Json& body, std::initializer_list<const char*> keys);
std::string requireString(const Json& body, const char* key, size_t minChars, size_t maxChars);
std::optional<std::string> optionalString(const Json& body, const char* key, size_t maxChars);
int64_t requireInt(const Json& body, const char* key, int64_t lo, int64_t hi);
std::optional<int64_t> optionalInt(const Json& body, const char* key, int64_t lo, int64_t hi);
int64_t requireDate(const Json& body, const char* key);
std::optional<int64_t> optionalDate(const Json& body, const char* key);
std::vector<std::string> stringArray(const Json& body, const char* key, size_t maxItems, size_t maxChars);

// A query parameter that must be a date when present.
std::optional<int64_t> queryDate(const Request& req, const char* name);
// A query parameter that must be one of `choices` when present.
std::optional<std::string> queryChoice(const Request& req, const char* name, std::initializer_list<const char*> choices);

// The caller's position: admins manage everything; instructors their own sections.
inline bool isAdmin(const Request& req) { return req.hasRole("admin"); }

using SqlArg = std::variant<std::string, int64_t>;
// Params that borrow from `args` (which must outlive them).
std::vector<Param> bindArgs(const std::vector<SqlArg>& args);

// One page of a list ordered by (sortColumn, id): `sql` selects from a table aliased so that
// `sortColumn` and `idColumn` resolve, ends with a WHERE clause, and `args` are its parameters.
// The cursor is opaque to clients: the last row's sort key and id.
struct PageQuery {
    std::string sql{};               // "SELECT ... FROM t WHERE 1 = 1 AND ..."
    std::vector<SqlArg> args{};      // parameters of the WHERE clause, in order
    std::string sortColumn{};        // e.g. "c.code"
    std::string idColumn{};          // e.g. "c.id"
    bool sortIsInteger = false;
    std::string sortAlias{};         // the sort column's name in the result rows
};
// Runs the page query for `req`'s limit (1..200, default 50) and cursor; returns the items
// converted by `toJson` and next_cursor, under `itemsName`.
Json listPage(const Db& db, const Request& req, PageQuery q, const std::string& itemsName,
              const std::function<Json(const Rows::Row&)>& toJson);

// A JSON array stored as text in a column (holidays, features).
Json parseJsonText(const std::string& text);

} // namespace vtp::courses
