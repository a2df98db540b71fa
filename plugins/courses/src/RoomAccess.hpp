#pragma once

// The service "vtp.rooms.provider.courses": a class session's live room ("courses:<session id>")
// is open from its start minus an early-join margin to its end plus a grace period, to the
// section's enrolled students, its instructors and teaching assistants (who moderate), and admins.

#include <vtp/services/room_provider.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace vtp::courses {

enum class Relation { None, Waitlisted, Enrolled, Assistant, Instructor };

// What the decision needs to know about one session and one user.
struct RoomFacts {
    std::string name;     // e.g. "CS101 A: Algorithms (2025-09-01)"
    int64_t startsAt = 0; // unix seconds
    int64_t endsAt = 0;
    bool cancelled = false;
    int64_t capacity = 0; // the section's seats
    int64_t staff = 0;    // instructors and teaching assistants
    std::string timeZone = "UTC";
    Relation relation = Relation::None; // of the user asked about (None when describing)
    std::string sectionId, sessionId;   // described too: a room's recording belongs to its section
};

struct RoomDecision {
    bool allowed = false;
    bool moderator = false;
    std::string reason;
};

class RoomAccess {
public:
    // Loads the facts of session `key` for `userId` (empty: describe only); nothing if no such session.
    using Source = std::function<std::optional<RoomFacts>(const std::string& key, const std::string& userId)>;

    RoomAccess(Source source, int64_t earlyJoinSeconds, int64_t graceSeconds);
    RoomAccess(const RoomAccess&) = delete;
    RoomAccess& operator=(const RoomAccess&) = delete;

    // The C table to offer; valid as long as this object.
    const vtp_room_provider_v1* table() const { return &table_; }

    int64_t opensAt(const RoomFacts& f) const { return f.startsAt - early_; }
    int64_t closesAt(const RoomFacts& f) const { return f.endsAt + grace_; }
    RoomDecision decide(const RoomFacts& f, const std::string& roles, int64_t now) const;
    std::string describeJson(const RoomFacts& f) const;

private:
    static int describeThunk(void* context, const char* key, char* out, size_t cap);
    static int authorizeThunk(void* context, const char* key, const char* userId, const char* roles, int64_t now, int* moderator,
                              char* reason, size_t reasonCap);

    Source source_;
    int64_t early_, grace_;
    vtp_room_provider_v1 table_{};
};

} // namespace vtp::courses
