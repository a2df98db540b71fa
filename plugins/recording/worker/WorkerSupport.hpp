#pragma once

// The worker's small pieces: RAII holders of FFmpeg's objects, error checks, files written
// and synced, and the codec strings HLS playlists name.

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <optional>
#include <thread>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

namespace vtp::media::detail {

// ---- small RAII and helpers -------------------------------------------------------------------

struct PacketFree {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameFree {
    void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct CodecFree {
    void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct SwsFree {
    void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct SwrFree {
    void operator()(SwrContext* s) const { swr_free(&s); }
};
struct FifoFree {
    void operator()(AVAudioFifo* f) const { av_audio_fifo_free(f); }
};
using Packet = std::unique_ptr<AVPacket, PacketFree>;
using Frame = std::unique_ptr<AVFrame, FrameFree>;
using Codec = std::unique_ptr<AVCodecContext, CodecFree>;

inline Packet newPacket()
{
    Packet p(av_packet_alloc());
    if (!p) throw std::bad_alloc();
    return p;
}
inline Frame newFrame()
{
    Frame f(av_frame_alloc());
    if (!f) throw std::bad_alloc();
    return f;
}

// Fails on an FFmpeg error with `what` and its text.
// The worker's address-space limit in MiB (RLIMIT_AS, set by the plugin); 0 when there is none.
inline uint64_t memoryLimitMiB()
{
    rlimit r{};
    if (getrlimit(RLIMIT_AS, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return 0;
    return static_cast<uint64_t>(r.rlim_cur) >> 20;
}

inline void check(int rc, const std::string& what)
{
    if (rc >= 0) return;
    // Under a memory limit a failed allocation shows as ENOMEM, as EAGAIN (a codec thread that got
    // no stack) or as an external library's generic error (libx264, libvpx): say it was the limit.
    // EAGAIN as flow control never reaches here (the callers handle it).
    const uint64_t limit = memoryLimitMiB();
    if (rc == AVERROR(ENOMEM) || (limit > 0 && (rc == AVERROR(EAGAIN) || rc == AVERROR_EXTERNAL)))
        throw MediaError("out of memory while " + what +
                         (limit > 0
                              ? " (the worker's memory limit, " + std::to_string(limit) + " MiB: plugins.recording.processing.memory_mb)"
                              : std::string()));
    throw MediaError(what + ": " + avError(rc));
}

inline int even(int v)
{
    return std::max(2, v - (v % 2));
}

inline void syncFile(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + path + " to sync it");
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) throw std::runtime_error("cannot sync " + path);
}

// Everything written so far on the file system holding `path`, on disk: one syncfs(2), a single
// journal commit, where an fsync per file (hundreds of segments) would commit once each.
inline void syncFileSystem(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + path + " to sync it");
    const int rc = ::syncfs(fd);
    ::close(fd);
    if (rc != 0) throw std::runtime_error("cannot sync the file system of " + path);
}

inline std::vector<std::string> listDir(const std::string& dir)
{
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            const std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(n);
        }
        ::closedir(d);
    }
    std::sort(names.begin(), names.end());
    return names;
}

inline uint64_t fileSize(const std::string& path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

inline void writeFile(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

inline std::string vttTime(double s)
{
    const auto ms = static_cast<int64_t>(std::llround(s * 1000));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%03lld", static_cast<long long>(ms / 3600000),
                  static_cast<long long>(ms / 60000 % 60), static_cast<long long>(ms / 1000 % 60), static_cast<long long>(ms % 1000));
    return buf;
}

// RFC 6381 codec strings for the master playlist's CODECS.
inline std::string h264CodecString(const uint8_t* x, int n)
{
    char buf[32];
    if (x && n >= 4 && x[0] == 1) { // avcC: profile, compatibility, level
        std::snprintf(buf, sizeof buf, "avc1.%02x%02x%02x", x[1], x[2], x[3]);
        return buf;
    }
    for (int i = 0; x && i + 7 < n; ++i) // Annex B: the first SPS (NAL type 7)
        if (x[i] == 0 && x[i + 1] == 0 && x[i + 2] == 1 && (x[i + 3] & 0x1f) == 7) {
            std::snprintf(buf, sizeof buf, "avc1.%02x%02x%02x", x[i + 4], x[i + 5], x[i + 6]);
            return buf;
        }
    return "avc1.640028"; // High 4.0: what a browser accepts for an unknown H.264 stream
}

inline std::string aacCodecString(const AVCodecParameters* p)
{
    if (p->extradata && p->extradata_size >= 1) {
        int objectType = p->extradata[0] >> 3;
        if (objectType == 31 && p->extradata_size >= 2) objectType = 32 + (((p->extradata[0] & 7) << 3) | (p->extradata[1] >> 5));
        if (objectType > 0) return "mp4a.40." + std::to_string(objectType);
    }
    return "mp4a.40.2";
}

} // namespace vtp::media::detail
