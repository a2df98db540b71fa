#pragma once

// C++ over the "vtp.rooms.events" service (vtp/services/room_events.h): events of the live rooms'
// participants whose names begin with your prefix, and messages to a room's participants on
// every node. List "signalling" in your (optional) dependencies, then in start():
//
//   rooms_ = vtp::RoomEvents::find(host);           // nullptr without the signalling plugin
//   rooms_->handle("poll:", {.onEvent = [this](const vtp::RoomParticipant& p, const vtp::RoomEvent& e) {
//       rooms_->reply(p.participantId, e.ackId, vtp::Json{{"ok", true}});
//   }});
//   ...
//   rooms_.reset();                                 // in stop(): no handler runs after this
//
// Handlers run on the kernel's WebSocket thread under the signalling plugin's lock (keep them
// short); every method may be called from a handler or from any other thread.

#include "vtp/json.hpp"
#include "vtp/plugin.hpp"
#include "vtp/services/room_events.h"
#include "vtp/verifier.hpp"

#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace vtp {

struct RoomParticipant {
    std::string room, roomName, participantId, userId;
    std::vector<std::string> roles;
    bool moderator = false;
    bool hasRole(std::string_view role) const
    {
        for (const auto& r : roles)
            if (r == role) return true;
        return false;
    }
};

struct RoomEvent {
    std::string name;
    Json payload;       // the object the client sent, "room" included
    int64_t ackId = -1; // >= 0: answer with RoomEvents::reply or refuse, once
};

struct RoomEventHandlers {
    std::function<void(const RoomParticipant&, const RoomEvent&)> onEvent{};
    std::function<void(const RoomParticipant&)> onJoin{};
};

class RoomEvents {
public:
    // The service, or nullptr if no plugin offers it.
    static std::unique_ptr<RoomEvents> find(const Host& host)
    {
        const auto* t = host.find<vtp_room_events_v1>(VTP_ROOM_EVENTS_SERVICE, VTP_ROOM_EVENTS_VERSION, VTP_ROOM_EVENTS_V1_SIZE);
        return t ? std::unique_ptr<RoomEvents>(new RoomEvents(t)) : nullptr;
    }
    RoomEvents(const RoomEvents&) = delete;
    RoomEvents& operator=(const RoomEvents&) = delete;
    // Removes every handler added through this object.
    ~RoomEvents()
    {
        for (auto& h : handlers_) t_->remove_handler(t_->context, &h.raw);
    }

    // Handles the events whose names begin with `prefix` (ending with ':'). Throws PluginError if
    // the prefix is refused.
    void handle(const std::string& prefix, RoomEventHandlers handlers)
    {
        auto& h = handlers_.emplace_back(Holder{prefix, std::move(handlers), {}});
        h.raw.struct_size = sizeof h.raw;
        h.raw.prefix = h.prefix.c_str();
        h.raw.user_data = &h;
        h.raw.on_event = [](void* ud, const vtp_room_participant* p, const char* event, const char* payload, size_t len, int64_t ackId) {
            auto* self = static_cast<Holder*>(ud);
            if (!self->handlers.onEvent) return;
            try {
                self->handlers.onEvent(participantOf(p), RoomEvent{event, Json::parse(std::string_view(payload, len)), ackId});
            } catch (...) {
                // A handler must not throw into the signalling plugin; the event is dropped.
            }
        };
        h.raw.on_join = [](void* ud, const vtp_room_participant* p) {
            auto* self = static_cast<Holder*>(ud);
            if (!self->handlers.onJoin) return;
            try {
                self->handlers.onJoin(participantOf(p));
            } catch (...) {
            }
        };
        detail::ErrorText err;
        if (t_->add_handler(t_->context, &h.raw, err.view()) != VTP_OK) {
            handlers_.pop_back();
            throw PluginError("room events " + prefix + ": " + err.str());
        }
    }

    bool reply(const std::string& participantId, int64_t ackId, const Json& result) const
    {
        if (ackId < 0) return false;
        const std::string r = result.dump();
        return t_->reply(t_->context, participantId.c_str(), ackId, r.data(), r.size()) == VTP_OK;
    }
    // The protocol's error acknowledgement {"error": {code, message}}.
    bool refuse(const std::string& participantId, int64_t ackId, const std::string& code, const std::string& message) const
    {
        if (ackId < 0) return false;
        return t_->refuse(t_->context, participantId.c_str(), ackId, code.c_str(), message.c_str()) == VTP_OK;
    }
    // To every participant of `room` on every node; returns how many there are.
    size_t broadcast(const std::string& room, const std::string& event, const Json& payload) const
    {
        const std::string a = payload.dump();
        size_t count = 0;
        t_->broadcast(t_->context, room.c_str(), event.c_str(), a.data(), a.size(), &count);
        return count;
    }
    // To every socket of user `userId` in `room`; returns how many.
    size_t toUser(const std::string& room, const std::string& userId, const std::string& event, const Json& payload) const
    {
        const std::string a = payload.dump();
        size_t count = 0;
        t_->to_user(t_->context, room.c_str(), userId.c_str(), event.c_str(), a.data(), a.size(), &count);
        return count;
    }
    bool toParticipant(const std::string& room, const std::string& participantId, const std::string& event, const Json& payload) const
    {
        const std::string a = payload.dump();
        return t_->to_participant(t_->context, room.c_str(), participantId.c_str(), event.c_str(), a.data(), a.size()) == VTP_OK;
    }

private:
    explicit RoomEvents(const vtp_room_events_v1* t) : t_(t) {}
    struct Holder {
        std::string prefix;
        RoomEventHandlers handlers;
        vtp_room_event_handler raw;
    };
    static RoomParticipant participantOf(const vtp_room_participant* p)
    {
        return RoomParticipant{
            p->room ? p->room : "",       p->room_name ? p->room_name : "",         p->participant_id ? p->participant_id : "",
            p->user_id ? p->user_id : "", splitCommaList(p->roles ? p->roles : ""), p->moderator != 0};
    }

    const vtp_room_events_v1* t_;
    std::list<Holder> handlers_; // addresses handed to the service stay stable
};

} // namespace vtp
