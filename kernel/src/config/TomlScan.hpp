#pragma once

// The guard lexer: a pass over TOML text that finds what toml++ would crash on before toml++ sees
// it (TomlParse). Internal to vtp_config.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vtp::kernel::configformat {

struct TextPosition {
    int line = 0;
    int column = 0; // in code points, as toml++ counts
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

} // namespace vtp::kernel::configformat
