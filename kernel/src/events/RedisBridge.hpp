#pragma once

#include "events/EventBus.hpp"
#include "events/SendQueue.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>

#include <Poco/Types.h>

namespace Poco::Redis {
class Client;
}

namespace vtp::kernel {

class Logger;

struct RedisEndpoint {
    std::string host;
    uint16_t port = 6379;
    std::string password; // never logged
};
// "redis://[:password@]host[:port][/db]"; throws std::invalid_argument. The db number is
// ignored: Redis pub/sub channels are global to the server.
RedisEndpoint parseRedisUrl(const std::string& url);

// Envelope on the channel: {"v":1,"id":..,"name":..,"origin":..,"payload":"<the JSON text>"}.
// The payload travels as a string so that subscribers get the publisher's exact bytes.
std::string encodeEnvelope(const Event& event);
// Throws std::invalid_argument for a message that is not an envelope.
Event decodeEnvelope(std::string_view message);

struct RedisBridgeSettings {
    std::string url;
    std::string channel = "vtp:events";
    size_t queueCapacity = 10000; // events waiting to be sent while Redis is slow or down
    std::chrono::milliseconds maxBackoff{5000};
};

struct RedisBridgeStats {
    uint64_t sent = 0, received = 0, dropped = 0, reconnects = 0;
    size_t queued = 0;
};

// Carries the bus's events to the other vtpd nodes over one Redis pub/sub channel.
//
// Two connections, each with its own thread: the publisher sends the events this node
// published, in order, from a bounded queue (while Redis is down they wait there; when it is
// full, new events are delivered locally only, counted and warned about); the subscriber
// reads the channel and hands other nodes' events to the bus. A node skips its own messages
// (the bus already delivered them locally) and any id it has seen recently, since the
// publisher resends an event whose reply was lost. Any failure closes the connection and
// retries with backoff (200 ms doubling to maxBackoff), resubscribing; state changes are logged.
class RedisBridge {
public:
    enum class State { Connecting, Connected, Disconnected };

    // Attaches itself as the bus's forwarder. Threads start with start().
    RedisBridge(EventBus& bus, RedisBridgeSettings settings, Logger& log);
    ~RedisBridge();
    RedisBridge(const RedisBridge&) = delete;
    RedisBridge& operator=(const RedisBridge&) = delete;

    void start();
    // Detaches from the bus and joins both threads; events not yet sent are dropped. Idempotent.
    void stop();

    // The subscriber connection's state: Connected once SUBSCRIBE was confirmed.
    State state() const { return state_.load(); }
    static std::string_view stateName(State state);
    RedisBridgeStats stats() const;

private:
    bool forward(const Event& event);
    void publishLoop();
    void subscribeLoop();
    void setState(State state, const std::string& reason);
    // Waits up to `d` or until stop(); false if stopping.
    bool pause(std::chrono::milliseconds d);
    // After a reconnect: until `expected` clients subscribe to the channel again (bounded); false if stopping.
    bool awaitSubscribers(Poco::Redis::Client& client, Poco::Int64 expected);

    EventBus& bus_;
    RedisBridgeSettings settings_;
    RedisEndpoint endpoint_;
    Logger& log_;

    mutable std::mutex mutex_; // queue_, stop_
    std::condition_variable wake_;
    SendQueue<std::string> queue_; // encoded envelopes
    bool stop_ = false;
    bool started_ = false;
    std::atomic<bool> resetPublisher_{false};

    std::atomic<State> state_{State::Connecting};
    std::atomic<uint64_t> sent_{0}, received_{0}, reconnects_{0};

    std::deque<std::string> seenOrder_; // subscriber thread only
    std::unordered_set<std::string> seen_;

    std::thread publisher_, subscriber_;
};

} // namespace vtp::kernel
