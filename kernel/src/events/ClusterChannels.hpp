#pragma once

#include "events/EventBus.hpp"
#include "events/RedisBridge.hpp"
#include "events/SendQueue.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace vtp::kernel {

class Logger;

struct ClusterSettings {
    std::string url;                              // redis.url; empty: a single node, nothing is ever sent
    std::string prefix = "vtp:events";            // events.redis_channel: PREFIX:cluster:NAME, PREFIX:cluster-nodes
    std::string nodeId;                           // this process on the channels (Kernel: node.id + "/" + random)
    std::chrono::milliseconds heartbeat{2000};    // presence renewed and the others read this often
    std::chrono::milliseconds nodeTimeout{10000}; // a node that did not renew for this long is gone
    size_t queueCapacity = 10000;                 // messages waiting for Redis, and per subscription
    size_t maxMessageBytes = 1 << 20;
    std::chrono::milliseconds maxBackoff{5000};
};

struct ClusterStats {
    uint64_t sent = 0;     // published to Redis
    uint64_t received = 0; // from other nodes, handed to subscriptions
    uint64_t skipped = 0;  // not sent: no other node
    uint64_t dropped = 0;  // not sent: the send queue was full, or left at stop
    size_t peers = 0, queued = 0;
};

// Node-to-node messages for plugins, apart from the event bus: never delivered to event
// subscribers or webhooks. A message goes to every other node's subscriptions of its channel,
// with the sending node's id; a node never receives its own.
//
// Redis, beside the event bridge: channel NAME is the pub/sub channel PREFIX:cluster:NAME, and
// one PSUBSCRIBE PREFIX:cluster:* connection receives them all. Each message is
// "FROM SEQ\nDATA"; SEQ counts per sender, so a message resent after a lost reply is dropped.
//
// Who else is there: each node keeps itself in the sorted set PREFIX:cluster-nodes, scored with
// an expiry time on the Redis server's clock (so node clocks need not agree), renewed every
// `heartbeat` by one Lua script that also removes expired members and returns the rest. The
// peers are that list without this node, plus any node heard from since the list was read.
// A node registers only while its subscription is confirmed, so a node that is listed
// receives; it leaves the set on stop(). When the list cannot be read for `nodeTimeout`, the
// peers are forgotten. send() with no peer sends nothing: a single node publishes no traffic.
//
// Delivery as for events: each subscription has its own bounded queue and thread (a private
// EventBus that never forwards). Thread-safe.
class ClusterChannels {
public:
    ClusterChannels(ClusterSettings settings, Logger& log);
    ~ClusterChannels();
    ClusterChannels(const ClusterChannels&) = delete;
    ClusterChannels& operator=(const ClusterChannels&) = delete;

    const std::string& nodeId() const { return settings_.nodeId; }
    bool enabled() const { return !settings_.url.empty(); }

    enum class SendResult { Queued, NoPeers, Dropped };
    // Channel names are event names ("signalling.sync"); data is any bytes up to
    // maxMessageBytes. Throws EventError for a bad name or an oversized message. Never blocks.
    SendResult send(std::string_view channel, std::string_view data);
    // `channel` may also be a pattern as for events ("signalling.*"). Throws EventError.
    uint64_t subscribe(const std::string& owner, const std::string& channel, EventHandler handler);
    void removeOwner(std::string_view owner);

    // The other nodes believed alive now, sorted.
    std::vector<std::string> peers() const;

    // Opens the connections (with a url) and starts delivering to subscriptions.
    void start();
    // Leaves the node set, closes the connections, lets subscriptions deliver what is queued
    // until `drainDeadline`, and joins every thread. Idempotent.
    void stop(std::chrono::milliseconds drainDeadline = std::chrono::seconds(1));

    ClusterStats stats() const;

    // The wire format, exposed for the unit tests.
    static std::string encode(std::string_view from, uint64_t seq, std::string_view data);
    struct Decoded {
        std::string from;
        uint64_t seq = 0;
        std::string data;
    };
    static std::optional<Decoded> decode(std::string_view message);
    // Merges a read of the node set with the nodes heard from since `listedAt`; for the tests.
    static std::vector<std::string> mergePeers(const std::vector<std::string>& listed, const std::string& self,
                                               const std::map<std::string, std::chrono::steady_clock::time_point>& heard,
                                               std::chrono::steady_clock::time_point listedAt);

private:
    struct Outgoing {
        std::string channel, message;
    };
    void publishLoop();
    void subscribeLoop();
    void onMessage(const std::string& channel, const std::string& message);
    void setPeers(std::vector<std::string> peers, const char* why);
    bool pause(std::chrono::milliseconds d);

    ClusterSettings settings_;
    Logger& log_;
    std::optional<RedisEndpoint> endpoint_;
    EventBus inbox_;

    mutable std::mutex mutex_; // queue_, stop_, beatNow_, peers_, heard_, lastSeq_, seq_
    std::condition_variable wake_;
    using Queue = SendQueue<Outgoing>;
    Queue queue_;
    bool stop_ = false;
    bool started_ = false;
    bool beatNow_ = false; // subscribed again: register at once
    uint64_t seq_ = 0;
    std::vector<std::string> peers_;
    std::map<std::string, std::chrono::steady_clock::time_point> heard_; // by the subscriber, since the last read
    std::map<std::string, uint64_t> lastSeq_;
    std::atomic<bool> subscribed_{false};
    std::atomic<bool> resetPublisher_{false};
    std::atomic<uint64_t> sent_{0}, received_{0}, skipped_{0};

    std::thread publisher_, subscriber_;
};

} // namespace vtp::kernel
