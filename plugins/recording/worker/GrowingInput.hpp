#pragma once

// A live capture's upload read while it is still being written (live processing).

#include "WorkerSupport.hpp"

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

// ---- a growing upload as input ----------------------------------------------------------------

// Reads an upload while it is still being written, like a pipe: at the end of what is there it
// waits (polling the size: inotify sees nothing on NFS) until more bytes come or the completion
// file names the final length. Not seekable: the demuxers read it front to back, as they read a
// live stream.
class GrowingInput {
public:
    GrowingInput(const std::string& path, std::string completeFile, int pollMs, std::function<void()> idle)
        : path_(path), completeFile_(std::move(completeFile)), pollMs_(std::max(10, pollMs)), idle_(std::move(idle)), parent_(::getppid())
    {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw MediaError("the upload cannot be read: " + std::string(std::strerror(errno)));
    }
    ~GrowingInput() { ::close(fd_); }
    GrowingInput(const GrowingInput&) = delete;
    GrowingInput& operator=(const GrowingInput&) = delete;

    int64_t position() const { return pos_; }
    // What failed while the input waited (publishing segments): the demuxer saw a read error.
    const std::string& failure() const { return failure_; }

    static int read(void* opaque, uint8_t* buf, int n) { return static_cast<GrowingInput*>(opaque)->readSome(buf, n); }

private:
    int readSome(uint8_t* buf, int n)
    {
        for (;;) {
            const ssize_t got = ::read(fd_, buf, static_cast<size_t>(n));
            if (got > 0) {
                pos_ += got;
                return static_cast<int>(got);
            }
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return AVERROR(errno);
            if (const auto length = completeLength(); length && pos_ >= *length) return AVERROR_EOF;
            // vtpd (our parent) is gone: a restarted vtpd starts this source again; stop writing.
            if (::getppid() != parent_) std::_Exit(70);
            try {
                idle_(); // called from inside libavformat: nothing may be thrown through it
            } catch (const std::exception& e) {
                failure_ = e.what();
                return AVERROR(EIO);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(pollMs_));
        }
    }

    std::optional<int64_t> completeLength()
    {
        if (length_) return length_;
        std::ifstream in(completeFile_);
        long long n = -1;
        if (in >> n && n >= 0) length_ = n;
        return length_;
    }

    std::string path_, completeFile_;
    int pollMs_;
    std::function<void()> idle_;
    pid_t parent_;
    int fd_ = -1;
    int64_t pos_ = 0;
    std::optional<int64_t> length_;
    std::string failure_;
};

} // namespace vtp::media::detail
