#pragma once

// Random bytes, ids and secrets from the kernel's CSPRNG (getrandom(2), which blocks only until
// the pool is first seeded at boot). Header-only and thread-safe; each call throws
// std::runtime_error in the unlikely case that the kernel cannot deliver.

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace vtp {

// Fills `n` bytes at `out`.
inline void randomFill(void* out, std::size_t n)
{
    auto* p = static_cast<unsigned char*>(out);
    for (std::size_t got = 0; got < n;) {
        const ssize_t r = ::getrandom(p + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("getrandom failed");
        }
        got += static_cast<std::size_t>(r);
    }
}

inline std::vector<unsigned char> randomBytes(std::size_t n)
{
    std::vector<unsigned char> out(n);
    randomFill(out.data(), n);
    return out;
}

// `bytes` random bytes as lower-case hex (2 * bytes characters): secrets for URLs and files.
inline std::string randomHex(std::size_t bytes)
{
    static constexpr char hex[] = "0123456789abcdef";
    const auto b = randomBytes(bytes);
    std::string out;
    out.reserve(bytes * 2);
    for (unsigned char c : b) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

// `chars` characters of the base64url alphabet (A-Z a-z 0-9 - _), 6 random bits each: short
// URL-safe ids such as session ids.
inline std::string randomUrlSafeId(std::size_t chars)
{
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const auto b = randomBytes(chars);
    std::string out;
    out.reserve(chars);
    for (unsigned char c : b) out += table[c & 63];
    return out;
}

// A random (version 4, RFC 9562) UUID in its 36-character lower-case text form.
inline std::string randomUuid()
{
    std::array<unsigned char, 16> b{};
    randomFill(b.data(), b.size());
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40); // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80); // variant 10
    static constexpr char hex[] = "0123456789abcdef";
    std::string id;
    id.reserve(36);
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
        id += hex[b[i] >> 4];
        id += hex[b[i] & 0x0f];
    }
    return id;
}

} // namespace vtp
