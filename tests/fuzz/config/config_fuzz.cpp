// Feeds arbitrary bytes through the whole config path: parse, validate against kernel and
// plugin schemas, print. Only ConfigError may escape a call; the printed TOML must re-parse.
#include "config/Config.hpp"

#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

namespace {

using namespace vtp::kernel;

KeySpec key(std::string name, ValueType type, std::optional<ConfigValue> def = std::nullopt)
{
    KeySpec k;
    k.key = std::move(name);
    k.type = type;
    k.defaultValue = std::move(def);
    return k;
}

ConfigSchema kernelSchema()
{
    ConfigSchema schema;
    KeySpec port = key("http.port", ValueType::Integer, int64_t{8080});
    port.min = 1;
    port.max = 65535;
    schema.add(port);
    schema.add(key("http.listen", ValueType::String, std::string("127.0.0.1")));
    schema.add(key("http.timeout", ValueType::Float, 30.0));
    KeySpec level = key("log.level", ValueType::String, std::string("info"));
    level.choices = {"debug", "info", "warn"};
    schema.add(level);
    schema.add(key("log.json", ValueType::Boolean, true));
    KeySpec url = key("db.url", ValueType::String);
    url.required = true;
    url.max = 100;
    schema.add(url);
    schema.add(key("plugins.dir", ValueType::String, std::string("/plugins")));
    schema.add(key("plugins.enabled", ValueType::StringArray, std::vector<std::string>{}));
    return schema;
}

ConfigSchema pluginSchema()
{
    ConfigSchema schema("plugins.hello");
    schema.add(key("greeting", ValueType::String, std::string("hi")));
    schema.add(key("smtp.host", ValueType::String));
    schema.add(key("smtp.port", ValueType::Integer, int64_t{25}));
    KeySpec password = key("smtp.password", ValueType::String);
    password.secret = true;
    schema.add(password);
    schema.add(key("ratio", ValueType::Float));
    schema.add(key("tags", ValueType::StringArray));
    return schema;
}

void checkReparses(const std::string& text)
{
    try {
        (void)toml::parse(text);
    } catch (const toml::parse_error&) {
        std::abort(); // effectiveToml printed something that is not TOML
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const ConfigSchema kernel = kernelSchema();
    static const ConfigSchema plugin = pluginSchema();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::map<std::string, std::string> env{{"VTP_PLUGINS__HELLO__TAGS", "a, b"}};
    try {
        Config config = Config::parse(text, "fuzz.toml", env);
        (void)config.pluginTables();
        try {
            config.validateKernel(kernel);
        } catch (const ConfigError&) {
        }
        try {
            config.validatePlugin("hello", plugin);
            (void)config.pluginJson("hello");
        } catch (const ConfigError&) {
        }
        checkReparses(config.effectiveToml());
    } catch (const ConfigError&) {
    }
    return 0;
}
