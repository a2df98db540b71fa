#pragma once

// Waiting on a file without sleeping: inotify on its directory, plus (optionally) a pidfd so
// that a process dying first ends the wait. Header-only and free of gtest, so that test
// plugins can use it too.

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace vtp::test {

// Waits until `path` exists, or the process behind `pidfd` (-1: none) exits, or the timeout passes.
inline bool waitForFile(const std::string& path, int pidfd, std::chrono::milliseconds timeout)
{
    namespace fs = std::filesystem;
    const int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (in < 0) throw std::runtime_error("inotify_init1 failed");
    inotify_add_watch(in, fs::path(path).parent_path().c_str(), IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool found = false;
    while (true) {
        if (fs::exists(path)) {
            found = true;
            break;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) break;
        pollfd fds[2] = {{in, POLLIN, 0}, {pidfd, POLLIN, 0}};
        const int n = ::poll(fds, pidfd >= 0 ? 2 : 1, static_cast<int>(left));
        if (n > 0 && pidfd >= 0 && (fds[1].revents & POLLIN)) {
            found = fs::exists(path);
            break;
        }
        if (n > 0 && (fds[0].revents & POLLIN)) {
            char buf[4096];
            while (::read(in, buf, sizeof buf) > 0) {}
        }
    }
    ::close(in);
    return found;
}

} // namespace vtp::test
