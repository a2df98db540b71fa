#include "events/RedisBridge.hpp"

#include "events/RedisSubscription.hpp"
#include "log/Logger.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Redis/Array.h>
#include <Poco/Redis/Client.h>
#include <Poco/URI.h>

#include <stdexcept>

namespace vtp::kernel {

namespace {

constexpr auto kInitialBackoff = std::chrono::milliseconds(200);
constexpr size_t kSeenIds = 4096;
// After an outage, queued events wait this long at most for the nodes that received the last one
// to subscribe again: Redis keeps no message for a subscriber that is not there yet.
constexpr auto kResubscribeWait = std::chrono::seconds(5);
constexpr auto kResubscribePoll = std::chrono::milliseconds(50);

} // namespace

RedisEndpoint parseRedisUrl(const std::string& url)
{
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("redis.url is not a URL: " + e.message());
    }
    if (uri.getScheme() != "redis") throw std::invalid_argument("redis.url must begin with redis:// (TLS is not supported)");
    if (uri.getHost().empty()) throw std::invalid_argument("redis.url has no host");
    RedisEndpoint e;
    e.host = uri.getHost();
    e.port = uri.getPort() != 0 ? uri.getPort() : 6379;
    const auto& info = uri.getUserInfo();
    if (const auto colon = info.find(':'); colon != std::string::npos) e.password = info.substr(colon + 1);
    return e;
}

std::string encodeEnvelope(const Event& event)
{
    std::string out = "{\"v\":1,\"id\":\"";
    appendJsonEscaped(out, event.id);
    out += "\",\"name\":\"";
    appendJsonEscaped(out, event.name);
    out += "\",\"origin\":\"";
    appendJsonEscaped(out, event.origin);
    out += "\",\"payload\":\"";
    appendJsonEscaped(out, event.payload);
    out += "\"}";
    return out;
}

Event decodeEnvelope(std::string_view message)
{
    try {
        auto o = Poco::JSON::Parser().parse(std::string(message)).extract<Poco::JSON::Object::Ptr>();
        Event e;
        e.id = o->getValue<std::string>("id");
        e.name = o->getValue<std::string>("name");
        e.origin = o->getValue<std::string>("origin");
        e.payload = o->getValue<std::string>("payload");
        if (e.id.empty() || e.origin.empty()) throw std::invalid_argument("empty id or origin");
        validateEventName(e.name);
        return e;
    } catch (const std::invalid_argument&) {
        throw;
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("not an event envelope: " + e.displayText());
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("not an event envelope: ") + e.what());
    }
}

RedisBridge::RedisBridge(EventBus& bus, RedisBridgeSettings settings, Logger& log)
    : bus_(bus), settings_(std::move(settings)), endpoint_(parseRedisUrl(settings_.url)), log_(log), queue_(settings_.queueCapacity)
{
    bus_.setForwarder([this](const Event& e) { return forward(e); });
}

RedisBridge::~RedisBridge()
{
    stop();
}

std::string_view RedisBridge::stateName(State state)
{
    switch (state) {
    case State::Connecting: return "connecting";
    case State::Connected: return "connected";
    case State::Disconnected: return "disconnected";
    }
    return "unknown";
}

void RedisBridge::start()
{
    std::lock_guard lock(mutex_);
    if (started_ || stop_) return;
    started_ = true;
    publisher_ = std::thread([this] { publishLoop(); });
    subscriber_ = std::thread([this] { subscribeLoop(); });
}

void RedisBridge::stop()
{
    bus_.setForwarder(nullptr);
    {
        std::lock_guard lock(mutex_);
        if (stop_) return;
        stop_ = true;
    }
    wake_.notify_all();
    if (publisher_.joinable()) publisher_.join();
    if (subscriber_.joinable()) subscriber_.join();
    std::lock_guard lock(mutex_);
    if (const size_t n = queue_.dropAll())
        log_.warn("events", "events not yet sent to Redis at stop were dropped", {{"dropped", std::to_string(n)}});
}

RedisBridgeStats RedisBridge::stats() const
{
    RedisBridgeStats s;
    s.sent = sent_.load();
    s.received = received_.load();
    s.dropped = queue_.dropped();
    s.reconnects = reconnects_.load();
    std::lock_guard lock(mutex_);
    s.queued = queue_.size();
    return s;
}

bool RedisBridge::forward(const Event& event)
{
    std::string envelope = encodeEnvelope(event);
    SendQueue<std::string>::Push pushed;
    {
        std::lock_guard lock(mutex_);
        if (stop_) return false;
        pushed = queue_.push(std::move(envelope));
    }
    if (pushed == SendQueue<std::string>::Push::DroppedLogNow)
        log_.warn(
            "events", "Redis send queue full: events delivered on this node only",
            {{"event", event.name}, {"dropped_total", std::to_string(queue_.dropped())}, {"state", std::string(stateName(state_.load()))}});
    if (pushed != SendQueue<std::string>::Push::Queued) return false;
    wake_.notify_all();
    return true;
}

bool RedisBridge::pause(std::chrono::milliseconds d)
{
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, d, [&] { return stop_; });
}

void RedisBridge::setState(State state, const std::string& reason)
{
    const State old = state_.exchange(state);
    if (old == state) return;
    const std::string where = endpoint_.host + ":" + std::to_string(endpoint_.port);
    if (state == State::Connected)
        log_.info("events", "Redis bridge connected", {{"redis", where}, {"channel", settings_.channel}});
    else
        log_.warn("events", "Redis bridge disconnected; retrying", {{"redis", where}, {"error", reason}});
}

void RedisBridge::publishLoop()
{
    std::unique_ptr<Poco::Redis::Client> client;
    auto backoff = kInitialBackoff;
    Poco::Int64 lastReceivers = 0; // subscribers (this node's included) that the last PUBLISH reached
    while (true) {
        std::string envelope;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (stop_) return;
            envelope = queue_.front();
        }
        // The subscriber saw the link drop: this connection is most likely dead too.
        if (resetPublisher_.exchange(false)) client.reset();
        try {
            if (!client) {
                client = connectRedisClient(endpoint_);
                if (lastReceivers > 1 && !awaitSubscribers(*client, lastReceivers)) return;
            }
            lastReceivers = client->execute<Poco::Int64>(Poco::Redis::Array() << "PUBLISH" << settings_.channel << envelope);
            {
                std::lock_guard lock(mutex_);
                queue_.popFront();
            }
            ++sent_;
            backoff = kInitialBackoff;
        } catch (const std::exception& e) {
            // Poco::Exception derives from std::exception. The event stays queued and is resent
            // after reconnecting; receivers drop it if the lost reply hid a delivered copy.
            const std::string what =
                dynamic_cast<const Poco::Exception*>(&e) ? static_cast<const Poco::Exception&>(e).displayText() : std::string(e.what());
            log_.debug("events", "Redis publish failed; reconnecting", {{"error", what}});
            client.reset();
            if (!pause(backoff)) return;
            backoff = std::min(backoff * 2, settings_.maxBackoff);
        }
    }
}

bool RedisBridge::awaitSubscribers(Poco::Redis::Client& client, Poco::Int64 expected)
{
    const auto deadline = std::chrono::steady_clock::now() + kResubscribeWait;
    while (true) {
        auto reply = client.execute<Poco::Redis::Array>(Poco::Redis::Array() << "PUBSUB"
                                                                             << "NUMSUB" << settings_.channel);
        const auto now = reply.size() == 2 ? reply.get<Poco::Int64>(1) : 0;
        if (now >= expected) return true;
        if (std::chrono::steady_clock::now() >= deadline) {
            log_.info("events", "sending queued events although fewer nodes subscribe than before the outage",
                      {{"subscribers", std::to_string(now)}, {"before", std::to_string(expected)}});
            return true;
        }
        if (!pause(kResubscribePoll)) return false;
    }
}

void RedisBridge::subscribeLoop()
{
    auto backoff = kInitialBackoff;
    bool everConnected = false;
    bool warnedUnreachable = false;
    while (true) {
        {
            std::lock_guard lock(mutex_);
            if (stop_) return;
        }
        std::string reason;
        try {
            RedisSubscriptionCallbacks callbacks;
            callbacks.subscribed = [&] {
                if (everConnected) ++reconnects_;
                everConnected = true;
                backoff = kInitialBackoff;
                setState(State::Connected, "");
            };
            callbacks.message = [&](const RespValue& v) {
                if (v.items[0].text != "message" || v.items.size() != 3) return;
                Event e;
                try {
                    e = decodeEnvelope(v.items[2].text);
                } catch (const std::invalid_argument& ex) {
                    log_.warn("events", "ignored a message on the events channel", {{"error", ex.what()}});
                    return;
                }
                if (e.origin == bus_.nodeId()) return; // delivered locally when published
                if (!seen_.insert(e.id).second) return;
                seenOrder_.push_back(e.id);
                if (seenOrder_.size() > kSeenIds) {
                    seen_.erase(seenOrder_.front());
                    seenOrder_.pop_front();
                }
                ++received_;
                bus_.deliverRemote(std::move(e));
            };
            runRedisSubscription(
                endpoint_, {"SUBSCRIBE", settings_.channel},
                [this] {
                    std::lock_guard lock(mutex_);
                    return stop_;
                },
                callbacks);
            return;
        } catch (const Poco::Exception& e) {
            reason = e.displayText();
        } catch (const std::exception& e) {
            reason = e.what();
        }
        setState(everConnected ? State::Disconnected : State::Connecting, reason);
        if (!everConnected && !warnedUnreachable) {
            log_.warn("events", "Redis not reachable yet; events for other nodes wait in a bounded queue",
                      {{"redis", endpoint_.host + ":" + std::to_string(endpoint_.port)}, {"error", reason}});
            warnedUnreachable = true;
        }
        resetPublisher_ = true;
        if (!pause(backoff)) return;
        backoff = std::min(backoff * 2, settings_.maxBackoff);
    }
}

} // namespace vtp::kernel
