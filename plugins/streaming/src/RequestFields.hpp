#pragma once

// A JSON request body's fields, each checked with a clear 400 or 422 problem when it is wrong (as
// the recording and courses plugins check theirs).

#include <vtp/sdk.hpp>

#include <initializer_list>
#include <optional>
#include <string>

namespace vtp::streaming {

// 400 invalid-body unless the body is a JSON object.
Json requireObject(const Request& req);
// 422 invalid-field naming the first member not in `keys`.
void allowOnlyKeys(const Json& body, std::initializer_list<const char*> keys);
// A string of minChars..maxChars characters (UTF-8) without control characters; 422 `problemType`
// otherwise.
std::string requireString(const Json& body, const char* key, size_t minChars, size_t maxChars, const std::string& problemType);
// The same when present and not null.
std::optional<std::string> optionalString(const Json& body, const char* key, size_t minChars, size_t maxChars,
                                          const std::string& problemType);

} // namespace vtp::streaming
