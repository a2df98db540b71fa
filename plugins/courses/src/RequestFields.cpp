#include "RequestFields.hpp"

#include "Dates.hpp"

#include <algorithm>

namespace vtp::courses {

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
    if (!v.isString()) throw Unprocessable(std::string("'") + key + "' is required and must be a string", fieldType(key));
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
        throw Unprocessable(std::string("'") + key + "' must be an array of at most " + std::to_string(maxItems) + " strings",
                            fieldType(key));
    for (size_t i = 0; i < a.size(); ++i) {
        const Json v = a.at(i);
        if (!v.isString() || v.asString().empty() || utf8Chars(v.asString()) > maxChars || hasControl(v.asString(), false))
            throw Unprocessable(std::string("'") + key + "' must hold non-empty strings of at most " + std::to_string(maxChars) +
                                    " characters",
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

} // namespace vtp::courses
