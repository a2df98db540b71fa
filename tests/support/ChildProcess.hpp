#pragma once

// A child process the tests start (a script, a browser driver, a server such as aiosmtpd, nginx
// or coturn): in its own process group, so that it and everything it started are killed
// together when it goes out of scope; its output in a file.

#include "TestSupport.hpp"
#include "WaitForFile.hpp"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace vtp::test {

// A child process in its own process group (it and everything it starts are killed together),
// its output in a file.
class ChildProcess {
public:
    ChildProcess(const std::vector<std::string>& args, const std::string& logPath) : logPath_(logPath)
    {
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attr, 0);
        const int rc = posix_spawn(&pid_, argv[0], &actions, &attr, argv.data(), environ);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
        pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    }
    ~ChildProcess()
    {
        if (pid_ > 0) {
            ::kill(-pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (pidfd_ >= 0) ::close(pidfd_);
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // The exit code once it exits within `timeout`; otherwise the whole group is killed and -1.
    int wait(std::chrono::milliseconds timeout)
    {
        if (pid_ <= 0) return exitCode_;
        pollfd p{pidfd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
            ::kill(-pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
            pid_ = -1;
            return exitCode_ = -1;
        }
        int status = 0;
        ::waitpid(pid_, &status, 0);
        ::kill(-pid_, SIGKILL); // whatever it left behind (a browser)
        pid_ = -1;
        return exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    // Waits until `path` exists or the process exits first.
    bool waitForFileOrExit(const std::string& path, std::chrono::milliseconds timeout) const { return waitForFile(path, pidfd_, timeout); }
    std::string output() const { return readFile(logPath_); }
    // Whether it is still running (its pidfd not yet readable; nothing is reaped).
    bool running() const { return !exitedWithin(std::chrono::milliseconds(0)); }
    // Waits up to `timeout` for it to exit; true if it has.
    bool exitedWithin(std::chrono::milliseconds timeout) const
    {
        if (pid_ <= 0) return true;
        pollfd p{pidfd_, POLLIN, 0};
        return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
    }

private:
    std::string logPath_;
    pid_t pid_ = -1;
    int pidfd_ = -1;
    int exitCode_ = -1;
};

// Waits until something accepts TCP connections on 127.0.0.1:port, or the process exits.
inline bool waitForTcpPort(uint16_t port, const ChildProcess& process, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
            return true;
        } catch (const Poco::Exception&) {
            // No event says a port is open: wait on the process's exit instead, a little at a time.
            if (process.exitedWithin(std::chrono::milliseconds(20))) return false;
        }
    }
    return false;
}

} // namespace vtp::test
