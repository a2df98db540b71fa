#include "config/ConfigFormat.hpp"

#include "config/ConfigWriters.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace vtp::kernel::configformat {

namespace {

constexpr size_t kMessageChars = 40;

} // namespace

// Decodes one UTF-8 sequence at text[i], advancing i past it (one byte if invalid).
bool nextCodePoint(std::string_view text, size_t& i, uint32_t& cp)
{
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t len = 0;
    uint32_t minimum = 0;
    if (lead < 0x80) {
        cp = lead;
        ++i;
        return true;
    }
    if ((lead & 0xE0) == 0xC0) {
        len = 2;
        cp = lead & 0x1F;
        minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        len = 3;
        cp = lead & 0x0F;
        minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        len = 4;
        cp = lead & 0x07;
        minimum = 0x10000;
    } else {
        ++i;
        return false;
    }
    if (i + len > text.size()) {
        ++i;
        return false;
    }
    for (size_t k = 1; k < len; ++k) {
        const auto c = static_cast<unsigned char>(text[i + k]);
        if ((c & 0xC0) != 0x80) {
            ++i;
            return false;
        }
        cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++i;
        return false;
    }
    i += len;
    return true;
}

void appendUnicodeEscape(std::string& out, uint32_t cp)
{
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
}

std::string arrayText(const std::vector<std::string>& items, std::string (*render)(std::string_view))
{
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        out += render(items[i]);
    }
    return out + "]";
}

bool isValidUtf8(std::string_view text)
{
    uint32_t cp = 0;
    for (size_t i = 0; i < text.size();)
        if (!nextCodePoint(text, i, cp)) return false;
    return true;
}

std::optional<size_t> firstInvalidUtf8(std::string_view text)
{
    uint32_t cp = 0;
    for (size_t i = 0; i < text.size();) {
        const size_t begin = i;
        if (!nextCodePoint(text, i, cp)) return begin;
    }
    return std::nullopt;
}

std::pair<int, int> lineColumnAt(std::string_view text, size_t offset)
{
    int line = 1, column = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            ++line;
            column = 1;
        } else if ((c & 0xC0) != 0x80) {
            ++column;
        }
    }
    return {line, column};
}

size_t offsetOfLineColumn(std::string_view text, int line, int column)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if ((byte & 0xC0) == 0x80) continue;
        if (l == line && c == column) return i;
        if (byte == '\n') {
            ++l;
            c = 1;
        } else {
            ++c;
        }
    }
    return text.size();
}

std::string asciiPlaceholders(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x80)
            out += ch;
        else if ((c & 0xC0) != 0x80)
            out += '?';
    }
    return out;
}

size_t utf8Length(std::string_view text)
{
    size_t count = 0;
    uint32_t cp = 0;
    for (size_t i = 0; i < text.size(); ++count) nextCodePoint(text, i, cp);
    return count;
}

std::vector<std::string> splitKey(std::string_view dotted)
{
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t dot; (dot = dotted.find('.', start)) != std::string_view::npos; start = dot + 1)
        parts.emplace_back(dotted.substr(start, dot - start));
    parts.emplace_back(dotted.substr(start));
    return parts;
}

std::string joinKey(std::string_view prefix, std::string_view key)
{
    if (prefix.empty()) return std::string(key);
    if (key.empty()) return std::string(prefix);
    std::string out(prefix);
    out += '.';
    out += key;
    return out;
}

size_t editDistance(std::string_view a, std::string_view b)
{
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t substitute = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitute});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

bool looksSecret(std::string_view dottedKey)
{
    const size_t dot = dottedKey.rfind('.');
    std::string last(dot == std::string_view::npos ? dottedKey : dottedKey.substr(dot + 1));
    std::transform(last.begin(), last.end(), last.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    for (std::string_view word : {"password", "secret", "token"})
        if (last.find(word) != std::string::npos) return true;
    return false;
}

std::string maskUrlPassword(std::string_view text)
{
    std::string out;
    size_t done = 0;
    for (size_t scheme; (scheme = text.find("://", done)) != std::string_view::npos;) {
        const size_t start = scheme + 3;
        size_t end = text.find_first_of("/?# \t\r\n", start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view authority = text.substr(start, end - start);
        const size_t at = authority.rfind('@');
        const size_t colon = at == std::string_view::npos ? std::string_view::npos : authority.substr(0, at).find(':');
        if (colon != std::string_view::npos) {
            out.append(text.substr(done, start + colon + 1 - done));
            out += "****";
            out.append(text.substr(start + at, end - start - at));
        } else {
            out.append(text.substr(done, end - done));
        }
        done = end;
    }
    out.append(text.substr(done));
    return out;
}

std::string quoteForMessage(std::string_view text)
{
    std::string out = "\"";
    size_t chars = 0;
    uint32_t cp = 0;
    for (size_t i = 0; i < text.size(); ++chars) {
        if (chars == kMessageChars) {
            out += "...";
            break;
        }
        const size_t begin = i;
        const bool valid = nextCodePoint(text, i, cp);
        if (!valid) {
            out += "\\x";
            out += kHex[static_cast<unsigned char>(text[begin]) >> 4];
            out += kHex[static_cast<unsigned char>(text[begin]) & 0xF];
        } else if (cp == '"' || cp == '\\') {
            out += '\\';
            out += static_cast<char>(cp);
        } else if (cp < 0x20 || cp == 0x7F) {
            appendUnicodeEscape(out, cp);
        } else {
            out.append(text.substr(begin, i - begin));
        }
    }
    return out + '"';
}

std::string describeValue(const ConfigValue& value, bool secret)
{
    return std::visit(
        [secret](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>)
                return secret ? "string (hidden)" : "string " + quoteForMessage(v);
            else if constexpr (std::is_same_v<T, int64_t>)
                return secret ? "integer (hidden)" : "integer " + std::to_string(v);
            else if constexpr (std::is_same_v<T, double>)
                return secret ? "float (hidden)" : "float " + tomlFloat(v);
            else if constexpr (std::is_same_v<T, bool>)
                return secret ? "boolean (hidden)" : std::string("boolean ") + (v ? "true" : "false");
            else
                return secret ? "array (hidden)" : "array " + arrayText(v, quoteForMessage);
        },
        value);
}

} // namespace vtp::kernel::configformat
