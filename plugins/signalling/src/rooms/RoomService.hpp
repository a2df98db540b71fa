#pragma once

// Live class rooms on the Socket.IO namespace: joining (with who-may-join checks, capacity and
// locks), WebRTC signalling between participants, chat, presence and moderation; the REST API
// over rooms and their chat history; and the replication of all of it between vtpd nodes over
// the kernel's cluster channel "signalling.sync" (Redis, never the public event bus), with the
// participants of a node that left the cluster dropped from their rooms.
//
// Threading: socket events arrive through SocketServer under the plugin's mutex; REST handlers,
// the event bus and the chat writer take that mutex themselves.

#include "rooms/ChatStore.hpp"
#include "rooms/IceServers.hpp"
#include "rooms/TokenBucket.hpp"
#include "socketio/SocketServer.hpp"

#include <vtp/sdk.hpp>
#include <vtp/services/room_events.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace vtp::signalling {

struct RoomOptions {
    std::string nsp = "/";
    size_t chatMaxLength = 2000;
    double chatPerSecond = 2, chatBurst = 10;
    double signalPerSecond = 50, signalBurst = 200;
    size_t maxSignalBytes = 64 * 1024;
    int64_t defaultMaxParticipants = 100, maxParticipantsLimit = 1000;
};

struct Presence {
    bool audio = false, video = false, hand = false, screen = false;
};

struct Participant {
    std::string id;   // the socket id
    std::string user; // user id
    std::string node;
    bool moderator = false;
    Presence presence;
    int64_t joinedAt = 0;
};

class RoomService {
public:
    RoomService(Host& host, std::recursive_mutex& mutex, SocketServer& io, RoomOptions options, IceOptions ice, std::string nodeId);
    ~RoomService();

    void registerRoutes();
    void registerNamespace();
    void start();
    void stop();
    void tick(Clock::time_point now); // under the mutex: greets nodes that appeared, drops those gone

    // Other plugins' room events and messages to a room's participants (the service
    // "vtp.rooms.events", RoomExtensions.cpp). Each takes the mutex.
    bool addHandler(const vtp_room_event_handler* handler, std::string& why);
    void removeHandler(const vtp_room_event_handler* handler);
    bool replyEvent(const std::string& participantId, int64_t ackId, const std::string& argsJson);
    bool refuseEvent(const std::string& participantId, int64_t ackId, const std::string& code, const std::string& message);
    // payloadJson: one JSON object, the event's argument. Return the participants addressed (every node's).
    size_t emitToRoom(const std::string& roomId, const std::string& event, std::string_view payloadJson);
    size_t emitToUser(const std::string& roomId, const std::string& userId, const std::string& event, std::string_view payloadJson);
    size_t emitToParticipant(const std::string& roomId, const std::string& participantId, const std::string& event,
                             std::string_view payloadJson);

private:
    struct RoomRecord {
        std::string id, name, createdBy;
        int64_t maxParticipants = 100;
        bool locked = false;
        Json access; // {"type":"authenticated"} or {"type":"users","users":[...]}
        int64_t createdAt = 0;
        std::optional<int64_t> endedAt;
        bool provided = false; // decided by another plugin's room provider
        int64_t opensAt = 0, closesAt = 0;
    };
    struct LiveRoom {
        RoomRecord record;
        std::map<std::string, Participant> participants; // by participant (socket) id, every node's
    };
    struct Refusal {
        std::string code, message;
    };

    // Socket events (under the mutex; RoomEvents.cpp).
    void onEvent(Socket& s, const protocol::SocketPacket& p);
    void onDisconnect(Socket& s, const std::string& reason);
    Json join(Socket& s, const Json& body);
    Json leave(Socket& s, const Json& body);
    Json signal(Socket& s, const Json& body);
    Json chat(Socket& s, const Json& body, std::optional<uint64_t> ackId, bool& deferred);
    Json presence(Socket& s, const Json& body);
    Json moderate(Socket& s, const std::string& action, const Json& body);

    // Admission (RoomAdmission.cpp).
    std::optional<RoomRecord> loadRoom(const std::string& id, std::string& why);
    static RoomRecord recordFromRow(const Rows& rows, size_t i);
    std::optional<Refusal> mayJoin(const RoomRecord& r, const Principal& user, bool& moderator);
    bool isModerator(const RoomRecord& r, const std::string& roomId, const Socket& s);
    // Asks the room providers again about this node's participants of `userId` in provided rooms
    // (enrollment.changed: a dropped or removed student), or of everyone when `userId` is empty
    // (section.staff_changed, section.deleted), and removes those now refused.
    void recheckAccess(const std::string& userId);

    // Live rooms (RoomService.cpp).
    LiveRoom* live(const std::string& id);
    void removeParticipant(const std::string& roomId, const std::string& participantId, const std::string& reason, bool replicate);
    void endRoom(const std::string& roomId, bool replicate);
    static Json participantJson(const Participant& p);
    static Json roomJson(const RoomRecord& r);
    Json participantsJson(const LiveRoom& room) const;

    // Delivery to a participant wherever it is connected.
    void toParticipant(const Participant& p, std::string_view event, const Json& args);
    void toRoom(const std::string& roomId, std::string_view event, const Json& args, const std::string& exceptParticipant = {});
    // The same with the event's arguments already a JSON array.
    void toRoomArgs(const std::string& roomId, std::string_view event, const std::string& argsJson,
                    const std::string& exceptParticipant = {});

    // Other plugins' events and join hooks (RoomExtensions.cpp).
    const vtp_room_event_handler* handlerFor(const std::string& event) const;
    Json extensionEvent(Socket& s, const vtp_room_event_handler& h, const std::string& event, const Json& body,
                        std::optional<uint64_t> ackId, bool& deferred);
    void notifyJoin(const Socket& s, const std::string& roomId);

    // Chat delivery and the chat writer's commits (RoomEvents.cpp).
    void onChatCommitted(std::vector<ChatMessage>&& batch, bool stored);
    void deliverChat(const ChatMessage& m);

    // Between nodes (RoomReplication.cpp).
    void replicate(const Json& message);
    void onSync(const ClusterMessage& message);
    void applySync(const Json& m, const std::string& origin);

    // REST (RoomRoutes.cpp).
    Response createRoom(const Request& req);
    Response listRooms(const Request& req);
    Response getRoom(const Request& req);
    Response deleteRoom(const Request& req);
    Response chatHistory(const Request& req);
    RoomRecord requireRoom(const std::string& id);

    Host& host_;
    std::recursive_mutex& mutex_;
    SocketServer& io_;
    RoomOptions options_;
    IceServers ice_;
    std::string node_;
    std::unique_ptr<ChatStore> chat_;
    std::map<std::string, LiveRoom> rooms_;
    std::map<std::string, std::set<std::string>> roomsOfSocket_; // socket id -> room ids (local)
    std::map<std::string, TokenBucket> chatBuckets_, signalBuckets_;
    std::vector<const vtp_room_event_handler*> handlers_; // other plugins', by prefix
    std::set<std::string> nodes_;                         // the other nodes (the kernel's cluster peers, and any heard from)
    Metric participantsGauge_, chatCounter_, refusalCounter_;
};

} // namespace vtp::signalling
