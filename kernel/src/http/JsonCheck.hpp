#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vtp::kernel {

struct JsonCheckResult {
    bool ok = true;
    size_t line = 1, column = 1; // of the first offending byte (1-based)
    std::string message;         // "line 3, column 7: expected ',' or ']' in an array"
};

// Strict RFC 8259 syntax check with a nesting limit. Poco's parser reports no position and
// recurses without bound, so the kernel checks bodies with this before a plugin parses them.
JsonCheckResult checkJson(std::string_view text, size_t maxDepth = 64);

} // namespace vtp::kernel
