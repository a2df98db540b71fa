#pragma once

// Recording from inside a live room, through the signalling plugin's service "vtp.rooms.events"
// (vtp/room_events.hpp): a moderator's `recording:start` {room, title?, visibility?} and
// `recording:stop` {room, id?} (acknowledged with the recording, or the protocol's error), every
// participant told `recording:started` / `recording:stopped` however the recording was started or
// stopped (REST too), and a participant who joins a room being recorded told at once.
//
// Events are handed to a thread of this class: they reach the database and the courses plugin,
// which must not hold up the signalling plugin's WebSocket thread.

#include <vtp/room_events.hpp>
#include <vtp/sdk.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vtp::recording {

class RecordingService;

class RoomControl {
public:
    RoomControl(Host& host, RecordingService& service, std::unique_ptr<RoomEvents> rooms);
    ~RoomControl();
    RoomControl(const RoomControl&) = delete;
    RoomControl& operator=(const RoomControl&) = delete;

    // Handles the room's "recording:" events; after stop() they are refused (busy).
    void start();
    void stop();

    // A recording of `room` started or stopped (any way): every participant, on every node, is told.
    void started(const std::string& room, const Json& announcement);
    void stopped(const std::string& room, const Json& announcement);
    // Tells these users' clients in `room` to capture and upload (`recording:capture`
    // {recording_id, room, title, upload_url}): a recording that no one in the room started.
    void capture(const std::string& room, const std::vector<std::string>& userIds, const Json& announcement);

private:
    void onEvent(const RoomParticipant& p, const RoomEvent& e);
    void onJoin(const RoomParticipant& p);
    void startFromRoom(const RoomParticipant& p, const RoomEvent& e);
    void stopFromRoom(const RoomParticipant& p, const RoomEvent& e);
    // Runs `task` on this class's thread; false once stopping.
    bool post(std::function<void()> task);
    void run();

    Host& host_;
    RecordingService& service_;
    std::unique_ptr<RoomEvents> rooms_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::thread worker_;
};

} // namespace vtp::recording
