// Who may join a room: the room's record (ours, or another plugin's through its room provider), the
// access check, and the recheck of participants when a provider's answer may have changed.

#include "rooms/RoomService.hpp"

#include "rooms/RoomCommon.hpp"

#include <vtp/services/room_provider.h>

namespace vtp::signalling {

using namespace rooms;

std::optional<RoomService::RoomRecord> RoomService::loadRoom(const std::string& id, std::string& why)
{
    if (LiveRoom* lr = live(id); lr && !lr->record.id.empty()) return lr->record;
    const auto colon = id.find(':');
    if (colon != std::string::npos) {
        // Another plugin's room: "courses:KEY" asks vtp.rooms.provider.courses.
        const std::string provider = id.substr(0, colon), key = id.substr(colon + 1);
        const auto* table =
            host_.find<vtp_room_provider_v1>(VTP_ROOM_PROVIDER_PREFIX + provider, VTP_ROOM_PROVIDER_VERSION, VTP_ROOM_PROVIDER_V1_SIZE);
        if (!table || !table->describe) {
            why = "no plugin provides rooms named '" + provider + ":...'";
            return std::nullopt;
        }
        char out[4096];
        if (table->describe(table->context, key.c_str(), out, sizeof out) != VTP_OK) return std::nullopt;
        const Json d = Json::parse(out);
        RoomRecord r;
        r.id = id;
        r.name = d.stringOr("name", id);
        r.createdBy = "";
        r.maxParticipants = d.intOr("max_participants", options_.defaultMaxParticipants);
        r.provided = true;
        r.opensAt = d.intOr("opens_at", 0);
        r.closesAt = d.intOr("closes_at", 0);
        r.access = Json{{"type", "provider"}, {"provider", provider}};
        return r;
    }
    const Rows rows = host_.db().query(std::string("SELECT ") + kRoomColumns + " FROM signalling_rooms WHERE id = ?", {id});
    if (rows.empty()) return std::nullopt;
    return recordFromRow(rows, 0);
}

RoomService::RoomRecord RoomService::recordFromRow(const Rows& rows, size_t i)
{
    const auto row = rows[i];
    RoomRecord r;
    r.id = row[0].asString();
    r.name = row[1].asString();
    r.createdBy = row[2].asString();
    r.maxParticipants = row[3].asInt();
    r.locked = row[4].asInt() != 0;
    r.access = Json::parse(row[5].asString());
    r.createdAt = row[6].asInt();
    r.endedAt = row[7].asOptionalInt();
    return r;
}

std::optional<RoomService::Refusal> RoomService::mayJoin(const RoomRecord& r, const Principal& user, bool& moderator)
{
    moderator = user.hasRole("admin") || (!r.createdBy.empty() && r.createdBy == user.userId);
    if (r.provided) {
        const std::string provider = r.access["provider"].asString();
        const auto* table =
            host_.find<vtp_room_provider_v1>(VTP_ROOM_PROVIDER_PREFIX + provider, VTP_ROOM_PROVIDER_VERSION, VTP_ROOM_PROVIDER_V1_SIZE);
        if (!table || !table->authorize) return Refusal{"not-found", "the room's provider is not running"};
        std::string roles;
        for (const auto& role : user.roles) roles += (roles.empty() ? "" : ",") + role;
        int mod = 0;
        char reason[256] = {0};
        const std::string key = r.id.substr(r.id.find(':') + 1);
        const int rc =
            table->authorize(table->context, key.c_str(), user.userId.c_str(), roles.c_str(), nowSeconds(), &mod, reason, sizeof reason);
        if (rc == VTP_NOT_FOUND) return Refusal{"not-found", "no such room"};
        if (rc != VTP_OK) return Refusal{"forbidden", reason[0] ? reason : "you may not join this room"};
        moderator = moderator || mod != 0;
        return std::nullopt;
    }
    if (moderator) return std::nullopt;
    if (r.access["type"].isString() && r.access["type"].asString() == "users") {
        const Json users = r.access["users"];
        for (size_t i = 0; i < users.size(); ++i)
            if (users.at(i).isString() && users.at(i).asString() == user.userId) return std::nullopt;
        return Refusal{"forbidden", "this room is for invited participants only"};
    }
    return std::nullopt;
}

void RoomService::recheckAccess(const std::string& userId)
{
    std::lock_guard lock(mutex_);
    struct Gone {
        std::string room, participant, user, why;
    };
    std::vector<Gone> gone;
    for (const auto& [roomId, lr] : rooms_) {
        if (!lr.record.provided) continue;
        for (const auto& [pid, p] : lr.participants) {
            if ((!userId.empty() && p.user != userId) || p.node != node_) continue;
            const Socket* s = io_.find(pid);
            if (!s) continue;
            bool moderator = false;
            if (auto refusal = mayJoin(lr.record, s->user, moderator)) gone.push_back({roomId, pid, p.user, refusal->message});
        }
    }
    for (const auto& g : gone) {
        io_.emit(
            g.participant, "participant:left",
            args(Json{
                {"room", g.room}, {"participant", g.participant}, {"user", g.user}, {"reason", "access-revoked"}, {"message", g.why}}));
        removeParticipant(g.room, g.participant, "access-revoked", true);
    }
}

} // namespace vtp::signalling
