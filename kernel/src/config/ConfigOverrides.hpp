#pragma once

// Environment overrides: VTP_TABLE__KEY=value replaces the key table.key of the file, read as the
// key's type. Internal to vtp_config.

#include "config/Config.hpp"
#include "config/ConfigSchema.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::kernel::configformat {

// The "file" that issues about environment variables name.
inline const std::string kEnvironment = "environment";

struct Override {
    std::string envName;
    std::string value;
};
using Overrides = std::map<std::string, Override, std::less<>>;

// The VTP_TABLE__KEY variables of `env` into `overrides`, by dotted key; a malformed name or two
// variables for one key become issues.
void readOverrides(const std::map<std::string, std::string>& env, Overrides& overrides, std::vector<ConfigIssue>& issues);

// Reads an environment value as `type`; nullopt if it does not parse.
std::optional<ConfigValue> valueFromText(std::string_view raw, ValueType type);

} // namespace vtp::kernel::configformat
