#pragma once

// The signed token of playback URLs, as text: what a player sends back in the path of every
// playlist and segment request (the recording plugin's /recordings/ID/media/TOKEN/FILE, the
// streaming plugin's /streams/ID/live/TOKEN/FILE). Header-only; the codec (parse, format,
// signedText, constantTimeEqual) is pure C++ and fuzzed (tests/fuzz/playback), the MAC is Poco's
// HMAC-SHA256. Every function is thread-safe.
//
//   1.EXPIRES.GRANT.USER.MAC
//   1        the format's version
//   EXPIRES  Unix seconds, decimal, no leading zero
//   GRANT    "a": the user was an admin when it was issued; "u": anyone else
//   USER     the user's id, base64url without padding
//   MAC      HMAC-SHA256 of signedText(domain, resource id, token), base64url without padding (43 chars)
//
// Every character is one of [A-Za-z0-9._-]: safe in a path segment, never percent-encoded.
// The domain names what a token is for ("vtp-recording-playback-1"), so that a token made for one
// purpose never verifies for another even under the same key.

#include "vtp/base64.hpp"

#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vtp::playback {

inline constexpr size_t kMacBytes = 32;
inline constexpr size_t kMaxUserIdBytes = 128;
inline constexpr size_t kMaxTokenChars = 256;

struct Token {
    int64_t expiresAt = 0; // Unix seconds
    bool admin = false;
    std::string userId;
    std::string mac; // kMacBytes raw bytes
};

namespace detail {

// "1" .. "9223372036854775807"; nothing for a leading zero, a sign or an overflow.
inline std::optional<int64_t> parseSeconds(std::string_view s)
{
    if (s.empty() || s.size() > 19 || s[0] == '0') return std::nullopt;
    uint64_t v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(v);
}

// Poco 1.11's SHA2Engine lacks the BLOCK_SIZE and DIGEST_SIZE that HMACEngine needs.
class Sha256Engine : public Poco::SHA2Engine {
public:
    enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
    Sha256Engine() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

} // namespace detail

// The token's text, or nothing when it is not one (wrong shape, a field out of range, a longer
// text than kMaxTokenChars, a non-canonical encoding): only the canonical text of a token parses.
inline std::optional<Token> parse(std::string_view text)
{
    if (text.empty() || text.size() > kMaxTokenChars) return std::nullopt;
    std::array<std::string_view, 5> parts;
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] != '.') continue;
        if (n == parts.size()) return std::nullopt;
        parts[n++] = text.substr(start, i - start);
        start = i + 1;
    }
    if (n != parts.size() || parts[0] != "1") return std::nullopt;
    Token t;
    const auto expires = detail::parseSeconds(parts[1]);
    if (!expires) return std::nullopt;
    t.expiresAt = *expires;
    if (parts[2] != "a" && parts[2] != "u") return std::nullopt;
    t.admin = parts[2] == "a";
    auto user = vtp::base64UrlDecode(parts[3]);
    if (!user || user->empty() || user->size() > kMaxUserIdBytes) return std::nullopt;
    t.userId = std::move(*user);
    auto mac = vtp::base64UrlDecode(parts[4]);
    if (!mac || mac->size() != kMacBytes) return std::nullopt;
    t.mac = std::move(*mac);
    return t;
}

inline std::string format(const Token& t)
{
    return "1." + std::to_string(t.expiresAt) + "." + (t.admin ? "a" : "u") + "." + vtp::base64UrlEncode(t.userId) + "." +
           vtp::base64UrlEncode(t.mac);
}

// What the MAC covers: the domain, the resource (a recording, a stream), the user, the grant and
// the expiry, each unambiguous.
inline std::string signedText(std::string_view domain, std::string_view resourceId, const Token& t)
{
    // Lengths first: no choice of ids can make two different tuples sign the same text.
    std::string s = std::string(domain) + "\n";
    s += std::to_string(resourceId.size()) + ":" + std::string(resourceId) + "\n";
    s += std::to_string(t.userId.size()) + ":" + t.userId + "\n";
    s += std::string(t.admin ? "a" : "u") + "\n" + std::to_string(t.expiresAt);
    return s;
}

// Compares two byte strings in a time that depends only on their lengths.
inline bool constantTimeEqual(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) return false;
    volatile unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

// HMAC-SHA256 of `text` under `key`: kMacBytes raw bytes.
inline std::string hmacSha256(std::string_view key, std::string_view text)
{
    Poco::HMACEngine<detail::Sha256Engine> hmac(key.data(), key.size());
    hmac.update(text.data(), text.size());
    const auto& digest = hmac.digest();
    return std::string(digest.begin(), digest.end());
}

// The MAC a token for `resourceId` carries under `key`.
inline std::string mac(std::string_view key, std::string_view domain, std::string_view resourceId, const Token& t)
{
    return hmacSha256(key, signedText(domain, resourceId, t));
}

// A token's text for `userId` (at most kMaxUserIdBytes), signed under `key`.
inline std::string issue(std::string_view key, std::string_view domain, std::string_view resourceId, std::string userId, bool admin,
                         int64_t expiresAt)
{
    Token t;
    t.expiresAt = expiresAt;
    t.admin = admin;
    t.userId = std::move(userId);
    t.mac = mac(key, domain, resourceId, t);
    return format(t);
}

enum class Verdict {
    Valid,
    Invalid, // not a token, or a MAC that does not match (another key, domain or resource)
    Expired, // genuine, but `now` is at or past its expiry
};

struct Checked {
    Verdict verdict = Verdict::Invalid;
    Token token; // set unless Invalid
};

// Parses `text` and checks its MAC (in constant time) and then its expiry at `now` (Unix seconds).
inline Checked check(std::string_view key, std::string_view domain, std::string_view resourceId, std::string_view text, int64_t now)
{
    auto t = parse(text);
    if (!t || !constantTimeEqual(t->mac, mac(key, domain, resourceId, *t))) return {};
    const Verdict v = now >= t->expiresAt ? Verdict::Expired : Verdict::Valid;
    return {v, std::move(*t)};
}

} // namespace vtp::playback
