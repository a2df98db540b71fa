#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>
#include <variant>

// Internal to vtp_config.
namespace vtp::kernel::configformat {

struct TomlProblem {
    int line = 0;
    int column = 0;
    std::string expected;
    std::string found;
};

// toml::parse, minus the inputs on which toml++ 3.3 reaches undefined behaviour: it asks whether
// some non-ASCII characters are whitespace and hits __builtin_unreachable (upstream issues #190,
// #295). The text must be valid UTF-8; when it has non-ASCII characters, a copy with each one
// replaced by '?' is parsed first, so toml++ sees the original only once its non-ASCII characters
// are known to sit inside strings and comments.
std::variant<toml::table, TomlProblem> parseToml(std::string_view text, std::string_view sourceName);

} // namespace vtp::kernel::configformat
