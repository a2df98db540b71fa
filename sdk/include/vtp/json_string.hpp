#pragma once

// JSON string literals written as JSON.stringify writes them (the same escapes: \" \\ \b \f \n
// \r \t, \u00XX for the other control characters, everything else as it is), so that what a
// JavaScript client receives is byte for byte what a Node server would send. Text that is not
// UTF-8 (a client's bytes, a file's tags) has each bad byte replaced by U+FFFD: the output is
// always valid JSON, whatever the input.

#include "vtp/utf8.hpp"

#include <string>
#include <string_view>

namespace vtp {

// Appends `text` escaped, without the quotes.
inline void appendJsonEscaped(std::string& out, std::string_view text)
{
    static constexpr char kHex[] = "0123456789abcdef";
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p != end) {
        const char* run = p;
        while (p != end && static_cast<unsigned char>(*p) >= 0x20 && static_cast<unsigned char>(*p) < 0x80 && *p != '"' && *p != '\\') ++p;
        out.append(run, static_cast<std::size_t>(p - run));
        if (p == end) break;
        const auto c = static_cast<unsigned char>(*p);
        if (c >= 0x80) {
            const std::size_t n = utf8::sequenceLength(p, static_cast<std::size_t>(end - p));
            if (n == 0) {
                out += "\xEF\xBF\xBD";
                ++p;
            } else {
                out.append(p, n);
                p += n;
            }
            continue;
        }
        ++p;
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        }
    }
}

// Appends `text` as a JSON string literal, quotes included.
inline void appendJsonString(std::string& out, std::string_view text)
{
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    appendJsonEscaped(out, text);
    out += '"';
}

inline std::string jsonString(std::string_view text)
{
    std::string out;
    appendJsonString(out, text);
    return out;
}

} // namespace vtp
