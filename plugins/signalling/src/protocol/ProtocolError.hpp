#pragma once

// Why a frame, payload or packet was refused. Every decoder reports errors as values: a client
// controls these bytes, and the plugin answers a refusal by closing the connection (both specs
// say so), so a bad packet must never become an exception or a crash.

#include <cstdint>
#include <string>
#include <string_view>

namespace vtp::signalling::protocol {

enum class ProtocolErrc : std::uint8_t {
    TooLarge,             // input longer than the configured maximum (maxPayload)
    EmptyPacket,          // an empty Engine.IO packet or Socket.IO packet
    BadEngineType,        // Engine.IO type not in 0..6
    BadBase64,            // a polling "b..." packet that is not valid base64
    BadPacketType,        // Socket.IO type not in 0..6
    BadAttachmentCount,   // "<n>-" missing, not a number or less than 1
    TooManyAttachments,   // more attachments announced than the configured limit
    BadNamespace,         // namespace not terminated by ',' or too long or with control characters
    BadAckId,             // id too large, missing where required or present where forbidden
    InvalidJson,          // payload is not strict RFC 8259 JSON (or not valid UTF-8)
    TooDeep,              // JSON nesting deeper than the configured limit
    BadPayload,           // payload present/absent or of the wrong shape for the packet type
    ReservedEventName,    // "connect", "disconnect", ... used as an event name
    BadPlaceholder,       // a binary placeholder whose num is not an index of an attachment
    UnexpectedAttachment, // binary data while no binary packet awaits attachments
    UnexpectedText,       // a text packet while a binary packet still awaits attachments
    BadArgument,          // encoder input that cannot be encoded (caller's bug, not the peer's)
};

// A stable lower-case name for logs and metrics labels ("bad_namespace").
std::string_view toString(ProtocolErrc code) noexcept;

struct ProtocolError {
    ProtocolErrc code;
    std::string message; // for logs; says where or what, never echoes more than a few bytes of input

    ProtocolError(ProtocolErrc c, std::string m) : code(c), message(std::move(m)) {}
};

} // namespace vtp::signalling::protocol
