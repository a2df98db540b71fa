#include "RoomAccess.hpp"

#include "TimeZone.hpp"
#include "Dates.hpp"

#include <vtp/json.hpp>

#include <cstring>

namespace vtp::courses {

namespace {

bool hasRole(const std::string& roles, const char* role)
{
    size_t start = 0;
    while (start <= roles.size()) {
        const size_t comma = roles.find(',', start);
        const std::string r = roles.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (r == role) return true;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return false;
}

bool copyOut(const std::string& text, char* out, size_t cap)
{
    if (!out || cap == 0) return false;
    const size_t n = std::min(text.size(), cap - 1);
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
    return n == text.size();
}

std::string localTime(int64_t utc, const std::string& zone)
{
    int64_t local = utc;
    try {
        local = TimeZone::load(zone)->toLocal(utc);
    } catch (const std::exception&) {
    }
    const int64_t days = (local >= 0 ? local : local - 86399) / 86400;
    return formatDate(days) + " " + formatTime(static_cast<int>((local - days * 86400) / 60)) + " (" + zone + ")";
}

} // namespace

RoomAccess::RoomAccess(Source source, int64_t earlyJoinSeconds, int64_t graceSeconds)
    : source_(std::move(source)), early_(earlyJoinSeconds), grace_(graceSeconds)
{
    table_.struct_size = sizeof table_;
    table_.context = this;
    table_.describe = &RoomAccess::describeThunk;
    table_.authorize = &RoomAccess::authorizeThunk;
}

RoomDecision RoomAccess::decide(const RoomFacts& f, const std::string& roles, int64_t now) const
{
    if (hasRole(roles, "admin")) return {true, true, {}};
    if (f.cancelled) return {false, false, "this class was cancelled"};
    const bool staff = f.relation == Relation::Instructor || f.relation == Relation::Assistant;
    if (!staff && f.relation != Relation::Enrolled) {
        if (f.relation == Relation::Waitlisted) return {false, false, "you are on the waitlist of this section, not enrolled"};
        return {false, false, "you are not enrolled in this section"};
    }
    if (now < opensAt(f)) return {false, false, "the class opens at " + localTime(opensAt(f), f.timeZone)};
    if (now >= closesAt(f)) return {false, false, "the class has ended"};
    return {true, staff, {}};
}

std::string RoomAccess::describeJson(const RoomFacts& f) const
{
    return Json{{"name", f.name},
                {"opens_at", opensAt(f)},
                {"closes_at", closesAt(f)},
                {"max_participants", f.capacity + f.staff},
                {"section_id", f.sectionId},
                {"session_id", f.sessionId}}
        .dump();
}

int RoomAccess::describeThunk(void* context, const char* key, char* out, size_t cap)
{
    try {
        auto* self = static_cast<RoomAccess*>(context);
        const auto facts = key ? self->source_(key, {}) : std::nullopt;
        if (!facts || facts->cancelled) return VTP_NOT_FOUND;
        return copyOut(self->describeJson(*facts), out, cap) ? VTP_OK : VTP_INVALID;
    } catch (...) {
        return VTP_ERROR;
    }
}

int RoomAccess::authorizeThunk(void* context, const char* key, const char* userId, const char* roles, int64_t now, int* moderator,
                               char* reason, size_t reasonCap)
{
    try {
        auto* self = static_cast<RoomAccess*>(context);
        if (moderator) *moderator = 0;
        if (!key || !userId || !*userId) {
            copyOut("no user", reason, reasonCap);
            return VTP_INVALID;
        }
        const auto facts = self->source_(key, userId);
        if (!facts) return VTP_NOT_FOUND;
        const RoomDecision d = self->decide(*facts, roles ? roles : "", now);
        if (!d.allowed) {
            copyOut(d.reason, reason, reasonCap);
            return VTP_ERROR;
        }
        if (moderator) *moderator = d.moderator ? 1 : 0;
        return VTP_OK;
    } catch (...) {
        copyOut("the class could not be checked", reason, reasonCap);
        return VTP_ERROR;
    }
}

} // namespace vtp::courses
