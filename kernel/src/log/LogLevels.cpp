#include "log/LogLevels.hpp"

#include <algorithm>

namespace vtp::kernel {

const std::vector<std::string>& LogLevels::kernelComponents()
{
    static const std::vector<std::string> names{"config", "db",      "events",  "http",     "jobs", "kernel",
                                                "loader", "metrics", "openapi", "webhooks", "ws",   "ws.lws"};
    return names;
}

std::optional<std::pair<std::string, LogLevel>> LogLevels::parseEntry(std::string_view entry)
{
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    const std::string_view name = entry.substr(0, eq);
    if (!(name[0] >= 'a' && name[0] <= 'z') || !std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
        }))
        return std::nullopt;
    LogLevel level = LogLevel::Info;
    if (!parseLogLevel(entry.substr(eq + 1), level)) return std::nullopt;
    return std::make_pair(std::string(name), level);
}

LogLevels::LogLevels(Logger& log, LogLevel defaultLevel, std::function<std::vector<std::string>()> plugins)
    : log_(log), default_(defaultLevel), plugins_(std::move(plugins))
{
}

std::vector<std::string> LogLevels::configure(const std::vector<std::string>& entries)
{
    std::vector<std::string> bad;
    std::map<std::string, LogLevel> parsed;
    for (const auto& e : entries) {
        if (auto p = parseEntry(e))
            parsed[p->first] = p->second;
        else
            bad.push_back(e);
    }
    if (!bad.empty()) return bad;
    std::lock_guard lock(mutex_);
    for (const auto& [name, level] : parsed) {
        configured_[name] = level;
        if (!runtime_.count(name)) log_.setComponentLevel(name, level);
    }
    return {};
}

bool LogLevels::known(std::string_view component) const
{
    const auto& k = kernelComponents();
    if (std::find(k.begin(), k.end(), component) != k.end()) return true;
    if (!plugins_) return false;
    const auto names = plugins_();
    return std::find(names.begin(), names.end(), component) != names.end();
}

void LogLevels::set(const std::string& component, LogLevel level)
{
    std::lock_guard lock(mutex_);
    runtime_[component] = level;
    log_.setComponentLevel(component, level);
}

LogLevel LogLevels::reset(const std::string& component)
{
    std::lock_guard lock(mutex_);
    runtime_.erase(component);
    const auto it = configured_.find(component);
    const LogLevel level = it != configured_.end() ? it->second : default_;
    // The Logger keeps an override once set; one equal to the default behaves as none.
    log_.setComponentLevel(component, level);
    return level;
}

std::map<std::string, LogLevel> LogLevels::overrides() const
{
    std::lock_guard lock(mutex_);
    std::map<std::string, LogLevel> out = configured_;
    for (const auto& [k, v] : runtime_) out[k] = v;
    return out;
}

} // namespace vtp::kernel
