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
    // Appends only: GCC 12 at -O3 warns (-Wrestrict, a false positive) on "literal" + string.
    std::string t(valueTypeName(k.type));
    if (k.type == ValueType::Integer && k.min && k.max) {
        t.append(" ").append(std::to_string(*k.min)).append("–").append(std::to_string(*k.max));
    } else if (k.type == ValueType::Integer && k.min) {
        t.append(" ≥ ").append(std::to_string(*k.min));
    } else if (k.type == ValueType::Integer && k.max) {
        t.append(" ≤ ").append(std::to_string(*k.max));
    }
    if (k.type == ValueType::String && (k.min || k.max)) {
        t.append(" of ").append(k.min ? std::to_string(*k.min) : std::string("0")).append("–");
        t.append(k.max ? std::to_string(*k.max) : std::string("any")).append(" characters");
    }
    if (!k.choices.empty()) {
        t.append(":");
        for (size_t i = 0; i < k.choices.size(); ++i) t.append(i ? ", `" : " `").append(k.choices[i]).append("`");
    }
    if (k.required) t.append(", required");
    if (k.secret) t.append(", secret");
    return t;
}

std::string defaultText(const KeySpec& k)
{
    if (!k.defaultValue) return k.required ? "(none: required)" : "(unset)";
    std::string text("`");
    return text.append(configformat::tomlValue(*k.defaultValue)).append("`");
}

} // namespace

std::string configReferenceTable(const ConfigSchema& schema)
{
    std::string out = "| key | type | default | meaning |\n| --- | --- | --- | --- |\n";
    for (const auto& k : schema.keys()) {
        out.append("| `").append(configformat::joinKey(schema.prefix(), k.key)).append("` | ");
        out.append(cell(typeText(k))).append(" | ").append(cell(defaultText(k))).append(" | ");
        out.append(cell(k.description)).append(" |\n");
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
            out.append("\n### Plugin `").append(name).append("`\n\n");
            out += schema.keys().empty() ? std::string("It declares no keys.\n") : configReferenceTable(schema);
        } catch (const std::invalid_argument& e) {
            skipped.push_back(name + ": " + e.what());
        }
    }
    return out;
}

} // namespace vtp::kernel
