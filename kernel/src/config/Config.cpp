#include "config/Config.hpp"

#include "config/ConfigFormat.hpp"
#include "config/TomlParse.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <set>
#include <system_error>
#include <tuple>

namespace vtp::kernel {

using namespace configformat;

namespace {

// Bounds what an operator (or the fuzzer) can make the parser chew on.
constexpr size_t kMaxFileBytes = 1024 * 1024;
constexpr int kMaxDepth = 32;
constexpr size_t kMaxSuggestDistance = 2;
const std::string kEnvironment = "environment";
const std::string kMasked = "********";

struct Override {
    std::string envName;
    std::string value;
};
using Overrides = std::map<std::string, Override, std::less<>>;

int position(toml::source_index index)
{
    return index > static_cast<toml::source_index>(INT_MAX) ? INT_MAX : static_cast<int>(index);
}

std::string lowerAscii(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string_view trim(std::string_view text)
{
    const size_t begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return {};
    const size_t end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
}

bool isPlainSegment(std::string_view segment)
{
    return !segment.empty() && segment.find('.') == std::string_view::npos;
}

std::string describeNode(const toml::node& node, bool secret)
{
    switch (node.type()) {
    case toml::node_type::string: return describeValue(node.as_string()->get(), secret);
    case toml::node_type::integer: return describeValue(node.as_integer()->get(), secret);
    case toml::node_type::floating_point: return describeValue(node.as_floating_point()->get(), secret);
    case toml::node_type::boolean: return describeValue(node.as_boolean()->get(), secret);
    case toml::node_type::array: return "array";
    case toml::node_type::table: return "table";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    case toml::node_type::none: break;
    }
    return "nothing";
}

// Reads a TOML node as `type` without checking a schema's limits; nullopt if it is another type.
std::optional<ConfigValue> valueFromNode(const toml::node& node, ValueType type)
{
    switch (type) {
    case ValueType::String:
        if (auto* s = node.as_string()) return ConfigValue(s->get());
        break;
    case ValueType::Integer:
        if (auto* i = node.as_integer()) return ConfigValue(i->get());
        break;
    case ValueType::Float:
        if (auto* f = node.as_floating_point()) return ConfigValue(f->get());
        if (auto* i = node.as_integer()) return ConfigValue(static_cast<double>(i->get()));
        break;
    case ValueType::Boolean:
        if (auto* b = node.as_boolean()) return ConfigValue(b->get());
        break;
    case ValueType::StringArray:
        if (auto* a = node.as_array()) {
            std::vector<std::string> items;
            for (const toml::node& item : *a) {
                auto* s = item.as_string();
                if (!s) return std::nullopt;
                items.push_back(s->get());
            }
            return ConfigValue(std::move(items));
        }
        break;
    }
    return std::nullopt;
}

// Reads an environment value as `type`; nullopt if it does not parse.
std::optional<ConfigValue> valueFromText(std::string_view raw, ValueType type)
{
    const std::string_view text = trim(raw);
    switch (type) {
    case ValueType::String:
        return ConfigValue(std::string(raw));
    case ValueType::Integer: {
        const std::string_view digits = !text.empty() && text[0] == '+' ? text.substr(1) : text;
        int64_t value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
        return ConfigValue(value);
    }
    case ValueType::Float: {
        const std::string_view digits = !text.empty() && text[0] == '+' ? text.substr(1) : text;
        double value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
        return ConfigValue(value);
    }
    case ValueType::Boolean: {
        const std::string word = lowerAscii(text);
        if (word == "true" || word == "1" || word == "yes") return ConfigValue(true);
        if (word == "false" || word == "0" || word == "no") return ConfigValue(false);
        return std::nullopt;
    }
    case ValueType::StringArray: {
        if (!text.empty() && text[0] == '[') {
            const auto parsed = parseToml("v = " + std::string(text), kEnvironment);
            const toml::table* doc = std::get_if<toml::table>(&parsed);
            const toml::node* node = doc ? doc->get("v") : nullptr;
            if (!node || doc->size() != 1) return std::nullopt;
            return valueFromNode(*node, ValueType::StringArray);
        }
        std::vector<std::string> items;
        size_t start = 0;
        while (start <= text.size()) {
            size_t comma = text.find(',', start);
            if (comma == std::string_view::npos) comma = text.size();
            const std::string_view item = trim(text.substr(start, comma - start));
            if (!item.empty()) items.emplace_back(item);
            start = comma + 1;
        }
        return ConfigValue(std::move(items));
    }
    }
    return std::nullopt;
}

std::string boundsText(std::string_view what, const KeySpec& spec)
{
    std::string out(what);
    if (spec.min && spec.max)
        return out + " between " + std::to_string(*spec.min) + " and " + std::to_string(*spec.max);
    if (spec.min) return out + " of at least " + std::to_string(*spec.min);
    return out + " of at most " + std::to_string(*spec.max);
}

std::string choicesText(const KeySpec& spec)
{
    std::string out = "one of: ";
    for (size_t i = 0; i < spec.choices.size(); ++i) {
        if (i) out += ", ";
        out += spec.choices[i];
    }
    return out;
}

bool isChoice(const KeySpec& spec, const std::string& value)
{
    return spec.choices.empty() || std::find(spec.choices.begin(), spec.choices.end(), value) != spec.choices.end();
}

// What the value should have been when it breaks the spec's limits; nullopt when it is fine.
std::optional<std::string> limitViolation(const ConfigValue& value, const KeySpec& spec)
{
    const bool bounded = spec.min || spec.max;
    if (auto* i = std::get_if<int64_t>(&value)) {
        if (bounded && ((spec.min && *i < *spec.min) || (spec.max && *i > *spec.max)))
            return boundsText("integer", spec);
    } else if (auto* d = std::get_if<double>(&value)) {
        if (bounded && (std::isnan(*d) || (spec.min && *d < static_cast<double>(*spec.min)) ||
                        (spec.max && *d > static_cast<double>(*spec.max))))
            return boundsText("number", spec);
    } else if (auto* s = std::get_if<std::string>(&value)) {
        const auto length = static_cast<int64_t>(utf8Length(*s));
        if (bounded && ((spec.min && length < *spec.min) || (spec.max && length > *spec.max)))
            return boundsText("string of length", spec);
        if (!isChoice(spec, *s)) return choicesText(spec);
    } else if (auto* a = std::get_if<std::vector<std::string>>(&value)) {
        for (const std::string& item : *a)
            if (!isChoice(spec, item)) return "array whose items are " + choicesText(spec);
    }
    return std::nullopt;
}

// Checks one table (the kernel's keys, or one plugin's) against its schema, collecting every issue.
class Validator {
public:
    Validator(const std::string& file, const ConfigSchema& schema, std::string fullPrefix, bool kernel,
              const Overrides& overrides)
        : file_(file), schema_(schema), fullPrefix_(std::move(fullPrefix)), kernel_(kernel), overrides_(overrides)
    {
    }

    void walk(const toml::table& table, const std::string& relPrefix, int depth)
    {
        for (auto&& [k, node] : table) {
            const std::string segment(k.str());
            const std::string rel = joinKey(relPrefix, segment);
            if (kernel_ && relPrefix.empty() && segment == "plugins") {
                walkPlugins(node, depth + 1);
                continue;
            }
            const KeySpec* spec = isPlainSegment(segment) ? schema_.find(rel) : nullptr;
            if (spec) {
                checkFileValue(node, *spec, rel);
            } else if (isPlainSegment(segment) && declaresTable(rel)) {
                descend(node, rel, depth);
            } else {
                unknownKey(k, rel, segment, relPrefix);
            }
        }
    }

    void checkOverrides()
    {
        for (const auto& [key, override] : overrides_) {
            std::string rel;
            if (kernel_) {
                if (schema_.find(key) || isPluginKey(key)) continue;
                rel = key;
            } else {
                const std::string prefix = fullPrefix_ + ".";
                if (key.compare(0, prefix.size(), prefix) != 0) continue;
                rel = key.substr(prefix.size());
                if (schema_.find(rel)) continue;
            }
            std::string found = "unknown key set by " + override.envName;
            if (auto near = nearest(rel, allKeys())) found += " (did you mean '" + joinKey(fullPrefix_, *near) + "'?)";
            issues_.push_back({kEnvironment, 0, 0, key, "a known key", found});
        }
    }

    void fillSpecs()
    {
        for (const KeySpec& spec : schema_.keys()) {
            const std::string full = joinKey(fullPrefix_, spec.key);
            const bool secret = spec.secret || looksSecret(full);
            if (secret) secrets_.insert(full);
            if (auto it = overrides_.find(full); it != overrides_.end()) {
                checkOverrideValue(it->second, spec, full, secret);
            } else if (seen_.count(spec.key)) {
                continue;
            } else if (spec.defaultValue) {
                ConfigValue value = *spec.defaultValue;
                if (auto* i = std::get_if<int64_t>(&value); i && spec.type == ValueType::Float)
                    value = static_cast<double>(*i);
                values_[full] = std::move(value);
            } else if (spec.required) {
                issues_.push_back({file_, 0, 0, full, std::string(valueTypeName(spec.type)),
                                   "nothing (the key is required)"});
            }
        }
    }

    std::vector<ConfigIssue>& issues() { return issues_; }
    std::map<std::string, ConfigValue>& values() { return values_; }
    const std::set<std::string>& secrets() const { return secrets_; }

    void addIssue(const toml::node& node, const std::string& rel, std::string expected, std::string found)
    {
        addIssueAt(node.source(), rel, std::move(expected), std::move(found));
    }

    void addIssueAt(const toml::source_region& source, const std::string& rel, std::string expected,
                    std::string found)
    {
        const auto& begin = source.begin;
        issues_.push_back({file_, position(begin.line), position(begin.column), joinKey(fullPrefix_, rel),
                           std::move(expected), std::move(found)});
    }

private:
    void walkPlugins(const toml::node& node, int depth)
    {
        const toml::table* table = node.as_table();
        if (!table) {
            addIssue(node, "plugins", "table", describeNode(node, false));
            return;
        }
        for (auto&& [k, child] : *table) {
            const std::string segment(k.str());
            const std::string rel = "plugins." + segment;
            const KeySpec* spec = isPlainSegment(segment) ? schema_.find(rel) : nullptr;
            if (spec)
                checkFileValue(child, *spec, rel);
            else if (isPlainSegment(segment) && declaresTable(rel))
                descend(child, rel, depth);
            else if (!child.is_table())
                unknownKey(k, rel, segment, "plugins");
            // Any other sub-table is a plugin's own and is checked by validatePlugin.
        }
    }

    void descend(const toml::node& node, const std::string& rel, int depth)
    {
        if (const toml::table* table = node.as_table()) {
            if (depth >= kMaxDepth)
                addIssue(node, rel, "tables nested at most " + std::to_string(kMaxDepth) + " deep", "deeper nesting");
            else
                walk(*table, rel, depth + 1);
        } else {
            addIssue(node, rel, "table", describeNode(node, false));
        }
    }

    void checkFileValue(const toml::node& node, const KeySpec& spec, const std::string& rel)
    {
        seen_.insert(rel);
        const std::string full = joinKey(fullPrefix_, rel);
        // The override replaces the file's value, so the file's value is not judged.
        if (overrides_.count(full)) return;
        const bool secret = spec.secret || looksSecret(full);
        std::optional<ConfigValue> value = valueFromNode(node, spec.type);
        if (!value) {
            const toml::node* bad = &node;
            std::string found = describeNode(node, secret);
            if (const toml::array* array = node.as_array(); array && spec.type == ValueType::StringArray) {
                for (const toml::node& item : *array) {
                    if (!item.is_string()) {
                        bad = &item;
                        found = "array containing " + describeNode(item, secret);
                        break;
                    }
                }
            }
            addIssue(*bad, rel, std::string(valueTypeName(spec.type)), found);
            return;
        }
        if (auto expected = limitViolation(*value, spec)) {
            addIssue(node, rel, *expected, describeValue(*value, secret));
            return;
        }
        values_[full] = std::move(*value);
    }

    void checkOverrideValue(const Override& override, const KeySpec& spec, const std::string& full, bool secret)
    {
        const std::string shown = override.envName + "=" + (secret ? "(hidden)" : quoteForMessage(override.value));
        if (!isValidUtf8(override.value)) {
            issues_.push_back({kEnvironment, 0, 0, full, "UTF-8 text", override.envName + " with invalid UTF-8"});
            return;
        }
        std::optional<ConfigValue> value = valueFromText(override.value, spec.type);
        if (!value) {
            issues_.push_back({kEnvironment, 0, 0, full, std::string(valueTypeName(spec.type)), shown});
            return;
        }
        if (auto expected = limitViolation(*value, spec)) {
            issues_.push_back({kEnvironment, 0, 0, full, *expected, shown});
            return;
        }
        values_[full] = std::move(*value);
    }

    void unknownKey(const toml::key& key, const std::string& rel, const std::string& segment,
                    const std::string& relPrefix)
    {
        std::string found = "unknown key";
        if (auto near = nearest(segment, siblings(relPrefix))) found += " (did you mean '" + *near + "'?)";
        addIssueAt(key.source(), rel, "a known key", found);
    }

    bool declaresTable(const std::string& rel) const
    {
        const std::string prefix = rel + ".";
        return std::any_of(schema_.keys().begin(), schema_.keys().end(),
                           [&](const KeySpec& k) { return k.key.compare(0, prefix.size(), prefix) == 0; });
    }

    // "plugins.NAME.KEY": belongs to a plugin's schema, unless the kernel declares it.
    bool isPluginKey(const std::string& key) const
    {
        static const std::string prefix = "plugins.";
        return key.compare(0, prefix.size(), prefix) == 0 && key.find('.', prefix.size()) != std::string::npos &&
               !declaresTable(key.substr(0, key.find('.', prefix.size())));
    }

    // The names declared directly inside relPrefix, to suggest one for a misspelt key.
    std::vector<std::string> siblings(const std::string& relPrefix) const
    {
        std::vector<std::string> names;
        const std::string prefix = relPrefix.empty() ? std::string() : relPrefix + ".";
        for (const KeySpec& k : schema_.keys())
            if (k.key.compare(0, prefix.size(), prefix) == 0)
                names.push_back(k.key.substr(prefix.size(), k.key.find('.', prefix.size()) - prefix.size()));
        if (kernel_ && relPrefix.empty()) names.emplace_back("plugins");
        return names;
    }

    std::vector<std::string> allKeys() const
    {
        std::vector<std::string> names;
        for (const KeySpec& k : schema_.keys()) names.push_back(k.key);
        return names;
    }

    static std::optional<std::string> nearest(const std::string& word, const std::vector<std::string>& candidates)
    {
        std::optional<std::string> best;
        size_t bestDistance = kMaxSuggestDistance + 1;
        for (const std::string& candidate : candidates) {
            const size_t gap = word.size() > candidate.size() ? word.size() - candidate.size()
                                                               : candidate.size() - word.size();
            if (gap > kMaxSuggestDistance || candidate == word) continue;
            const size_t distance = editDistance(word, candidate);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = candidate;
            }
        }
        return best;
    }

    const std::string& file_;
    const ConfigSchema& schema_;
    std::string fullPrefix_;
    bool kernel_;
    const Overrides& overrides_;
    std::vector<ConfigIssue> issues_;
    std::map<std::string, ConfigValue> values_;
    std::set<std::string> seen_;
    std::set<std::string> secrets_;
};

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

ConfigError::ConfigError(std::vector<ConfigIssue> issues)
    : std::runtime_error(joinIssues(issues)), issues_(std::move(issues))
{
}

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
        return std::invalid_argument("config key '" + std::string(key) + "' is not a " +
                                     std::string(valueTypeName(type)));
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
    if (std::ferror(file.get()))
        fail("a readable TOML file", std::error_code(errno, std::generic_category()).message());
    return parse(text, path, env);
}

Config Config::parse(std::string_view text, const std::string& sourceName,
                     const std::map<std::string, std::string>& env)
{
    Config config;
    Impl& impl = *config.impl_;
    impl.sourceName = sourceName;
    std::vector<ConfigIssue> issues;
    if (text.size() > kMaxFileBytes) {
        issues.push_back({sourceName, 0, 0, "", "a TOML file of at most 1 MiB",
                          "a file of " + std::to_string(text.size()) + " bytes"});
    } else {
        auto parsed = parseToml(text, sourceName);
        if (auto* root = std::get_if<toml::table>(&parsed))
            impl.root = std::move(*root);
        else if (auto* problem = std::get_if<TomlProblem>(&parsed))
            issues.push_back({sourceName, problem->line, problem->column, "", problem->expected, problem->found});
    }

    static const std::string envPrefix = "VTP_";
    for (const auto& [name, value] : env) {
        if (name.compare(0, envPrefix.size(), envPrefix) != 0 || name.find("__") == std::string::npos) continue;
        const std::string rest = name.substr(envPrefix.size());
        std::string key;
        bool wellFormed = true;
        size_t start = 0;
        for (;;) {
            const size_t sep = rest.find("__", start);
            const std::string part = rest.substr(start, sep == std::string::npos ? std::string::npos : sep - start);
            wellFormed = wellFormed && !part.empty();
            key = joinKey(key, lowerAscii(part));
            if (sep == std::string::npos) break;
            start = sep + 2;
        }
        if (!wellFormed) {
            issues.push_back({kEnvironment, 0, 0, name, "VTP_TABLE__KEY with no empty part", "variable " + name});
        } else if (auto [it, added] = impl.overrides.try_emplace(key, Override{name, value}); !added) {
            issues.push_back({kEnvironment, 0, 0, key, "one variable per key",
                              "both " + it->second.envName + " and " + name});
        }
    }
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
    if (!impl_->validatedPlugins.count(name))
        throw std::logic_error("pluginJson('" + name + "') called before validatePlugin");
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

extern char** environ;

namespace vtp::kernel {

std::map<std::string, std::string> Config::processEnvironment()
{
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        const std::string_view kv(*e);
        const auto eq = kv.find('=');
        if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
    return env;
}

} // namespace vtp::kernel
