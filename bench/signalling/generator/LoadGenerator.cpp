#include "LoadGenerator.hpp"

#include "protocol/EnginePacket.hpp"
#include "protocol/JsonWriter.hpp"
#include "protocol/SocketDecoder.hpp"
#include "protocol/SocketEncoder.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <libwebsockets.h>
#if VTP_BENCH_LIBEV
#include <ev.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace vtp::bench {

namespace proto = vtp::signalling::protocol;

namespace {

constexpr std::size_t kMaxSteps = 1000;         // steps are indexes into a vector: keep it bounded
constexpr std::size_t kMaxFrameBytes = 1 << 20; // the servers' default maxPayload
constexpr std::size_t kMaxSamplesPerStep = 200'000'000;
constexpr lws_usec_t kTickUs = 1000;
// How long the worker naps between polls of its sockets: the most it adds to a measured latency.
constexpr auto kPollInterval = std::chrono::microseconds(200);
// Reads in one poll from which the next poll follows without a nap.
constexpr std::size_t kBusyRound = 16;
constexpr std::string_view kChatMessage = "42[\"chat:message\",";
constexpr std::string_view kMarker = "\"text\":\"b:";

constexpr std::string_view kHeadEnd = "\r\n\r\n";

bool isLoopback(const std::string& host)
{
    return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::uint32_t toUs(std::int64_t ns)
{
    if (ns < 0) return 0;
    const std::int64_t us = ns / 1000;
    return us > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max() : static_cast<std::uint32_t>(us);
}

// Parses the unsigned decimal at s[i..], advancing i; false when there is none.
bool parseNumber(std::string_view s, std::size_t& i, std::uint64_t& out)
{
    const std::size_t start = i;
    out = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 20) out = out * 10 + static_cast<std::uint64_t>(s[i++] - '0');
    return i > start;
}

} // namespace

std::int64_t LoadGenerator::nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

class LoadGenerator::Worker {
public:
    struct RoomState {
        std::string id;
        std::string jsonId;     // the id as a JSON string literal, spliced into every chat:send
        std::uint32_t live = 0; // members joined and still connected
    };
    enum class State : std::uint8_t { Idle, Connecting, Open, Connected, Joined, Closed };
    struct Client {
        std::uint32_t index = 0; // global client number (in chat markers)
        std::uint32_t room = 0;  // into rooms_
        double phase = 0;        // when in each period it sends, as a fraction of the period
        State state = State::Idle;
        bool closeRequested = false;
        std::uint8_t attempts = 0;
        lws* wsi = nullptr;
        std::int64_t startNs = 0, joinSentNs = 0;
        std::uint64_t nextAckId = 1, joinAckId = 0;
        bool upgraded = false; // the server's 101 has been read
        std::string rx;        // bytes read and not yet a whole frame (or, before the upgrade, the response head)
        std::string fragments; // a fragmented message so far
        std::string out;       // framed bytes waiting to be written
    };

    Worker(const GeneratorOptions& options, unsigned index) : options_(options), index_(index) {}
    ~Worker()
    {
        if (thread_.joinable()) {
            stopFlag_ = true;
            thread_.join();
        }
        if (context_) lws_context_destroy(context_);
#if VTP_BENCH_LIBEV
        if (loop_) ev_loop_destroy(loop_);
#endif
    }

    void addClient(std::uint32_t globalIndex, const std::string& roomId)
    {
        auto room = std::find_if(rooms_.begin(), rooms_.end(), [&](const RoomState& r) { return r.id == roomId; });
        if (room == rooms_.end()) {
            RoomState r;
            r.id = roomId;
            proto::JsonWriter::appendString(r.jsonId, roomId);
            rooms_.push_back(std::move(r));
            room = rooms_.end() - 1;
        }
        Client c;
        c.index = globalIndex;
        c.room = static_cast<std::uint32_t>(room - rooms_.begin());
        // Golden-ratio spacing spreads the sends of any number of clients evenly over a period.
        c.phase = std::fmod(globalIndex * 0.6180339887498949, 1.0);
        clients_.push_back(std::move(c));
    }

    void start()
    {
        order_.resize(clients_.size());
        for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<std::uint32_t>(i);
        std::sort(order_.begin(), order_.end(), [&](auto a, auto b) { return clients_[a].phase < clients_[b].phase; });
        for (std::size_t i = 0; i < clients_.size(); ++i) pending_.push_back(static_cast<std::uint32_t>(i));

        protocols_[0] = {};
        protocols_[0].name = "vtp-bench-sio";
        protocols_[0].callback = &Worker::callback;
        protocols_[0].rx_buffer_size = 16384;
        protocols_[1] = {};
        lws_context_creation_info info{};
        info.port = CONTEXT_PORT_NO_LISTEN;
        info.protocols = protocols_.data();
        info.user = this;
        // No fd_limit_per_thread: with it, lws finds a socket's connection by scanning its whole
        // table on every event (18% of the generator's time at 2,500 clients); without it, the
        // table is sized by the open-file limit (run.sh raises it) and indexed by descriptor.
        info.timeout_secs = 30;
        info.connect_timeout_secs = 30;
        info.gid = -1;
        info.uid = -1;
#if VTP_BENCH_LIBEV
        // epoll (libev, a loop of ours): lws's poll loop scans every client's descriptor on each
        // wake-up, which made the generator the bottleneck at tens of thousands of messages a second.
        loop_ = ev_loop_new(static_cast<unsigned>(EVBACKEND_EPOLL) | static_cast<unsigned>(EVFLAG_NOENV) |
                            static_cast<unsigned>(EVFLAG_NOSIGMASK));
        if (loop_) {
            foreignLoops_[0] = loop_;
            info.options |= LWS_SERVER_OPTION_LIBEV;
            info.foreign_loops = foreignLoops_.data();
            context_ = lws_create_context(&info);
            if (!context_) {
                ev_loop_destroy(loop_);
                loop_ = nullptr;
                info.options &= ~static_cast<std::uint64_t>(LWS_SERVER_OPTION_LIBEV);
                info.foreign_loops = nullptr;
            }
        }
#endif
        if (!context_) context_ = lws_create_context(&info);
        if (!context_) throw std::runtime_error("lws_create_context failed");
        thread_ = std::thread([this] { run(); });
    }

    void requestClose()
    {
        closing_ = true;
    }
    void requestStop()
    {
        stopFlag_ = true;
    }
    void join()
    {
        if (thread_.joinable()) thread_.join();
    }
    bool idle() const
    {
        return openConnections_.load() == 0;
    }

    void setStep(std::size_t step, double periodSeconds)
    {
        step_ = std::min(step, kMaxSteps - 1);
        periodNs_ = periodSeconds > 0 ? static_cast<std::int64_t>(periodSeconds * 1e9) : 0;
        ++epoch_;
    }

    void merge(Snapshot& s) const
    {
        std::lock_guard lock(statsMutex_);
        auto append = [](std::vector<std::uint32_t>& to, const std::vector<std::uint32_t>& from) {
            to.insert(to.end(), from.begin(), from.end());
        };
        append(s.connect.joinUs, connect_.joinUs);
        append(s.connect.readyUs, connect_.readyUs);
        s.connect.joined += connect_.joined;
        s.connect.failed += connect_.failed;
        s.connect.retries += connect_.retries;
        s.connect.joinRefused += connect_.joinRefused;
        if (!connect_.lastError.empty()) s.connect.lastError = connect_.lastError;
        if (s.steps.size() < steps_.size()) s.steps.resize(steps_.size());
        for (std::size_t i = 0; i < steps_.size(); ++i) {
            StepFigures& to = s.steps[i];
            const StepFigures& from = steps_[i];
            append(to.fanoutUs, from.fanoutUs);
            to.sent += from.sent;
            to.expected += from.expected;
            to.delivered += from.delivered;
            to.echoes += from.echoes;
            to.acksOk += from.acksOk;
            to.acksRefused += from.acksRefused;
            to.skippedSends += from.skippedSends;
        }
        s.drops += drops_.load();
        s.pings += pings_.load();
        s.invalid += invalid_;
        s.framesIn += framesIn_.load();
        s.foreignChats += foreignChats_;
        if (!lastInvalid_.empty()) s.lastInvalid = lastInvalid_;
    }

    std::atomic<std::uint64_t> joinedCount{0}, failedCount{0};
    std::atomic<std::uint64_t> drops_{0};

private:
    struct Tick {
        lws_sorted_usec_list_t sul; // first: the callback gets its address
        Worker* self;
    };

    void run()
    {
        tick_.self = this;
        std::memset(&tick_.sul, 0, sizeof tick_.sul);
        lws_sul_schedule(context_, 0, &tick_.sul, &Worker::onTick, kTickUs);
        // With an event library lws arms its timer only after some I/O: make some.
        lws_cancel_service(context_);
        // lws_service returns after each wake-up (at least every tick), so the flag is seen within ~1 ms.
        while (!stopFlag_.load()) {
#if VTP_BENCH_LIBEV
            if (loop_) {
                // Polled, not waited for: on loopback a receiver asleep in epoll_wait is woken by the
                // sender, and the sender, the server under test, pays for the wake-up (a cross-CPU
                // interrupt, dear in a VM: 15% of vtpd's service thread). Remote clients cost a
                // server nothing of the kind. What is ready is handled, then the thread naps, unless
                // the round found enough to do that the next is likely busy too.
                readsThisRound_ = 0;
                ev_run(loop_, EVRUN_NOWAIT);
                if (readsThisRound_ < kBusyRound) std::this_thread::sleep_for(kPollInterval);
                continue;
            }
#endif
            if (lws_service(context_, 0) < 0) break;
        }
        lws_sul_schedule(context_, 0, &tick_.sul, &Worker::onTick, LWS_SET_TIMER_USEC_CANCEL);
    }

    static void onTick(lws_sorted_usec_list_t* sul)
    {
        Worker* self = reinterpret_cast<Tick*>(sul)->self;
        self->tick();
        lws_sul_schedule(self->context_, 0, sul, &Worker::onTick, kTickUs);
    }

    void tick()
    {
        const std::int64_t now = nowNs();
        if (closing_.load()) {
            for (Client& c : clients_) {
                if (c.wsi && !c.closeRequested) {
                    c.closeRequested = true;
                    lws_callback_on_writable(c.wsi);
                }
            }
            pending_.clear();
            return;
        }
        // Connections, a bounded number under way at a time (a SYN flood would only measure the backlog).
        for (std::size_t budget = options_.maxInFlight; budget > 0 && inFlight_ < options_.maxInFlight && !pending_.empty(); --budget) {
            const std::uint32_t i = pending_.front();
            pending_.pop_front();
            connect(i, now);
        }
        scheduleChats(now);
    }

    void scheduleChats(std::int64_t now)
    {
        const std::uint64_t epoch = epoch_.load();
        if (epoch != seenEpoch_) {
            seenEpoch_ = epoch;
            period_ = periodNs_.load();
            stepIndex_ = step_.load();
            cycleStart_ = now;
            cursor_ = 0;
        }
        if (period_ <= 0 || order_.empty()) return;
        // At most one send per client per tick: the loop is bounded even when the thread falls behind.
        for (std::size_t budget = order_.size(); budget > 0; --budget) {
            Client& c = clients_[order_[cursor_]];
            const std::int64_t due = cycleStart_ + static_cast<std::int64_t>(c.phase * static_cast<double>(period_));
            if (due > now) break;
            if (now - due > period_) {
                std::lock_guard lock(statsMutex_);
                stepFigures(stepIndex_).skippedSends++;
            } else {
                sendChat(c, now);
            }
            if (++cursor_ == order_.size()) {
                cursor_ = 0;
                cycleStart_ += period_;
            }
        }
    }

    void connect(std::uint32_t i, std::int64_t now)
    {
        Client& c = clients_[i];
        const std::string path = options_.path + "?EIO=4&transport=websocket";
        lws_client_connect_info ci{};
        ci.context = context_;
        ci.address = options_.host.c_str();
        ci.port = options_.port;
        ci.path = path.c_str();
        ci.host = options_.host.c_str();
        ci.origin = options_.host.c_str();
        // A raw TCP connection: the WebSocket handshake and framing are done here. lws's client parses
        // received frames a byte at a time, which was over a third of the generator's CPU.
        ci.method = "RAW";
        ci.local_protocol_name = protocols_[0].name;
        ci.opaque_user_data = &c;
        ci.pwsi = &c.wsi;
        if (c.attempts == 0) c.startNs = now;
        c.state = State::Connecting;
        c.upgraded = false;
        c.rx.clear();
        c.fragments.clear();
        c.out.clear();
        ++c.attempts;
        ++inFlight_;
        ++openConnections_;
        if (!lws_client_connect_via_info(&ci) && c.state == State::Connecting) connectFailed(c, "lws_client_connect_via_info failed");
    }

    // A client that did not get as far as its room: retried, or given up.
    void connectFailed(Client& c, const std::string& why)
    {
        c.wsi = nullptr;
        c.state = State::Idle;
        --inFlight_;
        --openConnections_;
        std::lock_guard lock(statsMutex_);
        connect_.lastError = why;
        if (c.attempts <= options_.connectRetries && !closing_.load()) {
            ++connect_.retries;
            pending_.push_back(static_cast<std::uint32_t>(&c - clients_.data()));
        } else {
            c.state = State::Closed;
            ++connect_.failed;
            ++failedCount;
        }
    }

    // One masked client frame (RFC 6455 5.3) of `opcode` around `payload`, queued for writing.
    void enqueueFrame(Client& c, int opcode, std::string_view payload)
    {
        const bool wasEmpty = c.out.empty();
        c.out.push_back(static_cast<char>(0x80 | opcode));
        const std::size_t n = payload.size();
        if (n < 126) {
            c.out.push_back(static_cast<char>(0x80 | n));
        } else if (n < 65536) {
            c.out.push_back(static_cast<char>(0x80 | 126));
            c.out.push_back(static_cast<char>(n >> 8));
            c.out.push_back(static_cast<char>(n & 0xff));
        } else {
            c.out.push_back(static_cast<char>(0x80 | 127));
            for (int i = 7; i >= 0; --i) c.out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xff));
        }
        // xorshift: masking keeps proxies' caches safe from crafted bytes; it needs no secrecy here.
        maskState_ ^= maskState_ << 13;
        maskState_ ^= maskState_ >> 17;
        maskState_ ^= maskState_ << 5;
        char mask[4];
        std::memcpy(mask, &maskState_, 4);
        c.out.append(mask, 4);
        const std::size_t at = c.out.size();
        c.out.append(payload);
        for (std::size_t i = 0; i < n; ++i) c.out[at + i] = static_cast<char>(c.out[at + i] ^ mask[i & 3]);
        if (wasEmpty && c.wsi) lws_callback_on_writable(c.wsi);
    }

    void enqueue(Client& c, std::string_view text)
    {
        enqueueFrame(c, 0x1, text);
    }

    void sendHandshake(Client& c)
    {
        const bool wasEmpty = c.out.empty();
        c.out += "GET " + options_.path + "?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + options_.host + ":" +
                 std::to_string(options_.port) +
                 "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dnRwLWJlbmNoLWNsaWVudA==\r\n"
                 "Sec-WebSocket-Version: 13\r\nOrigin: http://" +
                 options_.host + "\r\n\r\n";
        if (wasEmpty && c.wsi) lws_callback_on_writable(c.wsi);
    }

    // Bytes from the socket: the response head, then frames. Whole frames are read where they lie;
    // only a partial one is kept. -1 closes the connection.
    int onBytes(Client& c, const char* data, std::size_t len)
    {
        if (!c.upgraded) {
            if (c.rx.size() + len > 16384) return -1;
            c.rx.append(data, len);
            const std::size_t end = c.rx.find(kHeadEnd);
            if (end == std::string::npos) return 0;
            if (c.rx.compare(0, 12, "HTTP/1.1 101") != 0) {
                connectFailed(c, "upgrade refused: " + c.rx.substr(0, std::min<std::size_t>(end, 200)));
                return -1;
            }
            c.upgraded = true;
            std::string rest = c.rx.substr(end + kHeadEnd.size());
            c.rx.clear();
            return rest.empty() ? 0 : onBytes(c, rest.data(), rest.size());
        }
        std::string_view view(data, len);
        const bool buffered = !c.rx.empty();
        if (buffered) {
            if (c.rx.size() + len > kMaxFrameBytes + 16) return -1;
            c.rx.append(data, len);
            view = c.rx;
        }
        std::size_t at = 0;
        while (view.size() - at >= 2) {
            const auto b0 = static_cast<unsigned char>(view[at]);
            const auto b1 = static_cast<unsigned char>(view[at + 1]);
            if (b1 & 0x80) return -1; // a server never masks
            std::size_t head = 2;
            std::uint64_t n = b1 & 0x7f;
            if (n == 126) {
                if (view.size() - at < 4) break;
                n = (static_cast<std::uint64_t>(static_cast<unsigned char>(view[at + 2])) << 8) | static_cast<unsigned char>(view[at + 3]);
                head = 4;
            } else if (n == 127) {
                if (view.size() - at < 10) break;
                n = 0;
                for (int i = 0; i < 8; ++i) n = (n << 8) | static_cast<unsigned char>(view[at + 2 + static_cast<std::size_t>(i)]);
                head = 10;
            }
            if (n > kMaxFrameBytes) return -1;
            if (view.size() - at < head + n) break;
            const std::string_view payload = view.substr(at + head, static_cast<std::size_t>(n));
            at += head + static_cast<std::size_t>(n);
            if (onWsFrame(c, b0 & 0x0f, (b0 & 0x80) != 0, payload) < 0) return -1;
        }
        if (buffered) {
            c.rx.erase(0, at);
        } else if (at < view.size()) {
            c.rx.assign(view.substr(at));
        }
        return 0;
    }

    int onWsFrame(Client& c, int opcode, bool fin, std::string_view payload)
    {
        switch (opcode) {
        case 0x0: // continuation
            if (c.fragments.size() + payload.size() > kMaxFrameBytes) return -1;
            c.fragments.append(payload);
            if (fin) {
                std::string message;
                message.swap(c.fragments);
                onFrame(c, message);
            }
            return 0;
        case 0x1:
            if (!fin) {
                c.fragments.assign(payload);
                return 0;
            }
            onFrame(c, payload);
            return 0;
        case 0x2: return 0; // the benchmark's events carry no attachments
        case 0x8: return -1;
        case 0x9: enqueueFrame(c, 0xA, payload); return 0;
        default: return 0;
        }
    }

    void sendChat(Client& c, std::int64_t now)
    {
        if (c.state != State::Joined || c.closeRequested) return;
        std::string text = "b:" + std::to_string(now) + ":" + std::to_string(c.index) + ":" + std::to_string(stepIndex_) + ":";
        if (text.size() < options_.textBytes) text.append(options_.textBytes - text.size(), 'x');
        std::string args = "[{\"room\":";
        args += rooms_[c.room].jsonId;
        args += ",\"text\":\"";
        args += text; // digits, ':' and 'x' only: no escaping needed
        args += "\"}]";
        auto frame = proto::SocketEncoder::event("/", "chat:send", args, c.nextAckId++);
        if (!frame) return;
        enqueue(c, std::move(*frame));
        std::lock_guard lock(statsMutex_);
        StepFigures& f = stepFigures(stepIndex_);
        ++f.sent;
        f.expected += rooms_[c.room].live - 1;
    }

    StepFigures& stepFigures(std::size_t step)
    {
        step = std::min(step, kMaxSteps - 1);
        if (steps_.size() <= step) steps_.resize(step + 1);
        return steps_[step];
    }

    void invalid(const std::string& why, std::string_view frame)
    {
        std::lock_guard lock(statsMutex_);
        ++invalid_;
        lastInvalid_ = why + ": " + std::string(frame.substr(0, 200));
    }

    void closeClient(Client& c)
    {
        c.closeRequested = true;
        if (c.wsi) lws_callback_on_writable(c.wsi);
    }

    void onFrame(Client& c, std::string_view data)
    {
        const std::int64_t now = nowNs();
        framesIn_.fetch_add(1, std::memory_order_relaxed);
        if (options_.validate) validate(c, data);
        if (data.size() >= kChatMessage.size() && data.compare(0, kChatMessage.size(), kChatMessage) == 0) {
            onChatMessage(c, data, now);
        } else if (data == "2") {
            pings_.fetch_add(1, std::memory_order_relaxed);
            enqueue(c, "3");
        } else if (data.size() >= 3 && data[0] == '4' && data[1] == '3') {
            std::size_t i = 2;
            std::uint64_t id = 0;
            if (!parseNumber(data, i, id)) return invalid("ACK without an id", data);
            const bool refused = data.find("\"error\"", i) != std::string_view::npos;
            if (c.state == State::Connected && id == c.joinAckId) return onJoined(c, data, refused, now);
            std::lock_guard lock(statsMutex_);
            StepFigures& f = stepFigures(step_.load());
            ++(refused ? f.acksRefused : f.acksOk);
        } else if (data.size() >= 2 && data[0] == '4' && data[1] == '0' && c.state == State::Open) {
            c.state = State::Connected;
            c.joinAckId = c.nextAckId++;
            c.joinSentNs = now;
            auto frame = proto::SocketEncoder::event("/", "room:join", "[{\"room\":" + rooms_[c.room].jsonId + "}]", c.joinAckId);
            if (frame) enqueue(c, std::move(*frame));
        } else if (!data.empty() && data[0] == '0' && c.state == State::Connecting) {
            c.state = State::Open;
            const auto& tokens = options_.tokens;
            std::string auth = "{\"token\":";
            proto::JsonWriter::appendString(auth, tokens[c.index % tokens.size()]);
            auth += '}';
            proto::SocketPacket connectPacket;
            connectPacket.type = proto::SocketPacketType::Connect;
            connectPacket.payload = std::move(auth);
            auto frame = proto::SocketEncoder::encodeText(connectPacket);
            if (frame) enqueue(c, std::move(*frame));
        } else if (data.size() >= 2 && data[0] == '4' && data[1] == '4') {
            {
                std::lock_guard lock(statsMutex_);
                connect_.lastError = "CONNECT_ERROR " + std::string(data.substr(0, 200));
            }
            closeClient(c);
        } else if (data.size() >= 2 && data[0] == '4' && data[1] == '1') {
            closeClient(c); // the server disconnected the namespace
        }
        // Other events (participant:joined, participant:left, ...) are only counted.
    }

    void onJoined(Client& c, std::string_view data, bool refused, std::int64_t now)
    {
        std::lock_guard lock(statsMutex_);
        if (refused) {
            ++connect_.joinRefused;
            connect_.lastError = "room:join refused: " + std::string(data.substr(0, 200));
            closeClient(c);
            return;
        }
        c.state = State::Joined;
        --inFlight_;
        ++rooms_[c.room].live;
        connect_.joinUs.push_back(toUs(now - c.joinSentNs));
        connect_.readyUs.push_back(toUs(now - c.startNs));
        ++connect_.joined;
        ++joinedCount;
    }

    void onChatMessage(Client& c, std::string_view data, std::int64_t now)
    {
        const std::size_t at = data.find(kMarker);
        if (at == std::string_view::npos) { // a chat from another kind of client (the stock-client check)
            std::lock_guard lock(statsMutex_);
            ++foreignChats_;
            return;
        }
        std::size_t i = at + kMarker.size();
        std::uint64_t sentNs = 0, sender = 0, step = 0;
        if (!parseNumber(data, i, sentNs) || data[i++] != ':' || !parseNumber(data, i, sender) || data[i++] != ':' ||
            !parseNumber(data, i, step))
            return invalid("chat marker", data);
        std::lock_guard lock(statsMutex_);
        StepFigures& f = stepFigures(static_cast<std::size_t>(step));
        if (sender == c.index) {
            ++f.echoes;
            return;
        }
        ++f.delivered;
        if (f.fanoutUs.size() < kMaxSamplesPerStep) f.fanoutUs.push_back(toUs(now - static_cast<std::int64_t>(sentNs)));
    }

    // The whole frame through the codec, and the fields the benchmark relies on.
    void validate(const Client& c, std::string_view data)
    {
        auto engine = proto::EnginePacket::decodeText(data, kMaxFrameBytes);
        if (!engine) return invalid("Engine.IO: " + engine.error().message, data);
        if (engine->type != proto::EnginePacketType::Message) {
            if (engine->type == proto::EnginePacketType::Open && engine->data.find("\"sid\"") == std::string::npos)
                invalid("open packet without sid", data);
            return;
        }
        proto::SocketDecoderLimits limits;
        limits.rejectReservedEvents = false;
        auto packet = proto::SocketDecoder::parse(engine->data, limits);
        if (!packet) return invalid("Socket.IO: " + packet.error().message, data);
        auto tree = packet->data();
        if (!tree) return invalid("payload: " + tree.error().message, data);
        try {
            using Poco::JSON::Array;
            using Poco::JSON::Object;
            if (packet->type == proto::SocketPacketType::Connect) {
                if (tree->extract<Object::Ptr>()->getValue<std::string>("sid").empty()) invalid("CONNECT without sid", data);
            } else if (packet->type == proto::SocketPacketType::Event && packet->eventName == "chat:message") {
                const Object::Ptr m = tree->extract<Array::Ptr>()->getObject(1);
                const std::string text = m->getValue<std::string>("text");
                if (m->getValue<std::string>("id").empty() || m->getValue<std::string>("from").empty() ||
                    m->getValue<std::string>("user").empty() || m->getValue<std::string>("room") != rooms_[c.room].id ||
                    !m->get("ts").isNumeric() || text.empty() || (text.rfind("b:", 0) == 0 && text.size() != options_.textBytes))
                    invalid("chat:message fields", data);
            } else if (packet->type == proto::SocketPacketType::Ack && packet->id == c.joinAckId) {
                const Object::Ptr a = tree->extract<Array::Ptr>()->getObject(0);
                if (a->has("error")) return;
                const std::string self = a->getObject("participant")->getValue<std::string>("id");
                const Array::Ptr members = a->getArray("participants");
                bool listed = false;
                for (std::size_t i = 0; members && i < members->size(); ++i)
                    listed = listed || members->getObject(static_cast<unsigned>(i))->getValue<std::string>("id") == self;
                if (self.empty() || !listed || !a->getArray("ice_servers")) invalid("room:join ack fields", data);
            } else if (packet->type == proto::SocketPacketType::Ack) {
                const Object::Ptr a = tree->extract<Array::Ptr>()->getObject(0);
                if (!a->has("error") && (a->getValue<std::string>("id").empty() || !a->get("ts").isNumeric()))
                    invalid("chat:send ack fields", data);
            }
        } catch (const std::exception& e) {
            invalid(std::string("payload shape: ") + e.what(), data);
        }
    }

    int onWritable(Client& c)
    {
        if (c.closeRequested) {
            if (c.upgraded) {
                c.out.clear();
                enqueueFrame(c, 0x8,
                             std::string_view("\x03\xe8"
                                              "bench done",
                                              12)); // 1000, normal closure
                scratch_.assign(LWS_PRE, 0);
                scratch_.insert(scratch_.end(), c.out.begin(), c.out.end());
                lws_write(c.wsi, scratch_.data() + LWS_PRE, c.out.size(), LWS_WRITE_RAW);
            }
            return -1;
        }
        if (c.out.empty()) return 0;
        // Everything queued in one write: frames are laid end to end already.
        scratch_.resize(LWS_PRE + c.out.size());
        std::memcpy(scratch_.data() + LWS_PRE, c.out.data(), c.out.size());
        const int n = lws_write(c.wsi, scratch_.data() + LWS_PRE, c.out.size(), LWS_WRITE_RAW);
        const bool whole = n == static_cast<int>(c.out.size());
        c.out.clear();
        return whole ? 0 : -1;
    }

    void onClosed(Client& c)
    {
        const bool wasJoined = c.state == State::Joined;
        const bool handshaking = c.state != State::Joined && c.state != State::Closed && c.state != State::Idle;
        c.wsi = nullptr;
        if (handshaking && !c.closeRequested) return connectFailed(c, "closed during the handshake");
        if (handshaking) { // refused (CONNECT_ERROR, join refused): not worth retrying
            --inFlight_;
            ++failedCount;
            std::lock_guard lock(statsMutex_);
            ++connect_.failed;
        }
        --openConnections_;
        if (wasJoined) {
            --rooms_[c.room].live;
            if (!closing_.load()) ++drops_;
        }
        c.state = State::Closed;
    }

    static int callback(lws* wsi, lws_callback_reasons reason, void*, void* in, std::size_t len)
    {
        auto* self = static_cast<Worker*>(lws_context_user(lws_get_context(wsi)));
        auto* c = static_cast<Client*>(lws_get_opaque_user_data(wsi));
        if (!self || !c) return 0;
        try {
            switch (reason) {
            case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
                if (c->state == State::Connecting)
                    self->connectFailed(*c, in ? std::string(static_cast<const char*>(in), len) : "connection error");
                return 0;
            case LWS_CALLBACK_RAW_CONNECTED: self->sendHandshake(*c); return 0;
            case LWS_CALLBACK_RAW_RX: ++self->readsThisRound_; return self->onBytes(*c, static_cast<const char*>(in), len);
            case LWS_CALLBACK_RAW_WRITEABLE: return self->onWritable(*c);
            case LWS_CALLBACK_RAW_CLOSE:
                if (c->wsi) self->onClosed(*c);
                return 0;
            default: return 0;
            }
        } catch (const std::exception&) {
            return -1; // bad_alloc and the like: drop this connection, keep the others
        }
    }

    const GeneratorOptions& options_;
    unsigned index_;
    std::vector<RoomState> rooms_;
    std::vector<Client> clients_;      // never resized after start(): wsi user data points into it
    std::vector<std::uint32_t> order_; // clients by phase
    std::deque<std::uint32_t> pending_;
    std::size_t inFlight_ = 0;
    std::atomic<std::size_t> openConnections_{0};
    std::array<lws_protocols, 2> protocols_{};
    lws_context* context_ = nullptr;
#if VTP_BENCH_LIBEV
    struct ev_loop* loop_ = nullptr;
    std::array<void*, 1> foreignLoops_{};
#endif
    std::thread thread_;
    Tick tick_{};
    std::vector<unsigned char> scratch_;
    std::uint64_t maskState_ = 0x9E3779B97F4A7C15ull;
    std::size_t readsThisRound_ = 0;
    std::atomic<bool> closing_{false}, stopFlag_{false};

    // Step control, set by the controlling thread.
    std::atomic<std::size_t> step_{0};
    std::atomic<std::int64_t> periodNs_{0};
    std::atomic<std::uint64_t> epoch_{0};
    std::uint64_t seenEpoch_ = 0;
    std::int64_t period_ = 0, cycleStart_ = 0;
    std::size_t stepIndex_ = 0, cursor_ = 0;

    mutable std::mutex statsMutex_; // the controlling thread reads these while the worker writes
    ConnectFigures connect_;
    std::vector<StepFigures> steps_;
    std::atomic<std::uint64_t> pings_{0}, framesIn_{0}; // counted without the lock
    std::uint64_t invalid_ = 0, foreignChats_ = 0;
    std::string lastInvalid_;
};

LoadGenerator::LoadGenerator(GeneratorOptions options) : options_(std::move(options))
{
    if (!isLoopback(options_.host)) throw std::invalid_argument("only loopback targets are allowed: " + options_.host);
    if (options_.port <= 0 || options_.port > 65535) throw std::invalid_argument("bad port");
    if (options_.clients == 0) throw std::invalid_argument("no clients");
    if (options_.tokens.empty()) throw std::invalid_argument("no tokens");
    if (options_.roomSize == 0) throw std::invalid_argument("room size 0");
    const std::size_t roomsNeeded = (options_.clients + options_.roomSize - 1) / options_.roomSize;
    if (options_.rooms.size() < roomsNeeded)
        throw std::invalid_argument(std::to_string(options_.clients) + " clients need " + std::to_string(roomsNeeded) + " rooms, got " +
                                    std::to_string(options_.rooms.size()));
    options_.threads = std::clamp(options_.threads, 1u, 16u);
    options_.maxInFlight = std::max<std::size_t>(options_.maxInFlight, 1);
    for (unsigned t = 0; t < options_.threads; ++t) workers_.push_back(std::make_unique<Worker>(options_, t));
    // A room's members share a worker: room r on worker r % threads.
    for (std::size_t i = 0; i < options_.clients; ++i) {
        const std::size_t room = i / options_.roomSize;
        workers_[room % workers_.size()]->addClient(static_cast<std::uint32_t>(i), options_.rooms[room]);
    }
    lws_set_log_level(LLL_ERR, nullptr);
}

LoadGenerator::~LoadGenerator()
{
    stop(1);
}

void LoadGenerator::start()
{
    for (auto& w : workers_) w->start();
}

std::uint64_t LoadGenerator::joined() const
{
    std::uint64_t n = 0;
    for (const auto& w : workers_) n += w->joinedCount.load();
    return n;
}

std::uint64_t LoadGenerator::failed() const
{
    std::uint64_t n = 0;
    for (const auto& w : workers_) n += w->failedCount.load();
    return n;
}

std::uint64_t LoadGenerator::drops() const
{
    std::uint64_t n = 0;
    for (const auto& w : workers_) n += w->drops_.load();
    return n;
}

void LoadGenerator::runStep(std::size_t step, double periodSeconds)
{
    currentStep_ = step;
    for (auto& w : workers_) w->setStep(step, periodSeconds);
}

void LoadGenerator::stop(double timeoutSeconds)
{
    for (auto& w : workers_) w->requestClose();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutSeconds);
    while (std::chrono::steady_clock::now() < deadline &&
           !std::all_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->idle(); }))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (auto& w : workers_) w->requestStop();
    for (auto& w : workers_) w->join();
}

Snapshot LoadGenerator::snapshot() const
{
    Snapshot s;
    for (const auto& w : workers_) w->merge(s);
    return s;
}

} // namespace vtp::bench
