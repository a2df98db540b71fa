#pragma once

// The strict JSON check the Socket.IO decoder runs on every payload: the SDK's (vtp/json_check.hpp,
// the same one the kernel runs on HTTP bodies), with the Socket.IO rules on top: integers of at
// most 18 digits, and the binary placeholders. It also sums up what the decoder needs without
// building a tree: the top-level kind and size, and the first array element when it is a string
// (the event name). Poco's parser builds a full tree and gives no position; the hot path
// (relaying a chat message) needs neither.

#include "protocol/Result.hpp"

#include <vtp/json_check.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace vtp::signalling::protocol {

using JsonKind = vtp::json::ValueKind;

struct JsonScanOptions {
    std::size_t maxDepth = 32;       // arrays/objects nested deeper are refused (TooDeep)
    bool placeholders = false;       // check {"_placeholder":true,"num":N} objects
    std::size_t attachmentCount = 0; // N must be an integer in [0, attachmentCount)
};

struct JsonSummary {
    JsonKind kind = JsonKind::Null;
    std::size_t size = 0;         // elements or members of a top-level array or object
    bool firstIsString = false;   // top-level array whose first element is a string
    std::string first;            // that string, unescaped
    std::size_t placeholders = 0; // placeholder objects seen (with options.placeholders)
};

class JsonScanner {
public:
    // Leading and trailing JSON whitespace is allowed, as JSON.parse allows it.
    static Result<JsonSummary> scan(std::string_view text, const JsonScanOptions& options = {});
};

} // namespace vtp::signalling::protocol
