#include "config/ConfigSchema.hpp"

#include <algorithm>

namespace vtp::kernel {

std::string_view valueTypeName(ValueType type)
{
    switch (type) {
    case ValueType::String: return "string";
    case ValueType::Integer: return "integer";
    case ValueType::Float: return "float";
    case ValueType::Boolean: return "boolean";
    case ValueType::StringArray: return "array of strings";
    }
    return "unknown";
}

ConfigSchema& ConfigSchema::add(KeySpec spec)
{
    // Declaring a key twice replaces the first declaration, so a schema never holds two
    // contradictory specs for one key.
    auto it = std::find_if(keys_.begin(), keys_.end(), [&](const KeySpec& k) { return k.key == spec.key; });
    if (it != keys_.end())
        *it = std::move(spec);
    else
        keys_.push_back(std::move(spec));
    return *this;
}

const KeySpec* ConfigSchema::find(std::string_view key) const
{
    auto it = std::find_if(keys_.begin(), keys_.end(), [&](const KeySpec& k) { return k.key == key; });
    return it == keys_.end() ? nullptr : &*it;
}

} // namespace vtp::kernel
