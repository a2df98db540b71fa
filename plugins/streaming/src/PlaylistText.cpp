#include "PlaylistText.hpp"

#include <cmath>
#include <cstdio>

namespace vtp::streaming::text {

std::string seconds(int64_t micros, int decimals)
{
    const bool negative = micros < 0;
    const uint64_t v = negative ? 0 - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
    std::string out = (negative ? "-" : "") + std::to_string(v / 1000000);
    if (decimals <= 0) return out;
    std::string frac = std::to_string(v % 1000000);
    frac.insert(0, 6 - frac.size(), '0');
    out += '.';
    out += frac.substr(0, static_cast<size_t>(decimals > 6 ? 6 : decimals));
    return out;
}

int64_t toMicros(double seconds)
{
    if (!std::isfinite(seconds)) return 0;
    return static_cast<int64_t>(std::llround(seconds * 1e6));
}

std::string isoUtc(int64_t ms)
{
    // Howard Hinnant's days-to-civil: exact for the proleptic Gregorian calendar, no locale, no tz.
    int64_t days = ms / 86400000;
    int64_t rest = ms % 86400000;
    if (rest < 0) rest += 86400000, --days;
    const int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y),
                  static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(rest / 3600000),
                  static_cast<long long>(rest / 60000 % 60), static_cast<long long>(rest / 1000 % 60), static_cast<long long>(rest % 1000));
    return buf;
}

std::string isoDuration(int64_t micros)
{
    std::string s = seconds(micros, 6);
    // Trailing zeros (and a bare point) carry nothing: PT4.000000S reads better as PT4S.
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return "PT" + s + "S";
}

bool hlsQuotable(std::string_view s)
{
    if (s.empty()) return false;
    for (const char c : s)
        if (c == '"' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    return true;
}

std::string xmlAttr(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out += c;
        }
    }
    return out;
}

} // namespace vtp::streaming::text
