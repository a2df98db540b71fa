#include "PartClock.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <stdexcept>

namespace vtp::bench {

int64_t monotonicNs()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool parsePartName(const std::string& name, PartId& out)
{
    const auto slash = name.rfind('/');
    const std::string file = slash == std::string::npos ? name : name.substr(slash + 1);
    unsigned long long msn = 0;
    unsigned part = 0;
    int used = 0;
    if (std::sscanf(file.c_str(), "part-%llu-%u.m4s%n", &msn, &part, &used) != 2 || static_cast<size_t>(used) != file.size()) return false;
    out = {msn, part};
    return true;
}

PartClock::PartClock(const std::string& dir)
{
    fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    stopFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd_ < 0 || stopFd_ < 0 || ::inotify_add_watch(fd_, dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
        throw std::runtime_error("cannot watch " + dir + ": " + std::strerror(errno));
    thread_ = std::thread([this] { run(); });
}

PartClock::~PartClock()
{
    stopping_ = true;
    const uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(stopFd_, &one, sizeof one);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
    ::close(stopFd_);
}

void PartClock::run()
{
    alignas(inotify_event) char buf[16384];
    while (!stopping_) {
        pollfd fds[2] = {{fd_, POLLIN, 0}, {stopFd_, POLLIN, 0}};
        if (::poll(fds, 2, 1000) <= 0 || !(fds[0].revents & POLLIN)) continue;
        const int64_t now = monotonicNs();
        const ssize_t n = ::read(fd_, buf, sizeof buf);
        for (ssize_t at = 0; n > 0 && at < n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(buf + at);
            at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
            PartId id;
            if (ev->len == 0 || !parsePartName(ev->name, id)) continue;
            std::lock_guard lock(mutex_);
            seen_.emplace(id, now); // the first event wins
        }
    }
}

std::map<PartId, int64_t> PartClock::between(int64_t fromNs, int64_t toNs) const
{
    std::lock_guard lock(mutex_);
    std::map<PartId, int64_t> out;
    for (const auto& [id, at] : seen_)
        if (at >= fromNs && at < toNs) out.emplace(id, at);
    return out;
}

size_t PartClock::size() const
{
    std::lock_guard lock(mutex_);
    return seen_.size();
}

} // namespace vtp::bench
