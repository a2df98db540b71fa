#include "events/RedisSubscription.hpp"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Redis/Array.h>
#include <Poco/Redis/Client.h>

#include <chrono>
#include <stdexcept>

namespace vtp::kernel {

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(2);
constexpr auto kReplyTimeout = std::chrono::seconds(5);
constexpr auto kPingInterval = std::chrono::seconds(5);
constexpr auto kSilenceLimit = std::chrono::seconds(15); // no reply to our pings: the link is dead
constexpr auto kPollSlice = std::chrono::milliseconds(200);

Poco::Timespan span(std::chrono::milliseconds d)
{
    return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(d.count()) * 1000);
}

} // namespace

void runRedisSubscription(const RedisEndpoint& endpoint, const std::vector<std::string>& command, const std::function<bool()>& stopping,
                          const RedisSubscriptionCallbacks& callbacks)
{
    Poco::Net::StreamSocket socket;
    socket.connect(Poco::Net::SocketAddress(endpoint.host, endpoint.port), span(kConnectTimeout));
    socket.setNoDelay(true);
    auto send = [&](const std::vector<std::string>& words) {
        const std::string bytes = respCommand(words);
        size_t done = 0;
        while (done < bytes.size()) {
            const int n = socket.sendBytes(bytes.data() + done, static_cast<int>(bytes.size() - done));
            if (n <= 0) throw std::runtime_error("send failed");
            done += static_cast<size_t>(n);
        }
    };
    if (!endpoint.password.empty()) send({"AUTH", endpoint.password});
    send(command);

    RespReader reader;
    auto lastData = std::chrono::steady_clock::now();
    auto lastPing = lastData;
    char buffer[16384];
    while (true) {
        if (stopping()) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - lastData > kSilenceLimit) throw std::runtime_error("no answer from Redis");
        if (now - lastPing > kPingInterval) {
            send({"PING"});
            lastPing = now;
        }
        if (!socket.poll(span(kPollSlice), Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR)) continue;
        const int n = socket.receiveBytes(buffer, sizeof buffer);
        if (n <= 0) throw std::runtime_error("Redis closed the connection");
        lastData = std::chrono::steady_clock::now();
        reader.append(std::string_view(buffer, static_cast<size_t>(n)));
        while (auto v = reader.next()) {
            if (v->type == '-') throw std::runtime_error("Redis: " + v->text);
            if (v->type != '*' || v->items.empty()) continue; // +OK of AUTH
            const std::string& kind = v->items[0].text;
            if (kind == "subscribe" || kind == "psubscribe") {
                if (callbacks.subscribed) callbacks.subscribed();
            } else if (kind != "pong" && callbacks.message) {
                callbacks.message(*v);
            }
        }
    }
}

std::unique_ptr<Poco::Redis::Client> connectRedisClient(const RedisEndpoint& endpoint)
{
    auto client = std::make_unique<Poco::Redis::Client>();
    client->connect(endpoint.host, endpoint.port, span(kConnectTimeout));
    client->setReceiveTimeout(span(kReplyTimeout));
    if (!endpoint.password.empty()) client->execute<std::string>(Poco::Redis::Array() << "AUTH" << endpoint.password);
    return client;
}

} // namespace vtp::kernel
