#pragma once

// Standard base64 (RFC 4648 section 4) for binary packets in HTTP long-polling payloads
// ("b<base64>"). Encoding pads with '='; decoding accepts padded or unpadded input (Node's
// Buffer.from(s, "base64") does too) and refuses any other character.

#include <optional>
#include <string>
#include <string_view>

namespace vtp::signalling::protocol {

class Base64 {
public:
    static void appendEncoded(std::string& out, std::string_view bytes);
    static std::string encode(std::string_view bytes)
    {
        std::string out;
        appendEncoded(out, bytes);
        return out;
    }
    // nullopt when text is not base64.
    static std::optional<std::string> decode(std::string_view text);
};

} // namespace vtp::signalling::protocol
