// Fuzzes the media worker's probe (plugins/recording/worker/MediaProbe.cpp) on arbitrary bytes,
// in memory: FFmpeg's MP4/QuickTime and Matroska/WebM demuxers behind the format whitelist, the
// stream checks, and the first packets. A client uploads these bytes; the worker reads them.
#include "MediaProbe.hpp"

extern "C" {
#include <libavutil/log.h>
}

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    av_log_set_level(AV_LOG_QUIET);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    vtp::media::ProbeLimits limits;
    limits.maxWidth = 1920; // small pictures keep each run fast
    limits.maxHeight = 1080;
    const std::string why = vtp::media::probeBytes(data, size, limits);
    (void)why;
    return 0;
}
