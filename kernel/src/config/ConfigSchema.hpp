#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace vtp::kernel {

enum class ValueType { String, Integer, Float, Boolean, StringArray };

using ConfigValue = std::variant<std::string, int64_t, double, bool, std::vector<std::string>>;

std::string_view valueTypeName(ValueType type); // "string", "integer", "float", "boolean", "array of strings"

// One declared key. `key` is a dotted path relative to the schema's table, e.g. "listen" or "smtp.host".
struct KeySpec {
    std::string key;
    ValueType type = ValueType::String;
    std::optional<ConfigValue> defaultValue; // absent and !required: the key is simply unset
    std::string description;
    bool required = false;
    bool secret = false;              // masked as "********" in printed config, never logged
    std::optional<int64_t> min, max;  // Integer: value range; String: length range
    std::vector<std::string> choices; // String: allowed values (empty = any)
};

// The keys of one table: the kernel's own (table prefix "") or a plugin's (prefix "plugins.NAME").
class ConfigSchema {
public:
    explicit ConfigSchema(std::string tablePrefix = {}) : prefix_(std::move(tablePrefix)) {}
    ConfigSchema& add(KeySpec spec);
    const KeySpec* find(std::string_view key) const;
    const std::vector<KeySpec>& keys() const { return keys_; }
    const std::string& prefix() const { return prefix_; }

private:
    std::string prefix_;
    std::vector<KeySpec> keys_;
};

} // namespace vtp::kernel
