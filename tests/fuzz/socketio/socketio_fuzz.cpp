// Fuzzes the signalling plugin's Engine.IO / Socket.IO codec (plugins/signalling/src/protocol):
// everything a client can send before the plugin looks at it. The first byte picks the input:
//   'p' polling POST body: PollingPayload::decode, each message through one SocketDecoder
//   'w' WebSocket frames: [kind byte (even: text, odd: binary)][length: 2 bytes LE][bytes]...
//   's' one Socket.IO packet text: decode, then encode and decode again (must round-trip)
//   'q' an HTTP request: method, '?', query string: EngineHandshake::checkRequest
// and checks invariants a crash would not reveal (a decoded packet re-encodes to the same packet;
// data() never fails on a packet the decoder accepted).
#include "protocol/EngineHandshake.hpp"
#include "protocol/EnginePacket.hpp"
#include "protocol/PollingPayload.hpp"
#include "protocol/SocketDecoder.hpp"
#include "protocol/SocketEncoder.hpp"

#include <cstdint>
#include <string>
#include <string_view>

using namespace vtp::signalling::protocol;

namespace {

SocketDecoderLimits limits()
{
    SocketDecoderLimits l;
    l.maxPacketSize = 8192;
    l.maxAttachments = 4;
    l.maxDepth = 16;
    return l;
}

void check(bool ok)
{
    if (!ok) __builtin_trap();
}

// Round trip and tree of an accepted packet.
void exercise(const SocketPacket& p)
{
    auto tree = p.data(limits().maxDepth);
    check(tree.ok());
    auto encoded = SocketEncoder::encode(p, Framing::SocketIO);
    check(encoded.ok());
    SocketDecoder again(limits());
    auto r = again.addText(encoded->text);
    check(r.ok());
    std::optional<SocketPacket> back = std::move(r).value();
    for (const auto& a : encoded->attachments) {
        check(!back.has_value());
        auto next = again.addAttachment(a);
        check(next.ok());
        back = std::move(next).value();
    }
    check(back.has_value() && *back == p);
    // The tree form re-encodes too (types may fold: BINARY_EVENT without buffers is an EVENT).
    auto fromTree = SocketEncoder::encode(p.type, p.nsp, *tree, p.id, Framing::SocketIO);
    check(fromTree.ok() || fromTree.error().code == ProtocolErrc::BadPayload);
}

void feed(SocketDecoder& decoder, const EnginePacket& message)
{
    auto r = decoder.add(message);
    if (r.ok() && r->has_value()) exercise(**r);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0) return 0;
    const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0]) {
    case 'p': {
        auto packets = PollingPayload::decode(in, 16384);
        if (!packets) return 0;
        SocketDecoder decoder(limits());
        for (const auto& p : *packets) {
            if (p.type == EnginePacketType::Message) feed(decoder, p);
        }
        auto body = PollingPayload::encode(*packets);
        if (body.ok()) {
            auto again = PollingPayload::decode(*body, body->size());
            check(again.ok() && *again == *packets);
        }
        break;
    }
    case 'w': {
        SocketDecoder decoder(limits());
        std::size_t i = 0;
        while (i + 3 <= in.size()) {
            const bool binary = static_cast<unsigned char>(in[i]) & 1;
            const std::size_t len =
                static_cast<unsigned char>(in[i + 1]) | (static_cast<std::size_t>(static_cast<unsigned char>(in[i + 2])) << 8);
            i += 3;
            const std::string_view frame = in.substr(i, len);
            i += frame.size();
            auto p = binary ? EnginePacket::decodeBinary(frame, 8192) : EnginePacket::decodeText(frame, 8192);
            if (p.ok() && p->type == EnginePacketType::Message) feed(decoder, *p);
        }
        break;
    }
    case 's': {
        auto p = SocketDecoder::parse(in, limits());
        if (p.ok() && !p->isBinary()) exercise(*p);
        break;
    }
    case 'q': {
        const auto q = in.find('?');
        auto r = EngineHandshake::checkRequest(in.substr(0, q), q == std::string_view::npos ? std::string_view() : in.substr(q + 1));
        if (!r.ok()) check(!r.error().body().empty());
        break;
    }
    default: break;
    }
    return 0;
}
