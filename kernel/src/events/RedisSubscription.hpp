#pragma once

#include "events/RedisBridge.hpp"
#include "events/Resp.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace Poco::Redis {
class Client;
}

namespace vtp::kernel {

struct RedisSubscriptionCallbacks {
    // Redis confirmed a (P)SUBSCRIBE of `command` on this connection.
    std::function<void()> subscribed;
    // Any other array Redis pushes: ["message", channel, data] or ["pmessage", pattern, channel, data].
    std::function<void(const RespValue&)> message;
};

// One pub/sub connection's life, shared by the event bridge and the cluster channels: connects
// (2 s timeout), authenticates, sends `command` (e.g. {"SUBSCRIBE", channel}) and reads until
// `stopping()` (checked every 200 ms) returns true, which returns normally. Sends a PING every
// 5 s and gives up after 15 s without a byte from Redis. Any failure throws (Poco::Exception or
// std::exception); the caller logs it, backs off and calls again.
//
// Not Poco::Redis: its Client hides the socket, and a receive timeout inside its stream marks
// the connection lost, so an idle subscription could not wait for a stop request.
void runRedisSubscription(const RedisEndpoint& endpoint, const std::vector<std::string>& command, const std::function<bool()>& stopping,
                          const RedisSubscriptionCallbacks& callbacks);

// A command connection (PUBLISH and the like), shared by the event bridge and the cluster
// channels: 2 s to connect, 5 s for each reply, authenticated. Throws like Poco::Redis does.
std::unique_ptr<Poco::Redis::Client> connectRedisClient(const RedisEndpoint& endpoint);

} // namespace vtp::kernel
