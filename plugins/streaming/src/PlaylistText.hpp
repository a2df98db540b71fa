#pragma once

// Small locale-independent formatters shared by the HLS and DASH renderers.

#include <cstdint>
#include <string>
#include <string_view>

namespace vtp::streaming::text {

// `micros` as seconds with `decimals` (0..6) fraction digits, truncated: 4004000, 3 -> "4.004".
std::string seconds(int64_t micros, int decimals);
// A duration in seconds given as double, rounded to whole microseconds.
int64_t toMicros(double seconds);
// UTC date and time with milliseconds, ISO 8601: 0 -> "1970-01-01T00:00:00.000Z".
std::string isoUtc(int64_t msSinceEpoch);
// An ISO 8601 duration in seconds, for DASH: 7200000000 -> "PT7200S", 1500000 -> "PT1.5S".
std::string isoDuration(int64_t micros);
// True if `s` may sit inside an HLS quoted-string (no '"', CR or LF; printable) and is not empty.
bool hlsQuotable(std::string_view s);
// `s` escaped for an XML attribute value.
std::string xmlAttr(std::string_view s);

} // namespace vtp::streaming::text
