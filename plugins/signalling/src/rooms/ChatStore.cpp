#include "rooms/ChatStore.hpp"

#include <vtp/errors.hpp>

#include <algorithm>
#include <chrono>

namespace vtp::signalling {

namespace {
constexpr size_t kBatch = 500;
// Rows per INSERT: 8 parameters each, far below SQLite's and PostgreSQL's parameter limits.
constexpr size_t kRowsPerInsert = 50;
// How long a batch waits for more messages before its commit: one commit (and its fsync) per 20 ms
// instead of one per message, and more rows of a room per index page written. Only acknowledgements
// wait; delivery does not. At 7,000 messages a second, 5 ms cost the writer 25% more CPU.
constexpr auto kLinger = std::chrono::milliseconds(20);
} // namespace

void ChatStore::start()
{
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void ChatStore::stop()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool ChatStore::submit(ChatMessage m)
{
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= maxQueued_ || stopping_) return false;
        queue_.push_back(std::move(m));
        // The writer needs waking only to start a batch or to cut a lingering one short.
        wake = queue_.size() == 1 || queue_.size() == kBatch;
    }
    if (wake) cv_.notify_one();
    return true;
}

void ChatStore::run()
{
    std::unique_lock lock(mutex_);
    while (true) {
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        // Drain what is queued even when stopping: those senders are waiting for their acks.
        if (queue_.empty() && stopping_) return;
        if (!stopping_ && queue_.size() < kBatch) cv_.wait_for(lock, kLinger, [&] { return stopping_ || queue_.size() >= kBatch; });
        std::vector<ChatMessage> batch;
        while (!queue_.empty() && batch.size() < kBatch) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        lock.unlock();
        bool stored = true;
        try {
            // A few rows per statement: under load the statement's parsing and planning, not the
            // rows, was most of the writer's time.
            db_.transaction([&](Tx& tx) {
                for (size_t first = 0; first < batch.size(); first += kRowsPerInsert) {
                    const size_t rows = std::min(kRowsPerInsert, batch.size() - first);
                    std::string sql = "INSERT INTO signalling_chat (id, room_id, sender_user, sender_participant, recipient_user, "
                                      "recipient_participant, text, ts) VALUES ";
                    std::vector<Param> params;
                    params.reserve(rows * 8);
                    for (size_t i = first; i < first + rows; ++i) {
                        const ChatMessage& m = batch[i];
                        sql += i == first ? "(?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?)";
                        params.insert(params.end(),
                                      {m.id, m.roomId, m.senderUser, m.senderParticipant,
                                       m.recipientUser.empty() ? Param(nullptr) : Param(m.recipientUser),
                                       m.recipientParticipant.empty() ? Param(nullptr) : Param(m.recipientParticipant), m.text, m.ts});
                    }
                    tx.exec(sql, params);
                }
            });
        } catch (const std::exception& e) {
            stored = false;
            log_.error("chat messages could not be stored", {{"count", std::to_string(batch.size())}, {"error", e.what()}});
        }
        onCommitted_(std::move(batch), stored);
        lock.lock();
    }
}

Json ChatStore::history(const std::string& roomId, const std::string& userId, int64_t limit, const std::string& cursor) const
{
    int64_t beforeTs = 0;
    std::string beforeId;
    if (!cursor.empty()) {
        const auto sep = cursor.find('_');
        try {
            if (sep == std::string::npos) throw std::invalid_argument("cursor");
            beforeTs = std::stoll(cursor.substr(0, sep));
            beforeId = cursor.substr(sep + 1);
        } catch (const std::exception&) {
            throw BadRequest("invalid cursor; pass next_cursor unchanged", "invalid-parameter");
        }
    }
    std::string sql = "SELECT id, sender_user, sender_participant, recipient_user, recipient_participant, text, ts FROM signalling_chat "
                      "WHERE room_id = ? AND (recipient_user IS NULL OR sender_user = ? OR recipient_user = ?)";
    std::vector<Param> params{roomId, userId, userId};
    if (!cursor.empty()) {
        sql += " AND (ts < ? OR (ts = ? AND id < ?))";
        params.emplace_back(beforeTs);
        params.emplace_back(beforeTs);
        params.emplace_back(beforeId);
    }
    const Rows rows = db_.query(sql + " ORDER BY ts DESC, id DESC LIMIT " + std::to_string(limit + 1), params);
    Json messages = Json::array();
    const size_t n = std::min<size_t>(rows.size(), static_cast<size_t>(limit));
    for (size_t i = 0; i < n; ++i) {
        const auto r = rows[i];
        Json m{{"id", r[0].asString()},   {"room", roomId},          {"from", r[2].asString()},
               {"user", r[1].asString()}, {"text", r[5].asString()}, {"ts", r[6].asInt()}};
        if (!r[4].isNull()) m.set("to", r[4].asString());
        messages.push(m);
    }
    Json next;
    if (rows.size() > n && n > 0) next = std::to_string(rows[n - 1][6].asInt()) + "_" + rows[n - 1][0].asString();
    return Json{{"messages", messages}, {"next_cursor", next}};
}

} // namespace vtp::signalling
