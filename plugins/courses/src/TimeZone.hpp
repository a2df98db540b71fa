#pragma once

// IANA time zones read from the system's zoneinfo files (TZif, RFC 8536), including the POSIX
// rule in the footer that governs instants after the last listed transition. Terms store class
// times as local wall-clock times in their zone; this turns them into UTC instants.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vtp::courses {

class TimeZone {
public:
    // The zone NAME from /usr/share/zoneinfo (cached, thread-safe); throws std::runtime_error for
    // an unknown or unreadable zone. "UTC" always works.
    static std::shared_ptr<const TimeZone> load(const std::string& name);
    // Parses TZif bytes (for tests).
    static std::shared_ptr<const TimeZone> fromTzif(const std::string& name, const std::string& bytes);

    const std::string& name() const { return name_; }
    // Seconds east of UTC in force at the UTC instant `utc`.
    int offsetAt(int64_t utc) const;
    // The UTC instant of a local wall-clock time (given as seconds since 1970-01-01 00:00 local).
    // An ambiguous time (clocks going back) gives the earlier instant; a skipped one (clocks
    // going forward) is read with the offset before the jump, so 02:30 becomes 03:30 local.
    int64_t toUtc(int64_t localSeconds) const;
    int64_t toLocal(int64_t utc) const { return utc + offsetAt(utc); }

private:
    struct Rule; // the POSIX TZ footer
    TimeZone() = default;
    int ruleOffset(int64_t utc) const;

    std::string name_;
    std::vector<int64_t> transitions_;
    std::vector<int> offsets_; // in force from transitions_[i]
    int initialOffset_ = 0;
    std::shared_ptr<const Rule> rule_;
};

} // namespace vtp::courses
