#pragma once

// Base64 (RFC 4648) in its two common forms, header-only:
//   base64*    the standard alphabet (A-Z a-z 0-9 + /) with '=' padding (section 4): tus's
//              Upload-Metadata and Upload-Checksum, Engine.IO's "b<base64>" polling packets;
//   base64Url* the URL-safe alphabet (- _ for + /) without padding (section 5, as JWS, RFC 7515
//              section 2, uses it): tokens and JWT segments.
// Decoding is strict and returns nullopt for anything an encoder here would not write: a character
// outside the alphabet (whitespace and line breaks too), missing, misplaced or (for base64Url) any
// padding, a length no encoding has, and non-zero bits that the last character carries beyond the
// data (so that one byte string has exactly one text: a signature or checksum cannot be varied).
// Every function is thread-safe and allocates only its result.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vtp {

namespace detail::base64 {

inline constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
inline constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Character -> sextet, -1 for a character outside the alphabet.
constexpr std::array<std::int8_t, 256> reverse(const char* alphabet)
{
    std::array<std::int8_t, 256> table{};
    for (auto& v : table) v = -1;
    for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}

inline constexpr auto kStandardReverse = reverse(kStandard);
inline constexpr auto kUrlReverse = reverse(kUrl);

inline void append(std::string& out, std::string_view bytes, const char* alphabet, bool pad)
{
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    const std::size_t rest = n % 3;
    const std::size_t start = out.size();
    out.resize(start + n / 3 * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1));
    char* o = out.data() + start;
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const std::uint32_t v = (std::uint32_t(p[i]) << 16) | (std::uint32_t(p[i + 1]) << 8) | p[i + 2];
        *o++ = alphabet[(v >> 18) & 63];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = alphabet[(v >> 6) & 63];
        *o++ = alphabet[v & 63];
    }
    if (rest == 0) return;
    std::uint32_t v = std::uint32_t(p[i]) << 16;
    if (rest == 2) v |= std::uint32_t(p[i + 1]) << 8;
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    if (rest == 2) *o++ = alphabet[(v >> 6) & 63];
    if (pad) {
        *o++ = '=';
        if (rest == 1) *o++ = '=';
    }
}

inline std::optional<std::string> decode(std::string_view text, const std::array<std::int8_t, 256>& table, bool padded)
{
    std::size_t len = text.size();
    if (padded) {
        if (len % 4 != 0) return std::nullopt;
        // At most two '=' and only at the end; a '=' anywhere else is outside the alphabet below.
        if (len > 0 && text[len - 1] == '=') --len;
        if (len > 0 && text[len - 1] == '=') --len;
    }
    if (len % 4 == 1) return std::nullopt; // one character carries 6 bits: not a whole byte
    std::string out;
    out.resize(len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1));
    char* o = out.data();
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    std::size_t i = 0;
    for (; i + 4 <= len; i += 4) {
        const int a = table[p[i]], b = table[p[i + 1]], c = table[p[i + 2]], d = table[p[i + 3]];
        if ((a | b | c | d) < 0) return std::nullopt;
        const std::uint32_t v = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) | (std::uint32_t(c) << 6) | std::uint32_t(d);
        *o++ = static_cast<char>(v >> 16);
        *o++ = static_cast<char>((v >> 8) & 0xff);
        *o++ = static_cast<char>(v & 0xff);
    }
    if (const std::size_t rest = len - i; rest > 0) {
        const int a = table[p[i]], b = table[p[i + 1]], c = rest == 3 ? table[p[i + 2]] : 0;
        if ((a | b | c) < 0) return std::nullopt;
        const std::uint32_t v = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) | (std::uint32_t(c) << 6);
        // Canonical only: the bits beyond the last whole byte must be zero.
        if ((rest == 2 && (v & 0xffff) != 0) || (rest == 3 && (v & 0xff) != 0)) return std::nullopt;
        *o++ = static_cast<char>(v >> 16);
        if (rest == 3) *o++ = static_cast<char>((v >> 8) & 0xff);
    }
    return out;
}

} // namespace detail::base64

// Standard alphabet, padded: appends the encoding of `bytes` to `out` (no temporary string).
inline void base64Append(std::string& out, std::string_view bytes)
{
    detail::base64::append(out, bytes, detail::base64::kStandard, true);
}

inline std::string base64Encode(std::string_view bytes)
{
    std::string out;
    base64Append(out, bytes);
    return out;
}

// nullopt unless `text` is exactly what base64Encode writes for some bytes.
inline std::optional<std::string> base64Decode(std::string_view text)
{
    return detail::base64::decode(text, detail::base64::kStandardReverse, true);
}

// URL-safe alphabet, unpadded.
inline std::string base64UrlEncode(std::string_view bytes)
{
    std::string out;
    detail::base64::append(out, bytes, detail::base64::kUrl, false);
    return out;
}

// nullopt unless `text` is exactly what base64UrlEncode writes for some bytes.
inline std::optional<std::string> base64UrlDecode(std::string_view text)
{
    return detail::base64::decode(text, detail::base64::kUrlReverse, false);
}

} // namespace vtp
