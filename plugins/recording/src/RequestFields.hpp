#pragma once

// A JSON request body's fields, each checked with a clear 400 or 422 problem when it is wrong.

#include <vtp/sdk.hpp>

#include <initializer_list>
#include <optional>
#include <string>

namespace vtp::recording {

Json requireObject(const Request& req);
// 422 invalid-field naming the first member not in `keys`.
void allowOnlyKeys(const Json& body, std::initializer_list<const char*> keys);
// A string of minChars..maxChars characters without control characters; 422 invalid-<key> otherwise.
std::string requireString(const Json& body, const char* key, size_t minChars, size_t maxChars);
// The same when present and not null.
std::optional<std::string> optionalString(const Json& body, const char* key, size_t minChars, size_t maxChars);
// One of `choices` when present and not null; 422 invalid-<key> otherwise.
std::optional<std::string> optionalChoice(const Json& body, const char* key, std::initializer_list<const char*> choices);

} // namespace vtp::recording
