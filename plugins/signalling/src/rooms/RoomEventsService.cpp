#include "rooms/RoomEventsService.hpp"

#include "rooms/RoomCommon.hpp"

#include <cstring>

namespace vtp::signalling {

namespace {

RoomService& roomsOf(void* context)
{
    return *static_cast<RoomService*>(context);
}

// No exception crosses the table: a failure is VTP_ERROR.
template <typename F>
int guarded(F&& f) noexcept
{
    try {
        return f();
    } catch (...) {
        return VTP_ERROR;
    }
}

} // namespace

RoomEventsService::RoomEventsService(RoomService& rooms) : rooms_(rooms)
{
    table_.struct_size = sizeof table_;
    table_.context = &rooms_;
    table_.add_handler = [](void* c, const vtp_room_event_handler* h, vtp_errbuf err) {
        return guarded([&] {
            std::string why;
            if (!h || h->struct_size < VTP_SIZE_THROUGH(vtp_room_event_handler, on_join)) why = "the handler table is too small";
            if (why.empty() && roomsOf(c).addHandler(h, why)) return VTP_OK;
            detail::copyError(err, why);
            return VTP_INVALID;
        });
    };
    table_.remove_handler = [](void* c, const vtp_room_event_handler* h) {
        return guarded([&] {
            roomsOf(c).removeHandler(h);
            return VTP_OK;
        });
    };
    table_.reply = [](void* c, const char* pid, int64_t ackId, const char* json, size_t len) {
        return guarded([&] {
            if (!pid || !json) return VTP_INVALID;
            const Json result = Json::parse(std::string_view(json, len));
            if (!result.isObject()) return VTP_INVALID;
            return roomsOf(c).replyEvent(pid, ackId, rooms::args(result)) ? VTP_OK : VTP_NOT_FOUND;
        });
    };
    table_.refuse = [](void* c, const char* pid, int64_t ackId, const char* code, const char* message) {
        return guarded([&] {
            if (!pid || !code) return VTP_INVALID;
            return roomsOf(c).refuseEvent(pid, ackId, code, message ? message : "") ? VTP_OK : VTP_NOT_FOUND;
        });
    };
    table_.broadcast = [](void* c, const char* room, const char* event, const char* json, size_t len, size_t* count) {
        return guarded([&] {
            if (!room || !event || !json) return VTP_INVALID;
            const size_t n = roomsOf(c).emitToRoom(room, event, std::string_view(json, len));
            if (count) *count = n;
            return VTP_OK;
        });
    };
    table_.to_user = [](void* c, const char* room, const char* user, const char* event, const char* json, size_t len, size_t* count) {
        return guarded([&] {
            if (!room || !user || !event || !json) return VTP_INVALID;
            const size_t n = roomsOf(c).emitToUser(room, user, event, std::string_view(json, len));
            if (count) *count = n;
            return VTP_OK;
        });
    };
    table_.to_participant = [](void* c, const char* room, const char* pid, const char* event, const char* json, size_t len) {
        return guarded([&] {
            if (!room || !pid || !event || !json) return VTP_INVALID;
            return roomsOf(c).emitToParticipant(room, pid, event, std::string_view(json, len)) ? VTP_OK : VTP_NOT_FOUND;
        });
    };
}

} // namespace vtp::signalling
