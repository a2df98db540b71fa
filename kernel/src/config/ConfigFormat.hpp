#pragma once

#include "config/ConfigSchema.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Text helpers shared by Config's validation and printing; internal to vtp_config.
namespace vtp::kernel::configformat {

bool isValidUtf8(std::string_view text);
// Byte offset of the first byte that is not part of valid UTF-8, if any.
std::optional<size_t> firstInvalidUtf8(std::string_view text);
// 1-based line and column (in code points, as toml++ counts) of a byte offset, and back.
std::pair<int, int> lineColumnAt(std::string_view text, size_t offset);
size_t offsetOfLineColumn(std::string_view text, int line, int column);
// Each non-ASCII code point replaced by one '?', which TOML allows only inside strings and comments.
std::string asciiPlaceholders(std::string_view text);
// Code points, for string length limits; counts bytes of invalid sequences one by one.
size_t utf8Length(std::string_view text);
// Decodes one UTF-8 sequence at text[i], advancing i past it (one byte if invalid).
bool nextCodePoint(std::string_view text, size_t& i, uint32_t& cp);
// Appends \uXXXX.
void appendUnicodeEscape(std::string& out, uint32_t cp);
// "[a, b]", each item rendered by `render`.
std::string arrayText(const std::vector<std::string>& items, std::string (*render)(std::string_view));
inline constexpr char kHex[] = "0123456789ABCDEF";

std::vector<std::string> splitKey(std::string_view dotted);
std::string joinKey(std::string_view prefix, std::string_view key);
size_t editDistance(std::string_view a, std::string_view b);

// A key whose last segment names a credential ("password", "secret", "token") is masked
// even when its schema forgot to mark it secret.
bool looksSecret(std::string_view dottedKey);
// postgresql://user:PASS@host/db -> postgresql://user:****@host/db; other text unchanged.
std::string maskUrlPassword(std::string_view text);

// For issue messages: "abc" quoted and escaped, cut after a few dozen characters.
std::string quoteForMessage(std::string_view text);
// "integer 5", "string \"abc\"", "string (hidden)", ...
std::string describeValue(const ConfigValue& value, bool secret);

} // namespace vtp::kernel::configformat
