#pragma once

// The "vtp.rooms.events" service (sdk/include/vtp/services/room_events.h): the C table over
// RoomService's handlers and deliveries. Every entry takes the plugin's (re-entrant) lock.

#include "rooms/RoomService.hpp"

#include <vtp/services/room_events.h>

namespace vtp::signalling {

class RoomEventsService {
public:
    explicit RoomEventsService(RoomService& rooms);
    RoomEventsService(const RoomEventsService&) = delete;
    RoomEventsService& operator=(const RoomEventsService&) = delete;
    const vtp_room_events_v1* table() const { return &table_; }

private:
    RoomService& rooms_;
    vtp_room_events_v1 table_{};
};

} // namespace vtp::signalling
