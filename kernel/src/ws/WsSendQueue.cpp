// Sends. On the service thread (an endpoint answering or broadcasting from its onMessage), a message
// for a connection with nothing queued and nothing left in lws's own partial-write buffer is written
// at once with lws_write — no copy per recipient, no queue, no wake-up. With several shards the
// callback holds the callbacks' lock, so its sends to its own shard are queued and written right
// after it returns, and its sends to other shards go to their queues and wake them: the shards then
// write in parallel. Everything else (other threads, or a connection that is behind) goes to the
// connection's queue under `mutex`; the id goes on the `pending` list and, if that list was empty,
// lws_cancel_service() — the one lws call that is safe from any thread — wakes the loop with
// LWS_CALLBACK_EVENT_WAIT_CANCELLED, where the service thread drains `pending` and writes each queue
// while lws takes it whole (queued frames laid end to end, up to 64 KiB a write); what is left waits
// for SERVER_WRITEABLE, so a slow peer only ever holds back its own queue, and the queue is bounded
// by WsLimits::maxSendQueueBytes. A broadcast (sendMany) shares one frame among its
// recipients' queues. Callbacks must not block, and the lock is held only to move queue entries.

#include "ws/WsShard.hpp"

#include "ws/LwsSupport.hpp"

#include <cstring>
#include <string>

namespace vtp::kernel {

using namespace ws;

void WsServer::Shard::scheduleLocked(Connection& connection)
{
    if (connection.wakeQueued) return;
    connection.wakeQueued = true;
    bool wasEmpty = pending.empty() && pendingHttp.empty() && toAdopt.empty();
    pending.push_back(connection.id);
    // A non-empty list already has a wake-up on its way that will drain this entry too.
    if (wasEmpty && wakeContext) lws_cancel_service(wakeContext);
}

WsServer::Shard::Frame WsServer::Shard::makeFrame(std::string_view data)
{
    auto frame = std::make_shared<std::vector<unsigned char>>(LWS_PRE + data.size());
    if (!data.empty()) std::memcpy(frame->data() + LWS_PRE, data.data(), data.size());
    return frame;
}

// Service thread, under `mutex`: may a message skip the queue and go out now? Not if it would
// overtake a queued one, or lws still holds part of an earlier write (the peer is behind).
bool WsServer::Shard::writableNowLocked(const Connection& connection)
{
    return connection.queue.empty() && !connection.closeStarted && !connection.closeNotified && !connection.peerClosing && connection.wsi &&
           !lws_partial_buffered(connection.wsi);
}

// Under `mutex`. False if the queue would exceed its bound: the connection is then being closed.
bool WsServer::Shard::queueLocked(Connection& connection, const Frame& frame, size_t size, bool binary, bool wake)
{
    if (connection.queuedBytes + size > limits.maxSendQueueBytes) {
        connection.closeRequested = true;
        connection.overflowed = true;
        connection.closeCode = kClosePolicy;
        connection.closeReason = "send queue full";
        connection.queue.clear();
        connection.queuedBytes = 0;
        scheduleLocked(connection);
        return false;
    }
    connection.queuedBytes += size;
    connection.queue.push_back(OutMessage{frame, binary});
    if (wake) scheduleLocked(connection);
    return true;
}

// A failed write drops the connection asynchronously, so that no onClose runs inside the caller's send.
void WsServer::Shard::dropAfterFailedWrite(Connection& connection)
{
    {
        std::lock_guard lock(mutex);
        if (!connection.closeRequested) {
            connection.closeRequested = true;
            connection.closeCode = kCloseAbnormal;
        }
    }
    connection.closeStarted = true;
    lws_set_timeout(connection.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    auto idText = std::to_string(connection.id);
    log.debug(kComponent, "write failed, dropping connection", {{"id", idText}});
}

// Service thread: one message to one socket now.
bool WsServer::Shard::writeNow(Connection& connection, unsigned char* payload, size_t size, bool binary)
{
    int written = lws_write(connection.wsi, payload, size, binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    if (written < static_cast<int>(size)) {
        dropAfterFailedWrite(connection);
        return false;
    }
    ++messagesOut;
    connection.lastActivity = Clock::now();
    return true;
}

// Service thread: up to kMaxGatherBytes of queued messages in one write (frames laid end to end;
// server frames are unmasked, so lws only has to pass the bytes on).
WsServer::Shard::Gathered WsServer::Shard::writeGathered(Connection& connection)
{
    std::vector<OutMessage>& batch = gatherBatch;
    batch.clear();
    size_t bytes = 0;
    {
        std::lock_guard lock(mutex);
        while (!connection.queue.empty() && (batch.empty() || bytes + connection.queue.front().size() <= kMaxGatherBytes)) {
            bytes += connection.queue.front().size();
            connection.queuedBytes -= connection.queue.front().size();
            batch.push_back(std::move(connection.queue.front()));
            connection.queue.pop_front();
        }
    }
    if (batch.empty()) return Gathered::Nothing;
    if (batch.size() == 1) {
        const bool written = writeNow(connection, batch[0].frame->data() + LWS_PRE, batch[0].size(), batch[0].binary);
        batch.clear();
        return written ? Gathered::Wrote : Gathered::Failed;
    }
    gatherBuffer.resize(LWS_PRE);
    for (const OutMessage& message : batch) {
        const size_t size = message.size();
        unsigned char head[10];
        size_t headSize = 2;
        head[0] = static_cast<unsigned char>(0x80 | (message.binary ? 0x2 : 0x1));
        if (size < 126) {
            head[1] = static_cast<unsigned char>(size);
        } else if (size < 65536) {
            head[1] = 126;
            head[2] = static_cast<unsigned char>(size >> 8);
            head[3] = static_cast<unsigned char>(size);
            headSize = 4;
        } else {
            head[1] = 127;
            for (int i = 0; i < 8; ++i) head[2 + i] = static_cast<unsigned char>(static_cast<uint64_t>(size) >> (56 - 8 * i));
            headSize = 10;
        }
        gatherBuffer.insert(gatherBuffer.end(), head, head + headSize);
        const unsigned char* payload = message.frame->data() + LWS_PRE;
        gatherBuffer.insert(gatherBuffer.end(), payload, payload + size);
    }
    const size_t total = gatherBuffer.size() - LWS_PRE;
    int written = lws_write(connection.wsi, gatherBuffer.data() + LWS_PRE, total, LWS_WRITE_RAW);
    if (gatherBuffer.capacity() > 4 * kMaxGatherBytes) std::vector<unsigned char>().swap(gatherBuffer);
    const size_t count = batch.size();
    batch.clear(); // drops the frames' references now
    if (written < static_cast<int>(total)) {
        dropAfterFailedWrite(connection);
        return Gathered::Failed;
    }
    messagesOut += count;
    connection.lastActivity = Clock::now();
    return Gathered::Wrote;
}

size_t WsServer::Shard::sendMany(const uint64_t* ids, size_t count, std::string_view data, bool binary)
{
    if (count == 0) return 0;
    const bool service = onServiceThread();
    // Inside a callback that holds the shards' callback lock nothing is written: see invokeSafely.
    const bool defer = service && callbackDepth > 0 && shared.shardCount > 1;
    Frame frame; // built once, and only if some recipient needs its message queued
    size_t sent = 0;
    std::vector<Connection*> local;
    std::vector<Connection*>& now = service ? directTargets : local;
    now.clear();
    std::vector<Connection*> queuedHere; // queued on the service thread: ask lws directly, no wake-up
    std::vector<uint64_t> overflowed;
    {
        std::lock_guard lock(mutex);
        for (size_t i = 0; i < count; ++i) {
            auto it = connections.find(ids[i]);
            if (it == connections.end() || it->second->closeRequested) continue;
            Connection& connection = *it->second;
            if (service && !defer && writableNowLocked(connection)) {
                now.push_back(&connection);
                continue;
            }
            if (!frame) frame = makeFrame(data);
            if (!queueLocked(connection, frame, data.size(), binary, !service)) {
                overflowed.push_back(ids[i]);
                continue;
            }
            ++sent;
            if (defer) {
                if (!connection.deferQueued) {
                    connection.deferQueued = true;
                    deferred.push_back(&connection);
                }
            } else if (service) {
                queuedHere.push_back(&connection);
            }
        }
    }
    for (Connection* connection : queuedHere) flushQueue(*connection);
    if (!now.empty()) {
        directFrame.resize(LWS_PRE + data.size());
        if (!data.empty()) std::memcpy(directFrame.data() + LWS_PRE, data.data(), data.size());
        for (Connection* connection : now)
            if (writeNow(*connection, directFrame.data() + LWS_PRE, data.size(), binary)) ++sent;
        if (directFrame.capacity() > 256 * 1024) std::vector<unsigned char>().swap(directFrame);
        now.clear();
    }
    for (uint64_t id : overflowed) {
        auto idText = std::to_string(id);
        log.warn(kComponent, "send queue full, closing connection", {{"id", idText}});
    }
    return sent;
}

void WsServer::Shard::close(uint64_t id, int code, std::string_view reason)
{
    std::lock_guard lock(mutex);
    auto it = connections.find(id);
    if (it == connections.end() || it->second->closeRequested) return;
    Connection& connection = *it->second;
    connection.closeRequested = true;
    connection.closeCode = sanitizeCloseCode(code);
    connection.closeReason = truncateReason(reason);
    scheduleLocked(connection);
}

void WsServer::Shard::flushDeferred()
{
    // A callback of a flushed connection's close cannot add to the list: none runs from here.
    for (Connection* connection : deferred) {
        connection->deferQueued = false;
        flushQueue(*connection);
    }
    deferred.clear();
    if (deferred.capacity() > 4096) std::vector<Connection*>().swap(deferred);
}

// Service thread: writes what is queued while lws takes each message whole; what is left, and a
// close, go through writable callbacks. Written here rather than in a writable callback, a message
// from another thread costs no epoll_ctl to ask for POLLOUT and none to drop it again.
void WsServer::Shard::flushQueue(Connection& connection)
{
    if (connection.closeStarted || connection.closeNotified || connection.peerClosing || !connection.wsi) return;
    for (size_t round = 0; round < kMaxWritesPerCallback && !lws_partial_buffered(connection.wsi); ++round) {
        const Gathered result = writeGathered(connection);
        if (result == Gathered::Failed) return;
        if (result == Gathered::Nothing) break;
    }
    bool more = false;
    {
        std::lock_guard lock(mutex);
        more = !connection.queue.empty() || connection.closeRequested;
    }
    if (more) lws_callback_on_writable(connection.wsi);
}

int WsServer::Shard::onWriteable(lws* wsi, Session* session)
{
    Connection* connection = session ? session->connection : nullptr;
    if (!connection || connection->closeNotified) return 0;
    // Several queued messages per callback, until lws has to keep part of one (the peer is behind):
    // with one per event-loop round a backlog drained slower than it built up. A close goes out
    // in a callback of its own, after the messages queued before it.
    for (size_t round = 0; round < kMaxWritesPerCallback; ++round) {
        bool haveMessage = false;
        bool closeNow = false;
        int code = 0;
        std::string reason;
        {
            std::lock_guard lock(mutex);
            if (!connection->queue.empty()) {
                haveMessage = true;
            } else if (connection->closeRequested && round == 0) {
                closeNow = true;
                code = connection->closeCode;
                reason = connection->closeReason;
            }
        }
        if (closeNow) {
            connection->closeStarted = true;
            lws_close_reason(wsi, static_cast<lws_close_status>(code), reinterpret_cast<unsigned char*>(reason.data()), reason.size());
            notifyClose(*connection, code);
            return -1;
        }
        if (!haveMessage) break;
        if (writeGathered(*connection) == Gathered::Failed) return -1;
        if (lws_partial_buffered(wsi)) break;
    }
    bool more = false;
    {
        std::lock_guard lock(mutex);
        more = !connection->queue.empty() || connection->closeRequested;
    }
    if (more) lws_callback_on_writable(wsi);
    return 0;
}

} // namespace vtp::kernel
