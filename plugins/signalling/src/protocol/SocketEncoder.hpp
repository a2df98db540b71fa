#pragma once

// Encodes Socket.IO v5 packets. With Framing::EngineMessage (the default) the text already
// carries the Engine.IO "4" prefix, so one string is both the WebSocket text frame and the
// packet of a polling payload: a broadcast is encoded once and shared by every recipient.
// Attachments are sent after the text, each as one binary Engine.IO message.
//
// Two input forms: pre-serialised JSON text (SocketPacket::payload, event()/ack() args: the hot
// path, the JSON is trusted and not re-validated) or a Poco tree whose Binary values become
// placeholders and attachments (EVENT/ACK turn into BINARY_EVENT/BINARY_ACK, as socket.io does).

#include "protocol/Result.hpp"
#include "protocol/SocketPacket.hpp"

#include <Poco/Dynamic/Var.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::signalling::protocol {

enum class Framing : std::uint8_t {
    SocketIO,      // the bare Socket.IO text ("2[...]")
    EngineMessage, // wrapped in an Engine.IO message ("42[...]")
};

struct EncodedSocketPacket {
    std::string text;                     // one Engine.IO text message
    std::vector<std::string> attachments; // then one binary Engine.IO message each, in order
};

class SocketEncoder {
public:
    // packet.payload is JSON text (with placeholders when binary) and packet.attachments the
    // buffers; packet.eventName is ignored. Checks the namespace, the ack id, the presence of
    // a payload per type and the attachment count, not the JSON.
    static Result<EncodedSocketPacket> encode(const SocketPacket& packet, Framing framing = Framing::EngineMessage);
    // The same for packets without attachments, returning only the text.
    static Result<std::string> encodeText(const SocketPacket& packet, Framing framing = Framing::EngineMessage);

    // From a tree: data may hold Binary values anywhere (EVENT/ACK only). Refuses reserved event
    // names, an EVENT whose data is not an array starting with a string, etc.
    static Result<EncodedSocketPacket> encode(SocketPacketType type, std::string_view nsp, const Poco::Dynamic::Var& data,
                                              std::optional<std::uint64_t> id = {}, Framing framing = Framing::EngineMessage);

    // EVENT ["name", ...args]: argsJson is a JSON array of the arguments ("[1,{\"a\":2}]"),
    // or empty for none. It is spliced in, not parsed: pass JSON you produced.
    static Result<std::string> event(std::string_view nsp, std::string_view name, std::string_view argsJson = {},
                                     std::optional<std::uint64_t> id = {}, Framing framing = Framing::EngineMessage);
    // ACK with the same id as the event; argsJson as above (empty: []).
    static Result<std::string> ack(std::string_view nsp, std::uint64_t id, std::string_view argsJson = {},
                                   Framing framing = Framing::EngineMessage);

    // The server's answers to CONNECT, and its DISCONNECT (namespace as validated by the decoder).
    static Result<std::string> connect(std::string_view nsp, std::string_view sid, Framing framing = Framing::EngineMessage);
    // CONNECT_ERROR {"message":...,"data":...}; dataJson is optional pre-serialised JSON.
    static Result<std::string> connectError(std::string_view nsp, std::string_view message, std::string_view dataJson = {},
                                            Framing framing = Framing::EngineMessage);
    static Result<std::string> disconnect(std::string_view nsp, Framing framing = Framing::EngineMessage);
};

} // namespace vtp::signalling::protocol
