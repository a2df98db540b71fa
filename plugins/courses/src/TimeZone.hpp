#pragma once

// IANA time zones from the system's tz database (Debian's tzdata, /usr/share/zoneinfo), read
// through Howard Hinnant's date library (libdate-tz). Terms store class times as local
// wall-clock times in their zone; this turns them into UTC instants.

#include <cstdint>
#include <memory>
#include <string>

namespace vtp::courses {

class TimeZone {
public:
    // The zone NAME from the tz database (cached, thread-safe); throws std::runtime_error for an
    // unknown or unreadable zone. "UTC" always works, even without tzdata.
    static std::shared_ptr<const TimeZone> load(const std::string& name);
    // Whether NAME is a zone of the tz database (at most 64 characters, no path tricks).
    static bool exists(const std::string& name);

    const std::string& name() const { return name_; }
    // Seconds east of UTC in force at the UTC instant `utc`.
    int offsetAt(int64_t utc) const;
    // The UTC instant of a local wall-clock time (given as seconds since 1970-01-01 00:00 local).
    // An ambiguous time (clocks going back) gives the earlier instant; a skipped one (clocks
    // going forward) is read with the offset before the jump, so 02:30 becomes 03:30 local.
    int64_t toUtc(int64_t localSeconds) const;
    int64_t toLocal(int64_t utc) const { return utc + offsetAt(utc); }

private:
    struct Zone; // the library's zone and the rule past its last listed transition
    TimeZone() = default;

    std::string name_;
    std::shared_ptr<const Zone> zone_; // null for UTC
};

} // namespace vtp::courses
