#include "http/DeferredResponses.hpp"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <algorithm>
#include <stdexcept>
#include <vector>

namespace vtp::kernel {

namespace {

int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

constexpr uint64_t kWakeTag = 0; // ids start at 1

} // namespace

DeferredResponses::DeferredResponses(Ready ready, Gone gone) : ready_(std::move(ready)), gone_(std::move(gone)) {}

DeferredResponses::~DeferredResponses()
{
    stop();
}

void DeferredResponses::start()
{
    epollFd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epollFd_ < 0 || wakeFd_ < 0) throw std::runtime_error(std::string("deferred responses: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    if (::epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev) != 0)
        throw std::runtime_error(std::string("deferred responses: ") + std::strerror(errno));
    thread_ = std::thread([this] { loop(); });
}

void DeferredResponses::stop()
{
    if (thread_.joinable()) {
        stopping_ = true;
        wake();
        thread_.join();
    }
    if (epollFd_ >= 0) ::close(epollFd_);
    if (wakeFd_ >= 0) ::close(wakeFd_);
    epollFd_ = wakeFd_ = -1;
    std::lock_guard lock(mutex_);
    entries_.clear();
    deadlines_.clear();
    completed_.clear();
}

void DeferredResponses::wake()
{
    const uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wakeFd_, &one, sizeof one);
}

uint64_t DeferredResponses::open(uint32_t timeoutMs, std::string requestId)
{
    if (timeoutMs == 0 || timeoutMs > kMaxTimeoutMs) return 0;
    const uint64_t id = ++nextId_;
    Entry e;
    e.deadlineMs = nowMs() + timeoutMs;
    e.requestId = std::move(requestId);
    std::lock_guard lock(mutex_);
    entries_.emplace(id, std::move(e));
    return id;
}

void DeferredResponses::cancel(uint64_t id)
{
    std::lock_guard lock(mutex_);
    entries_.erase(id);
}

std::optional<HttpResponseData> DeferredResponses::attach(uint64_t id, int fd, void* owner, HttpResponseData fallback)
{
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    if (it == entries_.end()) return fallback; // cannot happen: only attach() and the holder drop attached ids
    Entry& e = it->second;
    if (e.answer) {
        // Completed while the handler was still returning: answer at once.
        auto answer = std::move(*e.answer);
        entries_.erase(it);
        return answer;
    }
    e.fd = fd;
    e.owner = owner;
    e.fallback = std::move(fallback);
    e.attached = true;
    // Only a hang-up matters while held (EPOLLHUP and EPOLLERR always count): a pipelined
    // request behind this one waits in the socket until the answer is out.
    epoll_event ev{};
    ev.events = EPOLLRDHUP;
    ev.data.u64 = id;
    if (::epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        entries_.erase(it);
        return makeProblem(503, "unavailable", "Service unavailable", "the server cannot hold this request", {});
    }
    ++held_;
    deadlines_.emplace(e.deadlineMs, id);
    // Stopping, complete() filling it right now, or the earliest deadline: the loop looks again.
    if (expireAll_ || e.done || deadlines_.begin()->second == id) wake();
    return std::nullopt;
}

bool DeferredResponses::complete(uint64_t id, const std::function<void(HttpResponseData&, const std::string&)>& fill)
{
    std::string requestId;
    {
        std::lock_guard lock(mutex_);
        const auto it = entries_.find(id);
        if (it == entries_.end() || it->second.done) return false;
        it->second.done = true;
        requestId = it->second.requestId;
    }
    HttpResponseData answer;
    fill(answer, requestId); // the plugin's code: never under the lock
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    if (it == entries_.end()) return true; // the client left meanwhile: nothing to send it to
    it->second.answer = std::move(answer);
    if (it->second.attached) {
        completed_.push_back(id);
        wake();
    }
    return true;
}

void DeferredResponses::expireAll()
{
    {
        std::lock_guard lock(mutex_);
        expireAll_ = true;
    }
    if (wakeFd_ >= 0) wake();
}

void* DeferredResponses::release(std::unordered_map<uint64_t, Entry>::iterator it)
{
    ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
    void* owner = it->second.owner;
    entries_.erase(it);
    --held_;
    return owner;
}

void DeferredResponses::loop()
{
    pthread_setname_np(pthread_self(), "vtp-http-defer");
    std::vector<epoll_event> events(256);
    std::vector<std::pair<void*, HttpResponseData>> answers;
    std::vector<void*> gone;
    while (!stopping_) {
        int timeout = 1000;
        {
            std::lock_guard lock(mutex_);
            if (!deadlines_.empty()) timeout = static_cast<int>(std::clamp<int64_t>(deadlines_.begin()->first - nowMs() + 1, 0, 1000));
            if (!completed_.empty() || (expireAll_ && !deadlines_.empty())) timeout = 0;
        }
        const int n = ::epoll_wait(epollFd_, events.data(), static_cast<int>(events.size()), timeout);
        if (n < 0 && errno != EINTR) break;
        {
            std::lock_guard lock(mutex_);
            for (int i = 0; i < n; ++i) {
                const uint64_t id = events[static_cast<size_t>(i)].data.u64;
                if (id == kWakeTag) {
                    uint64_t count;
                    [[maybe_unused]] const auto r = ::read(wakeFd_, &count, sizeof count);
                    continue;
                }
                // The client hung up: a later complete() finds nothing and is a no-op.
                const auto it = entries_.find(id);
                if (it != entries_.end() && it->second.attached) gone.push_back(release(it));
            }
            for (const uint64_t id : completed_) {
                const auto it = entries_.find(id);
                if (it == entries_.end() || !it->second.answer) continue;
                auto answer = std::move(*it->second.answer);
                answers.emplace_back(release(it), std::move(answer));
            }
            completed_.clear();
            const int64_t now = nowMs();
            while (!deadlines_.empty() && (expireAll_ || deadlines_.begin()->first <= now)) {
                const uint64_t id = deadlines_.begin()->second;
                deadlines_.erase(deadlines_.begin());
                const auto it = entries_.find(id);
                // Gone, answered, or being completed right now (that answer wins).
                if (it == entries_.end() || it->second.done) continue;
                auto fallback = std::move(it->second.fallback);
                answers.emplace_back(release(it), std::move(fallback));
            }
        }
        for (void* owner : gone) gone_(owner);
        for (auto& [owner, answer] : answers) ready_(owner, std::move(answer));
        gone.clear();
        answers.clear();
    }
}

} // namespace vtp::kernel
