#include "events/ClusterChannels.hpp"

#include "events/RedisSubscription.hpp"
#include "log/Logger.hpp"

#include <Poco/Exception.h>
#include <Poco/Redis/Array.h>
#include <Poco/Redis/Client.h>

#include <algorithm>
#include <charconv>
#include <set>

namespace vtp::kernel {

namespace {

constexpr auto kInitialBackoff = std::chrono::milliseconds(200);
constexpr size_t kMaxSenders = 1024; // sequence numbers kept per sender; past this, only the peers'

// Renews this node in the set (KEYS[1]) until now + ARGV[2] ms on the server's clock, drops
// members whose time has passed and returns those left. The key itself expires with the last.
constexpr const char* kPresenceScript = R"(local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return redis.call('ZRANGE', KEYS[1], 0, -1))";

// A PSUBSCRIBE pattern matching exactly `text` followed by anything.
std::string globPrefix(std::string_view text)
{
    std::string out;
    for (char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
        out += c;
    }
    return out + "*";
}

std::string describe(const std::exception& e)
{
    if (const auto* p = dynamic_cast<const Poco::Exception*>(&e)) return p->displayText();
    return e.what();
}

} // namespace

ClusterChannels::ClusterChannels(ClusterSettings settings, Logger& log)
    : settings_(std::move(settings)), log_(log),
      inbox_(EventBusSettings{settings_.queueCapacity == 0 ? 1 : settings_.queueCapacity, settings_.maxMessageBytes, settings_.nodeId},
             log),
      queue_(settings_.queueCapacity)
{
    if (settings_.queueCapacity == 0) settings_.queueCapacity = 1;
    // The id ends the wire format's first line.
    for (char& c : settings_.nodeId)
        if (static_cast<unsigned char>(c) < 0x20) c = '_';
    if (!settings_.url.empty()) endpoint_ = parseRedisUrl(settings_.url);
    // A node must renew well within the time the others give it.
    settings_.heartbeat = std::max(std::chrono::milliseconds(100), std::min(settings_.heartbeat, settings_.nodeTimeout / 2));
}

ClusterChannels::~ClusterChannels()
{
    stop(std::chrono::milliseconds(0));
}

std::string ClusterChannels::encode(std::string_view from, uint64_t seq, std::string_view data)
{
    std::string out;
    out.reserve(from.size() + data.size() + 24);
    out.append(from);
    out += ' ';
    out += std::to_string(seq);
    out += '\n';
    out.append(data);
    return out;
}

std::optional<ClusterChannels::Decoded> ClusterChannels::decode(std::string_view message)
{
    const auto newline = message.find('\n');
    if (newline == std::string_view::npos) return std::nullopt;
    const std::string_view head = message.substr(0, newline);
    const auto space = head.rfind(' ');
    if (space == std::string_view::npos || space == 0) return std::nullopt;
    Decoded d;
    const char* first = head.data() + space + 1;
    const char* last = head.data() + head.size();
    const auto [end, ec] = std::from_chars(first, last, d.seq);
    if (ec != std::errc() || end != last || first == last) return std::nullopt;
    d.from.assign(head.substr(0, space));
    d.data.assign(message.substr(newline + 1));
    return d;
}

std::vector<std::string> ClusterChannels::mergePeers(const std::vector<std::string>& listed, const std::string& self,
                                                     const std::map<std::string, std::chrono::steady_clock::time_point>& heard,
                                                     std::chrono::steady_clock::time_point listedAt)
{
    std::set<std::string> out;
    for (const auto& id : listed)
        if (id != self) out.insert(id);
    // Heard from after the read began: it registered before sending, but maybe after the read.
    for (const auto& [id, at] : heard)
        if (at >= listedAt && id != self) out.insert(id);
    return {out.begin(), out.end()};
}

ClusterChannels::SendResult ClusterChannels::send(std::string_view channel, std::string_view data)
{
    validateEventName(channel);
    if (data.size() > settings_.maxMessageBytes)
        throw EventError("a cluster message has at most " + std::to_string(settings_.maxMessageBytes) + " bytes");
    Queue::Push pushed;
    {
        std::lock_guard lock(mutex_);
        if (!endpoint_ || stop_ || peers_.empty()) {
            ++skipped_;
            return SendResult::NoPeers;
        }
        pushed = queue_.push(Outgoing{settings_.prefix + ":cluster:" + std::string(channel), encode(settings_.nodeId, seq_ + 1, data)});
        if (pushed == Queue::Push::Queued) ++seq_;
    }
    if (pushed == Queue::Push::DroppedLogNow)
        log_.warn("events", "cluster send queue full: messages for the other nodes dropped",
                  {{"channel", std::string(channel)}, {"dropped_total", std::to_string(queue_.dropped())}});
    if (pushed != Queue::Push::Queued) return SendResult::Dropped;
    wake_.notify_all();
    return SendResult::Queued;
}

uint64_t ClusterChannels::subscribe(const std::string& owner, const std::string& channel, EventHandler handler)
{
    return inbox_.subscribe(owner, channel, std::move(handler));
}

void ClusterChannels::removeOwner(std::string_view owner)
{
    inbox_.removeOwner(owner);
}

std::vector<std::string> ClusterChannels::peers() const
{
    std::lock_guard lock(mutex_);
    return peers_;
}

ClusterStats ClusterChannels::stats() const
{
    ClusterStats s;
    s.sent = sent_.load();
    s.received = received_.load();
    s.skipped = skipped_.load();
    s.dropped = queue_.dropped();
    std::lock_guard lock(mutex_);
    s.peers = peers_.size();
    s.queued = queue_.size();
    return s;
}

void ClusterChannels::start()
{
    {
        std::lock_guard lock(mutex_);
        if (started_ || stop_) return;
        started_ = true;
        if (endpoint_) {
            publisher_ = std::thread([this] { publishLoop(); });
            subscriber_ = std::thread([this] { subscribeLoop(); });
        }
    }
    inbox_.start();
}

void ClusterChannels::stop(std::chrono::milliseconds drainDeadline)
{
    {
        std::lock_guard lock(mutex_);
        if (stop_) return;
        stop_ = true;
    }
    wake_.notify_all();
    if (publisher_.joinable()) publisher_.join();
    if (subscriber_.joinable()) subscriber_.join();
    inbox_.stop(drainDeadline);
    std::lock_guard lock(mutex_);
    queue_.dropAll();
    peers_.clear();
}

bool ClusterChannels::pause(std::chrono::milliseconds d)
{
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, d, [&] { return stop_; });
}

void ClusterChannels::setPeers(std::vector<std::string> peers, const char* why)
{
    std::vector<std::string> joined, left;
    {
        std::lock_guard lock(mutex_);
        std::set_difference(peers.begin(), peers.end(), peers_.begin(), peers_.end(), std::back_inserter(joined));
        std::set_difference(peers_.begin(), peers_.end(), peers.begin(), peers.end(), std::back_inserter(left));
        peers_ = std::move(peers);
        // Sequence numbers of senders long gone: a restarted node has a new id.
        if (lastSeq_.size() > kMaxSenders)
            std::erase_if(lastSeq_, [&](const auto& e) { return !std::binary_search(peers_.begin(), peers_.end(), e.first); });
    }
    for (const auto& id : joined) log_.info("events", "cluster node joined", {{"node", id}});
    for (const auto& id : left) log_.info("events", "cluster node left", {{"node", id}, {"reason", why}});
}

void ClusterChannels::publishLoop()
{
    std::unique_ptr<Poco::Redis::Client> client;
    auto backoff = kInitialBackoff;
    auto nextBeat = std::chrono::steady_clock::now();
    auto lastListed = std::chrono::steady_clock::now();
    bool registered = false;
    const std::string nodesKey = settings_.prefix + ":cluster-nodes";
    const std::string ttl = std::to_string(settings_.nodeTimeout.count());
    auto connect = [&] {
        if (resetPublisher_.exchange(false)) client.reset();
        if (!client) client = connectRedisClient(*endpoint_);
    };
    while (true) {
        std::optional<Outgoing> next;
        {
            std::unique_lock lock(mutex_);
            wake_.wait_until(lock, nextBeat, [&] { return stop_ || beatNow_ || !queue_.empty(); });
            if (stop_) break;
            if (beatNow_) nextBeat = std::chrono::steady_clock::now();
            beatNow_ = false;
            if (!queue_.empty()) next = queue_.front();
        }
        try {
            const auto now = std::chrono::steady_clock::now();
            if (now >= nextBeat) {
                nextBeat = now + settings_.heartbeat;
                // Listed only while subscribed: a listed node hears what is sent to it.
                if (subscribed_.load()) {
                    connect();
                    const auto listedAt = std::chrono::steady_clock::now();
                    const auto reply = client->execute<Poco::Redis::Array>(Poco::Redis::Array() << "EVAL" << kPresenceScript << "1"
                                                                                                << nodesKey << settings_.nodeId << ttl);
                    registered = true;
                    std::vector<std::string> listed;
                    for (size_t i = 0; !reply.isNull() && i < reply.size(); ++i) {
                        const auto member = reply.get<Poco::Redis::BulkString>(i);
                        if (!member.isNull()) listed.push_back(member.value());
                    }
                    std::map<std::string, std::chrono::steady_clock::time_point> heard;
                    {
                        std::lock_guard lock(mutex_);
                        heard.swap(heard_);
                    }
                    setPeers(mergePeers(listed, settings_.nodeId, heard, listedAt), "no longer listed");
                    lastListed = std::chrono::steady_clock::now();
                } else if (now - lastListed > settings_.nodeTimeout) {
                    setPeers({}, "not subscribed");
                }
            }
            if (next) {
                connect();
                client->execute<Poco::Int64>(Poco::Redis::Array() << "PUBLISH" << next->channel << next->message);
                {
                    std::lock_guard lock(mutex_);
                    queue_.popFront();
                }
                ++sent_;
            }
            backoff = kInitialBackoff;
        } catch (const std::exception& e) {
            // Poco::Exception derives from std::exception. A message stays queued and is resent;
            // receivers drop the copy a lost reply hid by its sequence number.
            log_.debug("events", "cluster Redis command failed; reconnecting", {{"error", describe(e)}});
            client.reset();
            if (std::chrono::steady_clock::now() - lastListed > settings_.nodeTimeout) setPeers({}, "Redis unreachable");
            if (!pause(backoff)) break;
            backoff = std::min(backoff * 2, settings_.maxBackoff);
        }
    }
    // Leave the set, so that the others see this node gone at their next read, not after the timeout.
    if (registered) {
        try {
            connect();
            client->execute<Poco::Int64>(Poco::Redis::Array() << "ZREM" << nodesKey << settings_.nodeId);
        } catch (const std::exception& e) {
            log_.debug("events", "could not leave the cluster node set", {{"error", describe(e)}});
        }
    }
}

void ClusterChannels::onMessage(const std::string& channel, const std::string& message)
{
    const std::string channelPrefix = settings_.prefix + ":cluster:";
    if (channel.compare(0, channelPrefix.size(), channelPrefix) != 0) return;
    auto d = decode(message);
    if (!d || d->from.empty()) {
        log_.warn("events", "ignored a malformed message on a cluster channel", {{"channel", channel}});
        return;
    }
    if (d->from == settings_.nodeId) return; // our own
    const std::string name = channel.substr(channelPrefix.size());
    try {
        validateEventName(name);
    } catch (const EventError&) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        auto [it, fresh] = lastSeq_.try_emplace(d->from, d->seq);
        if (!fresh) {
            if (d->seq <= it->second) return; // resent after a lost reply
            it->second = d->seq;
        }
        heard_[d->from] = std::chrono::steady_clock::now();
        if (!std::binary_search(peers_.begin(), peers_.end(), d->from)) {
            // Registered before it sent, but after our last read: a peer from now on.
            peers_.insert(std::upper_bound(peers_.begin(), peers_.end(), d->from), d->from);
            log_.info("events", "cluster node joined", {{"node", d->from}});
        }
    }
    ++received_;
    inbox_.deliverRemote(Event{name, std::move(d->data), std::move(d->from), {}});
}

void ClusterChannels::subscribeLoop()
{
    auto backoff = kInitialBackoff;
    bool warned = false;
    const std::vector<std::string> command{"PSUBSCRIBE", globPrefix(settings_.prefix + ":cluster:")};
    while (true) {
        {
            std::lock_guard lock(mutex_);
            if (stop_) return;
        }
        std::string reason;
        try {
            RedisSubscriptionCallbacks callbacks;
            callbacks.subscribed = [&] {
                backoff = kInitialBackoff;
                warned = false;
                subscribed_ = true;
                {
                    std::lock_guard lock(mutex_);
                    beatNow_ = true;
                }
                wake_.notify_all();
                log_.info("events", "cluster channels subscribed", {{"node", settings_.nodeId}});
            };
            callbacks.message = [&](const RespValue& v) {
                if (v.items[0].text == "pmessage" && v.items.size() == 4) onMessage(v.items[2].text, v.items[3].text);
            };
            runRedisSubscription(
                *endpoint_, command,
                [this] {
                    std::lock_guard lock(mutex_);
                    return stop_;
                },
                callbacks);
            subscribed_ = false;
            return;
        } catch (const std::exception& e) {
            reason = describe(e);
        }
        subscribed_ = false;
        resetPublisher_ = true;
        if (!warned) {
            log_.warn("events", "cluster channels: Redis not reachable; retrying",
                      {{"redis", endpoint_->host + ":" + std::to_string(endpoint_->port)}, {"error", reason}});
            warned = true;
        }
        if (!pause(backoff)) return;
        backoff = std::min(backoff * 2, settings_.maxBackoff);
    }
}

} // namespace vtp::kernel
