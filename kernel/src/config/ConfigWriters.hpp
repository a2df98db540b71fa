#pragma once

// Values and dotted keys written as TOML or JSON: the effective configuration (vtpd --check-config),
// a plugin's table as JSON, and the generated config reference (config-docs). Internal to the kernel.

#include "config/ConfigSchema.hpp"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::kernel::configformat {

std::string tomlString(std::string_view text);
std::string tomlKey(std::string_view key);
std::string tomlFloat(double value);
std::string tomlValue(const ConfigValue& value);
std::string jsonValue(const ConfigValue& value);

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
