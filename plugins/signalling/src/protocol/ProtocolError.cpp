#include "protocol/ProtocolError.hpp"

namespace vtp::signalling::protocol {

std::string_view toString(ProtocolErrc code) noexcept
{
    switch (code) {
    case ProtocolErrc::TooLarge: return "too_large";
    case ProtocolErrc::EmptyPacket: return "empty_packet";
    case ProtocolErrc::BadEngineType: return "bad_engine_type";
    case ProtocolErrc::BadBase64: return "bad_base64";
    case ProtocolErrc::BadPacketType: return "bad_packet_type";
    case ProtocolErrc::BadAttachmentCount: return "bad_attachment_count";
    case ProtocolErrc::TooManyAttachments: return "too_many_attachments";
    case ProtocolErrc::BadNamespace: return "bad_namespace";
    case ProtocolErrc::BadAckId: return "bad_ack_id";
    case ProtocolErrc::InvalidJson: return "invalid_json";
    case ProtocolErrc::TooDeep: return "too_deep";
    case ProtocolErrc::BadPayload: return "bad_payload";
    case ProtocolErrc::ReservedEventName: return "reserved_event_name";
    case ProtocolErrc::BadPlaceholder: return "bad_placeholder";
    case ProtocolErrc::UnexpectedAttachment: return "unexpected_attachment";
    case ProtocolErrc::UnexpectedText: return "unexpected_text";
    case ProtocolErrc::BadArgument: return "bad_argument";
    }
    return "unknown";
}

} // namespace vtp::signalling::protocol
