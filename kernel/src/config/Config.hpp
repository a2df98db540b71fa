#pragma once

#include "config/ConfigSchema.hpp"

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace vtp::kernel {

// One problem found in a config file. `line`/`column` are 0 when the problem has no position
// (a missing required key, an environment override).
struct ConfigIssue {
    std::string file;
    int line = 0;
    int column = 0;
    std::string key;            // full dotted key, e.g. "http.listen" or "plugins.hello.greeting"
    std::string expected;       // e.g. "integer between 1 and 65535", "a known key"
    std::string found;          // e.g. "string \"abc\"", "unknown key"
    std::string format() const; // "FILE:LINE:COL: key 'K': expected E, found F"
};

class ConfigError : public std::runtime_error {
public:
    explicit ConfigError(std::vector<ConfigIssue> issues);
    const std::vector<ConfigIssue>& issues() const { return issues_; }

private:
    std::vector<ConfigIssue> issues_;
};

// A parsed TOML config: validated against the kernel's schema and each plugin's schema.
// Environment variables override keys: VTP_<KEY> with '.' written as "__" and upper-cased,
// e.g. VTP_HTTP__LISTEN, VTP_PLUGINS__HELLO__GREETING. Only names containing "__" are overrides.
class Config {
public:
    // Throws ConfigError (TOML syntax error with line/column, or a bad override).
    static Config load(const std::string& path, const std::map<std::string, std::string>& env);
    static Config parse(std::string_view text, const std::string& sourceName, const std::map<std::string, std::string>& env);
    // This process's environment as a map, for load().
    static std::map<std::string, std::string> processEnvironment();

    Config();
    ~Config();
    Config(Config&&) noexcept;
    Config& operator=(Config&&) noexcept;

    // Checks every key outside the "plugins.<name>" tables against `schema`, fills defaults.
    // Throws ConfigError listing every issue (unknown key, wrong type, out of range, missing required).
    void validateKernel(const ConfigSchema& schema);
    // Same for the table plugins.<name> (absent table = all defaults).
    void validatePlugin(const std::string& name, const ConfigSchema& schema);

    // Getters read the validated value (override, file or default); a key no validation covered is
    // read raw from the override or file. Unset: std::out_of_range; another type: std::invalid_argument.
    bool has(std::string_view key) const;
    std::string getString(std::string_view key) const; // throws std::out_of_range if unset
    int64_t getInt(std::string_view key) const;
    double getFloat(std::string_view key) const;
    bool getBool(std::string_view key) const;
    std::vector<std::string> getStringArray(std::string_view key) const;
    // The value the file itself sets for `key`, read as `type`, ignoring overrides and defaults;
    // nullopt when the file does not set it (or sets another type). For `--print-sample-config`.
    std::optional<ConfigValue> fileValue(std::string_view key, ValueType type) const;

    // Names of the [plugins.X] tables present in the file (or overrides).
    std::vector<std::string> pluginTables() const;
    // The effective table plugins.<name> as a JSON object (dotted keys nested), defaults applied,
    // secrets included (the plugin needs them). Throws std::logic_error before validatePlugin(name).
    std::string pluginJson(const std::string& name) const;
    // The effective config as TOML, secrets replaced by "********": every validated key (incl.
    // defaults); keys named like credentials (password, secret, token) are masked too, and so is
    // the password of a URL (scheme://user:****@host).
    std::string effectiveToml() const;
    const std::string& sourceName() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace vtp::kernel
