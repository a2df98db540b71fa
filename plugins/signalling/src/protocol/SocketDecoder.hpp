#pragma once

// Decodes Socket.IO v5 packets from the Engine.IO messages of one connection, reassembling
// binary packets: a BINARY_EVENT/BINARY_ACK text announces N attachments, the next N binary
// messages are its buffers, then the packet is complete. One decoder per connection; not
// thread-safe. Any error leaves the decoder reset; the caller should close the connection.

#include "protocol/EnginePacket.hpp"
#include "protocol/Result.hpp"
#include "protocol/SocketPacket.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vtp::signalling::protocol {

struct SocketDecoderLimits {
    std::size_t maxPacketSize = 1000000;  // bytes of a text packet (use the Engine.IO maxPayload)
    std::size_t maxAttachments = 10;      // per binary packet (socket.io-parser's default)
    std::size_t maxDepth = 32;            // JSON nesting
    std::size_t maxNamespaceLength = 128; // bytes, including the leading '/'
    bool rejectReservedEvents = true;     // a server refuses "connect", "disconnect", ... as events
};

class SocketDecoder {
public:
    explicit SocketDecoder(SocketDecoderLimits limits = {}) : limits_(limits) {}

    // The data of one Engine.IO message packet. A complete packet, or nullopt while a binary
    // packet still awaits attachments.
    Result<std::optional<SocketPacket>> add(const EnginePacket& message);
    Result<std::optional<SocketPacket>> addText(std::string_view text);
    Result<std::optional<SocketPacket>> addAttachment(std::string bytes);

    bool awaitingAttachments() const noexcept { return pending_.has_value(); }
    std::size_t attachmentsMissing() const noexcept { return pending_ ? expected_ - pending_->attachments.size() : 0; }
    void reset() noexcept
    {
        pending_.reset();
        expected_ = 0;
    }

    // One text packet on its own. A binary packet comes back with no attachments; its
    // announced count is in *attachmentCount (0 for other types).
    static Result<SocketPacket> parse(std::string_view text, const SocketDecoderLimits& limits, std::size_t* attachmentCount = nullptr);

private:
    SocketDecoderLimits limits_;
    std::optional<SocketPacket> pending_;
    std::size_t expected_ = 0;
};

} // namespace vtp::signalling::protocol
