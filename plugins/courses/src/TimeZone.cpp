#include "TimeZone.hpp"

#include "Util.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace vtp::courses {

// "CET-1CEST,M3.5.0,M10.5.0/3": standard and daylight offsets and the Mm.w.d days they start.
struct TimeZone::Rule {
    int stdOffset = 0; // seconds east of UTC
    bool hasDst = false;
    int dstOffset = 0;
    struct When {
        int month = 0, week = 0, weekday = 0; // Mm.w.d: weekday 0 = Sunday, week 5 = last
        int time = 7200;                      // seconds after local midnight
    } start, end;

    // The day number of rule date `w` in `year`.
    static int64_t day(const When& w, int year)
    {
        const int64_t first = daysFromCivil(year, w.month, 1);
        const int firstWeekday = isoWeekday(first) % 7; // 0 = Sunday
        int64_t d = first + (w.weekday - firstWeekday + 7) % 7 + 7 * (w.week - 1);
        const int nextMonthYear = w.month == 12 ? year + 1 : year;
        const int64_t nextMonth = daysFromCivil(nextMonthYear, w.month == 12 ? 1 : w.month + 1, 1);
        while (d >= nextMonth) d -= 7;
        return d;
    }
    int offsetAt(int64_t utc) const
    {
        if (!hasDst) return stdOffset;
        int y, m, d;
        civilFromDays((utc + stdOffset) / 86400 - ((utc + stdOffset) % 86400 < 0 ? 1 : 0), y, m, d);
        // Starts are given in standard local time, ends in daylight local time.
        const int64_t s = day(start, y) * 86400 + start.time - stdOffset;
        const int64_t e = day(end, y) * 86400 + end.time - dstOffset;
        const bool dst = s < e ? (utc >= s && utc < e) : !(utc >= e && utc < s);
        return dst ? dstOffset : stdOffset;
    }
};

namespace {

// Parses "[+-]hh[:mm[:ss]]" at s[i]; POSIX offsets are west-positive.
bool parseOffset(const std::string& s, size_t& i, int& seconds)
{
    int sign = 1;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
    int parts[3] = {0, 0, 0};
    for (int p = 0; p < 3; ++p) {
        if (p > 0) {
            if (i >= s.size() || s[i] != ':') break;
            ++i;
        }
        if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
        int v = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) v = v * 10 + (s[i++] - '0');
        parts[p] = v;
    }
    seconds = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return true;
}

bool parseName(const std::string& s, size_t& i)
{
    const size_t from = i;
    if (i < s.size() && s[i] == '<') {
        while (i < s.size() && s[i] != '>') ++i;
        if (i >= s.size()) return false;
        ++i;
        return true;
    }
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    return i - from >= 3;
}

bool parseWhen(const std::string& s, size_t& i, int& month, int& week, int& weekday, int& time)
{
    if (i >= s.size() || s[i] != 'M') return false; // Jn and n forms are not used by tzdata
    ++i;
    int* fields[3] = {&month, &week, &weekday};
    for (int f = 0; f < 3; ++f) {
        if (f > 0) {
            if (i >= s.size() || s[i] != '.') return false;
            ++i;
        }
        int v = 0;
        if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) v = v * 10 + (s[i++] - '0');
        *fields[f] = v;
    }
    time = 7200;
    if (i < s.size() && s[i] == '/') {
        ++i;
        if (!parseOffset(s, i, time)) return false;
    }
    return month >= 1 && month <= 12 && week >= 1 && week <= 5 && weekday >= 0 && weekday <= 6;
}

int64_t readBig(const std::string& b, size_t at, int bytes)
{
    if (at + static_cast<size_t>(bytes) > b.size()) throw std::runtime_error("truncated TZif data");
    uint64_t v = 0;
    for (int k = 0; k < bytes; ++k) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(k)]);
    if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
    return static_cast<int64_t>(v);
}

} // namespace

std::shared_ptr<const TimeZone> TimeZone::fromTzif(const std::string& name, const std::string& b)
{
    if (b.size() < 44 || b.compare(0, 4, "TZif") != 0) throw std::runtime_error("time zone " + name + ": not a TZif file");
    auto counts = [&](size_t at) {
        std::vector<int64_t> c;
        for (int k = 0; k < 6; ++k) c.push_back(readBig(b, at + 20 + static_cast<size_t>(k) * 4, 4));
        return c; // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    };
    auto c = counts(0);
    const size_t v1Size = static_cast<size_t>(c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
    size_t at = 44;
    int timeBytes = 4;
    if (b[4] >= '2') { // skip the 32-bit block, read the 64-bit one
        at = 44 + v1Size;
        c = counts(at);
        at += 44;
        timeBytes = 8;
    }
    const auto timecnt = static_cast<size_t>(c[3]), typecnt = static_cast<size_t>(c[4]);
    if (typecnt == 0 || typecnt > 256 || timecnt > 100000) throw std::runtime_error("time zone " + name + ": bad TZif counts");
    auto tz = std::shared_ptr<TimeZone>(new TimeZone());
    tz->name_ = name;
    std::vector<int64_t> times(timecnt);
    for (size_t k = 0; k < timecnt; ++k) times[k] = readBig(b, at + k * static_cast<size_t>(timeBytes), timeBytes);
    at += timecnt * static_cast<size_t>(timeBytes);
    std::vector<size_t> idx(timecnt);
    for (size_t k = 0; k < timecnt; ++k) {
        if (at + k >= b.size()) throw std::runtime_error("truncated TZif data");
        idx[k] = static_cast<unsigned char>(b[at + k]);
    }
    at += timecnt;
    std::vector<int> typeOffsets(typecnt);
    for (size_t k = 0; k < typecnt; ++k) typeOffsets[k] = static_cast<int>(readBig(b, at + k * 6, 4));
    at += typecnt * 6;
    for (size_t k = 0; k < timecnt; ++k) {
        if (idx[k] >= typecnt) throw std::runtime_error("time zone " + name + ": bad TZif type index");
        tz->transitions_.push_back(times[k]);
        tz->offsets_.push_back(typeOffsets[idx[k]]);
    }
    tz->initialOffset_ = typeOffsets[0];
    if (timeBytes == 8) {
        at += static_cast<size_t>(c[5] + c[2] * 12 + c[1] + c[0]);
        if (at < b.size() && b[at] == '\n') {
            const size_t endLine = b.find('\n', at + 1);
            const std::string footer = b.substr(at + 1, endLine == std::string::npos ? std::string::npos : endLine - at - 1);
            auto rule = std::make_shared<Rule>();
            size_t i = 0;
            int stdWest = 0;
            if (!footer.empty() && parseName(footer, i) && parseOffset(footer, i, stdWest)) {
                rule->stdOffset = -stdWest;
                bool ok = true;
                if (i < footer.size()) {
                    ok = parseName(footer, i);
                    rule->hasDst = ok;
                    rule->dstOffset = rule->stdOffset + 3600;
                    int dstWest = 0;
                    if (ok && i < footer.size() && footer[i] != ',') {
                        ok = parseOffset(footer, i, dstWest);
                        rule->dstOffset = -dstWest;
                    }
                    ok = ok && i < footer.size() && footer[i++] == ',' &&
                         parseWhen(footer, i, rule->start.month, rule->start.week, rule->start.weekday, rule->start.time) &&
                         i < footer.size() && footer[i++] == ',' &&
                         parseWhen(footer, i, rule->end.month, rule->end.week, rule->end.weekday, rule->end.time);
                }
                if (ok) tz->rule_ = rule;
            }
        }
    }
    return tz;
}

std::shared_ptr<const TimeZone> TimeZone::load(const std::string& name)
{
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const TimeZone>> cache;
    std::lock_guard lock(mutex);
    if (auto it = cache.find(name); it != cache.end()) return it->second;
    std::shared_ptr<const TimeZone> tz;
    if (name == "UTC") {
        auto utc = std::shared_ptr<TimeZone>(new TimeZone());
        utc->name_ = "UTC";
        tz = utc;
    } else {
        if (!isValidTimeZone(name)) throw std::runtime_error("unknown time zone '" + name + "'");
        std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
        std::ostringstream bytes;
        bytes << in.rdbuf();
        if (!in) throw std::runtime_error("cannot read time zone '" + name + "'");
        tz = fromTzif(name, bytes.str());
    }
    cache.emplace(name, tz);
    return tz;
}

int TimeZone::ruleOffset(int64_t utc) const { return rule_->offsetAt(utc); }

int TimeZone::offsetAt(int64_t utc) const
{
    if (transitions_.empty() || utc < transitions_.front()) {
        if (transitions_.empty() && rule_) return ruleOffset(utc);
        return initialOffset_;
    }
    if (utc >= transitions_.back() && rule_) return ruleOffset(utc);
    const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
    return offsets_[static_cast<size_t>(it - transitions_.begin()) - 1];
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
