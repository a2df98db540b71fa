#include "Util.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace vtp::courses {

int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string sha256Hex(std::string_view data)
{
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(data.data(), static_cast<unsigned>(data.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

// Howard Hinnant's civil-date algorithms.
int64_t daysFromCivil(int y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civilFromDays(int64_t z, int& y, int& m, int& d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

std::optional<int64_t> parseDate(std::string_view s)
{
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    const int m = (s[5] - '0') * 10 + (s[6] - '0');
    const int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1970 || y > 2200 || m < 1 || m > 12 || d < 1) return std::nullopt;
    const int64_t days = daysFromCivil(y, m, d);
    int yy, mm, dd;
    civilFromDays(days, yy, mm, dd);
    if (mm != m || dd != d) return std::nullopt; // 2025-02-30
    return days;
}

std::string formatDate(int64_t days)
{
    int y, m, d;
    civilFromDays(days, y, m, d);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    return buf;
}

int isoWeekday(int64_t days)
{
    // 1970-01-01 was a Thursday (4).
    const int64_t w = ((days % 7) + 7 + 3) % 7; // 0 = Monday
    return static_cast<int>(w) + 1;
}

std::optional<int> parseTime(std::string_view s, bool allowEndOfDay)
{
    if (s.size() != 5 || s[2] != ':') return std::nullopt;
    for (size_t i : {0, 1, 3, 4})
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const int h = (s[0] - '0') * 10 + (s[1] - '0');
    const int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59) return std::nullopt;
    if (h == 24 && m == 0 && allowEndOfDay) return 24 * 60;
    if (h > 23) return std::nullopt;
    return h * 60 + m;
}

std::string formatTime(int minutes)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
    return buf;
}

Json requireObject(const Request& req)
{
    Json body = req.json();
    if (!body.isObject()) throw BadRequest("the body must be a JSON object", "invalid-body");
    return body;
}

void allowOnlyKeys(const Json& body, std::initializer_list<const char*> keys)
{
    for (const auto& k : body.keys()) {
        bool known = false;
        for (const char* allowed : keys) known = known || k == allowed;
        if (!known) throw Unprocessable("unknown field '" + k + "'", "invalid-field");
    }
}

namespace {

size_t utf8Chars(const std::string& s)
{
    size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

bool hasControl(const std::string& s, bool allowNewlines)
{
    for (unsigned char c : s)
        if ((c < 0x20 && !(allowNewlines && (c == '\n' || c == '\t'))) || c == 0x7F) return true;
    return false;
}

// A slug: "invalid-start-date" for the key start_date.
std::string fieldType(const char* key)
{
    std::string type = std::string("invalid-") + key;
    std::replace(type.begin(), type.end(), '_', '-');
    return type;
}

} // namespace

std::string requireString(const Json& body, const char* key, size_t minChars, size_t maxChars)
{
    const Json v = body[key];
    if (!v.isString())
        throw Unprocessable(std::string("'") + key + "' is required and must be a string", fieldType(key));
    std::string s = v.asString();
    const size_t n = utf8Chars(s);
    if (n < minChars || n > maxChars || hasControl(s, std::string_view(key) == "description"))
        throw Unprocessable(std::string("'") + key + "' must have " + std::to_string(minChars) + " to " + std::to_string(maxChars) +
                                " characters and no control characters",
                            fieldType(key));
    return s;
}

std::optional<std::string> optionalString(const Json& body, const char* key, size_t maxChars)
{
    if (!body.has(key) || body[key].isNull()) return std::nullopt;
    return requireString(body, key, 0, maxChars);
}

int64_t requireInt(const Json& body, const char* key, int64_t lo, int64_t hi)
{
    return body.intField(key, lo, hi, fieldType(key));
}

std::optional<int64_t> optionalInt(const Json& body, const char* key, int64_t lo, int64_t hi)
{
    return body.optionalIntField(key, lo, hi, fieldType(key));
}

int64_t requireDate(const Json& body, const char* key)
{
    const Json v = body[key];
    std::optional<int64_t> d;
    if (v.isString()) d = parseDate(v.asString());
    if (!d) throw Unprocessable(std::string("'") + key + "' must be a date YYYY-MM-DD", fieldType(key));
    return *d;
}

std::optional<int64_t> optionalDate(const Json& body, const char* key)
{
    if (!body.has(key) || body[key].isNull()) return std::nullopt;
    return requireDate(body, key);
}

std::vector<std::string> stringArray(const Json& body, const char* key, size_t maxItems, size_t maxChars)
{
    std::vector<std::string> out;
    if (!body.has(key) || body[key].isNull()) return out;
    const Json a = body[key];
    if (!a.isArray() || a.size() > maxItems)
        throw Unprocessable(std::string("'") + key + "' must be an array of at most " + std::to_string(maxItems) + " strings", fieldType(key));
    for (size_t i = 0; i < a.size(); ++i) {
        const Json v = a.at(i);
        if (!v.isString() || v.asString().empty() || utf8Chars(v.asString()) > maxChars || hasControl(v.asString(), false))
            throw Unprocessable(std::string("'") + key + "' must hold non-empty strings of at most " + std::to_string(maxChars) + " characters",
                                fieldType(key));
        out.push_back(v.asString());
    }
    return out;
}

std::optional<int64_t> queryDate(const Request& req, const char* name)
{
    const auto v = req.query(name);
    if (!v || v->empty()) return std::nullopt;
    const auto d = parseDate(*v);
    if (!d) throw BadRequest(std::string("query parameter '") + name + "' must be a date YYYY-MM-DD", "invalid-parameter");
    return d;
}

std::optional<std::string> queryChoice(const Request& req, const char* name, std::initializer_list<const char*> choices)
{
    const auto v = req.query(name);
    if (!v || v->empty()) return std::nullopt;
    std::string all;
    for (const char* c : choices) {
        if (*v == c) return v;
        all += (all.empty() ? "" : ", ") + std::string(c);
    }
    throw BadRequest(std::string("query parameter '") + name + "' must be one of " + all, "invalid-parameter");
}

std::vector<Param> bindArgs(const std::vector<SqlArg>& args)
{
    std::vector<Param> params;
    params.reserve(args.size());
    for (const auto& a : args) {
        if (std::holds_alternative<std::string>(a)) params.emplace_back(std::get<std::string>(a));
        else params.emplace_back(static_cast<long long>(std::get<int64_t>(a)));
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
