#include "Schedule.hpp"

#include "Dates.hpp"

#include <algorithm>

namespace vtp::courses {

std::vector<PlannedSession> expandPatterns(const std::vector<MeetingPattern>& patterns, int64_t termStart, int64_t termEnd,
                                           const std::set<int64_t>& holidays)
{
    std::vector<PlannedSession> out;
    for (int64_t day = termStart; day <= termEnd; ++day) {
        if (holidays.count(day)) continue;
        const int weekday = isoWeekday(day);
        for (const auto& p : patterns)
            if (p.weekday == weekday) out.push_back({p.id, day, p.start, p.end, p.roomId, p.recorded});
    }
    std::stable_sort(out.begin(), out.end(), [](const PlannedSession& a, const PlannedSession& b) {
        return a.date != b.date ? a.date < b.date : a.start < b.start;
    });
    return out;
}

std::string icalEscape(const std::string& text)
{
    std::string out;
    for (char c : text) {
        if (c == '\\' || c == ';' || c == ',') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            continue;
        } else {
            out += c;
        }
    }
    return out;
}

namespace {

std::string utcStamp(int64_t t)
{
    const int64_t days = (t >= 0 ? t : t - 86399) / 86400;
    const int64_t secs = t - days * 86400;
    int y, m, d;
    civilFromDays(days, y, m, d);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", y, m, d, static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                  static_cast<int>(secs % 60));
    return buf;
}

// Folds a content line at 75 octets without splitting a UTF-8 sequence.
void addLine(std::string& out, const std::string& line)
{
    size_t pos = 0;
    size_t room = 75;
    while (line.size() - pos > room) {
        size_t cut = pos + room;
        while (cut > pos && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
        out.append(line, pos, cut - pos);
        out += "\r\n ";
        pos = cut;
        room = 74; // the leading space counts
    }
    out.append(line, pos, std::string::npos);
    out += "\r\n";
}

} // namespace

std::string writeICalendar(const std::string& calendarName, const std::vector<CalendarEvent>& events, int64_t stampUtc)
{
    std::string out;
    addLine(out, "BEGIN:VCALENDAR");
    addLine(out, "VERSION:2.0");
    addLine(out, "PRODID:-//VTP//courses//EN");
    addLine(out, "CALSCALE:GREGORIAN");
    addLine(out, "METHOD:PUBLISH");
    addLine(out, "X-WR-CALNAME:" + icalEscape(calendarName));
    addLine(out, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    addLine(out, "X-PUBLISHED-TTL:PT1H");
    const std::string stamp = utcStamp(stampUtc);
    for (const auto& e : events) {
        addLine(out, "BEGIN:VEVENT");
        addLine(out, "UID:" + e.uid);
        addLine(out, "DTSTAMP:" + stamp);
        addLine(out, "DTSTART:" + utcStamp(e.startUtc));
        addLine(out, "DTEND:" + utcStamp(e.endUtc));
        addLine(out, "SEQUENCE:" + std::to_string(e.sequence));
        addLine(out, "SUMMARY:" + icalEscape(e.summary));
        if (!e.description.empty()) addLine(out, "DESCRIPTION:" + icalEscape(e.description));
        if (!e.location.empty()) addLine(out, "LOCATION:" + icalEscape(e.location));
        addLine(out, std::string("STATUS:") + (e.cancelled ? "CANCELLED" : "CONFIRMED"));
        addLine(out, "END:VEVENT");
    }
    addLine(out, "END:VCALENDAR");
    return out;
}

} // namespace vtp::courses
