#pragma once

#include <cstddef>

namespace vtp::signalling::protocol {

// Length of the valid UTF-8 sequence at p (first byte >= 0x80), or 0 when it is not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid: Unicode table 3-7).
inline std::size_t utf8SequenceLength(const unsigned char* p, const unsigned char* end) noexcept
{
    const unsigned char c = p[0];
    auto cont = [&](std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) { return p + i < end && p[i] >= lo && p[i] <= hi; };
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
    if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
    if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    return 0;
}

} // namespace vtp::signalling::protocol
