#pragma once

// Reading a request: its JSON body's fields and its query parameters, each checked with a clear
// 400 or 422 problem (the SDK's exceptions) when it is wrong; and who the caller is.

#include <vtp/sdk.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace vtp::courses {

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
inline bool isAdmin(const Request& req)
{
    return req.hasRole("admin");
}

} // namespace vtp::courses
