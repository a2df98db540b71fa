#pragma once

// A single-pass strict JSON validator (RFC 8259, UTF-8) that also extracts what the Socket.IO
// decoder needs without building a tree: the top-level kind and size, the first array element
// when it is a string (the event name), and the binary placeholders. Poco's parser builds a
// full tree and gives no position; the hot path (relaying a chat message) needs neither.

#include "protocol/Result.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace vtp::signalling::protocol {

enum class JsonKind : std::uint8_t { Null, Bool, Number, String, Array, Object };

struct JsonScanOptions {
    std::size_t maxDepth = 32;          // arrays/objects nested deeper are refused (TooDeep)
    bool placeholders = false;          // check {"_placeholder":true,"num":N} objects
    std::size_t attachmentCount = 0;    // N must be an integer in [0, attachmentCount)
};

struct JsonSummary {
    JsonKind kind = JsonKind::Null;
    std::size_t size = 0;               // elements or members of a top-level array or object
    bool firstIsString = false;         // top-level array whose first element is a string
    std::string first;                  // that string, unescaped
    std::size_t placeholders = 0;       // placeholder objects seen (with options.placeholders)
};

class JsonScanner {
public:
    // Leading and trailing JSON whitespace is allowed, as JSON.parse allows it.
    static Result<JsonSummary> scan(std::string_view text, const JsonScanOptions& options = {});

    // Unescapes the inside of a JSON string literal already validated by scan().
    static std::string unescape(std::string_view raw);
};

} // namespace vtp::signalling::protocol
