#pragma once

// Small cryptographic helpers the auth plugin shares: random tokens, hashes, encodings. Random
// bytes and UUIDs come from the SDK (vtp/random.hpp).

#include <vtp/random.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::auth {

// An opaque URL-safe token carrying `bytes` random bytes (base64url, no padding).
std::string randomToken(size_t bytes = 32);
// Lower-case hex SHA-256: how opaque tokens are stored, so a database leak reveals none.
std::string sha256Hex(std::string_view data);
std::string base64UrlEncode(const unsigned char* data, size_t len);
inline std::string base64UrlEncode(std::string_view s)
{
    return base64UrlEncode(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}
// Decodes base64url without padding (as in JWTs); nothing if `s` is not exactly that.
std::optional<std::string> base64UrlDecode(std::string_view s);
// Compares in time that depends only on the lengths.
bool constantTimeEquals(std::string_view a, std::string_view b);

} // namespace vtp::auth
