#pragma once

// What the signalling tests with real peers share: a node script run in its own process group
// with a deadline (so that a hung browser cannot outlive the test), free UDP port ranges, and a
// real coturn server with a shared secret on free loopback ports (real Redis: RedisServer.hpp).

#include "AuthTestSupport.hpp"
#include "ChildProcess.hpp"
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

// Whether 127.0.0.1:port can be bound for `type` (SOCK_DGRAM or SOCK_STREAM).
inline bool loopbackPortFree(int type, uint16_t port)
{
    const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
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
            ok = loopbackPortFree(SOCK_DGRAM, static_cast<uint16_t>(p)) &&
                 (!tcpToo || loopbackPortFree(SOCK_STREAM, static_cast<uint16_t>(p)));
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
        const std::vector<std::string> args{VTP_TEST_TURNSERVER,
                                            "-n",
                                            "--listening-ip=127.0.0.1",
                                            "--relay-ip=127.0.0.1",
                                            "--listening-port=" + std::to_string(port_),
                                            "--use-auth-secret",
                                            "--static-auth-secret=" + secret_,
                                            "--realm=vtp.test",
                                            "--no-tls",
                                            "--no-dtls",
                                            "--allow-loopback-peers",
                                            "--min-port=" + std::to_string(relayFirst),
                                            "--max-port=" + std::to_string(relayFirst + 39),
                                            "--no-cli",
                                            "--no-rfc5780",
                                            "--no-stun-backward-compatibility",
                                            "--log-file=stdout",
                                            "--simple-log",
                                            "--verbose",
                                            "--pidfile=" + dir_.file("turnserver.pid"),
                                            "--userdb=" + dir_.file("turndb")};
        process_ = std::make_unique<ChildProcess>(args, dir_.file("turnserver.log"));
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
    std::unique_ptr<ChildProcess> process_;
};
#endif

} // namespace vtp::test
