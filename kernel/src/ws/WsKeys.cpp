#include "ws/WsKeys.hpp"

#include "config/KeySpecs.hpp"

namespace vtp::kernel {

void addWebSocketKeys(ConfigSchema& schema)
{
    using T = ValueType;
    schema.add(keySpec("websocket.listen", T::String, std::string("127.0.0.1:8081"),
                       "Address of the WebSocket endpoint, host:port (port 0: any free port)"));
    schema.add(ranged(keySpec("websocket.max_message_bytes", T::Integer, int64_t{1} << 20,
                              "Largest incoming message; larger closes the connection (1009)"),
                      128, int64_t{1} << 30));
    schema.add(ranged(keySpec("websocket.max_send_queue_bytes", T::Integer, int64_t{4} << 20,
                              "Bytes queued for a slow client before it is disconnected (1008)"),
                      1024, int64_t{1} << 32));
    schema.add(
        ranged(keySpec("websocket.idle_timeout_seconds", T::Integer, int64_t{120}, "A connection with no traffic for this long is closed"),
               1, 86400));
    schema.add(
        ranged(keySpec("websocket.threads", T::Integer, int64_t{1},
                       "Service threads for the socket port, each with its own event loop and its share of the connections (0: one per CPU "
                       "core). Plugin callbacks still run one at a time; the writes they cause go out from every thread"),
               0, 16));
    schema.add(ranged(keySpec("websocket.max_connections", T::Integer, int64_t{10000},
                              "Open connections plus plain HTTP requests waiting for their answer, at most; more are refused (503)"),
                      1, 1000000));
    schema.add(ranged(
        keySpec(
            "websocket.http_response_timeout_seconds", T::Integer, int64_t{60},
            "A plain HTTP request on a socket endpoint (e.g. Socket.IO long-polling) its plugin has not answered in this time gets 504"),
        1, 3600));
}

} // namespace vtp::kernel
