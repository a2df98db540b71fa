#pragma once

#include "config/ConfigSchema.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace vtp::kernel {

// A key with a default and a description, the form every kernel key is declared in (each
// concern's *Keys.cpp); ranged() adds an Integer's limits.
inline KeySpec keySpec(std::string key, ValueType type, ConfigValue defaultValue, std::string description)
{
    KeySpec s;
    s.key = std::move(key);
    s.type = type;
    s.defaultValue = std::move(defaultValue);
    s.description = std::move(description);
    return s;
}

inline KeySpec ranged(KeySpec spec, int64_t min, int64_t max)
{
    spec.min = min;
    spec.max = max;
    return spec;
}

} // namespace vtp::kernel
