#include "config/ConfigWriters.hpp"

#include "config/ConfigFormat.hpp"
#include "log/Logger.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <type_traits>

namespace vtp::kernel::configformat {

namespace {

std::string jsonString(std::string_view text)
{
    std::string out = "\"";
    appendJsonEscaped(out, text);
    return out + '"';
}

} // namespace

std::string tomlString(std::string_view text)
{
    std::string out = "\"";
    uint32_t cp = 0;
    for (size_t i = 0; i < text.size();) {
        const size_t begin = i;
        if (!nextCodePoint(text, i, cp)) {
            // TOML text must be UTF-8: an undecodable byte becomes U+FFFD rather than invalid output.
            appendUnicodeEscape(out, 0xFFFD);
            continue;
        }
        switch (cp) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\f': out += "\\f"; break;
        case '\r': out += "\\r"; break;
        default:
            if (cp < 0x20 || cp == 0x7F)
                appendUnicodeEscape(out, cp);
            else
                out.append(text.substr(begin, i - begin));
        }
    }
    return out + '"';
}

std::string tomlKey(std::string_view key)
{
    const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    return bare ? std::string(key) : tomlString(key);
}

std::string tomlFloat(double value)
{
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buf[64];
    const auto result = std::to_chars(buf, buf + sizeof buf, value);
    std::string out(buf, result.ptr);
    if (out.find_first_of(".eE") == std::string::npos) out += ".0";
    return out;
}

std::string tomlValue(const ConfigValue& value)
{
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>)
                return tomlString(v);
            else if constexpr (std::is_same_v<T, int64_t>)
                return std::to_string(v);
            else if constexpr (std::is_same_v<T, double>)
                return tomlFloat(v);
            else if constexpr (std::is_same_v<T, bool>)
                return v ? "true" : "false";
            else
                return arrayText(v, tomlString);
        },
        value);
}

std::string jsonValue(const ConfigValue& value)
{
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>) {
                return jsonString(v);
            } else if constexpr (std::is_same_v<T, int64_t>) {
                return std::to_string(v);
            } else if constexpr (std::is_same_v<T, double>) {
                // JSON has no NaN or infinity.
                if (!std::isfinite(v)) return "null";
                char buf[64];
                const auto result = std::to_chars(buf, buf + sizeof buf, v);
                return std::string(buf, result.ptr);
            } else if constexpr (std::is_same_v<T, bool>) {
                return v ? "true" : "false";
            } else {
                std::string out = "[";
                for (size_t i = 0; i < v.size(); ++i) {
                    if (i) out += ',';
                    out += jsonString(v[i]);
                }
                return out + "]";
            }
        },
        value);
}

bool ValueTree::insert(const std::vector<std::string>& path, ConfigValue value)
{
    if (path.empty()) return false;
    ValueTree* node = this;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
        if (node->values_.count(path[i])) return false;
        auto& child = node->children_[path[i]];
        if (!child) child = std::make_unique<ValueTree>();
        node = child.get();
    }
    const std::string& last = path.back();
    if (node->values_.count(last) || node->children_.count(last)) return false;
    node->values_.emplace(last, std::move(value));
    return true;
}

std::string ValueTree::toToml() const
{
    std::string out;
    for (const auto& [key, value] : values_) out += tomlKey(key) + " = " + tomlValue(value) + "\n";
    std::vector<std::string> path;
    appendTomlTables(out, path);
    return out;
}

void ValueTree::appendTomlTables(std::string& out, std::vector<std::string>& path) const
{
    for (const auto& [name, child] : children_) {
        path.push_back(name);
        // A table with only sub-tables needs no header: [a.b] creates [a] implicitly.
        if (!child->values_.empty()) {
            out += "\n[";
            for (size_t i = 0; i < path.size(); ++i) {
                if (i) out += '.';
                out += tomlKey(path[i]);
            }
            out += "]\n";
            for (const auto& [key, value] : child->values_) out += tomlKey(key) + " = " + tomlValue(value) + "\n";
        }
        child->appendTomlTables(out, path);
        path.pop_back();
    }
}

std::string ValueTree::toJson() const
{
    std::string out;
    appendJson(out);
    return out;
}

void ValueTree::appendJson(std::string& out) const
{
    out += '{';
    bool first = true;
    for (const auto& [key, value] : values_) {
        if (!first) out += ',';
        first = false;
        out += jsonString(key) + ':' + jsonValue(value);
    }
    for (const auto& [name, child] : children_) {
        if (!first) out += ',';
        first = false;
        out += jsonString(name) + ':';
        child->appendJson(out);
    }
    out += '}';
}

} // namespace vtp::kernel::configformat
