#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vtp::kernel {

struct JsonCheckResult {
    enum class Kind {
        Ok,
        Syntax,       // not RFC 8259 JSON, or a lone UTF-16 surrogate escape
        DuplicateKey, // an object names a member twice
        NumberRange,  // a number no 64-bit integer or double holds
    };
    bool ok = true;
    Kind kind = Kind::Ok;
    size_t line = 1, column = 1; // of the first offending byte (1-based)
    std::string pointer;         // RFC 6901 JSON Pointer to the offending value or member ("" = the root)
    std::string message;         // "line 3, column 7: expected ',' or ']' in an array"
};

// Strict I-JSON (RFC 7493) check with a nesting limit (the SDK's vtp/json_check.hpp), run on every JSON body before a plugin
// parses it. Poco's parser reports no position, recurses without bound, keeps the last of
// duplicate members, and silently wraps or saturates integers beyond 64 bits (2^64 reads as 0);
// so bodies must pass this first: RFC 8259 syntax, no lone surrogate escapes, no duplicate
// member names (what a checker reads and what a handler reads must be the same member), and
// integers within [-2^63, 2^64 - 1] and other numbers within a double's range. A plugin range-
// checks each field it reads (the SDK's Json::intField).
JsonCheckResult checkJson(std::string_view text, size_t maxDepth = 64);

} // namespace vtp::kernel
