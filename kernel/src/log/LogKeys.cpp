#include "log/LogKeys.hpp"

#include "config/KeySpecs.hpp"

namespace vtp::kernel {

void addLogKeys(ConfigSchema& schema)
{
    using T = ValueType;
    KeySpec level = keySpec("log.level", T::String, std::string("info"), "Least severe level logged: trace, debug, info, warn, error");
    level.choices = {"trace", "debug", "info", "warn", "error"};
    schema.add(std::move(level));
}

void addLogComponentKeys(ConfigSchema& schema)
{
    using T = ValueType;
    schema.add(
        keySpec("log.components", T::StringArray, std::vector<std::string>{},
                "Per-component levels, each NAME=LEVEL (\"hello=debug\"): NAME is a plugin or a kernel component "
                "(config, db, events, http, jobs, kernel, loader, metrics, openapi, webhooks, ws, ws.lws); LEVEL as log.level, or off. "
                "Changeable at runtime: PUT /api/v1/admin/log-levels/NAME"));
}

} // namespace vtp::kernel
