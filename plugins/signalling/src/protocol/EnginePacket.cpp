#include "protocol/EnginePacket.hpp"

namespace vtp::signalling::protocol {

std::string_view toString(EnginePacketType type) noexcept
{
    switch (type) {
    case EnginePacketType::Open: return "open";
    case EnginePacketType::Close: return "close";
    case EnginePacketType::Ping: return "ping";
    case EnginePacketType::Pong: return "pong";
    case EnginePacketType::Message: return "message";
    case EnginePacketType::Upgrade: return "upgrade";
    case EnginePacketType::Noop: return "noop";
    }
    return "unknown";
}

std::string EnginePacket::encode() const
{
    std::string out;
    out.reserve(data.size() + 1);
    appendTo(out);
    return out;
}

void EnginePacket::appendTo(std::string& out) const
{
    if (!binary) out += static_cast<char>('0' + static_cast<int>(type));
    out += data;
}

Result<EnginePacket> EnginePacket::decodeText(std::string_view frame, std::size_t maxSize)
{
    if (frame.size() > maxSize)
        return ProtocolError(ProtocolErrc::TooLarge, "Engine.IO packet of " + std::to_string(frame.size()) +
                                                         " bytes exceeds the limit of " + std::to_string(maxSize));
    if (frame.empty()) return ProtocolError(ProtocolErrc::EmptyPacket, "empty Engine.IO packet");
    const char c = frame.front();
    if (c < '0' || c > '6') return ProtocolError(ProtocolErrc::BadEngineType, "Engine.IO packet type is not 0..6");
    return EnginePacket{static_cast<EnginePacketType>(c - '0'), std::string(frame.substr(1)), false};
}

Result<EnginePacket> EnginePacket::decodeBinary(std::string_view frame, std::size_t maxSize)
{
    if (frame.size() > maxSize)
        return ProtocolError(ProtocolErrc::TooLarge, "binary Engine.IO packet of " + std::to_string(frame.size()) +
                                                         " bytes exceeds the limit of " + std::to_string(maxSize));
    return EnginePacket{EnginePacketType::Message, std::string(frame), true};
}

} // namespace vtp::signalling::protocol
