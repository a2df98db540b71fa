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

} // namespace vtp::kernel
