#include "protocol/SocketDecoder.hpp"

#include "protocol/JsonScanner.hpp"

#include <algorithm>

namespace vtp::signalling::protocol {

namespace {

bool isDigit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

ProtocolError error(ProtocolErrc code, std::string message)
{
    return ProtocolError(code, std::move(message));
}

} // namespace

Result<SocketPacket> SocketDecoder::parse(std::string_view s, const SocketDecoderLimits& limits, std::size_t* attachmentCount)
{
    if (attachmentCount) *attachmentCount = 0;
    if (s.size() > limits.maxPacketSize)
        return error(ProtocolErrc::TooLarge, "Socket.IO packet of " + std::to_string(s.size()) + " bytes exceeds the limit of " +
                                                 std::to_string(limits.maxPacketSize));
    if (s.empty()) return error(ProtocolErrc::EmptyPacket, "empty Socket.IO packet");
    if (s[0] < '0' || s[0] > '6') return error(ProtocolErrc::BadPacketType, "Socket.IO packet type is not 0..6");

    SocketPacket p;
    p.type = static_cast<SocketPacketType>(s[0] - '0');
    std::size_t i = 1;

    std::size_t attachments = 0;
    if (p.isBinary()) {
        const std::size_t start = i;
        while (i < s.size() && isDigit(s[i]) && i - start < 10) attachments = attachments * 10 + static_cast<std::size_t>(s[i++] - '0');
        if (i == start || i >= s.size() || s[i] != '-' || attachments < 1)
            return error(ProtocolErrc::BadAttachmentCount, "binary packet without a valid '<count>-' prefix");
        if (attachments > limits.maxAttachments)
            return error(ProtocolErrc::TooManyAttachments,
                         std::to_string(attachments) + " attachments announced, the limit is " + std::to_string(limits.maxAttachments));
        ++i;
    }

    if (i < s.size() && s[i] == '/') {
        // As socket.io-parser: the namespace ends at ',' or with the packet ("40/admin", "41/admin").
        std::size_t comma = s.find(',', i);
        if (comma == std::string_view::npos) comma = s.size();
        const std::string_view nsp = s.substr(i, comma - i);
        if (nsp.size() > limits.maxNamespaceLength)
            return error(ProtocolErrc::BadNamespace, "namespace longer than " + std::to_string(limits.maxNamespaceLength) + " bytes");
        for (char c : nsp)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
                return error(ProtocolErrc::BadNamespace, "control character in the namespace");
        p.nsp.assign(nsp);
        i = std::min(comma + 1, s.size());
    }

    if (i < s.size() && isDigit(s[i])) {
        const std::size_t start = i;
        std::uint64_t id = 0;
        while (i < s.size() && isDigit(s[i])) {
            if (i - start >= 16) return error(ProtocolErrc::BadAckId, "ack id longer than 16 digits");
            id = id * 10 + static_cast<std::uint64_t>(s[i++] - '0');
        }
        if (id > kMaxAckId) return error(ProtocolErrc::BadAckId, "ack id above 2^53-1");
        p.id = id;
    }

    const std::string_view payload = s.substr(i);
    JsonSummary summary;
    if (!payload.empty()) {
        JsonScanOptions options;
        options.maxDepth = limits.maxDepth;
        options.placeholders = p.isBinary();
        options.attachmentCount = attachments;
        auto scanned = JsonScanner::scan(payload, options);
        if (!scanned) return scanned.error();
        summary = std::move(scanned).value();
    }

    const bool hasPayload = !payload.empty();
    switch (p.type) {
    case SocketPacketType::Connect:
        if (hasPayload && summary.kind != JsonKind::Object) return error(ProtocolErrc::BadPayload, "CONNECT payload must be an object");
        if (p.id) return error(ProtocolErrc::BadAckId, "CONNECT cannot carry an ack id");
        break;
    case SocketPacketType::Disconnect:
        if (hasPayload) return error(ProtocolErrc::BadPayload, "DISCONNECT cannot carry a payload");
        if (p.id) return error(ProtocolErrc::BadAckId, "DISCONNECT cannot carry an ack id");
        break;
    case SocketPacketType::ConnectError:
        // socket.io-parser: none, an object, or (from older servers) a string.
        if (hasPayload && summary.kind != JsonKind::Object && summary.kind != JsonKind::String)
            return error(ProtocolErrc::BadPayload, "CONNECT_ERROR payload must be an object or a string");
        if (p.id) return error(ProtocolErrc::BadAckId, "CONNECT_ERROR cannot carry an ack id");
        break;
    case SocketPacketType::Event:
    case SocketPacketType::BinaryEvent:
        if (!hasPayload || summary.kind != JsonKind::Array || summary.size == 0)
            return error(ProtocolErrc::BadPayload, "EVENT payload must be a non-empty array");
        if (!summary.firstIsString) return error(ProtocolErrc::BadPayload, "EVENT payload must start with the event name (a string)");
        if (limits.rejectReservedEvents && isReservedEventName(summary.first))
            return error(ProtocolErrc::ReservedEventName, "reserved event name \"" + summary.first + "\"");
        p.eventName = std::move(summary.first);
        break;
    case SocketPacketType::Ack:
    case SocketPacketType::BinaryAck:
        if (!hasPayload || summary.kind != JsonKind::Array) return error(ProtocolErrc::BadPayload, "ACK payload must be an array");
        if (!p.id) return error(ProtocolErrc::BadAckId, "ACK without an ack id");
        break;
    }
    p.payload.assign(payload);
    if (attachmentCount) *attachmentCount = attachments;
    return p;
}

Result<std::optional<SocketPacket>> SocketDecoder::addText(std::string_view text)
{
    if (pending_) {
        const auto missing = attachmentsMissing();
        reset();
        return error(ProtocolErrc::UnexpectedText,
                     "text packet while a binary packet awaits " + std::to_string(missing) + " attachment(s)");
    }
    std::size_t attachments = 0;
    auto packet = parse(text, limits_, &attachments);
    if (!packet) return packet.error();
    if (packet->isBinary()) {
        pending_ = std::move(packet).value();
        pending_->attachments.reserve(attachments);
        expected_ = attachments;
        return std::optional<SocketPacket>();
    }
    return std::optional<SocketPacket>(std::move(packet).value());
}

Result<std::optional<SocketPacket>> SocketDecoder::addAttachment(std::string bytes)
{
    if (!pending_) return error(ProtocolErrc::UnexpectedAttachment, "binary message while no binary packet awaits attachments");
    pending_->attachments.push_back(std::move(bytes));
    if (pending_->attachments.size() < expected_) return std::optional<SocketPacket>();
    std::optional<SocketPacket> done = std::move(pending_);
    reset();
    return done;
}

Result<std::optional<SocketPacket>> SocketDecoder::add(const EnginePacket& message)
{
    if (message.type != EnginePacketType::Message)
        return error(ProtocolErrc::BadArgument, "only Engine.IO message packets carry Socket.IO packets");
    if (message.binary) return addAttachment(message.data);
    return addText(message.data);
}

} // namespace vtp::signalling::protocol
