#pragma once

#include "vtp/abi.h"
#include "vtp/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vtp {

// One key a plugin declares for its [plugins.NAME] table; the kernel validates the operator's
// file against these and generates the config reference from them.
struct ConfigKey {
    std::string key{};
    vtp_config_type type = VTP_CONFIG_STRING;
    std::optional<std::string> defaultToml{}; // a TOML literal: "\"hello\"", "8", "true", "[\"a\"]"
    std::string description{};
    bool required = false;
    bool secret = false;
    std::optional<int64_t> min{}, max{};
    std::vector<std::string> choices{};

    static ConfigKey string(std::string key, std::optional<std::string> def, std::string description)
    {
        ConfigKey k = make(std::move(key), VTP_CONFIG_STRING, std::move(description));
        if (def) k.defaultToml = quote(*def);
        return k;
    }
    static ConfigKey integer(std::string key, std::optional<int64_t> def, std::string description)
    {
        ConfigKey k = make(std::move(key), VTP_CONFIG_INTEGER, std::move(description));
        if (def) k.defaultToml = std::to_string(*def);
        return k;
    }
    static ConfigKey boolean(std::string key, std::optional<bool> def, std::string description)
    {
        ConfigKey k = make(std::move(key), VTP_CONFIG_BOOLEAN, std::move(description));
        if (def) k.defaultToml = *def ? "true" : "false";
        return k;
    }
    static ConfigKey stringArray(std::string key, std::vector<std::string> def, std::string description)
    {
        ConfigKey k = make(std::move(key), VTP_CONFIG_STRING_ARRAY, std::move(description));
        std::string lit = "[";
        for (size_t i = 0; i < def.size(); ++i) lit += (i ? ", " : "") + quote(def[i]);
        k.defaultToml = lit + "]";
        return k;
    }
    ConfigKey& range(int64_t lo, int64_t hi)
    {
        min = lo;
        max = hi;
        return *this;
    }
    ConfigKey& oneOf(std::vector<std::string> values)
    {
        choices = std::move(values);
        return *this;
    }
    ConfigKey& markSecret()
    {
        secret = true;
        return *this;
    }
    ConfigKey& markRequired()
    {
        required = true;
        return *this;
    }

private:
    static ConfigKey make(std::string key, vtp_config_type type, std::string description)
    {
        ConfigKey k;
        k.key = std::move(key);
        k.type = type;
        k.description = std::move(description);
        return k;
    }
    static std::string quote(const std::string& s)
    {
        std::string out = "\"";
        for (char c : s) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        return out + "\"";
    }
};

// The plugin's validated config. Dotted keys reach nested tables: getString("smtp.host").
class Config {
public:
    Config() = default;
    explicit Config(Json root) : root_(std::move(root)) {}

    bool has(const std::string& key) const { return !lookup(key).isNull(); }
    std::string getString(const std::string& key) const { return require(key).asString(); }
    int64_t getInt(const std::string& key) const { return require(key).asInt(); }
    double getFloat(const std::string& key) const { return require(key).asDouble(); }
    bool getBool(const std::string& key) const { return require(key).asBool(); }
    std::vector<std::string> getStringArray(const std::string& key) const
    {
        Json a = require(key);
        std::vector<std::string> out;
        for (size_t i = 0; i < a.size(); ++i) out.push_back(a.at(i).asString());
        return out;
    }
    const Json& json() const { return root_; }

private:
    Json lookup(const std::string& key) const
    {
        Json node = root_;
        size_t start = 0;
        while (true) {
            const size_t dot = key.find('.', start);
            node = node[key.substr(start, dot == std::string::npos ? std::string::npos : dot - start)];
            if (dot == std::string::npos || node.isNull()) return node;
            start = dot + 1;
        }
    }
    Json require(const std::string& key) const
    {
        Json v = lookup(key);
        if (v.isNull()) throw JsonError("config key '" + key + "' is not set");
        return v;
    }

    Json root_;
};

} // namespace vtp
