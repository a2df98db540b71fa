#pragma once

// Validation of a configuration table against its schema (ConfigSchema): every issue collected
// with its file, line and column, values read with the schema's types and limits, secrets noted.
// Internal to vtp_config (Config.cpp runs it for the kernel's keys and for each plugin's table).

#include "config/Config.hpp"
#include "config/ConfigOverrides.hpp"
#include "config/ConfigSchema.hpp"

#include <toml++/toml.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vtp::kernel::configformat {

// "integer 5", "table", ... for an issue's "found".
std::string describeNode(const toml::node& node, bool secret);
// Reads a TOML node as `type` without checking a schema's limits; nullopt if it is another type.
std::optional<ConfigValue> valueFromNode(const toml::node& node, ValueType type);

// Checks one table (the kernel's keys, or one plugin's) against its schema, collecting every issue.
class Validator {
public:
    Validator(const std::string& file, const ConfigSchema& schema, std::string fullPrefix, bool kernel, const Overrides& overrides)
        : file_(file), schema_(schema), fullPrefix_(std::move(fullPrefix)), kernel_(kernel), overrides_(overrides)
    {
    }

    void walk(const toml::table& table, const std::string& relPrefix, int depth);
    void checkOverrides();
    void fillSpecs();
    std::vector<ConfigIssue>& issues() { return issues_; }
    std::map<std::string, ConfigValue>& values() { return values_; }
    const std::set<std::string>& secrets() const { return secrets_; }

    void addIssue(const toml::node& node, const std::string& rel, std::string expected, std::string found);
    void addIssueAt(const toml::source_region& source, const std::string& rel, std::string expected, std::string found);

private:
    void walkPlugins(const toml::node& node, int depth);
    void descend(const toml::node& node, const std::string& rel, int depth);
    void checkFileValue(const toml::node& node, const KeySpec& spec, const std::string& rel);
    void checkOverrideValue(const Override& override, const KeySpec& spec, const std::string& full, bool secret);
    void unknownKey(const toml::key& key, const std::string& rel, const std::string& segment, const std::string& relPrefix);
    bool declaresTable(const std::string& rel) const;
    // "plugins.NAME.KEY": belongs to a plugin's schema, unless the kernel declares it.
    bool isPluginKey(const std::string& key) const;
    // The names declared directly inside relPrefix, to suggest one for a misspelt key.
    std::vector<std::string> siblings(const std::string& relPrefix) const;
    std::vector<std::string> allKeys() const;
    static std::optional<std::string> nearest(const std::string& word, const std::vector<std::string>& candidates);

    const std::string& file_;
    const ConfigSchema& schema_;
    std::string fullPrefix_;
    bool kernel_;
    const Overrides& overrides_;
    std::vector<ConfigIssue> issues_;
    std::map<std::string, ConfigValue> values_;
    std::set<std::string> seen_;
    std::set<std::string> secrets_;
};

} // namespace vtp::kernel::configformat
