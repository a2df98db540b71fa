#include "Queries.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace vtp::courses {

std::string likeContains(const std::string& q)
{
    if (q.size() > 200) throw BadRequest("search text is too long", "invalid-parameter");
    std::string out = "%";
    for (char c : q) {
        const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == '%' || lower == '_' || lower == '!') out += '!';
        out += lower;
    }
    return out + "%";
}

std::vector<Param> bindArgs(const std::vector<SqlArg>& args)
{
    std::vector<Param> params;
    params.reserve(args.size());
    for (const auto& a : args) {
        if (std::holds_alternative<std::string>(a))
            params.emplace_back(std::get<std::string>(a));
        else
            params.emplace_back(static_cast<long long>(std::get<int64_t>(a)));
    }
    return params;
}

namespace {

std::string hexEncode(std::string_view s)
{
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

std::optional<std::string> hexDecode(std::string_view s)
{
    if (s.size() % 2) return std::nullopt;
    std::string out;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    for (size_t i = 0; i < s.size(); i += 2) {
        const int hi = nibble(s[i]), lo = nibble(s[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

} // namespace

Json listPage(const Db& db, const Request& req, PageQuery q, const std::string& itemsName,
              const std::function<Json(const Rows::Row&)>& toJson)
{
    const int64_t limit = req.queryInt("limit", 50, 1, 200);
    if (const auto cursor = req.query("cursor"); cursor && !cursor->empty()) {
        const auto decoded = cursor->size() <= 1024 ? hexDecode(*cursor) : std::nullopt;
        const size_t sep = decoded ? decoded->find('\n') : std::string::npos;
        if (sep == std::string::npos) throw BadRequest("invalid cursor; pass next_cursor unchanged", "invalid-parameter");
        const std::string key = decoded->substr(0, sep), id = decoded->substr(sep + 1);
        q.sql += " AND (" + q.sortColumn + " > ? OR (" + q.sortColumn + " = ? AND " + q.idColumn + " > ?))";
        if (q.sortIsInteger) {
            int64_t k = 0;
            try {
                k = std::stoll(key);
            } catch (const std::exception&) {
                throw BadRequest("invalid cursor; pass next_cursor unchanged", "invalid-parameter");
            }
            q.args.emplace_back(k);
            q.args.emplace_back(k);
        } else {
            q.args.emplace_back(key);
            q.args.emplace_back(key);
        }
        q.args.emplace_back(id);
    }
    q.sql += " ORDER BY " + q.sortColumn + ", " + q.idColumn + " LIMIT " + std::to_string(limit + 1);
    const Rows rows = db.query(q.sql, bindArgs(q.args));
    Json items = Json::array();
    const size_t n = std::min<size_t>(rows.size(), static_cast<size_t>(limit));
    for (size_t i = 0; i < n; ++i) items.push(toJson(rows[i]));
    Json next;
    if (rows.size() > n && n > 0) {
        const auto last = rows[n - 1];
        next = Json(hexEncode(last[q.sortAlias].asString() + "\n" + last["id"].asString()));
    }
    return Json{{itemsName, items}, {"next_cursor", next}};
}

Json parseJsonText(const std::string& text)
{
    if (text.empty()) return Json::array();
    try {
        return Json::parse(text);
    } catch (const JsonError&) {
        return Json::array();
    }
}

} // namespace vtp::courses
