#pragma once

#include "http/HttpTypes.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

namespace vtp::kernel {

// Responses a handler finishes later (ABI 1.6 response_defer / response_complete): an id handed
// out during the handler call, completed from any thread, answered with the handler's fallback
// (or a 504) when its timeout passes first, or dropped when the client leaves meanwhile. No
// worker waits: a held connection sits in this object's own epoll set, which one thread watches
// for clients that hang up and for deadlines.
//
// The connection side (HttpServer) gives each held connection's socket and an opaque owner
// pointer; `ready` and `gone` are called on the holder thread, after the socket has left this
// object's set: ready(owner, answer) to send the answer, gone(owner) when the client hung up.
class DeferredResponses {
public:
    using Ready = std::function<void(void* owner, HttpResponseData answer)>;
    using Gone = std::function<void(void* owner)>;
    static constexpr uint32_t kMaxTimeoutMs = 3600 * 1000;

    DeferredResponses(Ready ready, Gone gone);
    ~DeferredResponses();
    DeferredResponses(const DeferredResponses&) = delete;
    DeferredResponses& operator=(const DeferredResponses&) = delete;

    void start(); // throws if the epoll set or the thread cannot be made
    void stop();  // joins the thread; what is still held is dropped

    // During a handler call: a new id whose answer may come from complete() from now on, and
    // whose deadline runs from now. 0 for a timeout outside 1..kMaxTimeoutMs.
    uint64_t open(uint32_t timeoutMs, std::string requestId);
    // The handler failed after deferring: forget the id.
    void cancel(uint64_t id);
    // After the handler returned and its worker let go of the connection: hold `fd` until the
    // answer comes. If it came already, returns it (nothing is held).
    std::optional<HttpResponseData> attach(uint64_t id, int fd, void* owner, HttpResponseData fallback);
    // Thread-safe, at most once per id: fills an answer and hands it over. False (fill not
    // called) if the id is unknown, timed out, completed already, or its client left.
    bool complete(uint64_t id, const std::function<void(HttpResponseData&, const std::string& requestId)>& fill);
    // Answers everything held now with its fallback (the server is stopping).
    void expireAll();
    size_t held() const { return held_.load(); }

private:
    struct Entry {
        int64_t deadlineMs = 0;
        std::string requestId;
        int fd = -1;
        void* owner = nullptr;
        bool attached = false;
        bool done = false; // complete() or a timeout took it: no second answer
        std::optional<HttpResponseData> answer;
        HttpResponseData fallback;
    };
    void loop();
    void wake();
    // Takes the entry out of the set and the map; lock held. Returns the owner.
    void* release(std::unordered_map<uint64_t, Entry>::iterator it);

    Ready ready_;
    Gone gone_;
    std::atomic<uint64_t> nextId_{0};
    std::atomic<size_t> held_{0};
    mutable std::mutex mutex_;
    std::unordered_map<uint64_t, Entry> entries_;
    std::multimap<int64_t, uint64_t> deadlines_; // attached entries by deadline (stale ones skipped)
    std::deque<uint64_t> completed_;             // attached entries whose answer is in
    bool expireAll_ = false;
    int epollFd_ = -1;
    int wakeFd_ = -1;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

} // namespace vtp::kernel
