#pragma once

// The signed token of a recording's playback URLs, as text: what a client sends back in the path
// of every playlist, segment and download request (/api/v1/recordings/ID/media/TOKEN/FILE).
// Pure C++ (the SDK's header-only vtp/base64.hpp, no Poco), so that the parser is unit-tested and
// fuzzed alone; the MAC itself is computed by Playback.
//
//   1.EXPIRES.GRANT.USER.MAC
//   1        the format's version
//   EXPIRES  Unix seconds, decimal, no leading zero
//   GRANT    "a": the user was an admin when it was issued; "u": anyone else
//   USER     the user's id, base64url without padding
//   MAC      HMAC-SHA256 of signedText(recording id, token), base64url without padding (43 chars)
//
// Every character is one of [A-Za-z0-9._-]: safe in a path segment, never percent-encoded.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vtp::recording::playback {

inline constexpr size_t kMacBytes = 32;
inline constexpr size_t kMaxUserIdBytes = 128;
inline constexpr size_t kMaxTokenChars = 256;

struct Token {
    int64_t expiresAt = 0; // Unix seconds
    bool admin = false;
    std::string userId;
    std::string mac; // kMacBytes raw bytes
};

// The token's text, or nothing when it is not one (wrong shape, a field out of range, a longer
// text than kMaxTokenChars, a non-canonical encoding): only the canonical text of a token parses.
std::optional<Token> parse(std::string_view text);
std::string format(const Token& token);

// What the MAC covers: the recording, the user, the grant and the expiry, each unambiguous.
std::string signedText(std::string_view recordingId, const Token& token);

// Compares two byte strings in a time that depends only on their lengths.
bool constantTimeEqual(std::string_view a, std::string_view b);

} // namespace vtp::recording::playback
