#pragma once

// The `from` and `to` query arguments of the QoE reports: Unix seconds ("1767225600"), a day
// ("2026-01-01", UTC midnight) or an instant ("2026-01-01T09:30:00Z", UTC only). Pure.

#include <cstdint>
#include <optional>
#include <string_view>

namespace vtp::streaming {

struct Instant {
    int64_t seconds = 0; // Unix seconds
    bool day = false;    // given as a day: a `to` day includes that whole day
};

// Nothing when the text is none of the three forms or out of the years 1970..9999.
std::optional<Instant> parseInstant(std::string_view text);

} // namespace vtp::streaming
