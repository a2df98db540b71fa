#pragma once

#include <string>
#include <string_view>

namespace vtp::kernel {

// Hex HMAC-SHA256 of `message` under `key` (RFC 2104), lower-case.
std::string hmacSha256Hex(std::string_view key, std::string_view message);

// The X-VTP-Signature header of one delivery attempt: "sha256=" + hex HMAC-SHA256 under the
// endpoint's secret of "<timestamp>.<body>", where timestamp is the X-VTP-Timestamp header
// (unix seconds). Covering the timestamp lets a receiver refuse replays of old requests.
std::string webhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body);

// A fresh secret: 32 random bytes as 64 hex digits.
std::string generateWebhookSecret();

} // namespace vtp::kernel
