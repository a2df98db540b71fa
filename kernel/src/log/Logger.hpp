#pragma once

#include "vtp/json_string.hpp"

#include <atomic>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace vtp::kernel {

enum class LogLevel { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Off = 5 };

// Parses "trace".."error"/"off"; returns false for anything else.
bool parseLogLevel(std::string_view text, LogLevel& out);
std::string_view logLevelName(LogLevel level);

using LogField = std::pair<std::string_view, std::string_view>;

// Writes one JSON object per line: {"ts","level","component","msg", ...fields}.
// Thread-safe. Callers must never pass secrets as fields or message text.
class Logger {
public:
    explicit Logger(std::FILE* sink = stderr);

    void log(LogLevel level, std::string_view component, std::string_view message, std::initializer_list<LogField> fields = {});
    void logFields(LogLevel level, std::string_view component, std::string_view message, const LogField* fields, size_t count);

    void trace(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::Trace, c, m, f); }
    void debug(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::Debug, c, m, f); }
    void info(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::Info, c, m, f); }
    void warn(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::Warn, c, m, f); }
    void error(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::Error, c, m, f); }

    // Default level, and per-component overrides (a plugin's name is its component).
    void setLevel(LogLevel level) { level_.store(level); }
    void setComponentLevel(const std::string& component, LogLevel level);
    bool enabled(LogLevel level, std::string_view component) const;

private:
    std::FILE* sink_;
    std::atomic<LogLevel> level_{LogLevel::Info};
    mutable std::mutex mutex_;
    std::map<std::string, LogLevel, std::less<>> componentLevels_;
};

// Appends `text` to `out` as the body of a JSON string (no quotes), escaping as JSON.stringify
// does; bytes that are not well-formed UTF-8 (client text often is not) become U+FFFD. The SDK's.
using vtp::appendJsonEscaped;
// Whether `text` is well-formed UTF-8 (RFC 3629).
inline bool isUtf8(std::string_view text)
{
    return vtp::utf8::valid(text);
}

} // namespace vtp::kernel
