#pragma once

// The HTTP side of Engine.IO v4: checking a request's query (EIO=4, transport, sid), the open
// packet the server answers a handshake with, and the JSON error bodies engine.io sends
// ({"code":N,"message":"..."}) so that the stock client reports them as it would for engine.io.

#include "protocol/Result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::signalling::protocol {

enum class EngineTransport : std::uint8_t { Polling, WebSocket };

// The codes and messages are engine.io's (Server.errors / Server.errorMessages).
enum class EngineErrorCode : std::uint8_t {
    UnknownTransport = 0,           // "Transport unknown"
    UnknownSid = 1,                 // "Session ID unknown"
    BadHandshakeMethod = 2,         // "Bad handshake method"
    BadRequest = 3,                 // "Bad request"
    Forbidden = 4,                  // "Forbidden"
    UnsupportedProtocolVersion = 5, // "Unsupported protocol version"
};

struct EngineHttpError {
    EngineErrorCode code;

    std::string_view message() const noexcept;
    int httpStatus() const noexcept { return code == EngineErrorCode::Forbidden ? 403 : 400; }
    // {"code":N,"message":"..."}, sent with Content-Type: application/json.
    std::string body() const;
};

struct EngineRequest {
    EngineTransport transport = EngineTransport::Polling;
    std::string sid; // empty: a handshake (a new session)

    bool isHandshake() const noexcept { return sid.empty(); }
};

struct EngineOpenOptions {
    std::string sid;
    std::vector<std::string> upgrades{"websocket"}; // [] on a WebSocket-only session
    std::uint32_t pingInterval = 25000;             // milliseconds
    std::uint32_t pingTimeout = 20000;              // milliseconds
    std::uint64_t maxPayload = 1000000;             // bytes
};

class EngineHandshake {
public:
    // Checks an Engine.IO request as engine.io does before looking the session up:
    // the transport first (UnknownTransport), then EIO=4 (UnsupportedProtocolVersion), then the
    // method (a handshake must be a GET: BadHandshakeMethod; polling with a sid GET or POST:
    // BadRequest) and the sid's form (UnknownSid: a malformed sid cannot be a known one).
    // query is the raw query string without '?'; other parameters (t, app data) are ignored.
    // Whether the sid exists, and upgrade rules, are the caller's (UnknownSid, BadRequest).
    static Result<EngineRequest, EngineHttpError> checkRequest(std::string_view method, std::string_view query);

    // The open packet text: 0{"sid":...,"upgrades":[...],"pingInterval":...,"pingTimeout":...,"maxPayload":...}
    static std::string openPacket(const EngineOpenOptions& options);

    // A query parameter's percent-decoded value; nullopt when absent, "" when not decodable.
    static std::optional<std::string> queryParameter(std::string_view query, std::string_view name);
};

} // namespace vtp::signalling::protocol
