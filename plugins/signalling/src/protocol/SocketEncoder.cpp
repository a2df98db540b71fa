#include "protocol/SocketEncoder.hpp"

#include "protocol/Binary.hpp"
#include "protocol/JsonWriter.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace vtp::signalling::protocol {

namespace {

ProtocolError badArgument(std::string message)
{
    return ProtocolError(ProtocolErrc::BadArgument, std::move(message));
}

// A namespace the built-in parser can carry: starts with '/', no ',' (it ends the namespace,
// there is no escape) and no control characters.
std::optional<ProtocolError> checkNamespace(std::string_view nsp)
{
    if (nsp.empty() || nsp.front() != '/') return ProtocolError(ProtocolErrc::BadNamespace, "namespace must start with '/'");
    for (char c : nsp)
        if (c == ',' || static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
            return ProtocolError(ProtocolErrc::BadNamespace, "namespace contains ',' or a control character");
    return std::nullopt;
}

std::optional<ProtocolError> checkId(SocketPacketType type, const std::optional<std::uint64_t>& id)
{
    const bool idAllowed = type == SocketPacketType::Event || type == SocketPacketType::BinaryEvent || type == SocketPacketType::Ack ||
                           type == SocketPacketType::BinaryAck;
    if (id && !idAllowed) return ProtocolError(ProtocolErrc::BadAckId, std::string(toString(type)) + " cannot carry an ack id");
    if (!id && (type == SocketPacketType::Ack || type == SocketPacketType::BinaryAck))
        return ProtocolError(ProtocolErrc::BadAckId, "ACK without an ack id");
    if (id && *id > kMaxAckId) return ProtocolError(ProtocolErrc::BadAckId, "ack id above 2^53-1");
    return std::nullopt;
}

void appendHeader(std::string& out, Framing framing, SocketPacketType type, std::size_t attachments, std::string_view nsp,
                  const std::optional<std::uint64_t>& id)
{
    if (framing == Framing::EngineMessage) out += '4';
    out += static_cast<char>('0' + static_cast<int>(type));
    if (type == SocketPacketType::BinaryEvent || type == SocketPacketType::BinaryAck) {
        out += std::to_string(attachments);
        out += '-';
    }
    if (nsp != "/") {
        out += nsp;
        out += ',';
    }
    if (id) out += std::to_string(*id);
}

std::string_view trim(std::string_view s)
{
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return s;
}

// The inside of a JSON array text ("[a,b]" -> "a,b"), or nullopt when it is not bracketed.
std::optional<std::string_view> arrayInner(std::string_view argsJson)
{
    const auto t = trim(argsJson);
    if (t.empty()) return std::string_view();
    if (t.size() < 2 || t.front() != '[' || t.back() != ']') return std::nullopt;
    return trim(t.substr(1, t.size() - 2));
}

Result<std::string> finishArrayPacket(SocketPacketType type, std::string_view nsp, std::optional<std::uint64_t> id, std::string_view name,
                                      bool withName, std::string_view argsJson, Framing framing)
{
    if (auto e = checkNamespace(nsp)) return std::move(*e);
    if (auto e = checkId(type, id)) return std::move(*e);
    const auto inner = arrayInner(argsJson);
    if (!inner) return badArgument("arguments must be a JSON array");
    std::string out;
    out.reserve(8 + nsp.size() + name.size() + inner->size());
    appendHeader(out, framing, type, 0, nsp, id);
    out += '[';
    if (withName) JsonWriter::appendString(out, name);
    if (!inner->empty()) {
        if (withName) out += ',';
        out += *inner;
    }
    out += ']';
    return out;
}

} // namespace

Result<EncodedSocketPacket> SocketEncoder::encode(const SocketPacket& packet, Framing framing)
{
    if (auto e = checkNamespace(packet.nsp)) return std::move(*e);
    if (auto e = checkId(packet.type, packet.id)) return std::move(*e);
    const bool payloadRequired = packet.type == SocketPacketType::Event || packet.type == SocketPacketType::BinaryEvent ||
                                 packet.type == SocketPacketType::Ack || packet.type == SocketPacketType::BinaryAck;
    // A bare CONNECT_ERROR ("4/x") is what the decoder accepts, as socket.io-parser does: it re-encodes.
    if (payloadRequired && packet.payload.empty())
        return ProtocolError(ProtocolErrc::BadPayload, std::string(toString(packet.type)) + " needs a payload");
    if (packet.type == SocketPacketType::Disconnect && !packet.payload.empty())
        return ProtocolError(ProtocolErrc::BadPayload, "DISCONNECT cannot carry a payload");
    if (packet.isBinary() == packet.attachments.empty())
        return badArgument(packet.isBinary() ? "binary packet without attachments" : "attachments on a non-binary packet");
    EncodedSocketPacket out;
    out.text.reserve(packet.payload.size() + packet.nsp.size() + 24);
    appendHeader(out.text, framing, packet.type, packet.attachments.size(), packet.nsp, packet.id);
    out.text += packet.payload;
    out.attachments = packet.attachments;
    return out;
}

Result<std::string> SocketEncoder::encodeText(const SocketPacket& packet, Framing framing)
{
    if (packet.isBinary()) return badArgument("binary packets have attachments: use encode()");
    auto encoded = encode(packet, framing);
    if (!encoded) return encoded.error();
    return std::move(encoded->text);
}

Result<EncodedSocketPacket> SocketEncoder::encode(SocketPacketType type, std::string_view nsp, const Poco::Dynamic::Var& data,
                                                  std::optional<std::uint64_t> id, Framing framing)
{
    if (auto e = checkNamespace(nsp)) return std::move(*e);
    using Poco::JSON::Array;
    using Poco::JSON::Object;
    const bool binary = JsonWriter::hasBinary(data);
    if (binary) {
        if (type == SocketPacketType::Event)
            type = SocketPacketType::BinaryEvent;
        else if (type == SocketPacketType::Ack)
            type = SocketPacketType::BinaryAck;
        else if (type != SocketPacketType::BinaryEvent && type != SocketPacketType::BinaryAck)
            return badArgument(std::string(toString(type)) + " cannot carry binary data");
    } else if (type == SocketPacketType::BinaryEvent) {
        type = SocketPacketType::Event; // socket.io sends data without buffers as a plain EVENT
    } else if (type == SocketPacketType::BinaryAck) {
        type = SocketPacketType::Ack;
    }
    if (auto e = checkId(type, id)) return std::move(*e);

    const bool isArray =
        data.type() == typeid(Array::Ptr) || data.type() == typeid(Array) || data.type() == typeid(std::vector<Poco::Dynamic::Var>);
    const bool isObject = data.type() == typeid(Object::Ptr) || data.type() == typeid(Object);
    switch (type) {
    case SocketPacketType::Connect:
        if (!data.isEmpty() && !isObject) return ProtocolError(ProtocolErrc::BadPayload, "CONNECT payload must be an object");
        break;
    case SocketPacketType::Disconnect:
        if (!data.isEmpty()) return ProtocolError(ProtocolErrc::BadPayload, "DISCONNECT cannot carry a payload");
        break;
    case SocketPacketType::ConnectError:
        if (!isObject) return ProtocolError(ProtocolErrc::BadPayload, "CONNECT_ERROR payload must be an object");
        break;
    case SocketPacketType::Event:
    case SocketPacketType::BinaryEvent: {
        Poco::Dynamic::Var first;
        try {
            if (!isArray || data.size() == 0) return ProtocolError(ProtocolErrc::BadPayload, "EVENT payload must be a non-empty array");
            if (data.type() == typeid(Array::Ptr))
                first = data.extract<Array::Ptr>()->get(0);
            else if (data.type() == typeid(Array))
                first = data.extract<Array>().get(0);
            else
                first = data.extract<std::vector<Poco::Dynamic::Var>>().front();
        } catch (const Poco::Exception&) {
            return ProtocolError(ProtocolErrc::BadPayload, "EVENT payload must be a non-empty array");
        }
        if (!first.isString()) return ProtocolError(ProtocolErrc::BadPayload, "EVENT payload must start with the event name (a string)");
        if (isReservedEventName(first.extract<std::string>()))
            return ProtocolError(ProtocolErrc::ReservedEventName, "reserved event name \"" + first.extract<std::string>() + "\"");
        break;
    }
    case SocketPacketType::Ack:
    case SocketPacketType::BinaryAck:
        if (!isArray) return ProtocolError(ProtocolErrc::BadPayload, "ACK payload must be an array");
        break;
    }

    EncodedSocketPacket out;
    std::string payload;
    if (!data.isEmpty()) {
        auto written = JsonWriter::appendValue(payload, data, binary ? &out.attachments : nullptr);
        if (!written) return written.error();
    }
    out.text.reserve(payload.size() + nsp.size() + 24);
    appendHeader(out.text, framing, type, out.attachments.size(), nsp, id);
    out.text += payload;
    return out;
}

Result<std::string> SocketEncoder::event(std::string_view nsp, std::string_view name, std::string_view argsJson,
                                         std::optional<std::uint64_t> id, Framing framing)
{
    if (isReservedEventName(name))
        return ProtocolError(ProtocolErrc::ReservedEventName, "reserved event name \"" + std::string(name) + "\"");
    return finishArrayPacket(SocketPacketType::Event, nsp, id, name, true, argsJson, framing);
}

Result<std::string> SocketEncoder::ack(std::string_view nsp, std::uint64_t id, std::string_view argsJson, Framing framing)
{
    return finishArrayPacket(SocketPacketType::Ack, nsp, id, {}, false, argsJson, framing);
}

Result<std::string> SocketEncoder::connect(std::string_view nsp, std::string_view sid, Framing framing)
{
    if (auto e = checkNamespace(nsp)) return std::move(*e);
    std::string out;
    appendHeader(out, framing, SocketPacketType::Connect, 0, nsp, std::nullopt);
    out += "{\"sid\":";
    JsonWriter::appendString(out, sid);
    out += '}';
    return out;
}

Result<std::string> SocketEncoder::connectError(std::string_view nsp, std::string_view message, std::string_view dataJson, Framing framing)
{
    if (auto e = checkNamespace(nsp)) return std::move(*e);
    std::string out;
    appendHeader(out, framing, SocketPacketType::ConnectError, 0, nsp, std::nullopt);
    out += "{\"message\":";
    JsonWriter::appendString(out, message);
    if (!trim(dataJson).empty()) {
        out += ",\"data\":";
        out += trim(dataJson);
    }
    out += '}';
    return out;
}

Result<std::string> SocketEncoder::disconnect(std::string_view nsp, Framing framing)
{
    if (auto e = checkNamespace(nsp)) return std::move(*e);
    std::string out;
    appendHeader(out, framing, SocketPacketType::Disconnect, 0, nsp, std::nullopt);
    return out;
}

} // namespace vtp::signalling::protocol
