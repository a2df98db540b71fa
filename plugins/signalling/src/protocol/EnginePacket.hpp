#pragma once

// Engine.IO v4 packets: "<type>[<data>]" in a WebSocket text frame or a polling payload; a
// WebSocket binary frame is a message packet whose data is the frame (no type byte).
//
// WebSocket connection: every text frame goes through decodeText(), every binary frame through
// decodeBinary(); what to send is encode() as a text or binary frame (isBinary()).
// Polling requests use PollingPayload, which joins and splits these packets.

#include "protocol/Result.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vtp::signalling::protocol {

enum class EnginePacketType : std::uint8_t { Open = 0, Close = 1, Ping = 2, Pong = 3, Message = 4, Upgrade = 5, Noop = 6 };

std::string_view toString(EnginePacketType type) noexcept;

struct EnginePacket {
    EnginePacketType type = EnginePacketType::Message;
    std::string data;
    bool binary = false; // a binary message: raw bytes on WebSocket, "b<base64>" when polling

    static EnginePacket message(std::string text) { return {EnginePacketType::Message, std::move(text), false}; }
    static EnginePacket binaryMessage(std::string bytes) { return {EnginePacketType::Message, std::move(bytes), true}; }
    static EnginePacket of(EnginePacketType type, std::string data = {}) { return {type, std::move(data), false}; }

    // The server's probe answer during the upgrade ("3probe") and the probe it answers ("2probe").
    bool isProbePing() const noexcept { return type == EnginePacketType::Ping && !binary && data == "probe"; }
    static EnginePacket probePong() { return of(EnginePacketType::Pong, "probe"); }

    // The frame content: "<type><data>" for text packets, the raw bytes for binary ones.
    std::string encode() const;
    // The same into an existing buffer (appends).
    void appendTo(std::string& out) const;

    // A WebSocket text frame (or one packet of a polling payload). Frames longer than maxSize
    // bytes are refused (TooLarge): pass the maxPayload announced in the open packet.
    static Result<EnginePacket> decodeText(std::string_view frame, std::size_t maxSize);
    // A WebSocket binary frame: always a message packet.
    static Result<EnginePacket> decodeBinary(std::string_view frame, std::size_t maxSize);

    bool operator==(const EnginePacket&) const = default;
};

} // namespace vtp::signalling::protocol
