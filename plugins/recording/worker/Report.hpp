#pragma once

// The worker's reports to vtpd: one JSON object per line on its standard output (a pipe the
// plugin reads), flushed at once. Only this file writes to that descriptor.

#include "vtp/json_string.hpp"

#include <cstdio>
#include <string>
#include <string_view>

namespace vtp::media {

// A JSON string literal of `s` (bad UTF-8 from a file's tags becomes U+FFFD: a report line is
// always JSON).
using vtp::jsonString;

inline std::string jsonNumber(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    return buf;
}

// Writes one line (a complete JSON object) to standard output.
inline void reportLine(const std::string& json)
{
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

} // namespace vtp::media
