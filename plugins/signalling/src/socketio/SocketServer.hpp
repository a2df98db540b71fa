#pragma once

// The server side of Socket.IO v5 on top of EngineServer: namespaces, CONNECT with an auth
// payload checked by the kernel's token verifier, events and acknowledgements both ways,
// binary attachments, rooms and broadcasts, and connection state recovery (a client that comes
// back within the recovery window keeps its socket id and rooms and gets what it missed).
//
// Not thread-safe, like EngineServer: the plugin calls it under its one mutex.

#include "engine/EngineServer.hpp"
#include "protocol/SocketDecoder.hpp"
#include "protocol/SocketEncoder.hpp"

#include <Poco/Dynamic/Var.h>

#include <array>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace vtp::signalling {

struct Principal {
    std::string userId;
    std::vector<std::string> roles;
    std::string sessionId; // the login the token belongs to: its revocation ends the socket
    int64_t expiresAt = 0; // the token's expiry, unix seconds (0: none known)
    bool hasRole(std::string_view r) const
    {
        for (const auto& x : roles)
            if (x == r) return true;
        return false;
    }
};

struct Socket {
    std::string id;  // the Socket.IO socket id, kept across a recovery
    std::string sid; // the Engine.IO session carrying it ("" while disconnected and recoverable)
    std::string nsp;
    std::string pid; // private id a recovering client presents
    // The session's WebSocket connection (0: long-polling), as of the engine's transportEpoch
    // wsEpoch: a broadcast reads it instead of looking the session up for every recipient.
    uint64_t ws = 0;
    uint64_t wsEpoch = UINT64_MAX;
    Principal user;
    std::string authJson; // the CONNECT auth payload, as sent (the token removed)
    std::set<std::string> rooms;
    bool connected = true;
    bool dropping = false; // its namespace's onDisconnect is running: it goes when that returns
    Clock::time_point recoverUntil{};
    // While disconnected. A list: it allocates nothing while empty (a deque holds ~600 bytes per socket).
    std::list<std::pair<uint64_t, protocol::EncodedSocketPacket>> missed;
    size_t missedBytes = 0;
    // The last few offset-tagged packets sent while connected. The server notices a dead transport
    // only some time after the client does, and what it sent in between is lost with it; on
    // recovery the client's offset tells which of these it never got.
    static constexpr size_t kRecentPackets = 8;
    std::array<std::pair<uint64_t, std::shared_ptr<const protocol::EncodedSocketPacket>>, kRecentPackets> recent{};
    size_t recentNext = 0;
    void remember(uint64_t offset, std::shared_ptr<const protocol::EncodedSocketPacket> packet)
    {
        recent[recentNext] = {offset, std::move(packet)};
        recentNext = (recentNext + 1) % kRecentPackets;
    }
    uint64_t nextAckId = 0;
    std::map<uint64_t, std::function<void(const protocol::SocketPacket&)>> acks; // ours, awaiting the client
    std::map<std::string, std::string> data;                                     // for the namespace's handlers
};

struct ConnectRefusal {
    std::string message;
    std::string dataJson; // optional JSON for CONNECT_ERROR's data
};

struct Namespace {
    std::string name = "/";
    bool requireAuth = true;
    // After authentication; return a refusal to send CONNECT_ERROR instead of connecting.
    std::function<std::optional<ConnectRefusal>(Socket&, const Poco::Dynamic::Var& auth)> onConnect{};
    // An event: packet.eventName, its JSON payload (["name", ...args]), attachments, and the ack
    // id (packet.id) the handler answers with ack().
    std::function<void(Socket&, const protocol::SocketPacket& packet)> onEvent{};
    // The socket is gone for good (client left, or its recovery window ran out).
    std::function<void(Socket&, const std::string& reason)> onDisconnect{};
};

struct SocketOptions {
    std::chrono::milliseconds connectTimeout{45000};
    std::chrono::seconds recoveryWindow{30}; // 0: no connection state recovery
    size_t maxRecoveryBytes = 1 << 20;       // missed packets kept per disconnected socket
    protocol::SocketDecoderLimits limits{};
};

// Checks a bearer token; false with a reason to refuse.
using TokenVerifier = std::function<bool(const std::string& token, Principal& out, std::string& reason)>;

class SocketServer : public EngineListener {
public:
    using SharedPacket = std::shared_ptr<const protocol::EncodedSocketPacket>;

    SocketServer(SocketOptions options, TokenVerifier verifier) : options_(std::move(options)), verify_(std::move(verifier)) {}
    void attach(EngineServer& engine) { engine_ = &engine; }
    void addNamespace(Namespace ns) { namespaces_[ns.name] = std::move(ns); }
    void removeNamespace(const std::string& name);
    bool hasNamespace(const std::string& name) const { return namespaces_.count(name) != 0; }
    // Sees every event before its namespace does, whatever the namespace; true: handled, the
    // namespace does not get it (auth:renew, which every authenticated namespace accepts).
    void setEventFilter(std::function<bool(Socket&, const protocol::SocketPacket&)> filter) { eventFilter_ = std::move(filter); }

    // To one socket. argsJson: a JSON array of the arguments ("" or "[]" for none).
    bool emit(const std::string& socketId, std::string_view event, std::string_view argsJson);
    // An event whose reply the client acknowledges; `onAck` gets the client's ACK packet.
    bool emitWithAck(const std::string& socketId, std::string_view event, std::string_view argsJson,
                     std::function<void(const protocol::SocketPacket&)> onAck);
    void ack(const std::string& socketId, uint64_t ackId, std::string_view argsJson);
    // The same with binary attachments (placeholders in argsJson).
    bool emitBinary(const std::string& socketId, std::string_view event, std::string_view argsJson,
                    const std::vector<std::string>& attachments);
    bool ackBinary(const std::string& socketId, uint64_t ackId, std::string_view argsJson, const std::vector<std::string>& attachments);
    // room empty: every socket of the namespace.
    size_t broadcastBinary(const std::string& nsp, const std::string& room, std::string_view event, std::string_view argsJson,
                           const std::vector<std::string>& attachments, const std::string& exceptSocketId = {});
    // To every socket of `nsp` in `room` but `exceptSocketId`; encoded once.
    size_t broadcast(const std::string& nsp, const std::string& room, std::string_view event, std::string_view argsJson,
                     const std::string& exceptSocketId = {});
    void join(const std::string& socketId, const std::string& room);
    void leave(const std::string& socketId, const std::string& room);
    // Server-side disconnect of one socket (DISCONNECT packet); no recovery.
    void disconnect(const std::string& socketId, const std::string& reason);
    Socket* find(const std::string& socketId);
    // The ids of the sockets (connected or waiting to recover) for which `pred` holds.
    std::vector<std::string> socketsWhere(const std::function<bool(const Socket&)>& pred) const;
    std::vector<std::string> members(const std::string& nsp, const std::string& room) const;

    void tick(Clock::time_point now);

    // EngineListener
    void onEngineOpen(const std::string& sid, const ClientInfo& info) override;
    void onEngineMessage(const std::string& sid, const protocol::EnginePacket& packet) override;
    void onEngineClose(const std::string& sid, const std::string& reason, bool clientInitiated) override;

    size_t socketCount() const { return sockets_.size(); }

private:
    struct Session {
        protocol::SocketDecoder decoder;
        std::map<std::string, std::string> sockets; // namespace -> socket id
        Clock::time_point connectDeadline;          // max() once a namespace has connected
    };

    void onPacket(const std::string& sid, Session& session, protocol::SocketPacket&& packet);
    void onConnect(const std::string& sid, Session& session, const protocol::SocketPacket& packet);
    bool deliver(Socket& s, const protocol::EncodedSocketPacket& encoded, uint64_t offset);
    uint64_t webSocketOf(Socket& s);
    // deliver() with the recovery offset: a socket that may recover gets the packet encoded with the
    // offset as its last argument (encode(true)) and remembers it; others get encode(false). A
    // broadcast's encode hands every recipient the same packet.
    bool deliverTagged(Socket& s, uint64_t offset, const std::function<SharedPacket(bool tagged)>& encode);
    bool sendEncoded(const std::string& sid, const protocol::EncodedSocketPacket& encoded);
    void drop(const std::string& socketId, const std::string& reason); // removes and tells the namespace
    std::string newId();
    std::vector<std::string> recipients(const std::string& nsp, const std::string& room, const std::string& except) const;
    static std::string withOffset(std::string_view argsJson, uint64_t offset);

    SocketOptions options_;
    TokenVerifier verify_;
    EngineServer* engine_ = nullptr;
    std::map<std::string, Namespace> namespaces_;
    std::function<bool(Socket&, const protocol::SocketPacket&)> eventFilter_;
    std::unordered_map<std::string, Session> sessions_;                // engine sid -> session
    std::unordered_map<std::string, std::unique_ptr<Socket>> sockets_; // socket id -> socket
    std::unordered_map<std::string, std::string> byPid_;               // pid -> socket id
    // (nsp, room) -> its sockets by id. A socket leaves every room before it is destroyed.
    std::map<std::pair<std::string, std::string>, std::map<std::string, Socket*>> rooms_;
    uint64_t nextOffset_ = 1;
};

} // namespace vtp::signalling
