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

namespace {

// The length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0.
size_t utf8Length(std::string_view text, size_t i)
{
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = 0;
    unsigned cp = 0;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (i + n > text.size()) return 0;
    for (size_t k = 1; k < n; ++k) {
        const auto cc = static_cast<unsigned char>(text[i + k]);
        if ((cc & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

} // namespace

bool isUtf8(std::string_view text)
{
    for (size_t i = 0; i < text.size();) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        const size_t n = utf8Length(text, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

void appendJsonEscaped(std::string& out, std::string_view text)
{
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 0xF];
            } else if (c < 0x80) {
                out += ch;
            } else if (const size_t n = utf8Length(text, i)) {
                out.append(text.substr(i, n));
                i += n - 1;
            } else {
                // Client text (a decoded path, a header) need not be UTF-8; JSON must be.
                out += "\\ufffd";
            }
        }
    }
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
