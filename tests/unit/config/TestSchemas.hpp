#pragma once

#include "config/Config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>

namespace vtp::kernel::test {

using Env = std::map<std::string, std::string>;

inline KeySpec spec(std::string key, ValueType type, std::optional<ConfigValue> def = std::nullopt)
{
    KeySpec k;
    k.key = std::move(key);
    k.type = type;
    k.defaultValue = std::move(def);
    return k;
}

// A kernel schema shaped like vtpd's own: a few tables, limits, choices, a secret.
inline ConfigSchema kernelSchema()
{
    ConfigSchema schema;
    KeySpec listen = spec("http.listen", ValueType::String, std::string("127.0.0.1"));
    schema.add(listen);
    KeySpec port = spec("http.port", ValueType::Integer, int64_t{8080});
    port.min = 1;
    port.max = 65535;
    schema.add(port);
    schema.add(spec("http.timeout", ValueType::Float, 30.0));
    schema.add(spec("http.origins", ValueType::StringArray, std::vector<std::string>{}));
    KeySpec level = spec("log.level", ValueType::String, std::string("info"));
    level.choices = {"trace", "debug", "info", "warn", "error"};
    schema.add(level);
    schema.add(spec("log.json", ValueType::Boolean, true));
    KeySpec url = spec("db.url", ValueType::String);
    url.required = true;
    url.min = 1;
    url.max = 200;
    schema.add(url);
    schema.add(spec("plugins.dir", ValueType::String, std::string("/usr/lib/vtp/plugins")));
    schema.add(spec("plugins.enabled", ValueType::StringArray, std::vector<std::string>{}));
    return schema;
}

inline ConfigSchema helloSchema()
{
    ConfigSchema schema("plugins.hello");
    schema.add(spec("greeting", ValueType::String, std::string("hello")));
    schema.add(spec("repeat", ValueType::Integer, int64_t{1}));
    schema.add(spec("smtp.host", ValueType::String, std::string("localhost")));
    schema.add(spec("smtp.port", ValueType::Integer, int64_t{25}));
    KeySpec password = spec("smtp.password", ValueType::String);
    schema.add(password);
    KeySpec apiKey = spec("api_key", ValueType::String);
    apiKey.secret = true;
    schema.add(apiKey);
    return schema;
}

inline const char* kMinimalConfig = "[db]\nurl = \"postgresql://vtp@localhost/vtp\"\n";

// Runs `action`, expecting a ConfigError, and returns its issues.
inline std::vector<ConfigIssue> issuesOf(const std::function<void()>& action)
{
    try {
        action();
    } catch (const ConfigError& e) {
        return e.issues();
    }
    ADD_FAILURE() << "expected a ConfigError";
    return {};
}

inline const ConfigIssue* findIssue(const std::vector<ConfigIssue>& issues, const std::string& key)
{
    auto it = std::find_if(issues.begin(), issues.end(), [&](const ConfigIssue& i) { return i.key == key; });
    return it == issues.end() ? nullptr : &*it;
}

} // namespace vtp::kernel::test
