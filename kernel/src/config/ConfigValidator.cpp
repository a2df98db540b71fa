#include "config/ConfigValidator.hpp"

#include "config/ConfigFormat.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

namespace vtp::kernel::configformat {

namespace {

constexpr int kMaxDepth = 32;
constexpr size_t kMaxSuggestDistance = 2;

int position(toml::source_index index)
{
    return index > static_cast<toml::source_index>(INT_MAX) ? INT_MAX : static_cast<int>(index);
}

bool isPlainSegment(std::string_view segment)
{
    return !segment.empty() && segment.find('.') == std::string_view::npos;
}

std::string boundsText(std::string_view what, const KeySpec& spec)
{
    std::string out(what);
    if (spec.min && spec.max) return out + " between " + std::to_string(*spec.min) + " and " + std::to_string(*spec.max);
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
        if (bounded && ((spec.min && *i < *spec.min) || (spec.max && *i > *spec.max))) return boundsText("integer", spec);
    } else if (auto* d = std::get_if<double>(&value)) {
        if (bounded &&
            (std::isnan(*d) || (spec.min && *d < static_cast<double>(*spec.min)) || (spec.max && *d > static_cast<double>(*spec.max))))
            return boundsText("number", spec);
    } else if (auto* s = std::get_if<std::string>(&value)) {
        const auto length = static_cast<int64_t>(utf8Length(*s));
        if (bounded && ((spec.min && length < *spec.min) || (spec.max && length > *spec.max))) return boundsText("string of length", spec);
        if (!isChoice(spec, *s)) return choicesText(spec);
    } else if (auto* a = std::get_if<std::vector<std::string>>(&value)) {
        for (const std::string& item : *a)
            if (!isChoice(spec, item)) return "array whose items are " + choicesText(spec);
    }
    return std::nullopt;
}

} // namespace

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

void Validator::walk(const toml::table& table, const std::string& relPrefix, int depth)
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

void Validator::checkOverrides()
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

void Validator::fillSpecs()
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
            if (auto* i = std::get_if<int64_t>(&value); i && spec.type == ValueType::Float) value = static_cast<double>(*i);
            values_[full] = std::move(value);
        } else if (spec.required) {
            issues_.push_back({file_, 0, 0, full, std::string(valueTypeName(spec.type)), "nothing (the key is required)"});
        }
    }
}

void Validator::addIssue(const toml::node& node, const std::string& rel, std::string expected, std::string found)
{
    addIssueAt(node.source(), rel, std::move(expected), std::move(found));
}

void Validator::addIssueAt(const toml::source_region& source, const std::string& rel, std::string expected, std::string found)
{
    const auto& begin = source.begin;
    issues_.push_back(
        {file_, position(begin.line), position(begin.column), joinKey(fullPrefix_, rel), std::move(expected), std::move(found)});
}

void Validator::walkPlugins(const toml::node& node, int depth)
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

void Validator::descend(const toml::node& node, const std::string& rel, int depth)
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

void Validator::checkFileValue(const toml::node& node, const KeySpec& spec, const std::string& rel)
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

void Validator::checkOverrideValue(const Override& override, const KeySpec& spec, const std::string& full, bool secret)
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

void Validator::unknownKey(const toml::key& key, const std::string& rel, const std::string& segment, const std::string& relPrefix)
{
    std::string found = "unknown key";
    if (auto near = nearest(segment, siblings(relPrefix))) found += " (did you mean '" + *near + "'?)";
    addIssueAt(key.source(), rel, "a known key", found);
}

bool Validator::declaresTable(const std::string& rel) const
{
    const std::string prefix = rel + ".";
    return std::any_of(schema_.keys().begin(), schema_.keys().end(),
                       [&](const KeySpec& k) { return k.key.compare(0, prefix.size(), prefix) == 0; });
}

bool Validator::isPluginKey(const std::string& key) const
{
    static const std::string prefix = "plugins.";
    return key.compare(0, prefix.size(), prefix) == 0 && key.find('.', prefix.size()) != std::string::npos &&
           !declaresTable(key.substr(0, key.find('.', prefix.size())));
}

std::vector<std::string> Validator::siblings(const std::string& relPrefix) const
{
    std::vector<std::string> names;
    const std::string prefix = relPrefix.empty() ? std::string() : relPrefix + ".";
    for (const KeySpec& k : schema_.keys())
        if (k.key.compare(0, prefix.size(), prefix) == 0)
            names.push_back(k.key.substr(prefix.size(), k.key.find('.', prefix.size()) - prefix.size()));
    if (kernel_ && relPrefix.empty()) names.emplace_back("plugins");
    return names;
}

std::vector<std::string> Validator::allKeys() const
{
    std::vector<std::string> names;
    for (const KeySpec& k : schema_.keys()) names.push_back(k.key);
    return names;
}

std::optional<std::string> Validator::nearest(const std::string& word, const std::vector<std::string>& candidates)
{
    std::optional<std::string> best;
    size_t bestDistance = kMaxSuggestDistance + 1;
    for (const std::string& candidate : candidates) {
        const size_t gap = word.size() > candidate.size() ? word.size() - candidate.size() : candidate.size() - word.size();
        if (gap > kMaxSuggestDistance || candidate == word) continue;
        const size_t distance = editDistance(word, candidate);
        if (distance < bestDistance) {
            bestDistance = distance;
            best = candidate;
        }
    }
    return best;
}

} // namespace vtp::kernel::configformat
