#pragma once

// UTF-8 as the Unicode standard defines it (table 3-7): what JSON text, log lines and decoded
// request paths must be. One definition for the SDK's JSON check and writer and the kernel.

#include <cstddef>
#include <string_view>

namespace vtp::utf8 {

// The length of the UTF-8 sequence at p (at most n bytes available), or 0 if it is not one:
// overlong forms, UTF-16 surrogates and code points above U+10FFFF are not UTF-8.
inline std::size_t sequenceLength(const char* p, std::size_t n) noexcept
{
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    const unsigned c = u[0];
    if (c < 0x80) return 1;
    std::size_t len = 0;
    unsigned cp = 0;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (len > n) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        if ((u[k] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (u[k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

inline bool valid(std::string_view text) noexcept
{
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = static_cast<unsigned char>(text[i]) < 0x80 ? 1 : sequenceLength(text.data() + i, text.size() - i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

} // namespace vtp::utf8
