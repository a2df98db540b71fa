#include "protocol/SocketPacket.hpp"

#include "protocol/Binary.hpp"
#include "protocol/JsonScanner.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <array>

namespace vtp::signalling::protocol {

namespace {

constexpr std::array<std::string_view, 6> kReserved{"connect",       "connect_error", "disconnect",
                                                    "disconnecting", "newListener",   "removeListener"};

// Replaces placeholder objects by their attachment; the scanner has checked every num already,
// the range check here only guards payloads built by hand.
bool reconstruct(Poco::Dynamic::Var& v, const std::vector<std::string>& attachments)
{
    using Poco::JSON::Array;
    using Poco::JSON::Object;
    if (v.type() == typeid(Object::Ptr)) {
        Object::Ptr o = v.extract<Object::Ptr>();
        if (o.isNull()) return true;
        if (o->has("_placeholder")) {
            const auto& flag = o->get("_placeholder");
            if (flag.isBoolean() && flag.convert<bool>()) {
                const auto& num = o->get("num");
                if (!num.isInteger()) return false;
                const auto n = num.convert<Poco::Int64>();
                if (n < 0 || static_cast<std::uint64_t>(n) >= attachments.size()) return false;
                v = Binary(attachments[static_cast<std::size_t>(n)]);
                return true;
            }
        }
        for (const auto& name : o->getNames()) {
            Poco::Dynamic::Var member = o->get(name);
            if (!reconstruct(member, attachments)) return false;
            o->set(name, member);
        }
        return true;
    }
    if (v.type() == typeid(Array::Ptr)) {
        Array::Ptr a = v.extract<Array::Ptr>();
        if (a.isNull()) return true;
        for (unsigned i = 0; i < a->size(); ++i) {
            Poco::Dynamic::Var element = a->get(i);
            if (!reconstruct(element, attachments)) return false;
            a->set(i, element);
        }
    }
    return true;
}

} // namespace

std::string_view toString(SocketPacketType type) noexcept
{
    switch (type) {
    case SocketPacketType::Connect: return "CONNECT";
    case SocketPacketType::Disconnect: return "DISCONNECT";
    case SocketPacketType::Event: return "EVENT";
    case SocketPacketType::Ack: return "ACK";
    case SocketPacketType::ConnectError: return "CONNECT_ERROR";
    case SocketPacketType::BinaryEvent: return "BINARY_EVENT";
    case SocketPacketType::BinaryAck: return "BINARY_ACK";
    }
    return "UNKNOWN";
}

bool isReservedEventName(std::string_view name) noexcept
{
    for (auto r : kReserved)
        if (r == name) return true;
    return false;
}

Result<Poco::Dynamic::Var> SocketPacket::data(std::size_t maxDepth) const
{
    if (payload.empty()) return Poco::Dynamic::Var();
    // Poco's parser has no position in its errors and its own depth rule; the scanner runs first
    // so that what data() accepts is exactly what the decoder accepts.
    JsonScanOptions options;
    options.maxDepth = maxDepth;
    options.placeholders = isBinary();
    options.attachmentCount = attachments.size();
    auto summary = JsonScanner::scan(payload, options);
    if (!summary) return summary.error();
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        // Poco parses only an object or an array at the top, but a CONNECT_ERROR may carry a bare
        // string (protocol v4): such a value is parsed as the one element of an array.
        const auto at = payload.find_first_not_of(" \t\r\n");
        const bool scalar = at != std::string::npos && payload[at] != '{' && payload[at] != '[';
        parser.setDepth(maxDepth + (scalar ? 2 : 1));
        Poco::Dynamic::Var tree = parser.parse(scalar ? "[" + payload + "]" : payload);
        if (scalar) tree = tree.extract<Poco::JSON::Array::Ptr>()->get(0);
        if (isBinary() && !reconstruct(tree, attachments))
            return ProtocolError(ProtocolErrc::BadPlaceholder, "placeholder num is not the index of an attachment");
        return tree;
    } catch (const Poco::Exception& e) {
        return ProtocolError(ProtocolErrc::InvalidJson, "payload: " + e.displayText());
    }
}

} // namespace vtp::signalling::protocol
