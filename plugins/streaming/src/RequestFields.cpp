#include "RequestFields.hpp"

#include <algorithm>

namespace vtp::streaming {

namespace {

size_t utf8Chars(const std::string& s)
{
    return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool hasControl(const std::string& s)
{
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

} // namespace

Json requireObject(const Request& req)
{
    Json body = req.json();
    if (!body.isObject()) throw BadRequest("the body must be a JSON object", "invalid-body");
    return body;
}

void allowOnlyKeys(const Json& body, std::initializer_list<const char*> keys)
{
    for (const auto& k : body.keys())
        if (std::none_of(keys.begin(), keys.end(), [&](const char* allowed) { return k == allowed; }))
            throw Unprocessable("unknown field '" + k + "'", "invalid-field");
}

std::string requireString(const Json& body, const char* key, size_t minChars, size_t maxChars, const std::string& problemType)
{
    const Json v = body[key];
    if (!v.isString()) throw Unprocessable(std::string("'") + key + "' is required and must be a string", problemType);
    std::string s = v.asString();
    const size_t n = utf8Chars(s);
    if (n < minChars || n > maxChars || hasControl(s))
        throw Unprocessable(std::string("'") + key + "' must have " + std::to_string(minChars) + " to " + std::to_string(maxChars) +
                                " characters and no control characters",
                            problemType);
    return s;
}

std::optional<std::string> optionalString(const Json& body, const char* key, size_t minChars, size_t maxChars,
                                          const std::string& problemType)
{
    if (body[key].isNull()) return std::nullopt;
    return requireString(body, key, minChars, maxChars, problemType);
}

} // namespace vtp::streaming
