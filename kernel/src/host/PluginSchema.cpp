#include "host/PluginSchema.hpp"

#include <toml++/toml.h>

#include <sstream>
#include <stdexcept>

namespace vtp::kernel {

namespace {

ConfigValue parseDefault(const std::string& key, ValueType type, const std::string& literal)
{
    toml::table t;
    try {
        t = toml::parse("v = " + literal);
    } catch (const toml::parse_error& e) {
        throw std::invalid_argument("default of '" + key + "' is not a TOML literal: " + std::string(e.description()));
    }
    const toml::node* n = t.get("v");
    auto bad = [&] {
        return std::invalid_argument("default of '" + key + "' does not match its type " + std::string(valueTypeName(type)));
    };
    switch (type) {
    case ValueType::String:
        if (auto v = n->value<std::string>(); v && n->is_string()) return *v;
        throw bad();
    case ValueType::Integer:
        if (n->is_integer()) return *n->value<int64_t>();
        throw bad();
    case ValueType::Float:
        if (n->is_number()) return *n->value<double>();
        throw bad();
    case ValueType::Boolean:
        if (n->is_boolean()) return *n->value<bool>();
        throw bad();
    case ValueType::StringArray: {
        const auto* arr = n->as_array();
        if (!arr) throw bad();
        std::vector<std::string> out;
        for (const auto& item : *arr) {
            if (!item.is_string()) throw bad();
            out.push_back(*item.value<std::string>());
        }
        return out;
    }
    }
    throw bad();
}

} // namespace

ConfigSchema pluginSchema(const std::string& pluginName, const std::vector<vtp_config_key>& keys)
{
    ConfigSchema schema("plugins." + pluginName);
    for (const vtp_config_key& k : keys) {
        KeySpec spec;
        spec.key = k.key;
        switch (k.type) {
        case VTP_CONFIG_STRING: spec.type = ValueType::String; break;
        case VTP_CONFIG_INTEGER: spec.type = ValueType::Integer; break;
        case VTP_CONFIG_FLOAT: spec.type = ValueType::Float; break;
        case VTP_CONFIG_BOOLEAN: spec.type = ValueType::Boolean; break;
        case VTP_CONFIG_STRING_ARRAY: spec.type = ValueType::StringArray; break;
        default: throw std::invalid_argument("config key '" + spec.key + "' has an unknown type");
        }
        spec.description = k.description ? k.description : "";
        spec.required = (k.flags & VTP_CONFIG_REQUIRED) != 0;
        spec.secret = (k.flags & VTP_CONFIG_SECRET) != 0;
        if (k.flags & VTP_CONFIG_HAS_MIN) spec.min = k.min;
        if (k.flags & VTP_CONFIG_HAS_MAX) spec.max = k.max;
        if (k.default_value) spec.defaultValue = parseDefault(spec.key, spec.type, k.default_value);
        if (VTP_HAS_FIELD(vtp_config_key, choices, k.struct_size) && k.choices) {
            std::istringstream in(k.choices);
            for (std::string c; std::getline(in, c, ',');) spec.choices.push_back(c);
        }
        schema.add(std::move(spec));
    }
    return schema;
}

} // namespace vtp::kernel
