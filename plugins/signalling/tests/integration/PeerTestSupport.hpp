#pragma once

// What the signalling tests with real peers share: a node script run in its own process group
// with a deadline (so that a hung browser cannot outlive the test), free UDP port ranges, and a
// real coturn server with a shared secret on free loopback ports (real Redis: RedisServer.hpp).

#include "AuthTestSupport.hpp"
#include "RedisServer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

namespace vtp::test {

// A child process in its own process group (it and everything it starts are killed together),
// its output in a file.
class ScriptProcess {
public:
    ScriptProcess(const std::vector<std::string>& args, const std::string& logPath) : logPath_(logPath)
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
    ~ScriptProcess()
    {
        if (pid_ > 0) {
            ::kill(-pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (pidfd_ >= 0) ::close(pidfd_);
    }
    ScriptProcess(const ScriptProcess&) = delete;
    ScriptProcess& operator=(const ScriptProcess&) = delete;

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
    bool waitForFileOrExit(const std::string& path, std::chrono::milliseconds timeout) const
    {
        return waitForFile(path, pidfd_, timeout);
    }
    std::string output() const { return readFile(logPath_); }

private:
    std::string logPath_;
    pid_t pid_ = -1;
    int pidfd_ = -1;
    int exitCode_ = -1;
};

inline bool udpPortFree(uint16_t port)
{
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

inline bool tcpPortFree(uint16_t port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// The first port of `count` consecutive loopback ports free for UDP (and TCP when `tcpToo`), in
// the range above the kernel's ephemeral ports' usual start.
inline uint16_t freePortRange(int count, bool tcpToo)
{
    std::mt19937 random{std::random_device{}()};
    std::uniform_int_distribution<int> base(20000, 30000);
    for (int attempt = 0; attempt < 200; ++attempt) {
        const int first = base(random);
        bool ok = true;
        for (int p = first; ok && p < first + count; ++p)
            ok = udpPortFree(static_cast<uint16_t>(p)) && (!tcpToo || tcpPortFree(static_cast<uint16_t>(p)));
        if (ok) return static_cast<uint16_t>(first);
    }
    throw TestEnvironmentError("no free range of " + std::to_string(count) + " loopback ports");
}

#ifdef VTP_TEST_TURNSERVER
// Debian's coturn on loopback with the TURN REST API's shared secret (use-auth-secret): only
// credentials made with `secret` allocate relays, in a small free range of UDP ports.
class TurnServer {
public:
    explicit TurnServer(std::string secret) : secret_(std::move(secret))
    {
        port_ = freePortRange(1, true);
        const uint16_t relayFirst = freePortRange(40, false);
        const std::vector<std::string> args{
            VTP_TEST_TURNSERVER, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--listening-port=" + std::to_string(port_),
            "--use-auth-secret", "--static-auth-secret=" + secret_, "--realm=vtp.test", "--no-tls", "--no-dtls", "--allow-loopback-peers",
            "--min-port=" + std::to_string(relayFirst), "--max-port=" + std::to_string(relayFirst + 39), "--no-cli", "--no-rfc5780",
            "--no-stun-backward-compatibility", "--log-file=stdout", "--simple-log", "--verbose",
            "--pidfile=" + dir_.file("turnserver.pid"), "--userdb=" + dir_.file("turndb")};
        process_ = std::make_unique<ScriptProcess>(args, dir_.file("turnserver.log"));
        // Ready once its TCP listener on the same port accepts (UDP and TCP are opened together).
        const bool up = eventually(
            [&] {
                try {
                    Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port_));
                    return true;
                } catch (const Poco::Exception&) {
                    return false;
                }
            },
            std::chrono::seconds(20));
        if (!up) throw TestEnvironmentError("coturn did not start: " + logs());
    }
    uint16_t port() const { return port_; }
    std::string url() const { return "turn:127.0.0.1:" + std::to_string(port_) + "?transport=udp"; }
    std::string logs() const { return process_->output(); }

private:
    TempDir dir_{"vtp-turn"};
    std::string secret_;
    uint16_t port_ = 0;
    std::unique_ptr<ScriptProcess> process_;
};
#endif

} // namespace vtp::test
