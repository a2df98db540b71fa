#pragma once

// What the files of RoomService share: the cluster channel's name, the room table's columns, the
// clock, and how events and their Socket.IO rooms are named.

#include <vtp/sdk.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace vtp::signalling::rooms {

inline constexpr const char* kSync = "signalling.sync";
inline constexpr const char* kRoomColumns = "id, name, created_by, max_participants, locked, access, created_at, ended_at";

inline int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
inline int64_t nowSeconds()
{
    return nowMs() / 1000;
}

// One event argument as the JSON array an emit carries.
inline std::string args(const Json& single)
{
    Json a = Json::array();
    a.push(single);
    return a.dump();
}

inline size_t codePoints(std::string_view s)
{
    size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

inline std::string roomKey(const std::string& id)
{
    return "room:" + id;
}

} // namespace vtp::signalling::rooms
