#pragma once

// Parsers for the request headers of range and conditional requests (RFC 9110 sections 13 and
// 14): Range, If-Match / If-None-Match entity-tag lists and HTTP dates. Pure functions over
// client text, fuzzed by tests/fuzz/conditional; they never throw.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vtp::kernel {

// One satisfiable byte range, first and last inclusive, within a representation.
struct ByteRange {
    uint64_t first = 0;
    uint64_t last = 0;
    uint64_t length() const { return last - first + 1; }
};

enum class RangeVerdict {
    Ignore,       // no header, another unit, or not a valid ranges-specifier: send the whole representation
    Single,       // one satisfiable range: 206
    Multiple,     // several ranges of which one or more is satisfiable: the kernel sends the whole (200)
    Unsatisfiable // valid, but no range overlaps the representation: 416
};

// Evaluates a Range header value against a representation of `size` bytes. `out` is set for Single.
RangeVerdict parseRange(std::string_view header, uint64_t size, ByteRange& out);

// An HTTP-date in any of the three forms a recipient must accept (IMF-fixdate, RFC 850, asctime),
// as seconds since the epoch; nullopt if it is none of them.
std::optional<int64_t> parseHttpDate(std::string_view text);
// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string formatHttpDate(int64_t secondsSinceEpoch);

// Whether an If-Match / If-None-Match value ("*" or a list of entity-tags) matches `etag` (a
// complete entity-tag, e.g. "\"abc\"" or "W/\"abc\""). Strong comparison: both tags strong and
// equal (If-Match, If-Range); weak: equal once any W/ is dropped (If-None-Match). A malformed list
// matches nothing, "*" matches any current representation.
bool etagListMatches(std::string_view list, std::string_view etag, bool strong);

} // namespace vtp::kernel
