#include "ViewerLoad.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <queue>
#include <random>
#include <string_view>
#include <thread>

namespace vtp::bench {

namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kRetryNs = 100 * kMs; // after an error, before asking again
constexpr size_t kMaxHead = 16384;

enum class Ask { None, Playlist, Part };

struct ListedPart {
    PartId id;
    std::string uri;
};

struct Viewer {
    uint32_t index = 0;
    int fd = -1;
    bool connecting = false, everConnected = false;
    std::string out;
    size_t outAt = 0;

    // The response being read.
    Ask ask = Ask::None;
    std::string head, body;
    bool inBody = false, chunked = false, closeAfter = false;
    int status = 0;
    int64_t remaining = 0;
    enum class Chunk { Size, Data, DataEnd, Trailer } chunk = Chunk::Size;
    std::string line;

    // The player.
    std::optional<PartId> last;     // the last part fetched (or skipped)
    std::vector<ListedPart> listed; // from the latest playlist, in order
    std::optional<PartId> hint;
    std::optional<PartId> lastBlockingTarget;
    bool emptyAnswer = false; // the previous blocking answer brought no new part
    PartId fetching{};
    bool pollDue = false;
    int64_t nextPollNs = 0;
    int64_t timerAt = 0; // the pending timer (0: none)
};

std::optional<PartId> partOfUri(std::string_view uri)
{
    PartId id;
    if (!parsePartName(std::string(uri), id)) return std::nullopt;
    return id;
}

std::string_view quotedUri(std::string_view line)
{
    const auto at = line.find("URI=\"");
    if (at == std::string_view::npos) return {};
    const auto end = line.find('"', at + 5);
    return end == std::string_view::npos ? std::string_view{} : line.substr(at + 5, end - at - 5);
}

// The EXT-X-PART and EXT-X-PRELOAD-HINT lines; nothing else matters to the viewer.
void parsePlaylist(const std::string& text, Viewer& v)
{
    v.listed.clear();
    v.hint.reset();
    std::string_view rest(text);
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        if (line.starts_with("#EXT-X-PART:")) {
            const auto uri = quotedUri(line);
            if (const auto id = partOfUri(uri)) v.listed.push_back({*id, std::string(uri)});
        } else if (line.starts_with("#EXT-X-PRELOAD-HINT:")) {
            v.hint = partOfUri(quotedUri(line));
        }
    }
}

bool iequalsPrefix(std::string_view s, std::string_view prefix)
{
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

class Worker {
public:
    Worker(const LoadOptions& o, uint32_t first, uint32_t count) : o_(o)
    {
        const auto slash = o.playlistPath.rfind('/');
        dir_ = o.playlistPath.substr(0, slash + 1);
        ep_ = ::epoll_create1(EPOLL_CLOEXEC);
        viewers_.resize(count);
        std::mt19937_64 rng(first * 7919u + 17u);
        std::uniform_int_distribution<int64_t> phase(0, static_cast<int64_t>(o.pollMs) * kMs - 1);
        for (uint32_t i = 0; i < count; ++i) {
            Viewer& v = viewers_[i];
            v.index = first + i;
            const int64_t at = o.startNs + (o.viewers > 1 ? o.connectSpreadNs * v.index / o.viewers : 0);
            v.nextPollNs = at + phase(rng);
            arm(i, at);
        }
    }
    ~Worker()
    {
        for (auto& v : viewers_)
            if (v.fd >= 0) ::close(v.fd);
        ::close(ep_);
    }

    void run()
    {
        epoll_event events[256];
        for (int64_t now = monotonicNs(); now < o_.stopNs; now = monotonicNs()) {
            int64_t wake = o_.stopNs;
            if (!timers_.empty()) wake = std::min(wake, timers_.top().first);
            const int timeoutMs = static_cast<int>(std::clamp<int64_t>((wake - now + kMs - 1) / kMs, 0, 100));
            const int n = ::epoll_wait(ep_, events, 256, timeoutMs);
            now = monotonicNs();
            for (int i = 0; i < n; ++i) onEvent(events[i].data.u32, events[i].events, now);
            while (!timers_.empty() && timers_.top().first <= now) {
                const auto [at, i] = timers_.top();
                timers_.pop();
                if (viewers_[i].timerAt != at) continue; // superseded
                viewers_[i].timerAt = 0;
                onTimer(i, now);
            }
        }
    }

    LoadResult result;

private:
    void arm(uint32_t i, int64_t at)
    {
        viewers_[i].timerAt = at;
        timers_.emplace(at, i);
    }

    void onTimer(uint32_t i, int64_t now)
    {
        Viewer& v = viewers_[i];
        if (v.fd < 0) {
            connect(i);
            return;
        }
        if (!o_.blocking && now >= v.nextPollNs) {
            schedulePoll(i, now);
            if (v.ask == Ask::None)
                sendPlaylist(i, false);
            else
                v.pollDue = true; // still fetching: polled as soon as it is done
            return;
        }
        if (v.ask == Ask::None) next(i, now);
    }

    void schedulePoll(uint32_t i, int64_t now)
    {
        Viewer& v = viewers_[i];
        const int64_t period = static_cast<int64_t>(o_.pollMs) * kMs;
        while (v.nextPollNs <= now) v.nextPollNs += period; // at most a few periods: bounded by the lag
        arm(i, v.nextPollNs);
    }

    void connect(uint32_t i)
    {
        Viewer& v = viewers_[i];
        v.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        const int one = 1;
        ::setsockopt(v.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(o_.port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        v.connecting = true;
        if (::connect(v.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
            fail(i, monotonicNs());
            return;
        }
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.u32 = i;
        ::epoll_ctl(ep_, EPOLL_CTL_ADD, v.fd, &ev);
    }

    void closeConnection(Viewer& v)
    {
        if (v.fd >= 0) ::close(v.fd); // leaves the epoll set with it
        v.fd = -1;
        v.connecting = false;
        v.ask = Ask::None;
        v.out.clear();
        v.outAt = 0;
        resetResponse(v);
    }

    // A lost connection or a refused one: counted, and tried again a little later.
    void fail(uint32_t i, int64_t now)
    {
        ++result.errors;
        closeConnection(viewers_[i]);
        arm(i, now + kRetryNs);
    }

    void resetResponse(Viewer& v)
    {
        v.head.clear();
        v.body.clear();
        v.inBody = v.chunked = v.closeAfter = false;
        v.status = 0;
        v.remaining = 0;
        v.chunk = Viewer::Chunk::Size;
        v.line.clear();
    }

    void send(uint32_t i, Ask ask, const std::string& path)
    {
        Viewer& v = viewers_[i];
        v.ask = ask;
        v.out = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        v.outAt = 0;
        (ask == Ask::Part ? result.partRequests : result.playlistRequests)++;
        if (!v.connecting) flush(i);
    }

    void flush(uint32_t i)
    {
        Viewer& v = viewers_[i];
        while (v.outAt < v.out.size()) {
            const ssize_t n = ::send(v.fd, v.out.data() + v.outAt, v.out.size() - v.outAt, MSG_NOSIGNAL);
            if (n > 0) {
                v.outAt += static_cast<size_t>(n);
                continue;
            }
            if (n < 0 && errno == EAGAIN) {
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLOUT;
                ev.data.u32 = i;
                ::epoll_ctl(ep_, EPOLL_CTL_MOD, v.fd, &ev);
                return;
            }
            fail(i, monotonicNs());
            return;
        }
        v.out.clear();
        v.outAt = 0;
    }

    void sendPlaylist(uint32_t i, bool blockingFor)
    {
        Viewer& v = viewers_[i];
        std::string path = o_.playlistPath;
        if (blockingFor && v.lastBlockingTarget)
            path +=
                "?_HLS_msn=" + std::to_string(v.lastBlockingTarget->first) + "&_HLS_part=" + std::to_string(v.lastBlockingTarget->second);
        send(i, Ask::Playlist, path);
    }

    void onEvent(uint32_t i, uint32_t events, int64_t now)
    {
        Viewer& v = viewers_[i];
        if (v.fd < 0) return;
        if (v.connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(v.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                fail(i, now);
                return;
            }
            v.connecting = false;
            if (!v.everConnected) ++result.connected;
            v.everConnected = true;
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u32 = i;
            ::epoll_ctl(ep_, EPOLL_CTL_MOD, v.fd, &ev);
            if (!v.out.empty()) {
                flush(i);
            } else if (v.ask == Ask::None) {
                // The first request of a connection: where the edge is (or, polling, the first poll).
                if (!o_.blocking) schedulePoll(i, now);
                if (v.last && o_.blocking)
                    next(i, now);
                else
                    sendPlaylist(i, false);
            }
            return;
        }
        if ((events & EPOLLOUT) && !v.out.empty()) {
            flush(i);
            if (v.fd < 0) return;
            if (v.out.empty()) {
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u32 = i;
                ::epoll_ctl(ep_, EPOLL_CTL_MOD, v.fd, &ev);
            }
        }
        if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
        for (;;) { // until EAGAIN: bounded by what the socket holds
            const ssize_t n = ::recv(v.fd, buf_, sizeof buf_, 0);
            if (n > 0) {
                if (!feed(i, buf_, static_cast<size_t>(n), now)) return;
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
            // Closed: between requests (an idle keep-alive timeout) it is no error.
            if (v.ask == Ask::None) {
                ++result.reconnects;
                closeConnection(v);
                arm(i, now);
            } else {
                fail(i, now);
            }
            return;
        }
    }

    // Returns false when the connection was closed meanwhile.
    bool feed(uint32_t i, const char* p, size_t n, int64_t now)
    {
        Viewer& v = viewers_[i];
        while (n > 0) {
            if (v.ask == Ask::None) return true; // bytes nobody asked for: dropped
            if (!v.inBody) {
                const size_t before = v.head.size();
                v.head.append(p, n);
                const auto end = v.head.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
                if (end == std::string::npos) {
                    if (v.head.size() > kMaxHead) {
                        fail(i, now);
                        return false;
                    }
                    return true;
                }
                const size_t extra = v.head.size() - (end + 4);
                p += n - extra;
                n = extra;
                v.head.resize(end + 4);
                parseHead(v);
                v.inBody = true;
                if (!v.chunked && v.remaining == 0) {
                    complete(i, now);
                    if (v.fd < 0) return false;
                }
                continue;
            }
            if (!v.chunked) {
                const size_t take = std::min<size_t>(n, static_cast<size_t>(v.remaining));
                bodyBytes(v, p, take);
                p += take;
                n -= take;
                v.remaining -= static_cast<int64_t>(take);
                if (v.remaining == 0) {
                    complete(i, now);
                    if (v.fd < 0) return false;
                }
                continue;
            }
            // Chunked: a size line, its data, CRLF; a zero size ends with the trailer's empty line.
            if (v.chunk == Viewer::Chunk::Data) {
                const size_t take = std::min<size_t>(n, static_cast<size_t>(v.remaining));
                bodyBytes(v, p, take);
                p += take;
                n -= take;
                v.remaining -= static_cast<int64_t>(take);
                if (v.remaining == 0) v.chunk = Viewer::Chunk::DataEnd;
                continue;
            }
            const char c = *p++;
            --n;
            if (c != '\n') {
                if (c != '\r' && v.line.size() < 64) v.line += c;
                continue;
            }
            if (v.chunk == Viewer::Chunk::DataEnd) {
                v.chunk = Viewer::Chunk::Size;
            } else if (v.chunk == Viewer::Chunk::Size) {
                v.remaining = static_cast<int64_t>(std::strtoull(v.line.c_str(), nullptr, 16));
                v.chunk = v.remaining == 0 ? Viewer::Chunk::Trailer : Viewer::Chunk::Data;
            } else if (v.line.empty()) { // the trailer's end
                v.line.clear();
                complete(i, now);
                if (v.fd < 0) return false;
                continue;
            }
            v.line.clear();
        }
        return true;
    }

    void bodyBytes(Viewer& v, const char* p, size_t n)
    {
        result.bytes += n;
        if (v.ask == Ask::Playlist) v.body.append(p, n);
    }

    static void parseHead(Viewer& v)
    {
        std::string_view rest(v.head);
        const auto first = rest.find("\r\n");
        const std::string_view statusLine = rest.substr(0, first);
        if (statusLine.size() >= 12) v.status = std::atoi(std::string(statusLine.substr(9, 3)).c_str());
        rest = rest.substr(first + 2);
        while (!rest.empty()) {
            const auto eol = rest.find("\r\n");
            const std::string_view h = rest.substr(0, eol);
            rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
            if (iequalsPrefix(h, "content-length:"))
                v.remaining = std::atoll(std::string(h.substr(15)).c_str());
            else if (iequalsPrefix(h, "transfer-encoding:") && h.find("chunked") != std::string_view::npos)
                v.chunked = true;
            else if (iequalsPrefix(h, "connection:") && h.find("close") != std::string_view::npos)
                v.closeAfter = true;
        }
    }

    // One whole response; the viewer's next request may close the connection (v.fd < 0 then).
    void complete(uint32_t i, int64_t now)
    {
        Viewer& v = viewers_[i];
        const Ask ask = v.ask;
        const int status = v.status;
        const bool close = v.closeAfter;
        std::string body = std::move(v.body);
        resetResponse(v);
        v.ask = Ask::None;
        if (status != 200) ++result.errors;
        if (ask == Ask::Part) {
            if (status == 200) result.deliveries.push_back({v.index, v.fetching, now});
            v.last = v.fetching; // a part that failed is skipped: a miss in the figures
        } else if (status == 200) {
            parsePlaylist(body, v);
            if (!v.last && !v.listed.empty()) v.last = v.listed.back().id; // start at the live edge
            v.emptyAnswer = !v.listed.empty() && v.last && !(v.listed.back().id > *v.last);
        }
        if (close) {
            ++result.reconnects;
            closeConnection(v);
            arm(i, now);
            return;
        }
        if (status != 200 && ask == Ask::Playlist) {
            arm(i, now + kRetryNs);
            return;
        }
        next(i, now);
    }

    // What the player does once nothing is in flight.
    void next(uint32_t i, int64_t now)
    {
        Viewer& v = viewers_[i];
        if (v.fd < 0 || v.connecting || v.ask != Ask::None) return;
        if (!v.last) {
            if (o_.blocking) arm(i, now + kRetryNs); // no part yet: look again a little later
            return;                                  // polling: the next poll
        }
        for (const auto& p : v.listed) // in order: the first listed after the last fetched
            if (p.id > *v.last) {
                v.fetching = p.id;
                send(i, Ask::Part, dir_ + p.uri);
                return;
            }
        if (!o_.blocking) {
            if (v.pollDue || now >= v.nextPollNs) {
                v.pollDue = false;
                schedulePoll(i, now);
                sendPlaylist(i, false);
            } else if (v.timerAt != v.nextPollNs) {
                arm(i, v.nextPollNs);
            }
            return;
        }
        PartId target = v.hint && *v.hint > *v.last ? *v.hint : PartId{v.last->first, v.last->second + 1};
        if (v.lastBlockingTarget && target == *v.lastBlockingTarget && v.emptyAnswer) {
            // Answered without it (the segment ended with fewer parts, or the stream ended): the next
            // segment's first part; asked again no sooner than kRetryNs if that was asked already.
            target = PartId{v.last->first + 1, 0};
            if (target == *v.lastBlockingTarget) {
                v.emptyAnswer = false;
                arm(i, now + kRetryNs);
                return;
            }
        }
        v.lastBlockingTarget = target;
        sendPlaylist(i, true);
    }

    const LoadOptions& o_;
    std::string dir_;
    int ep_ = -1;
    std::vector<Viewer> viewers_;
    std::priority_queue<std::pair<int64_t, uint32_t>, std::vector<std::pair<int64_t, uint32_t>>, std::greater<>> timers_;
    char buf_[65536];
};

} // namespace

LoadResult runViewers(const LoadOptions& options)
{
    const int threads = std::max(1, std::min(options.threads, options.viewers));
    std::vector<std::unique_ptr<Worker>> workers;
    uint32_t first = 0;
    for (int t = 0; t < threads; ++t) {
        const uint32_t count = static_cast<uint32_t>(options.viewers / threads + (t < options.viewers % threads ? 1 : 0));
        workers.push_back(std::make_unique<Worker>(options, first, count));
        first += count;
    }
    std::vector<std::thread> running;
    for (auto& w : workers) running.emplace_back([&w] { w->run(); });
    for (auto& t : running) t.join();
    LoadResult all;
    for (auto& w : workers) {
        const LoadResult& r = w->result;
        all.deliveries.insert(all.deliveries.end(), r.deliveries.begin(), r.deliveries.end());
        all.playlistRequests += r.playlistRequests;
        all.partRequests += r.partRequests;
        all.errors += r.errors;
        all.reconnects += r.reconnects;
        all.bytes += r.bytes;
        all.connected += r.connected;
    }
    return all;
}

} // namespace vtp::bench
