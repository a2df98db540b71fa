#include "PlaybackToken.hpp"

#include <vtp/base64.hpp>

#include <array>
#include <climits>

namespace vtp::recording::playback {

namespace {

// "1" .. "9223372036854775807"; nothing for a leading zero, a sign or an overflow.
std::optional<int64_t> parseSeconds(std::string_view s)
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

} // namespace

std::optional<Token> parse(std::string_view text)
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
    const auto expires = parseSeconds(parts[1]);
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

std::string format(const Token& t)
{
    return "1." + std::to_string(t.expiresAt) + "." + (t.admin ? "a" : "u") + "." + vtp::base64UrlEncode(t.userId) + "." +
           vtp::base64UrlEncode(t.mac);
}

std::string signedText(std::string_view recordingId, const Token& t)
{
    // Lengths first: no choice of ids can make two different tuples sign the same text.
    std::string s = "vtp-recording-playback-1\n";
    s += std::to_string(recordingId.size()) + ":" + std::string(recordingId) + "\n";
    s += std::to_string(t.userId.size()) + ":" + t.userId + "\n";
    s += std::string(t.admin ? "a" : "u") + "\n" + std::to_string(t.expiresAt);
    return s;
}

bool constantTimeEqual(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) return false;
    volatile unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace vtp::recording::playback
