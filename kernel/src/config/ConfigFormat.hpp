#pragma once

#include "config/ConfigSchema.hpp"

#include <map>
#include <memory>
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

std::string tomlString(std::string_view text);
std::string tomlKey(std::string_view key);
std::string tomlFloat(double value);
std::string tomlValue(const ConfigValue& value);
std::string jsonValue(const ConfigValue& value);

struct TextPosition {
    int line = 0;
    int column = 0;   // in code points, as toml++ counts
    std::string found;
};
struct TomlScan {
    // toml++ 3.3 reaches __builtin_unreachable when it asks whether some non-ASCII characters are
    // whitespace (upstream issues #190, #295): outside strings and comments, and right after a
    // backslash in a multi-line basic string. The first such character, if any.
    std::optional<TextPosition> unsafeNonAscii;
    // toml++ builds and frees tables recursively, so a key like a.a.a... with a few hundred
    // thousand parts overflows the stack. The first key with more than the allowed parts, if any.
    std::optional<TextPosition> deepKey;
};
// A lexical pass over TOML text that tracks strings and comments; on invalid TOML it errs
// towards reporting.
TomlScan scanToml(std::string_view text, size_t maxKeyParts);

// Dotted keys grouped into nested tables, for printing as TOML or JSON.
class ValueTree {
public:
    // False (and nothing inserted) when the path collides with a value already present,
    // e.g. "a.b" after "a".
    bool insert(const std::vector<std::string>& path, ConfigValue value);
    std::string toToml() const;
    std::string toJson() const;

private:
    void appendTomlTables(std::string& out, std::vector<std::string>& path) const;
    void appendJson(std::string& out) const;

    std::map<std::string, ConfigValue> values_;
    std::map<std::string, std::unique_ptr<ValueTree>> children_;
};

} // namespace vtp::kernel::configformat
