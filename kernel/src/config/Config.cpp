#include "config/Config.hpp"

#include "config/ConfigFormat.hpp"
#include "config/ConfigOverrides.hpp"
#include "config/ConfigValidator.hpp"
#include "config/ConfigWriters.hpp"
#include "config/TomlParse.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <set>
#include <system_error>
#include <tuple>

namespace vtp::kernel {

using namespace configformat;

namespace {

// Bounds what an operator (or the fuzzer) can make the parser chew on.
constexpr size_t kMaxFileBytes = 1024 * 1024;
const std::string kMasked = "********";

void throwIfAny(std::vector<ConfigIssue> issues)
{
    if (issues.empty()) return;
    // Positioned issues in file order first; those without a position (missing keys, environment) after.
    std::stable_sort(issues.begin(), issues.end(), [](const ConfigIssue& a, const ConfigIssue& b) {
        const bool aPlaced = a.line > 0, bPlaced = b.line > 0;
        if (aPlaced != bPlaced) return aPlaced;
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    throw ConfigError(std::move(issues));
}

std::string joinIssues(const std::vector<ConfigIssue>& issues)
{
    std::string out;
    for (size_t i = 0; i < issues.size(); ++i) {
        if (i) out += '\n';
        out += issues[i].format();
    }
    return out;
}

} // namespace

std::string ConfigIssue::format() const
{
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += ": ";
    if (!key.empty()) out += "key '" + key + "': ";
    return out + "expected " + expected + ", found " + found;
}

ConfigError::ConfigError(std::vector<ConfigIssue> issues) : std::runtime_error(joinIssues(issues)), issues_(std::move(issues)) {}

struct Config::Impl {
    std::string sourceName;
    toml::table root;
    Overrides overrides;
    std::map<std::string, ConfigValue, std::less<>> values;
    std::set<std::string, std::less<>> secrets;
    // Keys each validation filled ("" = kernel, else the plugin's name), replaced when it runs again.
    std::map<std::string, std::vector<std::string>> owned;
    std::set<std::string, std::less<>> validatedPlugins;

    void commit(const std::string& owner, Validator& validator)
    {
        for (const std::string& key : owned[owner]) {
            values.erase(key);
            secrets.erase(key);
        }
        std::vector<std::string>& keys = owned[owner];
        keys.clear();
        for (auto& [key, value] : validator.values()) {
            keys.push_back(key);
            values[key] = std::move(value);
        }
        for (const std::string& key : validator.secrets()) {
            secrets.insert(key);
            keys.push_back(key);
        }
    }

    const toml::node* fileNode(std::string_view key) const
    {
        const toml::node* node = &root;
        for (const std::string& segment : splitKey(key)) {
            const toml::table* table = node->as_table();
            if (!table) return nullptr;
            node = table->get(segment);
            if (!node) return nullptr;
        }
        return node->is_table() ? nullptr : node;
    }

    // The effective value: validated, else an override's or the file's raw value read as `type`.
    ConfigValue lookup(std::string_view key, ValueType type) const
    {
        if (auto it = values.find(key); it != values.end()) return it->second;
        std::optional<ConfigValue> value;
        if (auto it = overrides.find(key); it != overrides.end())
            value = valueFromText(it->second.value, type);
        else if (const toml::node* node = fileNode(key))
            value = valueFromNode(*node, type);
        else
            throw std::out_of_range("config key '" + std::string(key) + "' is not set");
        if (!value) throw wrongType(key, type);
        return *value;
    }

    template <typename T>
    T get(std::string_view key, ValueType type) const
    {
        ConfigValue value = lookup(key, type);
        if (auto* i = std::get_if<int64_t>(&value); i && type == ValueType::Float) value = static_cast<double>(*i);
        if (auto* typed = std::get_if<T>(&value)) return std::move(*typed);
        throw wrongType(key, type);
    }

    static std::invalid_argument wrongType(std::string_view key, ValueType type)
    {
        return std::invalid_argument("config key '" + std::string(key) + "' is not a " + std::string(valueTypeName(type)));
    }
};

Config Config::load(const std::string& path, const std::map<std::string, std::string>& env)
{
    const auto fail = [&](std::string expected, std::string found) {
        throw ConfigError({ConfigIssue{path, 0, 0, "", std::move(expected), std::move(found)}});
    };
    struct Closer {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
    if (!file) fail("a readable TOML file", std::error_code(errno, std::generic_category()).message());
    std::string text;
    char buffer[65536];
    size_t count = 0;
    while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
        text.append(buffer, count);
        if (text.size() > kMaxFileBytes)
            fail("a TOML file of at most 1 MiB", "a file of more than " + std::to_string(kMaxFileBytes) + " bytes");
    }
    if (std::ferror(file.get())) fail("a readable TOML file", std::error_code(errno, std::generic_category()).message());
    return parse(text, path, env);
}

Config Config::parse(std::string_view text, const std::string& sourceName, const std::map<std::string, std::string>& env)
{
    Config config;
    Impl& impl = *config.impl_;
    impl.sourceName = sourceName;
    std::vector<ConfigIssue> issues;
    if (text.size() > kMaxFileBytes) {
        issues.push_back({sourceName, 0, 0, "", "a TOML file of at most 1 MiB", "a file of " + std::to_string(text.size()) + " bytes"});
    } else {
        auto parsed = parseToml(text, sourceName);
        if (auto* root = std::get_if<toml::table>(&parsed))
            impl.root = std::move(*root);
        else if (auto* problem = std::get_if<TomlProblem>(&parsed))
            issues.push_back({sourceName, problem->line, problem->column, "", problem->expected, problem->found});
    }

    readOverrides(env, impl.overrides, issues);
    throwIfAny(std::move(issues));
    return config;
}

Config::Config() : impl_(std::make_unique<Impl>()) {}
Config::~Config() = default;
Config::Config(Config&&) noexcept = default;
Config& Config::operator=(Config&&) noexcept = default;

void Config::validateKernel(const ConfigSchema& schema)
{
    Validator validator(impl_->sourceName, schema, "", true, impl_->overrides);
    validator.walk(impl_->root, "", 0);
    validator.checkOverrides();
    validator.fillSpecs();
    throwIfAny(std::move(validator.issues()));
    impl_->commit("", validator);
}

void Config::validatePlugin(const std::string& name, const ConfigSchema& schema)
{
    const std::string prefix = "plugins." + name;
    Validator validator(impl_->sourceName, schema, prefix, false, impl_->overrides);
    const toml::table* plugins = impl_->root.get_as<toml::table>("plugins");
    if (const toml::node* node = plugins ? plugins->get(name) : nullptr) {
        if (const toml::table* table = node->as_table())
            validator.walk(*table, "", 1);
        else
            validator.addIssue(*node, "", "table", describeNode(*node, false));
    }
    validator.checkOverrides();
    validator.fillSpecs();
    throwIfAny(std::move(validator.issues()));
    impl_->commit(name, validator);
    impl_->validatedPlugins.insert(name);
}

bool Config::has(std::string_view key) const
{
    return impl_->values.count(key) || impl_->overrides.count(key) || impl_->fileNode(key);
}

std::string Config::getString(std::string_view key) const
{
    return impl_->get<std::string>(key, ValueType::String);
}

int64_t Config::getInt(std::string_view key) const
{
    return impl_->get<int64_t>(key, ValueType::Integer);
}

double Config::getFloat(std::string_view key) const
{
    return impl_->get<double>(key, ValueType::Float);
}

bool Config::getBool(std::string_view key) const
{
    return impl_->get<bool>(key, ValueType::Boolean);
}

std::vector<std::string> Config::getStringArray(std::string_view key) const
{
    return impl_->get<std::vector<std::string>>(key, ValueType::StringArray);
}

std::optional<ConfigValue> Config::fileValue(std::string_view key, ValueType type) const
{
    const toml::node* node = impl_->fileNode(key);
    return node ? valueFromNode(*node, type) : std::nullopt;
}

std::vector<std::string> Config::pluginTables() const
{
    std::set<std::string> names;
    if (const toml::table* plugins = impl_->root.get_as<toml::table>("plugins"))
        for (auto&& [k, node] : *plugins)
            if (node.is_table()) names.emplace(k.str());
    static const std::string prefix = "plugins.";
    for (const auto& [key, override] : impl_->overrides) {
        const size_t dot = key.find('.', prefix.size());
        if (key.compare(0, prefix.size(), prefix) == 0 && dot != std::string::npos)
            names.insert(key.substr(prefix.size(), dot - prefix.size()));
    }
    return {names.begin(), names.end()};
}

std::string Config::pluginJson(const std::string& name) const
{
    if (!impl_->validatedPlugins.count(name)) throw std::logic_error("pluginJson('" + name + "') called before validatePlugin");
    const std::string prefix = "plugins." + name + ".";
    ValueTree tree;
    // Secrets stay unmasked here: the plugin needs them to work.
    for (auto it = impl_->values.lower_bound(prefix); it != impl_->values.end(); ++it) {
        if (it->first.compare(0, prefix.size(), prefix) != 0) break;
        tree.insert(splitKey(std::string_view(it->first).substr(prefix.size())), it->second);
    }
    return tree.toJson();
}

std::string Config::effectiveToml() const
{
    ValueTree tree;
    for (const auto& [key, value] : impl_->values) {
        ConfigValue shown = value;
        if (impl_->secrets.count(key)) {
            shown = kMasked;
        } else if (auto* s = std::get_if<std::string>(&shown)) {
            *s = maskUrlPassword(*s);
        } else if (auto* a = std::get_if<std::vector<std::string>>(&shown)) {
            for (std::string& item : *a) item = maskUrlPassword(item);
        }
        tree.insert(splitKey(key), std::move(shown));
    }
    return "# Effective configuration; secrets are masked.\n" + tree.toToml();
}

const std::string& Config::sourceName() const
{
    return impl_->sourceName;
}

} // namespace vtp::kernel
