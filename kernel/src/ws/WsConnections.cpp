// Connections: the handshake checks, a connection's open, its messages (reassembled and bounded) and its close.

#include "ws/WsShard.hpp"

#include "http/HttpPipeline.hpp"
#include "ws/LwsSupport.hpp"

#include <strings.h>

#include <string>

namespace vtp::kernel {

using namespace ws;

const WsEndpoint* WsServer::Shard::findEndpoint(std::string_view path) const
{
    auto it = endpoints.find(normalizePath(path));
    return it == endpoints.end() ? nullptr : &it->second;
}

int WsServer::Shard::onConfirmUpgrade(lws* wsi, const char* upgrade)
{
    if (!upgrade || strcasecmp(upgrade, "websocket") != 0)
        return refuseHttp(wsi, 400, "bad-upgrade", "only WebSocket upgrades are served on this port");
    std::string path = copyHeader(wsi, WSI_TOKEN_GET_URI);
    if (!findEndpoint(path)) {
        log.debug(kComponent, "refused handshake for unknown path", {{"path", path}});
        return refuseHttp(wsi, 404, "not-found", "no socket endpoint has this path");
    }
    bool full = false;
    {
        std::lock_guard lock(mutex);
        full = stopping || this->full();
    }
    if (full) {
        log.warn(kComponent, "refused handshake: connection limit reached or stopping", {{"path", path}});
        return refuseHttp(wsi, 503, "unavailable", "the socket server is at its connection limit or shutting down");
    }
    return 0;
}

// The client's address: the peer, or what X-Forwarded-For says behind a trusted proxy (as on the HTTP port).
std::string WsServer::Shard::remoteAddressOf(lws* wsi, const std::map<std::string, std::string>& headers) const
{
    std::string peer = peerAddress(wsi);
    if (limits.trustedProxies.empty()) return peer;
    auto forwarded = headers.find("x-forwarded-for");
    return clientAddress(peer, forwarded == headers.end() ? nullptr : &forwarded->second, limits.trustedProxies);
}

int WsServer::Shard::onEstablished(lws* wsi, Session* session)
{
    if (!session) return -1;
    WsConnectionInfo info;
    info.path = copyHeader(wsi, WSI_TOKEN_GET_URI);
    const WsEndpoint* endpoint = findEndpoint(info.path);
    if (!endpoint) return -1;
    info.query = copyQuery(wsi);
    info.headers = copyHeaders(wsi);
    info.remoteAddress = remoteAddressOf(wsi, info.headers);
    info.id = newId();

    auto connection = std::make_unique<Connection>();
    connection->id = info.id;
    connection->wsi = wsi;
    connection->endpoint = endpoint;
    connection->maxMessageBytes = endpoint->maxMessageBytes ? endpoint->maxMessageBytes : limits.maxMessageBytes;
    connection->lastActivity = Clock::now();
    Connection* raw = connection.get();
    {
        std::lock_guard lock(mutex);
        if (stopping || full()) return -1;
        connections.emplace(info.id, std::move(connection));
        ++shared.open;
    }
    session->connection = raw;
    if (endpoint->onOpen) invokeSafely("onOpen", info.id, [&] { endpoint->onOpen(info); });
    return 0;
}

int WsServer::Shard::onReceive(lws* wsi, Session* session, const char* data, size_t len)
{
    Connection* connection = session ? session->connection : nullptr;
    if (!connection || connection->closeNotified) return 0;
    connection->lastActivity = Clock::now();
    if (lws_is_first_fragment(wsi)) {
        connection->rx.clear();
        connection->rxBinary = lws_frame_is_binary(wsi) != 0;
    }
    bool complete = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
    if (connection->rx.size() + len > connection->maxMessageBytes) {
        std::string().swap(connection->rx);
        {
            std::lock_guard lock(mutex);
            connection->closeRequested = true;
            connection->closeCode = kCloseTooBig;
            connection->closeReason = "message too big";
        }
        connection->closeStarted = true;
        unsigned char reason[] = "message too big";
        lws_close_reason(wsi, static_cast<lws_close_status>(kCloseTooBig), reason, sizeof(reason) - 1);
        notifyClose(*connection, kCloseTooBig);
        return -1;
    }
    const WsEndpoint* endpoint = connection->endpoint;
    if (complete) ++messagesIn;
    if (complete && connection->rx.empty()) {
        // The whole message arrived in one piece: hand lws's buffer over without copying.
        if (endpoint->onMessage)
            invokeSafely("onMessage", connection->id,
                         [&] { endpoint->onMessage(connection->id, std::string_view(data, len), connection->rxBinary); });
        return 0;
    }
    connection->rx.append(data, len);
    if (!complete) return 0;
    if (endpoint->onMessage)
        invokeSafely("onMessage", connection->id, [&] { endpoint->onMessage(connection->id, connection->rx, connection->rxBinary); });
    // onMessage may have closed the connection; the session pointer is still valid until CLOSED.
    if (connection->rx.capacity() > 64 * 1024)
        std::string().swap(connection->rx);
    else
        connection->rx.clear();
    return 0;
}

// Starts a close the service thread has learned about (close(), overflow, idle, stop).
void WsServer::Shard::startClose(Connection& connection, bool overflowed)
{
    if (connection.closeStarted || connection.closeNotified) return;
    connection.closeStarted = true;
    if (overflowed && lws_send_pipe_choked(connection.wsi)) {
        // The peer is not reading: a close frame would sit behind the unread data, so drop it now.
        int code = 0;
        {
            std::lock_guard lock(mutex);
            code = connection.closeCode;
        }
        notifyClose(connection, code);
        lws_set_timeout(connection.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    lws_set_timeout(connection.wsi, PENDING_TIMEOUT_USER_OK, kCloseFlushSeconds);
    lws_callback_on_writable(connection.wsi);
}

void WsServer::Shard::notifyClose(Connection& connection, int code)
{
    if (connection.closeNotified) return;
    connection.closeNotified = true;
    {
        std::lock_guard lock(mutex);
        connection.closeRequested = true;
        if (!connection.closeCode) connection.closeCode = code;
        connection.queue.clear();
        connection.queuedBytes = 0;
    }
    std::string().swap(connection.rx);
    const WsEndpoint* endpoint = connection.endpoint;
    if (endpoint->onClose) invokeSafely("onClose", connection.id, [&] { endpoint->onClose(connection.id, code); });
}

// The socket is gone: forget the connection, then report it if nobody has yet (so connectionCount()
// already excludes it inside onClose).
void WsServer::Shard::onClosed(Session* session)
{
    Connection* connection = session ? session->connection : nullptr;
    if (!connection) return;
    session->connection = nullptr;
    std::unique_ptr<Connection> owned;
    int code = 0;
    {
        std::lock_guard lock(mutex);
        if (connection->closeRequested) code = connection->closeCode;
        auto it = connections.find(connection->id);
        if (it != connections.end()) {
            owned = std::move(it->second);
            connections.erase(it);
            --shared.open;
        }
    }
    if (!code) code = connection->peerCloseCode ? connection->peerCloseCode : kCloseAbnormal;
    notifyClose(*connection, code);
}

void WsServer::Shard::onPeerClose(Session* session, const unsigned char* payload, size_t len)
{
    Connection* connection = session ? session->connection : nullptr;
    if (!connection) return;
    connection->peerCloseCode = len >= 2 ? (payload[0] << 8) | payload[1] : kCloseNoStatus;
    connection->peerClosing = true;
}

} // namespace vtp::kernel
