#pragma once

#include "log/Logger.hpp"

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::kernel {

// Per-component log levels: the ones configured in log.components ("hello=debug") and the
// ones changed at runtime through the admin route. A component is a plugin's name or one of
// the kernel's (kernelComponents()). Thread-safe.
class LogLevels {
public:
    // The kernel's own log components.
    static const std::vector<std::string>& kernelComponents();
    // "name=level" -> {name, level}; nullopt if malformed (name [a-z][a-z0-9_.]*, a known level).
    static std::optional<std::pair<std::string, LogLevel>> parseEntry(std::string_view entry);

    // `defaultLevel` is log.level (the level of components without an override);
    // `plugins` names the plugins the kernel loaded (called when a component is checked).
    LogLevels(Logger& log, LogLevel defaultLevel, std::function<std::vector<std::string>()> plugins);

    // Applies log.components. Returns the entries it could not parse (nothing is applied then).
    std::vector<std::string> configure(const std::vector<std::string>& entries);

    // A kernel component or a loaded plugin.
    bool known(std::string_view component) const;
    // A runtime change; lasts until reset() or a restart.
    void set(const std::string& component, LogLevel level);
    // Back to the configured level (log.components) or the default. Returns the level now in effect.
    LogLevel reset(const std::string& component);

    LogLevel defaultLevel() const { return default_; }
    // Components whose level differs from the default's rule: configured or changed at runtime.
    std::map<std::string, LogLevel> overrides() const;

private:
    Logger& log_;
    LogLevel default_;
    std::function<std::vector<std::string>()> plugins_;
    mutable std::mutex mutex_;
    std::map<std::string, LogLevel> configured_, runtime_;
};

} // namespace vtp::kernel
