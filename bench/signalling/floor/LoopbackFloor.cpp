// vtp-loopback-floor: what the kernel alone charges for a chat fan-out on this machine, with no
// WebSocket, Socket.IO or server logic at all. N TCP connections over 127.0.0.1; one thread writes
// MESSAGE_BYTES-byte messages to them round-robin, 24 at a time (one room's fan-out), at RATE
// messages/s for SECONDS; another thread reads them all through epoll. Prints the CPU time each
// thread spent per message: the floor under any server's (sender's) and any load generator's
// (receiver's) cost per delivery in bench/signalling.
//
//   vtp-loopback-floor [CONNECTIONS=2500] [RATE=48000] [SECONDS=5] [MESSAGE_BYTES=150]
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

namespace {

double threadCpuSeconds()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

long argOr(int argc, char** argv, int i, long fallback, long lo, long hi)
{
    if (argc <= i) return fallback;
    char* end = nullptr;
    const long v = std::strtol(argv[i], &end, 10);
    if (!end || *end || v < lo || v > hi) {
        std::fprintf(stderr, "argument %d must be a whole number from %ld to %ld\n", i, lo, hi);
        std::exit(2);
    }
    return v;
}

} // namespace

int main(int argc, char** argv)
{
    const int connections = static_cast<int>(argOr(argc, argv, 1, 2500, 24, 50000));
    const long rate = argOr(argc, argv, 2, 48000, 24, 10000000);
    const int seconds = static_cast<int>(argOr(argc, argv, 3, 5, 1, 600));
    const int size = static_cast<int>(argOr(argc, argv, 4, 150, 1, 4096));

    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    if (files.rlim_cur < static_cast<rlim_t>(2 * connections + 16)) {
        files.rlim_cur = std::min<rlim_t>(files.rlim_max, 2 * connections + 16);
        setrlimit(RLIMIT_NOFILE, &files);
    }
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, 4096) != 0 ||
        getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        std::perror("listen on 127.0.0.1");
        return 1;
    }
    std::vector<int> readers(static_cast<size_t>(connections)), writers(static_cast<size_t>(connections));
    for (int i = 0; i < connections; ++i) {
        const int r = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (r < 0 || connect(r, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            std::perror("connect");
            return 1;
        }
        const int w = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (w < 0) {
            std::perror("accept");
            return 1;
        }
        const int one = 1;
        setsockopt(w, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); // as WebSocket servers do
        fcntl(r, F_SETFL, O_NONBLOCK);
        readers[static_cast<size_t>(i)] = r;
        writers[static_cast<size_t>(i)] = w;
    }

    std::atomic<bool> stop{false};
    std::atomic<long> bytesIn{0};
    long received = 0, sent = 0;
    double readerCpu = 0, writerCpu = 0;
    std::thread reader([&] {
        const int ep = epoll_create1(EPOLL_CLOEXEC);
        for (int fd : readers) {
            epoll_event e{};
            e.events = EPOLLIN;
            e.data.fd = fd;
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        }
        std::vector<epoll_event> events(256);
        std::vector<char> buffer(64 * 1024);
        const double start = threadCpuSeconds();
        while (!stop.load(std::memory_order_relaxed)) {
            const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
            for (int i = 0; i < n; ++i)
                for (int reads = 0; reads < 64; ++reads) { // bounded: another pass takes the rest
                    const ssize_t r = read(events[static_cast<size_t>(i)].data.fd, buffer.data(), buffer.size());
                    if (r <= 0) break;
                    bytesIn.fetch_add(r, std::memory_order_relaxed);
                }
        }
        readerCpu = threadCpuSeconds() - start;
        received = bytesIn.load() / size;
        close(ep);
    });
    std::thread writer([&] {
        const std::string message(static_cast<size_t>(size), 'x');
        const double start = threadCpuSeconds();
        const auto begin = std::chrono::steady_clock::now();
        size_t next = 0;
        while (true) {
            const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
            if (elapsed >= seconds) break;
            const long due = static_cast<long>(elapsed * static_cast<double>(rate));
            while (sent + 24 <= due) {
                for (int j = 0; j < 24; ++j) { // one room's fan-out
                    if (write(writers[next], message.data(), message.size()) == size) ++sent;
                    next = (next + 1) % writers.size();
                }
            }
            std::this_thread::sleep_for(std::chrono::microseconds(200)); // pacing, not synchronisation
        }
        writerCpu = threadCpuSeconds() - start;
    });
    writer.join();
    // The reader takes what is still in flight: until it has everything, or for one more second.
    const auto drainUntil = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (bytesIn.load() < sent * size && std::chrono::steady_clock::now() < drainUntil)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    stop = true;
    reader.join();
    std::printf("connections %d, %d-byte messages, %ld/s for %d s: sent %ld, received %ld\n", connections, size, rate, seconds, sent,
                received);
    std::printf("sender (server side):     %.2f us CPU per message, %.2f cores\n", writerCpu / static_cast<double>(sent) * 1e6,
                writerCpu / seconds);
    std::printf("receiver (client side):   %.2f us CPU per message, %.2f cores\n",
                received ? readerCpu / static_cast<double>(received) * 1e6 : 0.0, readerCpu / seconds);
    for (int fd : readers) close(fd);
    for (int fd : writers) close(fd);
    close(listener);
    return received == sent ? 0 : 1;
}
