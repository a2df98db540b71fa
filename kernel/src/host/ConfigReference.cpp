#include "host/ConfigReference.hpp"

#include "config/ConfigFormat.hpp"
#include "config/ConfigWriters.hpp"
#include "host/KernelSchema.hpp"
#include "host/PluginSchema.hpp"
#include "loader/PluginLibrary.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

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
    // Choices the description already lists ("trace, debug, info...") are not repeated.
    const bool listed =
        std::all_of(k.choices.begin(), k.choices.end(), [&](const std::string& c) { return k.description.find(c) != std::string::npos; });
    if (!k.choices.empty() && !listed) {
        t.append(":");
        for (size_t i = 0; i < k.choices.size(); ++i) t.append(i ? ", `" : " `").append(k.choices[i]).append("`");
    }
    if (k.required) t.append(", required");
    if (k.secret) t.append(", secret");
    return t;
}

// The enabled plugins' schemas, in plugins.enabled order; those that cannot be opened go to `skipped`.
struct PluginKeys {
    std::string name;
    std::string description;
    ConfigSchema schema;
};

std::vector<PluginKeys> enabledPluginKeys(const Config& config, const std::string& configDir, std::vector<std::string>& skipped)
{
    std::vector<PluginKeys> out;
    std::filesystem::path dir(config.getString("plugins.dir"));
    if (dir.is_relative()) dir = std::filesystem::path(configDir) / dir;
    for (const auto& name : config.getStringArray("plugins.enabled")) {
        // The schema copies every string it keeps: the library is closed when `lib` goes.
        PluginLibrary lib = openPluginLibrary(dir.lexically_normal().string(), name);
        if (!lib.ok()) {
            skipped.push_back(name + ": " + lib.reason);
            continue;
        }
        try {
            out.push_back({name, lib.descriptor.description ? lib.descriptor.description : "", pluginSchema(lib.name, lib.configKeys)});
        } catch (const std::invalid_argument& e) {
            skipped.push_back(name + ": " + e.what());
        }
    }
    return out;
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
    std::string out = "### Kernel keys\n\n" + configReferenceTable(kernelSchema());
    for (const auto& plugin : enabledPluginKeys(config, configDir, skipped)) {
        out.append("\n### Plugin `").append(plugin.name).append("`\n\n");
        out += plugin.schema.keys().empty() ? std::string("It declares no keys.\n") : configReferenceTable(plugin.schema);
    }
    return out;
}

namespace {

constexpr size_t kCommentWidth = 100;

// "# "-prefixed lines of at most kCommentWidth characters, broken at spaces.
void appendComment(std::string& out, std::string_view text)
{
    std::istringstream words{std::string(text)};
    std::string line;
    for (std::string word; words >> word;) {
        if (!line.empty() && line.size() + 1 + word.size() + 2 > kCommentWidth) {
            out.append("# ").append(line).append("\n");
            line.clear();
        }
        line.append(line.empty() ? "" : " ").append(word);
    }
    if (!line.empty()) out.append("# ").append(line).append("\n");
}

std::string sentence(std::string text)
{
    if (!text.empty() && text.back() != '.') text += '.';
    return text;
}

// VTP_PLUGINS__AUTH__SMTP__PASSWORD for plugins.auth.smtp.password.
std::string environmentName(std::string_view key)
{
    std::string out = "VTP_";
    for (char c : key) {
        if (c == '.')
            out += "__";
        else
            out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    return out;
}

// What the value line does not show: limits, choices, required, secret.
std::string keyNotes(const KeySpec& k, const std::string& fullKey)
{
    std::string notes = sentence(k.description);
    const auto number = [](int64_t n) { return std::to_string(n); };
    if (k.min || k.max) {
        const std::string unit = k.type == ValueType::String ? " characters" : "";
        std::string range = k.min && k.max ? "From " + number(*k.min) + " to " + number(*k.max)
                            : k.min        ? "At least " + number(*k.min)
                                           : "At most " + number(*k.max);
        notes.append(" ").append(range).append(unit).append(".");
    }
    // Choices the description already lists ("trace, debug, info...") are not repeated.
    const bool listed =
        std::all_of(k.choices.begin(), k.choices.end(), [&](const std::string& c) { return k.description.find(c) != std::string::npos; });
    if (!k.choices.empty() && !listed) {
        notes.append(k.type == ValueType::StringArray ? " Items from: " : " One of: ");
        for (size_t i = 0; i < k.choices.size(); ++i) notes.append(i ? ", " : "").append(k.choices[i]);
        notes.append(".");
    }
    if (k.required) notes.append(" Required.");
    if (k.secret || configformat::looksSecret(fullKey))
        notes.append(" Secret: prefer the environment variable ").append(environmentName(fullKey)).append(" to writing it here.");
    if (!k.defaultValue && !k.required) notes.append(" Unset by default.");
    return notes;
}

std::string parentOf(const std::string& fullKey)
{
    const size_t dot = fullKey.rfind('.');
    return dot == std::string::npos ? std::string() : fullKey.substr(0, dot);
}

// One schema's keys as TOML tables, each key under its description. The tables come in the
// order of their first key; `lastTable` is printed after the others (the kernel's [plugins],
// which the plugins' own tables must follow).
void appendSchema(std::string& out, const Config& config, const ConfigSchema& schema, const std::string& lastTable = {})
{
    std::vector<std::pair<std::string, std::vector<const KeySpec*>>> tables;
    for (const KeySpec& k : schema.keys()) {
        const std::string table = parentOf(configformat::joinKey(schema.prefix(), k.key));
        auto it = std::find_if(tables.begin(), tables.end(), [&](const auto& t) { return t.first == table; });
        if (it == tables.end()) it = tables.insert(tables.end(), {table, {}});
        it->second.push_back(&k);
    }
    std::stable_partition(tables.begin(), tables.end(), [&](const auto& t) { return t.first != lastTable; });
    // A key outside any table would land in the table printed before it: print such keys first.
    std::stable_partition(tables.begin(), tables.end(), [](const auto& t) { return t.first.empty(); });
    for (const auto& [table, keys] : tables) {
        if (!table.empty()) out.append("\n[").append(table).append("]\n");
        for (const KeySpec* k : keys) {
            const std::string full = configformat::joinKey(schema.prefix(), k->key);
            const std::optional<ConfigValue> set = config.fileValue(full, k->type);
            const std::string name = configformat::tomlKey(full.substr(table.empty() ? 0 : table.size() + 1));
            if (k != keys.front() || table.empty()) out.append("\n");
            appendComment(out, keyNotes(*k, full));
            // On a line of its own, unwrapped: a packager may replace a path in it (plugins.dir).
            if (set && k->defaultValue && configformat::tomlValue(*set) != configformat::tomlValue(*k->defaultValue))
                out.append("# Default: ").append(configformat::tomlValue(*k->defaultValue)).append("\n");
            if (set)
                out.append(name).append(" = ").append(configformat::tomlValue(*set)).append("\n");
            else if (k->defaultValue)
                out.append("#").append(name).append(" = ").append(configformat::tomlValue(*k->defaultValue)).append("\n");
            else
                out.append("#").append(name).append(" =\n");
        }
    }
}

// The comment lines (and blank lines among them) the file starts with, without trailing blanks.
std::string openingComments(const std::string& path)
{
    std::ifstream in(path);
    std::string block, pending;
    for (std::string line; std::getline(in, line);) {
        const size_t first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos) {
            pending += "\n";
        } else if (line[first] == '#') {
            block.append(pending).append(line).append("\n");
            pending.clear();
        } else {
            break;
        }
    }
    return block;
}

} // namespace

std::string sampleConfig(Config& config, const std::string& configPath, const std::string& configDir, std::vector<std::string>& skipped)
{
    std::string out = openingComments(configPath);
    if (out.empty())
        out = "# vtpd configuration. Every key is listed under its description: the keys this file sets are\n"
              "# active, the others commented out at their defaults (#key = default).\n";
    appendSchema(out, config, kernelSchema(), "plugins");
    for (const auto& plugin : enabledPluginKeys(config, configDir, skipped)) {
        config.validatePlugin(plugin.name, plugin.schema);
        out.append("\n");
        appendComment(out, "Plugin " + plugin.name + (plugin.description.empty() ? "." : ": " + sentence(plugin.description)));
        std::string tables;
        appendSchema(tables, config, plugin.schema);
        // The plugin's own table follows its description directly, even when every key sits in a
        // sub-table.
        const std::string own = "\n[" + plugin.schema.prefix() + "]\n";
        if (tables.rfind(own, 0) == 0)
            tables.erase(0, 1);
        else
            out.append(own.substr(1));
        out.append(tables);
    }
    return out;
}

} // namespace vtp::kernel
