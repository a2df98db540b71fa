// The facade: WsServer's public methods over its shards (Impl). The shards themselves are in WsShard.hpp
// and the Ws*.cpp files named for what they do.

#include "ws/WsServer.hpp"

#include "ws/LwsSupport.hpp"
#include "ws/WsShard.hpp"

#include <stdexcept>
#include <string>

namespace vtp::kernel {

using namespace ws;

// The shards: one lws context, loop and service thread each, all listening on one port (the kernel
// spreads new connections over them). Each connection lives on one shard for its whole life.
struct WsServer::Impl {
    Impl(std::string host, uint16_t port, WsLimits limits, Logger& log) : shared(std::move(host), port, std::move(limits), log) {}

    Shared shared;
    std::vector<std::unique_ptr<Shard>> shards;
    std::mutex lifecycleMutex; // serializes start() and stop()
    bool started = false;
    bool attached = false; // to LwsLogRoute

    Shard* shardOf(uint64_t id) const { return shards.empty() ? nullptr : shards[id % shards.size()].get(); }

    void start()
    {
        std::lock_guard lifecycle(lifecycleMutex);
        if (started) throw std::logic_error("WsServer::start called twice");
        LwsLogRoute::instance().attach(&shared.log);
        attached = true;
        const bool share = shared.shardCount > 1;
        for (size_t i = 0; i < shared.shardCount; ++i) {
            shards.push_back(std::make_unique<Shard>(shared, i));
            shared.shards.push_back(shards.back().get());
        }
        try {
            for (auto& shard : shards) shard->start(shard->index == 0 ? shared.requestedPort : shards[0]->boundPort, share);
        } catch (...) {
            stopShards();
            throw;
        }
        started = true;
        auto portText = std::to_string(shards[0]->boundPort);
        auto threadsText = std::to_string(shards.size());
        shared.log.info(kComponent, "websocket server listening", {{"host", shared.host}, {"port", portText}, {"threads", threadsText}});
    }

    void stopShards()
    {
        for (auto& shard : shards) shard->requestStop();
        for (auto& shard : shards) shard->join();
        shards.clear();
        shared.shards.clear();
        if (attached) LwsLogRoute::instance().detach(&shared.log);
        attached = false;
    }

    void stop()
    {
        for (auto& shard : shards) {
            if (!shard->onThisThread()) continue;
            // Called from a callback: joining here would deadlock; the loops end and the destructor joins.
            for (auto& other : shards) other->requestStop();
            shared.log.warn(kComponent, "stop() called on the service thread; not joining");
            return;
        }
        std::lock_guard lifecycle(lifecycleMutex);
        if (!started) return;
        started = false;
        stopShards();
        shared.log.info(kComponent, "websocket server stopped");
    }

    size_t sendMany(const uint64_t* ids, size_t count, std::string_view data, bool binary)
    {
        if (shards.size() == 1) return shards[0]->sendMany(ids, count, data, binary);
        if (shards.empty()) return 0;
        // Recipients by shard; the other shards' first, so that their threads start writing while
        // this one queues its own.
        thread_local std::vector<std::vector<uint64_t>> byShard;
        byShard.resize(shards.size());
        for (auto& ids : byShard) ids.clear();
        for (size_t i = 0; i < count; ++i) byShard[ids[i] % shards.size()].push_back(ids[i]);
        size_t sent = 0;
        Shard* own = nullptr;
        for (size_t s = 0; s < shards.size(); ++s) {
            if (byShard[s].empty()) continue;
            if (shards[s]->onThisThread())
                own = shards[s].get();
            else
                sent += shards[s]->sendMany(byShard[s].data(), byShard[s].size(), data, binary);
        }
        if (own) sent += own->sendMany(byShard[own->index].data(), byShard[own->index].size(), data, binary);
        return sent;
    }

    template <typename Fn>
    auto sum(Fn&& fn) const
    {
        decltype(fn(*shards.front())) total{};
        for (const auto& shard : shards) total += fn(*shard);
        return total;
    }
};

WsServer::WsServer(std::string host, uint16_t port, WsLimits limits, Logger& log)
    : impl_(std::make_unique<Impl>(std::move(host), port, std::move(limits), log))
{
}

WsServer::~WsServer()
{
    try {
        stop();
        impl_->stopShards(); // after stop() from a callback: the loops are ending; join them now
    } catch (...) {
        // Only a failed join can throw here, and a destructor has no one to report it to.
    }
}

void WsServer::addEndpoint(WsEndpoint endpoint)
{
    std::lock_guard lifecycle(impl_->lifecycleMutex);
    if (impl_->started) throw std::logic_error("WsServer::addEndpoint after start");
    std::string key = normalizePath(endpoint.path);
    if (key.empty() || key.front() != '/') throw std::invalid_argument("WebSocket endpoint path must start with '/': " + endpoint.path);
    if (!impl_->shared.endpoints.emplace(key, std::move(endpoint)).second)
        throw std::invalid_argument("duplicate WebSocket endpoint path: " + key);
}

void WsServer::start()
{
    impl_->start();
}

uint16_t WsServer::port() const
{
    return impl_->shards.empty() ? 0 : impl_->shards[0]->boundPort;
}

bool WsServer::send(uint64_t id, std::string_view data, bool binary)
{
    return impl_->sendMany(&id, 1, data, binary) == 1;
}

size_t WsServer::sendMany(std::span<const uint64_t> ids, std::string_view data, bool binary)
{
    return impl_->sendMany(ids.data(), ids.size(), data, binary);
}

void WsServer::close(uint64_t id, int code, std::string_view reason)
{
    if (Shard* shard = impl_->shardOf(id)) shard->close(id, code, reason);
}

WsRespondResult WsServer::respond(uint64_t id, int status, std::vector<std::pair<std::string, std::string>> headers, std::string body)
{
    Shard* shard = impl_->shardOf(id);
    return shard ? shard->respond(id, status, std::move(headers), std::move(body)) : WsRespondResult::NotFound;
}

void WsServer::stop()
{
    impl_->stop();
}

size_t WsServer::connectionCount() const
{
    return impl_->sum([](const Shard& shard) {
        std::lock_guard lock(shard.mutex);
        return shard.connections.size();
    });
}

size_t WsServer::pendingHttpRequests() const
{
    return impl_->sum([](const Shard& shard) {
        std::lock_guard lock(shard.mutex);
        return shard.exchanges.size();
    });
}

uint64_t WsServer::messagesReceived() const
{
    return impl_->sum([](const Shard& shard) { return shard.messagesIn.load(); });
}

uint64_t WsServer::messagesSent() const
{
    return impl_->sum([](const Shard& shard) { return shard.messagesOut.load(); });
}

size_t WsServer::queuedBytes(uint64_t id) const
{
    Shard* shard = impl_->shardOf(id);
    if (!shard) return 0;
    std::lock_guard lock(shard->mutex);
    auto it = shard->connections.find(id);
    return it == shard->connections.end() ? 0 : it->second->queuedBytes;
}

} // namespace vtp::kernel
