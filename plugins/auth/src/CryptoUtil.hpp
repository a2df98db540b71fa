#pragma once

// Small cryptographic helpers the auth plugin shares: random tokens, hashes. Random bytes and
// UUIDs come from the SDK (vtp/random.hpp), base64url (tokens, JWT segments) too (vtp/base64.hpp:
// vtp::base64UrlEncode, and vtp::base64UrlDecode, which takes only the canonical unpadded form).

#include <vtp/base64.hpp>
#include <vtp/random.hpp>

#include <string>
#include <string_view>

namespace vtp::auth {

// An opaque URL-safe token carrying `bytes` random bytes (base64url, no padding).
std::string randomToken(size_t bytes = 32);
// Lower-case hex SHA-256: how opaque tokens are stored, so a database leak reveals none.
std::string sha256Hex(std::string_view data);
// Compares in time that depends only on the lengths.
bool constantTimeEquals(std::string_view a, std::string_view b);

} // namespace vtp::auth
