#pragma once

// The worker's reports to vtpd: one JSON object per line on its standard output (a pipe the
// plugin reads), flushed at once. Only this file writes to that descriptor.

#include <cstdio>
#include <string>
#include <string_view>

namespace vtp::media {

// A JSON string literal of `s` (UTF-8 passed through; control characters and quotes escaped).
inline std::string jsonString(std::string_view s)
{
    std::string out = "\"";
    for (const unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

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
