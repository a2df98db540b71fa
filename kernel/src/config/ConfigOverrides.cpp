#include "config/ConfigOverrides.hpp"

#include "config/ConfigFormat.hpp"
#include "config/ConfigValidator.hpp"
#include "config/TomlParse.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <system_error>

extern char** environ;

namespace vtp::kernel {

namespace configformat {

namespace {

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

} // namespace

void readOverrides(const std::map<std::string, std::string>& env, Overrides& overrides, std::vector<ConfigIssue>& issues)
{
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
        } else if (auto [it, added] = overrides.try_emplace(key, Override{name, value}); !added) {
            issues.push_back({kEnvironment, 0, 0, key, "one variable per key", "both " + it->second.envName + " and " + name});
        }
    }
}

std::optional<ConfigValue> valueFromText(std::string_view raw, ValueType type)
{
    const std::string_view text = trim(raw);
    switch (type) {
    case ValueType::String: return ConfigValue(std::string(raw));
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

} // namespace configformat

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
