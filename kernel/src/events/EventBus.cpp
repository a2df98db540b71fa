#include "events/EventBus.hpp"

#include "http/JsonCheck.hpp"
#include "ids/Uuid.hpp"
#include "log/Logger.hpp"

#include <unistd.h>

#include <algorithm>

namespace vtp::kernel {

namespace {

constexpr size_t kMaxNameLength = 128;
constexpr auto kWarnInterval = std::chrono::seconds(10);

bool segmentChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

} // namespace

void validateEventName(std::string_view name)
{
    if (name.empty() || name.size() > kMaxNameLength)
        throw EventError("an event name has 1 to " + std::to_string(kMaxNameLength) + " characters");
    if (name.front() < 'a' || name.front() > 'z')
        throw EventError("an event name begins with a lower-case letter: '" + std::string(name) + "'");
    char prev = '.';
    for (char c : name) {
        if (c == '.' && prev == '.') throw EventError("an event name has no empty segment: '" + std::string(name) + "'");
        if (c != '.' && !segmentChar(c))
            throw EventError("an event name is dotted lower-case words of a-z, 0-9 and _: '" + std::string(name) + "'");
        prev = c;
    }
    if (prev == '.') throw EventError("an event name does not end with a dot: '" + std::string(name) + "'");
}

void validateEventPattern(std::string_view pattern)
{
    if (pattern == "*") return;
    if (pattern.size() > 2 && pattern.ends_with(".*")) {
        validateEventName(pattern.substr(0, pattern.size() - 2));
        return;
    }
    if (pattern.find('*') != std::string_view::npos)
        throw EventError("a pattern is an exact name, a prefix ending in \".*\", or \"*\": '" + std::string(pattern) + "'");
    validateEventName(pattern);
}

bool eventPatternMatches(std::string_view pattern, std::string_view name)
{
    if (pattern == "*") return true;
    if (pattern.ends_with(".*")) {
        // "user.*" matches "user.created" and "user.profile.changed", not "user" or "users.x".
        const auto prefix = pattern.substr(0, pattern.size() - 1);
        return name.size() > prefix.size() && name.starts_with(prefix);
    }
    return pattern == name;
}

std::string defaultNodeId()
{
    char host[256] = {0};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "vtpd");
    return std::string(host) + "-" + std::to_string(::getpid());
}

struct EventBus::Subscription {
    uint64_t id = 0;
    std::string owner, pattern;
    EventHandler handler;

    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::shared_ptr<const Event>> queue;
    bool stop = false;
    std::chrono::steady_clock::time_point deadline;
    std::chrono::steady_clock::time_point lastWarn;
    std::atomic<uint64_t> delivered{0}, dropped{0};
    std::thread thread;
};

EventBus::EventBus(EventBusSettings settings, Logger& log) : settings_(std::move(settings)), log_(log)
{
    if (settings_.nodeId.empty()) settings_.nodeId = defaultNodeId();
    if (settings_.queueCapacity == 0) settings_.queueCapacity = 1;
}

EventBus::~EventBus()
{
    stop(std::chrono::milliseconds(0));
}

uint64_t EventBus::subscribe(const std::string& owner, const std::string& pattern, EventHandler handler)
{
    validateEventPattern(pattern);
    if (!handler) throw EventError("a subscription needs a handler");
    auto s = std::make_shared<Subscription>();
    s->owner = owner;
    s->pattern = pattern;
    s->handler = std::move(handler);
    std::unique_lock lock(mutex_);
    if (stopping_) throw EventError("the event bus has stopped");
    s->id = nextId_++;
    subscriptions_.push_back(s);
    if (started_) startThread(*s);
    return s->id;
}

void EventBus::startThread(Subscription& s)
{
    s.thread = std::thread([this, &s] { run(s); });
}

void EventBus::unsubscribe(uint64_t id)
{
    std::vector<std::shared_ptr<Subscription>> removed;
    {
        std::unique_lock lock(mutex_);
        for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
            if ((*it)->id == id) {
                removed.push_back(*it);
                it = subscriptions_.erase(it);
            } else {
                ++it;
            }
        }
    }
    joinRemoved(std::move(removed));
}

void EventBus::removeOwner(std::string_view owner)
{
    std::vector<std::shared_ptr<Subscription>> removed;
    {
        std::unique_lock lock(mutex_);
        for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
            if ((*it)->owner == owner) {
                removed.push_back(*it);
                it = subscriptions_.erase(it);
            } else {
                ++it;
            }
        }
    }
    joinRemoved(std::move(removed));
}

void EventBus::joinRemoved(std::vector<std::shared_ptr<Subscription>> removed)
{
    // Outside mutex_: a handler finishing its call may be publishing.
    for (auto& s : removed) {
        {
            std::lock_guard lock(s->mutex);
            s->stop = true;
            s->deadline = std::chrono::steady_clock::now();
        }
        s->wake.notify_all();
        if (s->thread.joinable()) s->thread.join();
        std::lock_guard lock(s->mutex);
        retiredDelivered_ += s->delivered.load();
        retiredDropped_ += s->dropped.load() + s->queue.size();
        s->queue.clear();
    }
}

EventBus::PublishResult EventBus::publish(std::string_view name, std::string_view payloadJson)
{
    validateEventName(name);
    if (payloadJson.size() > settings_.maxPayloadBytes)
        throw EventError("the payload has " + std::to_string(payloadJson.size()) + " bytes, more than events.max_payload_bytes (" +
                         std::to_string(settings_.maxPayloadBytes) + ")");
    const auto first = payloadJson.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || payloadJson[first] != '{') throw EventError("the payload is a JSON object");
    if (const auto check = checkJson(payloadJson); !check.ok) throw EventError("the payload is not valid JSON: " + check.message);

    auto event = std::make_shared<Event>();
    event->name = std::string(name);
    event->payload = std::string(payloadJson);
    event->origin = settings_.nodeId;
    event->id = randomUuid();

    PublishResult result;
    std::shared_lock lock(mutex_);
    if (stopping_) {
        log_.debug("events", "event published after the bus stopped is dropped", {{"event", event->name}});
        result.forwardDropped = true;
        return result;
    }
    ++published_;
    enqueue(event, &result);
    if (forwarder_ && !forwarder_(*event)) result.forwardDropped = true;
    return result;
}

void EventBus::deliverRemote(Event event)
{
    auto shared = std::make_shared<const Event>(std::move(event));
    std::shared_lock lock(mutex_);
    if (!stopping_) enqueue(shared, nullptr);
}

void EventBus::enqueue(const std::shared_ptr<const Event>& event, PublishResult* result)
{
    // Called with mutex_ held (shared).
    for (const auto& s : subscriptions_) {
        if (!eventPatternMatches(s->pattern, event->name)) continue;
        if (result) ++result->subscribers;
        bool warn = false;
        bool wake = false;
        {
            std::lock_guard lock(s->mutex);
            if (s->queue.size() >= settings_.queueCapacity) {
                ++s->dropped;
                if (result) ++result->dropped;
                const auto now = std::chrono::steady_clock::now();
                if (now - s->lastWarn >= kWarnInterval) {
                    s->lastWarn = now;
                    warn = true;
                }
            } else {
                // The delivery thread sleeps only on an empty queue: a wake-up per event was a
                // futex call per chat message.
                wake = s->queue.empty();
                s->queue.push_back(event);
            }
        }
        if (warn) {
            log_.warn("events", "subscriber queue full: events dropped for this subscriber",
                      {{"owner", s->owner},
                       {"pattern", s->pattern},
                       {"event", event->name},
                       {"dropped_total", std::to_string(s->dropped.load())},
                       {"capacity", std::to_string(settings_.queueCapacity)}});
        } else if (wake) {
            s->wake.notify_one();
        }
    }
}

void EventBus::setForwarder(Forwarder forwarder)
{
    std::unique_lock lock(mutex_);
    forwarder_ = std::move(forwarder);
}

void EventBus::start()
{
    std::unique_lock lock(mutex_);
    if (started_ || stopping_) return;
    started_ = true;
    for (auto& s : subscriptions_) startThread(*s);
}

void EventBus::run(Subscription& s)
{
    while (true) {
        std::shared_ptr<const Event> event;
        {
            std::unique_lock lock(s.mutex);
            s.wake.wait(lock, [&] { return s.stop || !s.queue.empty(); });
            if (s.stop && (s.queue.empty() || std::chrono::steady_clock::now() >= s.deadline)) return;
            event = std::move(s.queue.front());
            s.queue.pop_front();
        }
        try {
            s.handler(*event);
        } catch (const std::exception& e) {
            log_.error("events", "event handler threw", {{"owner", s.owner}, {"event", event->name}, {"error", e.what()}});
        } catch (...) {
            log_.error("events", "event handler threw", {{"owner", s.owner}, {"event", event->name}});
        }
        ++s.delivered;
    }
}

void EventBus::stop(std::chrono::milliseconds drainDeadline)
{
    std::vector<std::shared_ptr<Subscription>> all;
    {
        // Flags are set under mutex_ so that stopping() implies every thread was told.
        std::unique_lock lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        forwarder_ = nullptr;
        all = subscriptions_;
        const auto deadline = std::chrono::steady_clock::now() + drainDeadline;
        for (auto& s : all) {
            std::lock_guard sl(s->mutex);
            s->stop = true;
            s->deadline = deadline;
        }
    }
    for (auto& s : all) s->wake.notify_all();
    size_t left = 0;
    for (auto& s : all) {
        if (s->thread.joinable()) s->thread.join();
        std::lock_guard lock(s->mutex);
        left += s->queue.size();
        s->dropped += s->queue.size();
        s->queue.clear();
    }
    if (left > 0) log_.warn("events", "events still queued at the stop deadline were dropped", {{"dropped", std::to_string(left)}});
}

bool EventBus::stopping() const
{
    std::shared_lock lock(mutex_);
    return stopping_;
}

EventBusStats EventBus::stats() const
{
    EventBusStats out;
    out.published = published_.load();
    out.delivered = retiredDelivered_.load();
    out.dropped = retiredDropped_.load();
    std::shared_lock lock(mutex_);
    for (const auto& s : subscriptions_) {
        std::lock_guard sl(s->mutex);
        out.queued += s->queue.size();
        out.delivered += s->delivered.load();
        out.dropped += s->dropped.load();
    }
    return out;
}

std::vector<SubscriptionStats> EventBus::subscriptionStats() const
{
    std::vector<SubscriptionStats> out;
    std::shared_lock lock(mutex_);
    for (const auto& s : subscriptions_) {
        std::lock_guard sl(s->mutex);
        out.push_back({s->id, s->owner, s->pattern, s->queue.size(), s->delivered.load(), s->dropped.load()});
    }
    return out;
}

} // namespace vtp::kernel
