#pragma once

// One rendition's CMAF output: FFmpeg's mp4 muxer in fragmented mode writing into memory (a custom
// AVIOContext), cut into a fragment (one moof+mdat) at each part boundary the caller chooses.
// Each part becomes a file of its own; a segment's file is the concatenation of its parts. Every
// file is written under a temporary name and renamed, so that a reader never sees half of one.
// Not thread-safe: one pipeline thread drives it.

#include <cstdint>
#include <memory>
#include <string>

extern "C" {
struct AVCodecContext;
struct AVFormatContext;
struct AVPacket;
}

namespace vtp::streaming::ingest {

struct PartWritten {
    int64_t msn = 0;
    int part = 0;
    std::string file; // relative to the output folder
    double duration = 0;
    bool independent = false;
    uint64_t bytes = 0;
};

struct SegmentWritten {
    int64_t msn = 0;
    std::string file;
    double duration = 0;
    double start = 0; // seconds on the stream's timeline
    uint64_t bytes = 0;
};

class CmafTrackWriter {
public:
    // `rendition` names the folder (outDir/rendition/). The encoder must be open, with global
    // headers (its extradata goes into the init segment).
    CmafTrackWriter(const std::string& outDir, const std::string& rendition, const AVCodecContext* encoder);
    ~CmafTrackWriter();
    CmafTrackWriter(const CmafTrackWriter&) = delete;
    CmafTrackWriter& operator=(const CmafTrackWriter&) = delete;

    // Writes init.mp4; returns its name relative to the output folder.
    std::string writeInit();
    // Adds a packet (encoder time base, duration set) to the current part.
    void write(AVPacket* packet);
    // Whether the current part holds a packet yet.
    bool partOpen() const { return partPackets_ > 0; }
    // Ends the current part as a file (the next packet starts the next part).
    PartWritten cutPart();
    // Ends the current segment (its parts so far) as a file.
    SegmentWritten cutSegment();
    int64_t nextMsn() const { return msn_; }

private:
    void open(const AVCodecContext* encoder);
    void release();
    static int onWrite(void* opaque, uint8_t* data, int size); // FFmpeg 5.1: not const
    void writeFileAtomically(const std::string& name, const std::string& bytes);

    std::string outDir_, rendition_;
    AVFormatContext* mux_ = nullptr;
    unsigned char* ioBuffer_ = nullptr;
    std::string captured_;     // what the muxer wrote since the last cut
    std::string segmentBytes_; // the current segment's parts so far
    int64_t msn_ = 0;
    int part_ = 0;
    int partPackets_ = 0;
    bool partIndependent_ = false;
    int64_t partStart_ = 0, partEnd_ = 0, segmentStart_ = -1, segmentEnd_ = 0; // encoder time base
    int timeBaseNum_ = 1, timeBaseDen_ = 1;
};

} // namespace vtp::streaming::ingest
