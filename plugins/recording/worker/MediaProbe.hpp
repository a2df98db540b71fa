#pragma once

// The media worker's first look at a source: opens it with FFmpeg's demuxers restricted to the
// containers browsers record and cameras write (MP4/QuickTime, Matroska/WebM), reads its stream
// parameters and refuses what cannot be processed safely, with a reason a person can read. Shared
// with the libFuzzer target (tests/fuzz/probe), which runs it on arbitrary bytes in memory.

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" {
struct AVFormatContext;
}

namespace vtp::media {

struct ProbeLimits {
    int maxWidth = 7680, maxHeight = 4320;
    // Longest declared duration accepted (a header claiming years is a lie).
    double maxDurationS = 7 * 86400.0;
};

// The text of an FFmpeg error code.
std::string avError(int code);

// The demuxers accepted (FFmpeg's format_whitelist).
inline constexpr const char* kFormatWhitelist = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm";

// Opens `path` (or, when `ctx` already has a custom AVIOContext, reads from it), reads its stream
// parameters and checks them against `limits`. On success *ctx is open and the answer is empty;
// otherwise *ctx is closed and freed and the answer says why.
std::string probe(AVFormatContext** ctx, const char* path, const ProbeLimits& limits);

// Picks the best video and audio streams (-1 when there is none).
void bestStreams(AVFormatContext* ctx, int& video, int& audio);

// The probe on bytes in memory, for the fuzzer: an empty answer when they would be processed.
std::string probeBytes(const uint8_t* data, size_t size, const ProbeLimits& limits);

} // namespace vtp::media
