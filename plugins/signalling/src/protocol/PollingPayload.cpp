#include "protocol/PollingPayload.hpp"

#include <vtp/base64.hpp>

namespace vtp::signalling::protocol {

Result<std::vector<EnginePacket>> PollingPayload::decode(std::string_view body, std::size_t maxPayload)
{
    if (body.size() > maxPayload)
        return ProtocolError(ProtocolErrc::TooLarge, "polling payload of " + std::to_string(body.size()) + " bytes exceeds the limit of " +
                                                         std::to_string(maxPayload));
    std::vector<EnginePacket> packets;
    std::size_t start = 0;
    while (true) {
        const std::size_t sep = body.find(kSeparator, start);
        const std::string_view part = body.substr(start, sep == std::string_view::npos ? std::string_view::npos : sep - start);
        if (!part.empty() && part.front() == 'b') {
            auto bytes = vtp::base64Decode(part.substr(1));
            if (!bytes) return ProtocolError(ProtocolErrc::BadBase64, "binary packet " + std::to_string(packets.size()) + " is not base64");
            packets.push_back(EnginePacket::binaryMessage(std::move(*bytes)));
        } else {
            auto packet = EnginePacket::decodeText(part, maxPayload);
            if (!packet)
                return ProtocolError(packet.error().code,
                                     packet.error().message + " (packet " + std::to_string(packets.size()) + " of the payload)");
            packets.push_back(std::move(packet).value());
        }
        if (sep == std::string_view::npos) break;
        start = sep + 1;
    }
    return packets;
}

bool PollingPayload::appendText(std::string& out, std::string_view encodedPacket)
{
    if (encodedPacket.find(kSeparator) != std::string_view::npos) return false;
    if (!out.empty()) out += kSeparator;
    out += encodedPacket;
    return true;
}

void PollingPayload::appendBinary(std::string& out, std::string_view bytes)
{
    if (!out.empty()) out += kSeparator;
    out += 'b';
    vtp::base64Append(out, bytes);
}

bool PollingPayload::append(std::string& out, const EnginePacket& packet)
{
    if (packet.binary) {
        appendBinary(out, packet.data);
        return true;
    }
    if (packet.data.find(kSeparator) != std::string::npos) return false;
    if (!out.empty()) out += kSeparator;
    packet.appendTo(out);
    return true;
}

Result<std::string> PollingPayload::encode(std::span<const EnginePacket> packets)
{
    std::string out;
    for (const auto& packet : packets)
        if (!append(out, packet)) return ProtocolError(ProtocolErrc::BadArgument, "a text packet contains the record separator \\x1e");
    return out;
}

} // namespace vtp::signalling::protocol
