#pragma once

// Chat messages go to the database on one writer thread, in batches: a message is acknowledged
// to its sender only once its batch is committed, so an acknowledged message is never lost,
// while a busy room costs one transaction per batch rather than one per message.

#include <vtp/db.hpp>
#include <vtp/json.hpp>
#include <vtp/log.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace vtp::signalling {

struct ChatMessage {
    std::string id, roomId, senderUser, senderParticipant, recipientUser, recipientParticipant, text;
    int64_t ts = 0;                // Unix milliseconds
    std::optional<uint64_t> ackId; // the sender's acknowledgement to answer
};

class ChatStore {
public:
    using Committed = std::function<void(std::vector<ChatMessage>&& batch, bool stored)>;
    ChatStore(const Db& db, const Log& log, size_t maxQueued, Committed onCommitted)
        : db_(db), log_(log), maxQueued_(maxQueued), onCommitted_(std::move(onCommitted))
    {
    }
    ~ChatStore() { stop(); }

    void start();
    void stop();
    // False when the queue is full (the sender is told to slow down).
    bool submit(ChatMessage m);
    // A room's history for `userId`, newest first: public messages and the user's private ones.
    Json history(const std::string& roomId, const std::string& userId, int64_t limit, const std::string& cursor) const;

private:
    void run();

    const Db& db_;
    const Log& log_;
    size_t maxQueued_;
    Committed onCommitted_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<ChatMessage> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace vtp::signalling
