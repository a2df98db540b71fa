#include "protocol/EngineHandshake.hpp"

#include "protocol/JsonWriter.hpp"

#include <optional>

namespace vtp::signalling::protocol {

namespace {

int hexDigit(char c) noexcept
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percentDecode(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            const int hi = hexDigit(s[i + 1]), lo = hexDigit(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// engine.io's ids are base64id: 20 URL-safe base64 characters. Accept that alphabet up to 64.
bool sidWellFormed(std::string_view sid) noexcept
{
    if (sid.empty() || sid.size() > 64) return false;
    for (char c : sid)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
    return true;
}

} // namespace

std::string_view EngineHttpError::message() const noexcept
{
    switch (code) {
    case EngineErrorCode::UnknownTransport: return "Transport unknown";
    case EngineErrorCode::UnknownSid: return "Session ID unknown";
    case EngineErrorCode::BadHandshakeMethod: return "Bad handshake method";
    case EngineErrorCode::BadRequest: return "Bad request";
    case EngineErrorCode::Forbidden: return "Forbidden";
    case EngineErrorCode::UnsupportedProtocolVersion: return "Unsupported protocol version";
    }
    return "Bad request";
}

std::string EngineHttpError::body() const
{
    std::string out = "{\"code\":";
    out += std::to_string(static_cast<int>(code));
    out += ",\"message\":";
    JsonWriter::appendString(out, message());
    out += '}';
    return out;
}

std::optional<std::string> EngineHandshake::queryParameter(std::string_view query, std::string_view name)
{
    std::size_t start = 0;
    while (start <= query.size()) {
        const std::size_t amp = query.find('&', start);
        const std::string_view pair = query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
        const std::size_t eq = pair.find('=');
        const std::string_view key = pair.substr(0, eq);
        if (key == name) {
            auto value = percentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
            return value ? std::move(*value) : std::string(); // present but undecodable: never a valid value
        }
        if (amp == std::string_view::npos) break;
        start = amp + 1;
    }
    return std::nullopt;
}

Result<EngineRequest, EngineHttpError> EngineHandshake::checkRequest(std::string_view method, std::string_view query)
{
    EngineRequest request;
    const auto transport = queryParameter(query, "transport");
    if (transport == "polling")
        request.transport = EngineTransport::Polling;
    else if (transport == "websocket")
        request.transport = EngineTransport::WebSocket;
    else
        return EngineHttpError{EngineErrorCode::UnknownTransport};

    if (queryParameter(query, "EIO") != "4") return EngineHttpError{EngineErrorCode::UnsupportedProtocolVersion};

    const auto sid = queryParameter(query, "sid");
    if (!sid) {
        if (method != "GET") return EngineHttpError{EngineErrorCode::BadHandshakeMethod};
        return request;
    }
    if (!sidWellFormed(*sid)) return EngineHttpError{EngineErrorCode::UnknownSid};
    const bool methodOk = request.transport == EngineTransport::WebSocket ? method == "GET" : (method == "GET" || method == "POST");
    if (!methodOk) return EngineHttpError{EngineErrorCode::BadRequest};
    request.sid = *sid;
    return request;
}

std::string EngineHandshake::openPacket(const EngineOpenOptions& options)
{
    std::string out = "0{\"sid\":";
    JsonWriter::appendString(out, options.sid);
    out += ",\"upgrades\":[";
    for (std::size_t i = 0; i < options.upgrades.size(); ++i) {
        if (i) out += ',';
        JsonWriter::appendString(out, options.upgrades[i]);
    }
    out += "],\"pingInterval\":";
    out += std::to_string(options.pingInterval);
    out += ",\"pingTimeout\":";
    out += std::to_string(options.pingTimeout);
    out += ",\"maxPayload\":";
    out += std::to_string(options.maxPayload);
    out += '}';
    return out;
}

} // namespace vtp::signalling::protocol
