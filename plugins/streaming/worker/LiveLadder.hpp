#pragma once

// The transcoding half of the ingest worker: decoded pictures and sound in, the ladder out. Each
// rung at or below the source's height (the lowest always) is scaled and encoded with libx264; the
// sound is encoded to AAC once, as a rendition of its own. Keyframes are forced on the same source
// frames on every rung (the first at or after each segment boundary), and every rendition is cut
// into parts and segments on the same grid of instants, so that the renditions switch cleanly.
// Reports each file as it is renamed into place (one JSON line each, on standard output).
// Not thread-safe: the session's thread drives it.

#include "IngestOptions.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

extern "C" {
struct AVFrame;
struct AVPacket;
}

namespace vtp::streaming::ingest {

struct SourceInfo {
    int width = 0, height = 0;
    double frameRate = 30;
    bool hasAudio = false;
    std::string protocol, videoCodec;
};

class LiveLadder {
public:
    // `wallClockOriginMs`: the time of day (ms since the epoch) of the stream's instant 0.
    LiveLadder(const IngestOptions& options, const SourceInfo& source, int64_t wallClockOriginMs);
    ~LiveLadder();
    LiveLadder(const LiveLadder&) = delete;
    LiveLadder& operator=(const LiveLadder&) = delete;

    // Opens the encoders and the muxers; reports "started" and each "init".
    void start();
    // A decoded picture at `us` microseconds on the stream's timeline (>= 0, increasing).
    void videoFrame(const AVFrame* frame, int64_t us);
    // Decoded sound starting at `us` microseconds on the stream's timeline (may be < 0: trimmed).
    void audioFrame(const AVFrame* frame, int64_t us);
    // Drains the encoders and reports the last parts and segments.
    void finish();

private:
    struct Rendition;
    void encode(Rendition& r, AVFrame* frame);
    void onPacket(Rendition& r, AVPacket* packet);
    void encodeAudioFifo(bool final);

    IngestOptions options_;
    SourceInfo source_;
    int64_t wallClockOriginMs_;
    std::vector<std::unique_ptr<Rendition>> video_;
    std::unique_ptr<Rendition> audio_;
    int64_t lastVideoUs_ = -1, lastKeySegment_ = -1;
    int64_t audioNextSample_ = -1; // timeline position (48 kHz samples) of the fifo's first sample
    bool finished_ = false;
};

} // namespace vtp::streaming::ingest
