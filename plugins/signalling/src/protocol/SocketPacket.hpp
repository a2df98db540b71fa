#pragma once

// A Socket.IO v5 packet: <type>[<#attachments>-][<namespace>,][<ack id>][<JSON payload>], carried
// as the data of an Engine.IO message packet ("4" + this text), binary attachments following as
// separate binary Engine.IO messages. The payload is kept as JSON text: relaying a chat message
// needs its event name (decoded here) but never a parsed tree, and can forward the text as is.

#include "protocol/Result.hpp"

#include <Poco/Dynamic/Var.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::signalling::protocol {

enum class SocketPacketType : std::uint8_t {
    Connect = 0,
    Disconnect = 1,
    Event = 2,
    Ack = 3,
    ConnectError = 4,
    BinaryEvent = 5,
    BinaryAck = 6,
};

std::string_view toString(SocketPacketType type) noexcept;

// Names socket.io reserves ("connect", "connect_error", "disconnect", "disconnecting",
// "newListener", "removeListener"): a peer must not send them as event names.
bool isReservedEventName(std::string_view name) noexcept;

// The largest ack id both sides can represent exactly (JavaScript's Number.MAX_SAFE_INTEGER).
inline constexpr std::uint64_t kMaxAckId = 9007199254740991ULL;

struct SocketPacket {
    SocketPacketType type = SocketPacketType::Event;
    std::string nsp = "/";
    std::optional<std::uint64_t> id;      // ack id
    std::string payload;                  // JSON text; empty when the packet has none
    std::vector<std::string> attachments; // binary packets: the buffers, index = placeholder num
    std::string eventName;                // (binary) events from the decoder: the first element

    bool isBinary() const noexcept { return type == SocketPacketType::BinaryEvent || type == SocketPacketType::BinaryAck; }
    bool isEvent() const noexcept { return type == SocketPacketType::Event || type == SocketPacketType::BinaryEvent; }
    bool isAck() const noexcept { return type == SocketPacketType::Ack || type == SocketPacketType::BinaryAck; }

    // The payload as a Poco tree (objects keep their key order); in binary packets each
    // placeholder is replaced by a Binary holding its attachment. A null Var when there is no
    // payload. Only fails on payloads the decoder did not check.
    Result<Poco::Dynamic::Var> data(std::size_t maxDepth = 64) const;

    bool operator==(const SocketPacket&) const = default;
};

} // namespace vtp::signalling::protocol
