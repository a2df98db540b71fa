#pragma once

#include <sys/syscall.h>
#include <poll.h>

// A real redis-server for the events tests: a child process on a free loopback port, started
// and waited for with `redis-cli ping` (no sleeps as synchronisation), killable and restartable
// on the same port.

#include "PollUntil.hpp"
#include "VtpdProcess.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <string>
#include <thread>

namespace vtp::test {

class RedisServer {
public:
    RedisServer() : port_(freeLoopbackPort()) {}
    ~RedisServer() { kill(); }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    // Starts (or restarts) the server on this object's port; true once it answers PING.
    bool start(std::chrono::milliseconds timeout = std::chrono::seconds(20))
    {
        const std::string port = std::to_string(port_);
        std::vector<std::string> args{"redis-server", "--port", port,          "--bind", "127.0.0.1", "--save",   "",
                                      "--appendonly", "no",     "--daemonize", "no",     "--dir",     dir_.path()};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        const std::string log = dir_.file("redis.log");
        posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        const int rc = posix_spawnp(&pid_, "redis-server", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw TestEnvironmentError("cannot start redis-server (install the Debian package redis-server)");
        // Redis says nothing when it is ready: probe it, waiting between probes on its exit.
        const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        bool ready = false;
        while (!ready && std::chrono::steady_clock::now() < deadline) {
            if ((ready = ping())) break;
            pollfd p{pidfd, POLLIN, 0};
            if (::poll(&p, 1, 20) > 0) {
                ::waitpid(pid_, nullptr, 0);
                pid_ = -1;
                break;
            }
        }
        if (pidfd >= 0) ::close(pidfd);
        return ready;
    }

    bool ping() const
    {
        std::string out;
        const int rc = VtpdProcess::run({"/usr/bin/redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port_), "ping"}, out);
        return rc == 0 && out.find("PONG") != std::string::npos;
    }

    // SIGKILL, as a crash would; waits until the process is gone.
    void kill()
    {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    uint16_t port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
    std::string logs() const { return readFile(dir_.file("redis.log")); }

private:
    TempDir dir_{"vtp-redis"};
    uint16_t port_;
    pid_t pid_ = -1;
};

// Polls `condition` until it holds or `timeout` passes (a condition wait with a deadline).
template <typename F>
bool eventually(F&& condition, std::chrono::milliseconds timeout = std::chrono::seconds(20))
{
    return pollUntil(std::forward<F>(condition), timeout, std::chrono::milliseconds(20));
}

} // namespace vtp::test
