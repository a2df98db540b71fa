// vtp-stream-worker alone (no vtpd): publishers made by the ffmpeg command push test media over
// RTMP and SRT; the worker's JSON lines and the CMAF files it writes are checked, the files read
// back with libavformat (init segment + segment, as a player joins them).

#include "ChildProcess.hpp"
#include "TestSupport.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

extern "C" {
#include <libavformat/avformat.h>
}

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/socket.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

using namespace std::chrono_literals;
using Poco::JSON::Object;
using vtp::test::ChildProcess;
using vtp::test::TempDir;

namespace {

constexpr const char* kKey = "instructorKey_42";

// A report line and when the test saw it.
struct Line {
    Object::Ptr json;
    std::chrono::system_clock::time_point seen;
    std::string type() const { return json->getValue<std::string>("type"); }
};

// The worker, its output in a file; its JSON lines read as they come (inotify on the file: the
// wait ends on the write that completes the line looked for).
class Worker {
public:
    Worker(const TempDir& dir, const std::string& listenUrl, int idleMs, const std::vector<std::string>& extra = {})
        : log_(dir.file("worker.log")), outDir_(dir.file("out"))
    {
        std::vector<std::string> args{VTP_TEST_STREAM_WORKER,
                                      "--listen",
                                      listenUrl,
                                      "--out-dir",
                                      outDir_,
                                      "--rung",
                                      "1080:5000",
                                      "--rung",
                                      "720:2800",
                                      "--rung",
                                      "480:1400",
                                      "--rung",
                                      "360:800",
                                      "--audio-kbps",
                                      "128",
                                      "--segment-ms",
                                      "2000",
                                      "--part-ms",
                                      "500",
                                      "--preset",
                                      "veryfast",
                                      "--idle-timeout-ms",
                                      std::to_string(idleMs),
                                      "--stall-timeout-ms",
                                      "2000"};
        args.insert(args.end(), extra.begin(), extra.end());
        vtp::test::writeFile(log_, "");
        inotify_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        inotify_add_watch(inotify_, log_.c_str(), IN_MODIFY);
        process_ = std::make_unique<ChildProcess>(args, log_);
    }
    ~Worker() { ::close(inotify_); }

    // Waits until a line satisfies `pred`; returns it (nullptr on timeout).
    template <typename P>
    const Line* waitFor(P pred, std::chrono::milliseconds timeout)
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        size_t checked = 0;
        for (;;) {
            readNew();
            for (; checked < lines_.size(); ++checked)
                if (pred(lines_[checked])) return &lines_[checked];
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return nullptr;
            pollfd p{inotify_, POLLIN, 0};
            // The file changes (a line) or the period ends; a short cap covers a write that came
            // between readNew() and poll().
            if (::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 200))) > 0) {
                char buf[4096];
                while (::read(inotify_, buf, sizeof buf) > 0) {}
            }
        }
    }
    const Line* waitForType(const std::string& type, std::chrono::milliseconds timeout)
    {
        return waitFor([&](const Line& l) { return l.type() == type; }, timeout);
    }
    std::vector<Line> linesOf(const std::string& type)
    {
        readNew();
        std::vector<Line> out;
        for (const auto& l : lines_)
            if (l.type() == type) out.push_back(l);
        return out;
    }
    ChildProcess& process() { return *process_; }
    const std::string& outDir() const { return outDir_; }
    std::string log() const { return vtp::test::readFile(log_); }

private:
    void readNew()
    {
        const std::string text = vtp::test::readFile(log_);
        while (true) {
            const auto nl = text.find('\n', offset_);
            if (nl == std::string::npos) break;
            const std::string line = text.substr(offset_, nl - offset_);
            offset_ = nl + 1;
            if (line.empty() || line[0] != '{') continue; // FFmpeg's messages on standard error
            Poco::JSON::Parser parser;
            lines_.push_back({parser.parse(line).extract<Object::Ptr>(), std::chrono::system_clock::now()});
        }
    }

    std::string log_, outDir_;
    int inotify_ = -1;
    size_t offset_ = 0;
    std::vector<Line> lines_;
    std::unique_ptr<ChildProcess> process_;
};

// An encoder pushing 720p test media (for `seconds`, or until killed).
std::unique_ptr<ChildProcess> publish(const TempDir& dir, const std::string& url, const std::string& name, int seconds = 0)
{
    const bool srt = url.rfind("srt://", 0) == 0;
    std::vector<std::string> args{
        VTP_TEST_FFMPEG, "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f",
        "lavfi",         "-i",           "sine"};
    if (seconds > 0) args.insert(args.end(), {"-t", std::to_string(seconds)});
    args.insert(args.end(), {"-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-c:a", "aac", "-f", srt ? "mpegts" : "flv", url});
    return std::make_unique<ChildProcess>(args, dir.file(name + ".log"));
}

// Starts a client (made by `start`) again and again until the worker reports a line `pred`
// accepts: while the worker has not opened its listener yet, or in the moment it takes to open it
// again after a refusal, a client that connects fails at once. Returns the client.
template <typename Start, typename Pred>
std::unique_ptr<ChildProcess> startUntil(Worker& worker, Start start, Pred pred, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (int attempt = 0; std::chrono::steady_clock::now() < deadline; ++attempt) {
        auto client = start(attempt);
        while (std::chrono::steady_clock::now() < deadline) {
            // Short waits on the worker's lines, to look at the client's exit in between.
            if (worker.waitFor(pred, 100ms)) return client;
            if (!client->running() && !worker.waitFor(pred, 100ms)) break;
        }
    }
    ADD_FAILURE() << "the worker never reported what was awaited:\n" << worker.log();
    return nullptr;
}

std::unique_ptr<ChildProcess> publishUntilStarted(Worker& worker, const TempDir& dir, const std::string& url, int seconds = 0)
{
    return startUntil(
        worker, [&](int attempt) { return publish(dir, url, "publisher" + std::to_string(attempt), seconds); },
        [](const Line& l) { return l.type() == "started"; }, 20s);
}

bool isRefusal(const Line& l, const std::string& reason)
{
    return l.type() == "refused" && l.json->getValue<std::string>("reason") == reason;
}

struct SegmentProbe {
    bool readable = false;
    int keyframes = 0;
    bool startsWithKeyframe = false;
    double firstPts = -1;
    int packets = 0;
};

// Reads init + segment joined, as a player does, with libavformat.
SegmentProbe probeSegment(const std::string& outDir, const std::string& rendition, const std::string& segmentFile, const TempDir& dir)
{
    const std::string joined = dir.file("joined.mp4");
    vtp::test::writeFile(joined,
                         vtp::test::readFile(outDir + "/" + rendition + "/init.mp4") + vtp::test::readFile(outDir + "/" + segmentFile));
    SegmentProbe r;
    AVFormatContext* ctx = nullptr;
    if (avformat_open_input(&ctx, joined.c_str(), nullptr, nullptr) < 0) return r;
    if (avformat_find_stream_info(ctx, nullptr) < 0 || ctx->nb_streams != 1) {
        avformat_close_input(&ctx);
        return r;
    }
    r.readable = true;
    AVPacket* pkt = av_packet_alloc();
    while (av_read_frame(ctx, pkt) >= 0) {
        const bool key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
        if (r.packets == 0) {
            r.startsWithKeyframe = key;
            r.firstPts = static_cast<double>(pkt->pts) * av_q2d(ctx->streams[0]->time_base);
        }
        r.keyframes += key ? 1 : 0;
        ++r.packets;
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&ctx);
    return r;
}

// Every file a part or segment line names exists, whole (the size reported), and each segment is
// its parts joined.
void expectReportedFilesComplete(Worker& w)
{
    std::map<std::pair<std::string, int64_t>, std::string> partsJoined;
    for (const Line& l : w.linesOf("part")) {
        const std::string file = w.outDir() + "/" + l.json->getValue<std::string>("file");
        ASSERT_TRUE(std::filesystem::exists(file)) << file;
        EXPECT_EQ(std::filesystem::file_size(file), l.json->getValue<uint64_t>("bytes")) << file;
        partsJoined[{l.json->getValue<std::string>("rendition"), l.json->getValue<int64_t>("msn")}] += vtp::test::readFile(file);
    }
    const auto segments = w.linesOf("segment");
    ASSERT_FALSE(segments.empty());
    for (const Line& l : segments) {
        const std::string file = w.outDir() + "/" + l.json->getValue<std::string>("file");
        ASSERT_TRUE(std::filesystem::exists(file)) << file;
        EXPECT_EQ(std::filesystem::file_size(file), l.json->getValue<uint64_t>("bytes")) << file;
        EXPECT_EQ(vtp::test::readFile(file), (partsJoined[{l.json->getValue<std::string>("rendition"), l.json->getValue<int64_t>("msn")}]))
            << file << " is not its parts joined";
    }
    // No file left half-written under a temporary name.
    for (const auto& e : std::filesystem::recursive_directory_iterator(w.outDir()))
        EXPECT_NE(e.path().filename().string().front(), '.') << e.path();
}

bool outDirEmpty(const std::string& dir)
{
    return !std::filesystem::exists(dir) || std::filesystem::is_empty(dir);
}

} // namespace

TEST(IngestWorker, RtmpPublisherWithTheKeyGetsTheLadderBelowItsSourceWithAlignedCmafSegments)
{
    TempDir dir("vtp-ingest");
    const uint16_t port = vtp::test::freeLoopbackPort();
    const std::string url = "rtmp://127.0.0.1:" + std::to_string(port) + "/live/" + kKey;
    Worker w(dir, url, 30000);
    auto publisher = publishUntilStarted(w, dir, url, 5);
    ASSERT_TRUE(publisher);
    // Five seconds of media, then the encoder stops as OBS's Stop Streaming does.
    const Line* ended = w.waitForType("ended", 30s);
    ASSERT_TRUE(ended) << w.log();
    EXPECT_EQ(ended->json->getValue<std::string>("reason"), "publisher disconnected");
    EXPECT_EQ(w.process().wait(10s), 0);

    const auto started = w.linesOf("started");
    ASSERT_EQ(started.size(), 1u);
    // A 720p source: no 1080p rung (no upscaling).
    std::vector<std::string> rungs;
    for (const auto& r : *started[0].json->getArray("rungs")) {
        const auto rung = r.extract<Object::Ptr>();
        rungs.push_back(rung->getValue<std::string>("rendition"));
        EXPECT_EQ(rung->getValue<std::string>("codecs").rfind("avc1.64", 0), 0u);
        EXPECT_GT(rung->getValue<int64_t>("bandwidth"), 0);
    }
    EXPECT_EQ(rungs, (std::vector<std::string>{"720p", "480p", "360p"}));
    const auto audio = started[0].json->getObject("audio");
    ASSERT_TRUE(audio);
    EXPECT_EQ(audio->getValue<std::string>("codecs"), "mp4a.40.2");
    EXPECT_EQ(w.linesOf("init").size(), 4u);

    expectReportedFilesComplete(w);

    // Every video rung: each segment starts with a keyframe (its only one: no scene cuts) at the
    // same instant on every rung, its first part independent and the others not.
    std::map<int64_t, std::set<long long>> segmentStartsMs;
    for (const std::string rendition : {"720p", "480p", "360p"}) {
        int segments = 0;
        for (const Line& l : w.linesOf("segment")) {
            if (l.json->getValue<std::string>("rendition") != rendition) continue;
            ++segments;
            const SegmentProbe p = probeSegment(w.outDir(), rendition, l.json->getValue<std::string>("file"), dir);
            ASSERT_TRUE(p.readable) << l.json->getValue<std::string>("file");
            EXPECT_TRUE(p.startsWithKeyframe) << l.json->getValue<std::string>("file");
            EXPECT_EQ(p.keyframes, 1) << l.json->getValue<std::string>("file");
            EXPECT_NEAR(p.firstPts, l.json->getValue<double>("start"), 0.002);
            segmentStartsMs[l.json->getValue<int64_t>("msn")].insert(std::llround(p.firstPts * 1000));
        }
        // Five seconds pushed with -re: at least two of the 2 s grid's segments, however loaded the
        // machine (a slow start shortens what reaches the worker).
        EXPECT_GE(segments, 2) << rendition;
        for (const Line& l : w.linesOf("part")) {
            if (l.json->getValue<std::string>("rendition") != rendition) continue;
            EXPECT_EQ(l.json->getValue<bool>("independent"), l.json->getValue<int>("part") == 0) << l.json->getValue<std::string>("file");
        }
    }
    for (const auto& [msn, starts] : segmentStartsMs) {
        EXPECT_EQ(starts.size(), 1u) << "segment " << msn << " starts at different instants on different rungs";
        EXPECT_EQ(*starts.begin(), msn * 2000);
    }
    // The audio rendition is readable and on the same grid (within one AAC frame).
    for (const Line& l : w.linesOf("segment")) {
        if (l.json->getValue<std::string>("rendition") != "audio") continue;
        const SegmentProbe p = probeSegment(w.outDir(), "audio", l.json->getValue<std::string>("file"), dir);
        ASSERT_TRUE(p.readable);
        EXPECT_NEAR(p.firstPts, static_cast<double>(l.json->getValue<int64_t>("msn")) * 2.0, 1024.0 / 48000 + 0.001);
    }
    // How soon a part is reported after the instant it ends (its program date time plus its end):
    // printed, not asserted (a timed bound fails on a loaded machine; bench/streaming measures).
    const int64_t origin = started[0].json->getValue<int64_t>("program_date_time_ms");
    double worstMs = 0;
    std::map<std::string, double> partEnd;
    for (const Line& l : w.linesOf("part")) {
        const std::string r = l.json->getValue<std::string>("rendition");
        partEnd[r] += l.json->getValue<double>("duration");
        const double seenMs = std::chrono::duration<double, std::milli>(l.seen.time_since_epoch()).count();
        worstMs = std::max(worstMs, seenMs - (origin + partEnd[r] * 1000));
    }
    std::printf("worst part publication delay: %.0f ms\n", worstMs);
    EXPECT_GT(worstMs, -1000.0); // reported before the part could have ended: the clocks or the report are wrong
}

TEST(IngestWorker, RtmpWrongKeyIsRefusedThenTheRightKeyIsLetInAndAKilledEncoderEndsTheStream)
{
    TempDir dir("vtp-ingest");
    const uint16_t port = vtp::test::freeLoopbackPort();
    const std::string base = "rtmp://127.0.0.1:" + std::to_string(port) + "/live/";
    Worker w(dir, base + kKey, 30000);
    auto wrong = startUntil(
        w, [&](int attempt) { return publish(dir, base + "notTheKey", "wrong" + std::to_string(attempt), 5); },
        [](const Line& l) { return isRefusal(l, "wrong stream key"); }, 20s);
    ASSERT_TRUE(wrong);
    EXPECT_NE(wrong->wait(10s), 0) << "the encoder with the wrong key kept publishing";
    EXPECT_TRUE(outDirEmpty(w.outDir()));
    EXPECT_TRUE(w.linesOf("started").empty());

    auto right = publishUntilStarted(w, dir, base + kKey);
    ASSERT_TRUE(right);
    ASSERT_TRUE(
        w.waitFor([](const Line& l) { return l.type() == "segment" && l.json->getValue<std::string>("rendition") == "360p"; }, 20s));
    const size_t segmentsBeforeKill = w.linesOf("segment").size();
    right->wait(0ms); // kill -9 of the encoder's process group
    const auto killedAt = std::chrono::steady_clock::now();
    const Line* ended = w.waitForType("ended", 10s);
    ASSERT_TRUE(ended) << w.log();
    EXPECT_LT(std::chrono::steady_clock::now() - killedAt, 5s);
    EXPECT_EQ(ended->json->getValue<std::string>("reason"), "publisher disconnected");
    EXPECT_EQ(w.process().wait(10s), 0);
    expectReportedFilesComplete(w);
    // The last segment of each rendition was flushed and reported after the kill.
    std::set<std::string> renditions;
    const auto segments = w.linesOf("segment");
    for (size_t i = segmentsBeforeKill; i < segments.size(); ++i) renditions.insert(segments[i].json->getValue<std::string>("rendition"));
    EXPECT_EQ(renditions, (std::set<std::string>{"720p", "480p", "360p", "audio"}));
}

TEST(IngestWorker, RtmpPlayerWithoutPublishingIsRefused)
{
    // FFmpeg's listener compares names only in publish: a client that plays instead never
    // presents the key, and must not be let in (nor hold the listener: it is closed once the
    // stall timeout has passed after its handshake).
    TempDir dir("vtp-ingest");
    const uint16_t port = vtp::test::freeLoopbackPort();
    const std::string url = "rtmp://127.0.0.1:" + std::to_string(port) + "/live/" + kKey;
    Worker w(dir, url, 30000);
    auto player = startUntil(
        w,
        [&](int attempt) {
            return std::make_unique<ChildProcess>(
                std::vector<std::string>{VTP_TEST_FFMPEG, "-hide_banner", "-loglevel", "error", "-i", url, "-t", "1", "-f", "null", "-"},
                dir.file("player" + std::to_string(attempt) + ".log"));
        },
        [](const Line& l) { return isRefusal(l, "no stream key presented"); }, 20s);
    ASSERT_TRUE(player) << w.log();
    EXPECT_FALSE(w.waitForType("started", 2s)) << "a player was let in as a publisher";
    EXPECT_TRUE(w.linesOf("started").empty());
    EXPECT_TRUE(outDirEmpty(w.outDir()));
}

TEST(IngestWorker, NoPublisherEndsAtTheIdleTimeoutAndGarbageIsRefused)
{
    TempDir dir("vtp-ingest");
    const uint16_t port = vtp::test::freeLoopbackPort();
    Worker w(dir, "rtmp://127.0.0.1:" + std::to_string(port) + "/live/" + kKey, 3000);
    ASSERT_TRUE(vtp::test::waitForTcpPort(port, w.process(), 3s));
    {
        // Bytes that are no RTMP handshake.
        Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
        std::string garbage(4096, '\x5a');
        try {
            s.sendBytes(garbage.data(), static_cast<int>(garbage.size()));
        } catch (const Poco::Exception&) {
            // The worker may close the connection before the last byte is sent: a refusal too.
        }
    }
    ASSERT_TRUE(w.waitForType("refused", 5s));
    const Line* ended = w.waitForType("ended", 10s);
    ASSERT_TRUE(ended) << w.log();
    EXPECT_EQ(ended->json->getValue<std::string>("reason"), "idle timeout");
    EXPECT_EQ(w.process().wait(5s), 1);
    EXPECT_TRUE(outDirEmpty(w.outDir()));
}

TEST(IngestWorker, SrtWrongStreamIdIsRefusedThenTheRightOneIsLetInAndAKilledEncoderEndsTheStream)
{
    TempDir dir("vtp-ingest");
    const uint16_t port = vtp::test::freeLoopbackPort(SOCK_DGRAM);
    const std::string listen = "srt://127.0.0.1:" + std::to_string(port) + "?mode=listener&streamid=" + kKey;
    const std::string caller = "srt://127.0.0.1:" + std::to_string(port) + "?streamid=";
    Worker w(dir, listen, 30000);
    auto wrong = startUntil(
        w, [&](int attempt) { return publish(dir, caller + "notTheKey", "wrong" + std::to_string(attempt), 5); },
        [](const Line& l) { return l.type() == "refused"; }, 20s);
    ASSERT_TRUE(wrong);
    const Line* refused = w.waitForType("refused", 0ms);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->json->getValue<std::string>("reason"), "wrong stream key");
    EXPECT_EQ(refused->json->getValue<std::string>("protocol"), "srt");
    EXPECT_NE(wrong->wait(15s), 0);
    EXPECT_TRUE(outDirEmpty(w.outDir()));

    auto right = publishUntilStarted(w, dir, caller + kKey);
    ASSERT_TRUE(right);
    const auto started = w.linesOf("started");
    ASSERT_EQ(started.size(), 1u);
    EXPECT_EQ(started[0].json->getArray("rungs")->size(), 3u);
    ASSERT_TRUE(
        w.waitFor([](const Line& l) { return l.type() == "segment" && l.json->getValue<std::string>("rendition") == "360p"; }, 20s));
    right->wait(0ms); // kill -9: SRT says nothing, the worker notices the silence
    const auto killedAt = std::chrono::steady_clock::now();
    const Line* ended = w.waitForType("ended", 15s);
    ASSERT_TRUE(ended) << w.log();
    EXPECT_LT(std::chrono::steady_clock::now() - killedAt, 6s); // the stall timeout (2 s) and the flush
    EXPECT_EQ(ended->json->getValue<std::string>("reason"), "publisher disconnected");
    EXPECT_EQ(w.process().wait(10s), 0);
    expectReportedFilesComplete(w);
    for (const Line& l : w.linesOf("segment")) {
        const SegmentProbe p =
            probeSegment(w.outDir(), l.json->getValue<std::string>("rendition"), l.json->getValue<std::string>("file"), dir);
        EXPECT_TRUE(p.readable) << l.json->getValue<std::string>("file");
        if (l.json->getValue<std::string>("rendition") != "audio") {
            EXPECT_TRUE(p.startsWithKeyframe) << l.json->getValue<std::string>("file");
        }
    }
}
