#include "log/Logger.hpp"

#include <chrono>
#include <ctime>

namespace vtp::kernel {

namespace {
constexpr std::string_view kLevelNames[] = {"trace", "debug", "info", "warn", "error", "off"};

void appendTimestamp(std::string& out)
{
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto secs = system_clock::to_time_t(now);
    const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    out.append(buf, n);
    char ms[8];
    std::snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(millis));
    out.append(ms);
}
} // namespace

bool parseLogLevel(std::string_view text, LogLevel& out)
{
    for (size_t i = 0; i < std::size(kLevelNames); ++i) {
        if (kLevelNames[i] == text) {
            out = static_cast<LogLevel>(i);
            return true;
        }
    }
    return false;
}

std::string_view logLevelName(LogLevel level)
{
    return kLevelNames[static_cast<size_t>(level)];
}

Logger::Logger(std::FILE* sink) : sink_(sink) {}

void Logger::setComponentLevel(const std::string& component, LogLevel level)
{
    std::lock_guard lock(mutex_);
    componentLevels_[component] = level;
}

bool Logger::enabled(LogLevel level, std::string_view component) const
{
    {
        std::lock_guard lock(mutex_);
        if (auto it = componentLevels_.find(component); it != componentLevels_.end()) return level >= it->second && level != LogLevel::Off;
    }
    return level >= level_.load() && level != LogLevel::Off;
}

void Logger::log(LogLevel level, std::string_view component, std::string_view message, std::initializer_list<LogField> fields)
{
    logFields(level, component, message, fields.begin(), fields.size());
}

void Logger::logFields(LogLevel level, std::string_view component, std::string_view message, const LogField* fields, size_t count)
{
    if (!enabled(level, component)) return;
    std::string line;
    line.reserve(128 + message.size());
    line += "{\"ts\":\"";
    appendTimestamp(line);
    line += "\",\"level\":\"";
    line += logLevelName(level);
    line += "\",\"component\":\"";
    appendJsonEscaped(line, component);
    line += "\",\"msg\":\"";
    appendJsonEscaped(line, message);
    line += '"';
    for (size_t i = 0; i < count; ++i) {
        line += ",\"";
        appendJsonEscaped(line, fields[i].first);
        line += "\":\"";
        appendJsonEscaped(line, fields[i].second);
        line += '"';
    }
    line += "}\n";
    std::lock_guard lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), sink_);
    std::fflush(sink_);
}

} // namespace vtp::kernel
