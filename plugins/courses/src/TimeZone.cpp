#include "TimeZone.hpp"

#include <date/tz.h>
// date 3.0.1's ptz.h names hh_mm_ss unqualified under both `using namespace date` and
// `using namespace std::chrono`, which C++20 makes ambiguous; a declaration in Posix wins.
namespace Posix {
using date::hh_mm_ss;
}
#include <date/ptz.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace vtp::courses {

namespace {

constexpr const char* kZoneInfo = "/usr/share/zoneinfo/";

date::sys_seconds at(int64_t utc)
{
    return date::sys_seconds{std::chrono::seconds{utc}};
}

// "[+-]h[:mm[:ss]]" as seconds, or nothing.
std::optional<int> parseRuleTime(std::string_view s)
{
    int sign = 1;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        sign = s[0] == '-' ? -1 : 1;
        s.remove_prefix(1);
    }
    int parts[3] = {0, 0, 0}, n = 0;
    while (n < 3) {
        size_t digits = 0;
        int v = 0;
        while (digits < s.size() && digits < 3 && s[digits] >= '0' && s[digits] <= '9') v = v * 10 + (s[digits++] - '0');
        if (digits == 0) return std::nullopt;
        parts[n++] = v;
        s.remove_prefix(digits);
        if (s.empty()) break;
        if (s[0] != ':') return std::nullopt;
        s.remove_prefix(1);
    }
    if (!s.empty()) return std::nullopt;
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
}

// date 3.0.1's Posix parser takes rule times of 0 to 24 hours only, where RFC 8536 allows -167 to
// 167 (America/Nuuk: "<-02>2<-01>,M3.5.0/-1,M10.5.0/0"). Moving both times later by whole hours
// moves every transition by as much, so the moved rule asked `shift` seconds later answers alike.
struct ShiftedRule {
    std::string text;
    int64_t shift = 0;
};
ShiftedRule shiftNegativeRuleTimes(const std::string& rule)
{
    const size_t startAt = rule.find(',');
    const size_t endAt = startAt == std::string::npos ? std::string::npos : rule.find(',', startAt + 1);
    if (endAt == std::string::npos) return {rule, 0};
    std::string dates[2] = {rule.substr(startAt + 1, endAt - startAt - 1), rule.substr(endAt + 1)};
    int times[2] = {7200, 7200}; // POSIX: 02:00 when a rule names no time
    for (int k = 0; k < 2; ++k) {
        if (const size_t slash = dates[k].find('/'); slash != std::string::npos) {
            const auto t = parseRuleTime(std::string_view(dates[k]).substr(slash + 1));
            if (!t) return {rule, 0};
            times[k] = *t;
            dates[k].resize(slash);
        }
    }
    const int lowest = std::min(times[0], times[1]);
    if (lowest >= 0) return {rule, 0};
    const int hours = (-lowest + 3599) / 3600;
    std::string text = rule.substr(0, startAt);
    for (int k = 0; k < 2; ++k) {
        const int t = times[k] + hours * 3600;
        text += "," + dates[k] + "/" + std::to_string(t / 3600) + ":" + std::to_string(t / 60 % 60) + ":" + std::to_string(t % 60);
    }
    return {text, int64_t{hours} * 3600};
}

// The POSIX TZ rule (RFC 8536 section 3.3) on the last line of a version 2+ zone file: it governs
// instants after the last listed transition, which date 3.0.1 with the system database does not
// read (Debian's files list transitions only up to 2037). Nothing when the file has no footer
// or a rule the library cannot parse: then the offset of the last transition stays in force.
std::optional<std::pair<Posix::time_zone, int64_t>> footerRule(const std::string& name)
{
    std::ifstream in(kZoneInfo + name, std::ios::binary);
    char head[5] = {};
    if (!in.read(head, 5) || std::string_view(head, 4) != "TZif" || head[4] < '2') return std::nullopt;
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    const std::streamoff tail = std::min<std::streamoff>(size, 256); // a rule is a few dozen bytes
    std::string bytes(static_cast<size_t>(tail), '\0');
    in.seekg(size - tail);
    if (!in.read(bytes.data(), tail) || bytes.size() < 2 || bytes.back() != '\n') return std::nullopt;
    const size_t from = bytes.rfind('\n', bytes.size() - 2);
    if (from == std::string::npos) return std::nullopt;
    const std::string rule = bytes.substr(from + 1, bytes.size() - from - 2);
    if (rule.empty()) return std::nullopt;
    try {
        const ShiftedRule shifted = shiftNegativeRuleTimes(rule);
        return std::make_pair(Posix::time_zone(shifted.text), shifted.shift);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

} // namespace

struct TimeZone::Zone {
    const date::time_zone* zone = nullptr; // owned by the library's database, never freed
    std::optional<Posix::time_zone> rule;
    int64_t ruleShift = 0;      // seconds to add to an instant before asking `rule`
    int64_t lastTransition = 0; // from here on `rule` applies, when there is one
};

bool TimeZone::exists(const std::string& name)
{
    static const std::regex re("^[A-Za-z][A-Za-z0-9_+\\-]*(/[A-Za-z0-9_+\\-]+){0,2}$");
    if (name == "UTC") return true;
    if (name.size() > 64 || !std::regex_match(name, re)) return false;
    try {
        return date::locate_zone(name) != nullptr;
    } catch (const std::exception&) {
        return false;
    }
}

std::shared_ptr<const TimeZone> TimeZone::load(const std::string& name)
{
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const TimeZone>> cache;
    std::lock_guard lock(mutex);
    if (auto it = cache.find(name); it != cache.end()) return it->second;
    auto tz = std::shared_ptr<TimeZone>(new TimeZone());
    tz->name_ = name;
    if (name != "UTC") {
        if (!exists(name)) throw std::runtime_error("unknown time zone '" + name + "'");
        auto zone = std::make_shared<Zone>();
        try {
            zone->zone = date::locate_zone(name);
            const auto last = zone->zone->get_info(date::sys_days{date::year{9999} / 1 / 1}).begin;
            zone->lastTransition = last.time_since_epoch().count();
        } catch (const std::exception& e) {
            throw std::runtime_error("cannot read time zone '" + name + "': " + e.what());
        }
        if (auto rule = footerRule(name)) {
            zone->rule = std::move(rule->first);
            zone->ruleShift = rule->second;
        }
        tz->zone_ = zone;
    }
    cache.emplace(name, tz);
    return tz;
}

int TimeZone::offsetAt(int64_t utc) const
{
    if (!zone_) return 0;
    const auto info =
        zone_->rule && utc >= zone_->lastTransition ? zone_->rule->get_info(at(utc + zone_->ruleShift)) : zone_->zone->get_info(at(utc));
    return static_cast<int>(info.offset.count());
}

int64_t TimeZone::toUtc(int64_t local) const
{
    const int before = offsetAt(local - 86400);
    const int after = offsetAt(local + 86400);
    const int first = std::max(before, after), second = std::min(before, after);
    if (offsetAt(local - first) == first) return local - first;
    if (offsetAt(local - second) == second) return local - second;
    return local - before;
}

} // namespace vtp::courses
