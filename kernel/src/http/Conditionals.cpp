#include "http/Conditionals.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <vector>

namespace vtp::kernel {

namespace {

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
// A client may send this many range-specs; more and the header is ignored (RFC 9110 14.2 allows
// ignoring a Range with many small ranges).
constexpr size_t kMaxRanges = 100;

bool isOws(char c)
{
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && isOws(s.front())) s.remove_prefix(1);
    while (!s.empty() && isOws(s.back())) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

bool allDigits(std::string_view s)
{
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// 1*DIGIT; a value past uint64_t saturates (a position that far is past any file's end).
uint64_t toNumber(std::string_view digits)
{
    uint64_t v = 0;
    for (char c : digits) {
        const uint64_t d = static_cast<uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return UINT64_MAX;
        v = v * 10 + d;
    }
    return v;
}

// Exactly n digits at s[pos]; -1 otherwise.
int fixedNumber(std::string_view s, size_t pos, size_t n)
{
    if (pos + n > s.size()) return -1;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int monthIndex(std::string_view s)
{
    for (size_t i = 0; i < kMonths.size(); ++i)
        if (s == kMonths[i]) return static_cast<int>(i);
    return -1;
}

// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool leapYear(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

std::optional<int64_t> assemble(int year, int month, int day, int hour, int minute, int second)
{
    static constexpr int kDaysIn[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 0 || month > 11 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60)
        return std::nullopt;
    if (day > kDaysIn[month] + (month == 1 && leapYear(year) ? 1 : 0)) return std::nullopt;
    return daysFromCivil(year, static_cast<unsigned>(month + 1), static_cast<unsigned>(day)) * 86400 + hour * 3600 + minute * 60 + second;
}

// "HH:MM:SS" at s[pos].
bool timeOfDay(std::string_view s, size_t pos, int& h, int& m, int& sec)
{
    if (pos + 8 > s.size() || s[pos + 2] != ':' || s[pos + 5] != ':') return false;
    h = fixedNumber(s, pos, 2);
    m = fixedNumber(s, pos + 3, 2);
    sec = fixedNumber(s, pos + 6, 2);
    return h >= 0 && m >= 0 && sec >= 0;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<int64_t> imfFixdate(std::string_view s)
{
    if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[25] != ' ' ||
        s.substr(26) != "GMT")
        return std::nullopt;
    bool dayName = false;
    for (auto d : kDays) dayName = dayName || s.substr(0, 3) == d;
    int h, m, sec;
    const int day = fixedNumber(s, 5, 2), year = fixedNumber(s, 12, 4);
    if (!dayName || day < 0 || year < 0 || !timeOfDay(s, 17, h, m, sec)) return std::nullopt;
    return assemble(year, monthIndex(s.substr(8, 3)), day, h, m, sec);
}

// RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year is the latest such year that is
// not more than 50 years ahead (RFC 9110 5.6.7).
std::optional<int64_t> rfc850Date(std::string_view s)
{
    const size_t comma = s.find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    bool dayName = false;
    for (auto d : kLongDays) dayName = dayName || s.substr(0, comma) == d;
    const std::string_view rest = s.substr(comma);
    if (!dayName || rest.size() != 24 || rest[1] != ' ' || rest[4] != '-' || rest[8] != '-' || rest[11] != ' ' || rest[20] != ' ' ||
        rest.substr(21) != "GMT")
        return std::nullopt;
    int h, m, sec;
    const int day = fixedNumber(rest, 2, 2), yy = fixedNumber(rest, 9, 2);
    if (day < 0 || yy < 0 || !timeOfDay(rest, 12, h, m, sec)) return std::nullopt;
    const time_t now = ::time(nullptr);
    struct tm utc {};
    ::gmtime_r(&now, &utc);
    const int thisYear = utc.tm_year + 1900;
    int year = thisYear - thisYear % 100 + yy;
    if (year > thisYear + 50) year -= 100;
    return assemble(year, monthIndex(rest.substr(5, 3)), day, h, m, sec);
}

// asctime: "Sun Nov  6 08:49:37 1994" (the day padded with a space).
std::optional<int64_t> asctimeDate(std::string_view s)
{
    if (s.size() != 24 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ') return std::nullopt;
    bool dayName = false;
    for (auto d : kDays) dayName = dayName || s.substr(0, 3) == d;
    const int day = s[8] == ' ' ? fixedNumber(s, 9, 1) : fixedNumber(s, 8, 2);
    int h, m, sec;
    const int year = fixedNumber(s, 20, 4);
    if (!dayName || day < 0 || year < 0 || !timeOfDay(s, 11, h, m, sec)) return std::nullopt;
    return assemble(year, monthIndex(s.substr(4, 3)), day, h, m, sec);
}

struct EntityTag {
    bool weak = false;
    std::string_view opaque; // with its quotes
};

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, at s[pos]; advances pos past it.
bool readEntityTag(std::string_view s, size_t& pos, EntityTag& out)
{
    size_t i = pos;
    out.weak = false;
    if (s.substr(i, 2) == "W/") {
        out.weak = true;
        i += 2;
    }
    if (i >= s.size() || s[i] != '"') return false;
    const size_t open = i++;
    while (i < s.size() && s[i] != '"') {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x21 || c == 0x7f) return false; // etagc = %x21 / %x23-7E / obs-text
        ++i;
    }
    if (i >= s.size()) return false;
    out.opaque = s.substr(open, i - open + 1);
    pos = i + 1;
    return true;
}

} // namespace

RangeVerdict parseRange(std::string_view header, uint64_t size, ByteRange& out)
{
    header = trim(header);
    const size_t eq = header.find('=');
    if (eq == std::string_view::npos || !iequals(trim(header.substr(0, eq)), "bytes")) return RangeVerdict::Ignore;
    std::string_view set = header.substr(eq + 1);
    size_t specs = 0, satisfiable = 0;
    bool suffixOnEmpty = false;
    ByteRange single;
    while (true) {
        const size_t comma = set.find(',');
        const std::string_view spec = trim(set.substr(0, comma));
        if (!spec.empty()) { // a list may hold empty elements (RFC 9110 5.6.1.2)
            if (++specs > kMaxRanges) return RangeVerdict::Ignore;
            const size_t dash = spec.find('-');
            if (dash == std::string_view::npos) return RangeVerdict::Ignore;
            const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
            if (a.empty()) { // suffix-range: the last b bytes
                if (!allDigits(b)) return RangeVerdict::Ignore;
                const uint64_t n = toNumber(b);
                if (n > 0 && size == 0) suffixOnEmpty = true;
                if (n > 0 && size > 0) {
                    ++satisfiable;
                    single = {size - std::min(n, size), size - 1};
                }
            } else {
                if (!allDigits(a) || (!b.empty() && !allDigits(b))) return RangeVerdict::Ignore;
                const uint64_t first = toNumber(a);
                const uint64_t last = b.empty() ? UINT64_MAX : toNumber(b);
                if (last < first) return RangeVerdict::Ignore; // an invalid range-spec
                if (first < size) {
                    ++satisfiable;
                    single = {first, std::min(last, size - 1)};
                }
            }
        }
        if (comma == std::string_view::npos) break;
        set.remove_prefix(comma + 1);
    }
    if (specs == 0) return RangeVerdict::Ignore;
    // An empty representation has no bytes to name in a Content-Range: its whole (nothing) is the answer.
    if (suffixOnEmpty) return RangeVerdict::Ignore;
    if (satisfiable == 0) return RangeVerdict::Unsatisfiable;
    if (specs > 1) return RangeVerdict::Multiple;
    out = single;
    return RangeVerdict::Single;
}

std::optional<int64_t> parseHttpDate(std::string_view text)
{
    text = trim(text);
    if (text.size() < 24 || text.size() > 40) return std::nullopt;
    if (text[3] == ',') return imfFixdate(text);
    if (text[3] == ' ') return asctimeDate(text);
    return rfc850Date(text);
}

std::string formatHttpDate(int64_t seconds)
{
    const auto t = static_cast<time_t>(seconds);
    struct tm utc {};
    if (!::gmtime_r(&t, &utc) || utc.tm_year + 1900 > 9999 || utc.tm_year + 1900 < 0) return "Thu, 01 Jan 1970 00:00:00 GMT";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[static_cast<size_t>(utc.tm_wday)].data(), utc.tm_mday,
                  kMonths[static_cast<size_t>(utc.tm_mon)].data(), utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
    return buf;
}

bool etagListMatches(std::string_view list, std::string_view etag, bool strong)
{
    EntityTag current;
    size_t at = 0;
    if (!readEntityTag(etag, at, current) || at != etag.size()) return false;
    list = trim(list);
    if (list == "*") return true;
    size_t pos = 0;
    bool matched = false, any = false;
    while (pos < list.size()) {
        while (pos < list.size() && (isOws(list[pos]) || list[pos] == ',')) ++pos;
        if (pos >= list.size()) break;
        EntityTag tag;
        if (!readEntityTag(list, pos, tag)) return false; // malformed: matches nothing
        any = true;
        while (pos < list.size() && isOws(list[pos])) ++pos;
        if (pos < list.size() && list[pos] != ',') return false;
        if (tag.opaque == current.opaque && (!strong || (!tag.weak && !current.weak))) matched = true;
    }
    return any && matched;
}

} // namespace vtp::kernel
