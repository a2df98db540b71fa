#pragma once

// Engine.IO v4 HTTP long-polling bodies: packets joined by the record separator \x1e, each
// "<type>[<data>]" or, for binary messages, "b<base64>". The same bodies in both directions
// (POST from the client, GET response from the server).
//
// A server usually queues already-encoded packets per session (a broadcast is encoded once,
// then shared) and builds the GET response with append*() without re-encoding.

#include "protocol/EnginePacket.hpp"
#include "protocol/Result.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::signalling::protocol {

class PollingPayload {
public:
    static constexpr char kSeparator = '\x1e';

    // A POST body. Refused as a whole (the spec: close the session) when longer than
    // maxPayload bytes, when a packet is empty or has a bad type, or a "b" packet is not base64.
    // Base64 here is strict (vtp/base64.hpp: padded, no whitespace, canonical): every Engine.IO v4
    // encoder writes exactly that (engine.io-parser: FileReader's data URL in browsers,
    // Buffer#toString("base64") in Node; java.util.Base64 in the Java client), although Node's
    // own decoder would accept more.
    static Result<std::vector<EnginePacket>> decode(std::string_view body, std::size_t maxPayload);

    // A GET response body. A text packet containing \x1e cannot be framed (BadArgument);
    // Socket.IO packets never contain it (JSON escapes control characters).
    static Result<std::string> encode(std::span<const EnginePacket> packets);

    // Appends one packet to a body under construction, with the separator when out is not
    // empty. appendText takes the text form ("42[...]", "3", "6"); false when it contains \x1e.
    static bool appendText(std::string& out, std::string_view encodedPacket);
    static void appendBinary(std::string& out, std::string_view bytes);
    static bool append(std::string& out, const EnginePacket& packet);
};

} // namespace vtp::signalling::protocol
