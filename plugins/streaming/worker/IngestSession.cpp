#include "IngestSession.hpp"

#include "LiveLadder.hpp"

#include "Pipeline.hpp"
#include "Report.hpp"
#include "WorkerSupport.hpp"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <stdexcept>

namespace vtp::streaming::ingest {

using namespace vtp::media::detail;
using vtp::media::avError;
using vtp::media::jsonString;
using vtp::media::reportLine;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kAnalyzeMs = 2000; // how much of a publisher's stream the probe may read

int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

int64_t wallClockMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// FFmpeg calls this in every wait of its network code: it ends an open or a read when the gate
// has refused the publisher or when the deadline (idle or stall) has passed.
struct Interrupt {
    PublisherGate* gate = nullptr;
    std::atomic<int64_t> deadlineMs{0};
    int64_t keyDeadlineMs = 0; // from the handshake's end to the key
    static int callback(void* opaque)
    {
        const auto* self = static_cast<const Interrupt*>(opaque);
        const auto verdict = self->gate->verdict();
        if (verdict == PublisherGate::Verdict::Refused) return 1;
        const int64_t now = nowMs(), connectedAt = self->gate->connectedAtMs();
        if (verdict == PublisherGate::Verdict::None && connectedAt > 0 && now >= connectedAt + self->keyDeadlineMs) return 1;
        return now >= self->deadlineMs.load() ? 1 : 0;
    }
};

struct InputFree {
    void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
using Input = std::unique_ptr<AVFormatContext, InputFree>;

void reportRefused(const char* protocol, const std::string& reason)
{
    reportLine(std::string("{\"type\":\"refused\",\"protocol\":\"") + protocol + "\",\"reason\":" + jsonString(reason) + "}");
}

void reportEnded(const std::string& reason, const std::string& detail)
{
    reportLine("{\"type\":\"ended\",\"reason\":" + jsonString(reason) + (detail.empty() ? "" : ",\"detail\":" + jsonString(detail)) + "}");
}

// The publisher's stream, decoded and fed to the ladder until it ends. Returns the ended reason
// and its detail.
std::pair<std::string, std::string> stream(const IngestOptions& o, AVFormatContext* in, Interrupt& interrupt, const char* protocol)
{
    // The probe reads up to kAnalyzeMs of media, which a live publisher sends in real time: a
    // deadline shorter than that would cut a read mid-packet and leave the RTMP reader out of step.
    interrupt.deadlineMs = nowMs() + o.stallTimeoutMs + kAnalyzeMs;
    int rc = avformat_find_stream_info(in, nullptr);
    if (rc < 0) return {"publisher disconnected", "its stream could not be read: " + avError(rc)};
    const int videoIndex = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    const int audioIndex = av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (videoIndex < 0) return {"unusable input", "the stream has no video this server decodes"};
    AVStream* vs = in->streams[videoIndex];
    auto withinLimits = [&](int w, int h) { return w > 0 && h > 0 && w <= o.maxWidth && h <= o.maxHeight; };
    if (!withinLimits(vs->codecpar->width, vs->codecpar->height))
        return {"input over the limits", "the picture is " + std::to_string(vs->codecpar->width) + "x" +
                                             std::to_string(vs->codecpar->height) + ", over " + std::to_string(o.maxWidth) + "x" +
                                             std::to_string(o.maxHeight)};

    auto openDecoder = [&](AVStream* st) {
        const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
        if (!codec) throw std::runtime_error("no decoder");
        Codec c(avcodec_alloc_context3(codec));
        if (!c) throw std::bad_alloc();
        if (avcodec_parameters_to_context(c.get(), st->codecpar) < 0) throw std::runtime_error("bad parameters");
        c->thread_count = 2;
        c->thread_type = FF_THREAD_SLICE; // frame threads would add a frame of delay each
        c->pkt_timebase = st->time_base;
        if (avcodec_open2(c.get(), codec, nullptr) < 0) throw std::runtime_error("cannot open the decoder");
        return c;
    };
    Codec videoDec, audioDec;
    try {
        videoDec = openDecoder(vs);
        if (audioIndex >= 0) audioDec = openDecoder(in->streams[audioIndex]);
    } catch (const std::runtime_error& e) {
        return {"unusable input", std::string("its codecs cannot be decoded here (") + e.what() + ")"};
    }

    SourceInfo source;
    source.width = vs->codecpar->width;
    source.height = vs->codecpar->height;
    const AVRational fr = vs->avg_frame_rate.num > 0 ? vs->avg_frame_rate : vs->r_frame_rate;
    source.frameRate = fr.num > 0 && fr.den > 0 ? std::min<double>(av_q2d(fr), o.maxFps) : 30;
    source.hasAudio = audioDec != nullptr;
    source.protocol = protocol;
    source.videoCodec = avcodec_get_name(vs->codecpar->codec_id);

    if (::mkdir(o.outDir.c_str(), 0755) != 0 && errno != EEXIST) throw std::runtime_error("cannot create " + o.outDir);
    std::unique_ptr<LiveLadder> ladder;
    int64_t originUs = AV_NOPTS_VALUE;

    Packet pkt = newPacket();
    Frame frame = newFrame();
    // The input's rate, over windows of a few seconds (a burst at the start is the buffer of the
    // stream info's probe, hence the first window's grace).
    int64_t windowStartMs = nowMs(), windowStartBytes = 0;
    std::pair<std::string, std::string> ended{"publisher disconnected", ""};
    for (;;) {
        interrupt.deadlineMs = nowMs() + o.stallTimeoutMs;
        rc = av_read_frame(in, pkt.get());
        if (rc < 0) {
            if (rc == AVERROR_EXIT)
                ended.second = "nothing came for " + std::to_string(o.stallTimeoutMs) + " ms";
            else if (rc != AVERROR_EOF)
                ended.second = avError(rc);
            break;
        }
        const int64_t now = nowMs();
        if (now - windowStartMs >= 4000 && in->pb) {
            const int64_t kbps = (in->pb->bytes_read - windowStartBytes) * 8 / (now - windowStartMs);
            if (kbps > o.maxInputKbps) {
                ended = {"input over the limits", "it sent " + std::to_string(kbps) + " kb/s, over " + std::to_string(o.maxInputKbps)};
                av_packet_unref(pkt.get());
                break;
            }
            windowStartMs = now;
            windowStartBytes = in->pb->bytes_read;
        }
        const bool isVideo = pkt->stream_index == videoIndex, isAudio = pkt->stream_index == audioIndex && audioDec;
        AVCodecContext* dec = isVideo ? videoDec.get() : isAudio ? audioDec.get() : nullptr;
        if (!dec) {
            av_packet_unref(pkt.get());
            continue;
        }
        const AVRational tb = in->streams[pkt->stream_index]->time_base;
        // A corrupt packet is skipped: the decoder recovers at the next keyframe.
        if (avcodec_send_packet(dec, pkt.get()) < 0) {
            av_packet_unref(pkt.get());
            continue;
        }
        av_packet_unref(pkt.get());
        while (avcodec_receive_frame(dec, frame.get()) >= 0) {
            const int64_t ts = frame->best_effort_timestamp;
            if (ts == AV_NOPTS_VALUE) {
                av_frame_unref(frame.get());
                continue;
            }
            const int64_t us = av_rescale_q(ts, tb, AV_TIME_BASE_Q);
            if (isVideo) {
                if (!withinLimits(frame->width, frame->height)) {
                    ended = {"input over the limits", "a picture of " + std::to_string(frame->width) + "x" + std::to_string(frame->height)};
                    av_frame_unref(frame.get());
                    goto done;
                }
                if (originUs == AV_NOPTS_VALUE) {
                    // The first picture is the timeline's instant 0.
                    originUs = us;
                    ladder = std::make_unique<LiveLadder>(o, source, wallClockMs());
                    ladder->start();
                }
                ladder->videoFrame(frame.get(), us - originUs);
            } else if (ladder) {
                ladder->audioFrame(frame.get(), us - originUs);
            }
            av_frame_unref(frame.get());
        }
    }
done:
    if (ladder)
        ladder->finish();
    else if (ended.first == "publisher disconnected")
        ended.second = "before its first picture";
    return ended;
}

} // namespace

int runIngest(const IngestOptions& o, PublisherGate& gate)
{
    const ListenTarget& target = o.listen;
    const bool rtmp = target.protocol == Protocol::Rtmp;
    const char* protocol = rtmp ? "rtmp" : "srt";
    const int64_t idleDeadline = nowMs() + o.idleTimeoutMs;
    Interrupt interrupt;
    interrupt.gate = &gate;
    interrupt.keyDeadlineMs = o.stallTimeoutMs;

    while (nowMs() < idleDeadline) {
        gate.expect(target.key);
        interrupt.deadlineMs = idleDeadline;
        AVFormatContext* raw = avformat_alloc_context();
        if (!raw) throw std::bad_alloc();
        raw->interrupt_callback = {&Interrupt::callback, &interrupt};
        // Only the demuxer and the codecs a publisher may send; nothing is probed.
        raw->format_whitelist = av_strdup(rtmp ? "flv" : "mpegts");
        raw->protocol_whitelist = av_strdup(rtmp ? "rtmp,tcp" : "srt");
        raw->codec_whitelist = av_strdup("h264,hevc,aac,mp3,mp2,opus");
        AVDictionary* opts = nullptr;
        std::string url;
        if (rtmp) {
            // Listening under a name no key equals: every publish is then logged with its name.
            url = "rtmp://" + target.host + ":" + std::to_string(target.port) + "/" + target.app + "/" + kRtmpListenName;
            av_dict_set(&opts, "listen", "1", 0);
        } else {
            url = "srt://" + target.host + ":" + std::to_string(target.port) + "?mode=listener";
            for (const auto& [name, value] : target.srtOptions) av_dict_set(&opts, name.c_str(), value.c_str(), 0);
            // A caller killed without a word: libsrt's read gives up after the stall timeout.
            av_dict_set(&opts, "timeout", std::to_string(int64_t(o.stallTimeoutMs) * 1000).c_str(), 0);
        }
        av_dict_set(&opts, "analyzeduration", std::to_string(kAnalyzeMs * 1000).c_str(), 0);
        av_dict_set(&opts, "probesize", "2000000", 0);
        const AVInputFormat* format = av_find_input_format(rtmp ? "flv" : "mpegts");
        const int rc = avformat_open_input(&raw, url.c_str(), format, &opts);
        av_dict_free(&opts);
        if (rc < 0) { // avformat_open_input freed the context
            if (gate.verdict() == PublisherGate::Verdict::Refused) {
                reportRefused(protocol, "wrong stream key");
                continue;
            }
            if (gate.connectedAtMs() > 0 && gate.verdict() == PublisherGate::Verdict::None) {
                reportRefused(protocol, "no stream key presented");
                continue;
            }
            if (nowMs() >= idleDeadline) break;
            // Another process holds the port: listening again would only spin; the plugin decides.
            if (rc == AVERROR(EADDRINUSE) || rc == AVERROR(EACCES) || rc == AVERROR(EADDRNOTAVAIL)) {
                reportEnded("listen failed", avError(rc));
                return 1;
            }
            reportRefused(protocol, "the connection failed before publishing: " + avError(rc));
            continue;
        }
        Input in(raw);
        if (gate.verdict() != PublisherGate::Verdict::Accepted) {
            reportRefused(protocol, gate.verdict() == PublisherGate::Verdict::Refused ? "wrong stream key" : "no stream key presented");
            continue;
        }
        auto [reason, detail] = stream(o, in.get(), interrupt, protocol);
        in.reset();
        reportEnded(reason, detail);
        return 0;
    }
    reportEnded("idle timeout", "no publisher with the stream key within " + std::to_string(o.idleTimeoutMs) + " ms");
    return 1;
}

} // namespace vtp::streaming::ingest
