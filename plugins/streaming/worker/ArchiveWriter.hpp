#pragma once

// The stream's archive: one fragmented MP4 (the highest video rung's packets, already encoded,
// and the AAC audio) that grows across the stream's publishes, so that the recording a stream
// becomes plays them one after the other (the recording plugin would take separate files for
// simultaneous alternates). A fragment (moof+mdat of both tracks) is appended at each segment
// boundary with one write, and ARCHIVE.state then records the length and the end time the file
// is good to: a killed worker leaves a file playable up to its last fragment, and the next
// publish's worker cuts whatever came after the state before it appends.
//
// Files, in the archive directory: archive-N.mp4 and archive-N.state ("key value" lines:
// init_bytes, bytes, end_us, started_at_ms, publishes). A publish continues the latest archive when
// its init segment (codecs, picture size) is byte for byte the archive's, its timestamps going on
// from the archive's end; otherwise (another picture size) it starts archive-N+1.
// Not thread-safe: the session's thread drives it.

#include "ArchiveState.hpp"

#include <cstdint>
#include <string>

extern "C" {
struct AVCodecContext;
struct AVFormatContext;
struct AVPacket;
}

namespace vtp::streaming::ingest {

class ArchiveWriter {
public:
    // Opens (or continues) the archive in `dir` for this publish. `video` is the highest rung's
    // encoder, `audio` the AAC encoder or null; both open, with global headers.
    // `wallClockOriginMs`: the server's time of day of this publish's instant 0.
    // Throws std::runtime_error when the archive cannot be written.
    ArchiveWriter(const std::string& dir, const AVCodecContext* video, const AVCodecContext* audio, int64_t wallClockOriginMs);
    ~ArchiveWriter();
    ArchiveWriter(const ArchiveWriter&) = delete;
    ArchiveWriter& operator=(const ArchiveWriter&) = delete;

    // A packet of the video (or audio) encoder, in its time base, duration set; not consumed.
    void write(const AVPacket* packet, bool video);
    // Appends what was written since the last cut as one fragment and records the new state.
    void cutFragment();
    // The last fragment, then the file, its state and the directory synced to disk.
    void finish();

    const std::string& path() const { return path_; }
    bool appended() const { return appended_; }    // continues an earlier publish's archive
    int64_t offsetUs() const { return offsetUs_; } // this publish's instant 0 on the archive's timeline
    const ArchiveState& state() const { return state_; }

private:
    void openMuxer(const AVCodecContext* video, const AVCodecContext* audio);
    void release();
    void writeState(bool sync);
    static int onWrite(void* opaque, uint8_t* data, int size); // FFmpeg 5.1: not const

    std::string dir_, path_, statePath_;
    AVFormatContext* mux_ = nullptr;
    int fd_ = -1;
    std::string captured_;
    int videoIndex_ = -1, audioIndex_ = -1;
    int videoTbNum_ = 1, videoTbDen_ = 1, audioTbNum_ = 1, audioTbDen_ = 1;
    bool appended_ = false, finished_ = false;
    int64_t offsetUs_ = 0;
    ArchiveState state_;
};

} // namespace vtp::streaming::ingest
