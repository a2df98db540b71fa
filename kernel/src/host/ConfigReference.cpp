#include "host/ConfigReference.hpp"

#include "config/ConfigFormat.hpp"
#include "host/Kernel.hpp"
#include "host/PluginSchema.hpp"
#include "loader/PluginLibrary.hpp"

#include <filesystem>

namespace vtp::kernel {

namespace {

// A table cell: '|' would end the cell early.
std::string cell(std::string_view text)
{
    std::string out;
    for (char c : text) {
        if (c == '|') out += '\\';
        out += c == '\n' ? ' ' : c;
    }
    return out;
}

std::string typeText(const KeySpec& k)
{
    std::string t(valueTypeName(k.type));
    if (k.type == ValueType::Integer && (k.min || k.max)) {
        if (k.min && k.max)
            t += " " + std::to_string(*k.min) + "–" + std::to_string(*k.max);
        else if (k.min)
            t += " ≥ " + std::to_string(*k.min);
        else
            t += " ≤ " + std::to_string(*k.max);
    }
    if (k.type == ValueType::String && (k.min || k.max))
        t += " of " + (k.min ? std::to_string(*k.min) : std::string("0")) + "–" +
             (k.max ? std::to_string(*k.max) : std::string("any")) + " characters";
    if (!k.choices.empty()) {
        t += ":";
        for (size_t i = 0; i < k.choices.size(); ++i) t += (i ? ", `" : " `") + k.choices[i] + "`";
    }
    if (k.required) t += ", required";
    if (k.secret) t += ", secret";
    return t;
}

std::string defaultText(const KeySpec& k)
{
    if (!k.defaultValue) return k.required ? "(none: required)" : "(unset)";
    return "`" + configformat::tomlValue(*k.defaultValue) + "`";
}

} // namespace

std::string configReferenceTable(const ConfigSchema& schema)
{
    std::string out = "| key | type | default | meaning |\n| --- | --- | --- | --- |\n";
    for (const auto& k : schema.keys()) {
        out += "| `" + configformat::joinKey(schema.prefix(), k.key) + "` | " + cell(typeText(k)) + " | " +
               cell(defaultText(k)) + " | " + cell(k.description) + " |\n";
    }
    return out;
}

std::string configReference(const Config& config, const std::string& configDir, std::vector<std::string>& skipped)
{
    std::string out = "### Kernel keys\n\n" + configReferenceTable(Kernel::kernelSchema());
    std::filesystem::path dir(config.getString("plugins.dir"));
    if (dir.is_relative()) dir = std::filesystem::path(configDir) / dir;
    for (const auto& name : config.getStringArray("plugins.enabled")) {
        PluginLibrary lib = openPluginLibrary(dir.lexically_normal().string(), name);
        if (!lib.ok()) {
            skipped.push_back(name + ": " + lib.reason);
            continue;
        }
        try {
            const ConfigSchema schema = pluginSchema(lib.descriptor);
            out += "\n### Plugin `" + name + "`\n\n";
            out += schema.keys().empty() ? std::string("It declares no keys.\n") : configReferenceTable(schema);
        } catch (const std::invalid_argument& e) {
            skipped.push_back(name + ": " + e.what());
        }
    }
    return out;
}

} // namespace vtp::kernel
