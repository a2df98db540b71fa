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
#include <exception>
#include <memory>
#include <string>
#include <vector>

extern "C" {
struct AVFrame;
struct AVPacket;
}

namespace vtp::streaming::ingest {

class ArchiveWriter;

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

    // Opens the encoders and the muxers; reports "started", each "init", and the archive (with
    // --archive-dir: "archive" {state "open", file, offset_ms, started_at_ms, appended}).
    void start();
    // A decoded picture at `us` microseconds on the stream's timeline (>= 0, increasing).
    void videoFrame(const AVFrame* frame, int64_t us);
    // Decoded sound starting at `us` microseconds on the stream's timeline (may be < 0: trimmed).
    void audioFrame(const AVFrame* frame, int64_t us);
    // Drains the encoders, reports the last parts and segments, and syncs the archive ("archive"
    // {state "synced", file, bytes, end_ms}).
    void finish();

private:
    struct Rendition;
    void encode(Rendition& r, AVFrame* frame);
    void onPacket(Rendition& r, AVPacket* packet);
    void encodeAudioFifo(bool final);
    // An archive that cannot be written is given up ("archive" {state "failed", reason}): the
    // live stream goes on without it.
    void archiveFailed(const std::exception& e);
    void archivePacket(Rendition& r); // the held packet, before the CMAF writer rescales it

    IngestOptions options_;
    SourceInfo source_;
    int64_t wallClockOriginMs_;
    std::vector<std::unique_ptr<Rendition>> video_;
    std::unique_ptr<Rendition> audio_;
    std::unique_ptr<ArchiveWriter> archive_; // the highest rung's packets and the audio's
    int64_t lastVideoUs_ = -1, lastKeySegment_ = -1;
    int64_t audioNextSample_ = -1; // timeline position (48 kHz samples) of the fifo's first sample
    bool finished_ = false;
};

} // namespace vtp::streaming::ingest
