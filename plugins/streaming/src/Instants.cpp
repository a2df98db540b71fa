#include "Instants.hpp"

#include <charconv>
#include <chrono>

namespace vtp::streaming {

namespace {

std::optional<int> digits(std::string_view s, size_t at, size_t n)
{
    if (at + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

} // namespace

std::optional<Instant> parseInstant(std::string_view text)
{
    if (text.empty() || text.size() > 20) return std::nullopt;
    if (text.find('-') == std::string_view::npos) {
        int64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        // Up to the end of year 9999, as for dates.
        if (ec != std::errc() || end != text.data() + text.size() || v < 0 || v > 253402300799) return std::nullopt;
        return Instant{v, false};
    }
    const auto y = digits(text, 0, 4), m = digits(text, 5, 2), d = digits(text, 8, 2);
    if (!y || !m || !d || text[4] != '-' || text[7] != '-' || *y < 1970) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year(*y), std::chrono::month(static_cast<unsigned>(*m)),
                                          std::chrono::day(static_cast<unsigned>(*d))};
    if (!ymd.ok()) return std::nullopt;
    const int64_t midnight = std::chrono::sys_days(ymd).time_since_epoch().count() * 86400;
    if (text.size() == 10) return Instant{midnight, true};
    // YYYY-MM-DDTHH:MM:SSZ
    const auto hh = digits(text, 11, 2), mm = digits(text, 14, 2), ss = digits(text, 17, 2);
    if (text.size() != 20 || (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':' ||
        (text[19] != 'Z' && text[19] != 'z') || !hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 60)
        return std::nullopt;
    return Instant{midnight + *hh * 3600 + *mm * 60 + *ss, false};
}

} // namespace vtp::streaming
