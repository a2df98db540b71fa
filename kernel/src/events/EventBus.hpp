#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace vtp::kernel {

class Logger;

// One event as subscribers see it. `payload` is the JSON object text; `origin` the node that
// published it; `id` unique per publication (the Redis bridge drops duplicates by it).
struct Event {
    std::string name;
    std::string payload;
    std::string origin;
    std::string id;
};

using EventHandler = std::function<void(const Event&)>;

// A name, pattern or payload the bus refuses; the text says which rule was broken.
class EventError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

struct EventBusSettings {
    size_t queueCapacity = 10000; // events waiting per subscription
    size_t maxPayloadBytes = 65536;
    std::string nodeId; // empty: hostname-pid
};

// Totals since start, and what waits now in all subscription queues.
struct EventBusStats {
    size_t queued = 0;
    uint64_t published = 0; // accepted by publish() on this node
    uint64_t delivered = 0; // handler calls that returned (local and remote events)
    uint64_t dropped = 0;   // per subscription: a full queue, or left at the stop deadline
};

struct SubscriptionStats {
    uint64_t id = 0;
    std::string owner, pattern;
    size_t queued = 0;
    uint64_t delivered = 0, dropped = 0;
};

// "user.registered", "user.*" or "*"; throws EventError otherwise.
void validateEventName(std::string_view name);
void validateEventPattern(std::string_view pattern);
bool eventPatternMatches(std::string_view pattern, std::string_view name);
// "hostname-pid": unique among the processes running at one time on a network of hosts.
std::string defaultNodeId();

// Publish/subscribe of named JSON events inside one vtpd.
//
// Each subscription has its own bounded queue and delivery thread, so events reach one
// subscriber in publication order and a slow subscriber delays only itself. publish() never
// blocks and never runs a handler: when a subscriber's queue is full the event is dropped for
// that subscriber alone (counted in its stats, warned about at most once per 10 s per
// subscription) and publish() reports it.
//
// Delivery begins with start(); events published before that wait in the queues (plugins
// subscribe during init but are called only once every plugin has started). Thread-safe.
class EventBus {
public:
    EventBus(EventBusSettings settings, Logger& log);
    ~EventBus();
    EventBus(const EventBus&) = delete;
    EventBus& operator=(const EventBus&) = delete;

    const std::string& nodeId() const { return settings_.nodeId; }
    size_t maxPayloadBytes() const { return settings_.maxPayloadBytes; }

    // Returns the subscription's id. Throws EventError for a bad pattern.
    uint64_t subscribe(const std::string& owner, const std::string& pattern, EventHandler handler);
    // Removes the subscriptions and waits for their delivery threads: once this returns, no
    // handler of theirs runs or will run. Must not be called from a handler.
    void unsubscribe(uint64_t id);
    void removeOwner(std::string_view owner);

    struct PublishResult {
        size_t subscribers = 0;      // local subscriptions it was queued for
        size_t dropped = 0;          // local subscriptions whose queue was full
        bool forwardDropped = false; // the remote side (Redis bridge) could not take it
    };
    // Validates (EventError), queues for every matching subscription and hands it to the
    // forwarder. Never blocks.
    PublishResult publish(std::string_view name, std::string_view payloadJson);
    // An event another node published: queued for the matching local subscriptions only.
    void deliverRemote(Event event);

    // Called on the publisher's thread for each event published here; must not block.
    // Returns false if it dropped the event. Set before start(), cleared before the forwarder dies.
    using Forwarder = std::function<bool(const Event&)>;
    void setForwarder(Forwarder forwarder);

    void start();
    // Stops accepting, lets each subscription deliver what is queued until `drainDeadline`
    // (the rest is dropped and counted), then joins the delivery threads. Idempotent.
    void stop(std::chrono::milliseconds drainDeadline = std::chrono::seconds(5));
    bool stopping() const;

    EventBusStats stats() const;
    std::vector<SubscriptionStats> subscriptionStats() const;

private:
    struct Subscription;
    void run(Subscription& s);
    void enqueue(const std::shared_ptr<const Event>& event, PublishResult* result);
    void startThread(Subscription& s);
    void joinRemoved(std::vector<std::shared_ptr<Subscription>> removed);

    EventBusSettings settings_;
    Logger& log_;
    mutable std::shared_mutex mutex_; // subscriptions_, forwarder_, started_, stopping_
    std::vector<std::shared_ptr<Subscription>> subscriptions_;
    Forwarder forwarder_;
    bool started_ = false;
    bool stopping_ = false;
    uint64_t nextId_ = 1;
    std::atomic<uint64_t> published_{0};
    std::atomic<uint64_t> retiredDelivered_{0}, retiredDropped_{0}; // of removed subscriptions
};

} // namespace vtp::kernel
