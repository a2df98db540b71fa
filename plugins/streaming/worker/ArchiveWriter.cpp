#include "ArchiveWriter.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mem.h>
}

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace vtp::streaming::ingest {

namespace {

void check(int rc, const std::string& what)
{
    if (rc < 0) {
        char buf[AV_ERROR_MAX_STRING_SIZE] = {};
        av_strerror(rc, buf, sizeof buf);
        throw std::runtime_error(what + ": " + buf);
    }
}

std::runtime_error sysError(const std::string& what)
{
    return std::runtime_error(what + ": " + std::strerror(errno));
}

void writeAll(int fd, const char* data, size_t size, const std::string& path)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw sysError("cannot write " + path);
        data += n;
        size -= static_cast<size_t>(n);
    }
}

} // namespace

ArchiveWriter::ArchiveWriter(const std::string& dir, const AVCodecContext* video, const AVCodecContext* audio, int64_t wallClockOriginMs)
    : dir_(dir)
{
    try {
        if (::mkdir(dir_.c_str(), 0750) != 0 && errno != EEXIST) throw sysError("cannot create " + dir_);
        openMuxer(video, audio);
        const std::string init = captured_;
        captured_.clear();

        // Continue the latest archive if this publish's init segment is its own, byte for byte.
        const auto archives = listArchives(dir_);
        int n = archives.empty() ? 0 : archives.back().first;
        ArchiveState previous;
        if (n > 0) previous = archives.back().second;
        if (n > 0 && previous.initBytes == static_cast<int64_t>(init.size())) {
            const std::string candidate = archiveMedia(dir_, n);
            const int fd = ::open(candidate.c_str(), O_RDWR | O_CLOEXEC);
            std::string head(init.size(), '\0');
            struct stat st {};
            if (fd >= 0 && ::fstat(fd, &st) == 0 && st.st_size >= previous.bytes &&
                ::pread(fd, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size()) && head == init) {
                // What came after the last recorded fragment (a worker killed mid-write) is cut.
                if (::ftruncate(fd, previous.bytes) != 0 || ::lseek(fd, 0, SEEK_END) < 0) {
                    ::close(fd);
                    throw sysError("cannot continue " + candidate);
                }
                fd_ = fd;
                path_ = candidate;
                appended_ = true;
                offsetUs_ = previous.endUs;
                state_ = previous;
                ++state_.publishes;
            } else if (fd >= 0) {
                ::close(fd);
            }
        }
        if (!appended_) {
            n += 1;
            path_ = archiveMedia(dir_, n);
            fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
            if (fd_ < 0) throw sysError("cannot create " + path_);
            writeAll(fd_, init.data(), init.size(), path_);
            state_.initBytes = state_.bytes = static_cast<int64_t>(init.size());
            state_.endUs = 0;
            state_.startedAtMs = wallClockOriginMs;
            state_.publishes = 1;
        }
        statePath_ = archiveStateFile(dir_, n);
        writeState(false);
    } catch (...) {
        release();
        throw;
    }
}

void ArchiveWriter::openMuxer(const AVCodecContext* video, const AVCodecContext* audio)
{
    check(avformat_alloc_output_context2(&mux_, nullptr, "mp4", nullptr), "cannot create the archive's mp4 muxer");
    // No date or version in the moov: a later publish's init segment must equal this one's.
    mux_->flags |= AVFMT_FLAG_BITEXACT;
    // Timestamps as given: FFmpeg would otherwise shift a publish appended at 60 s back to 0.
    mux_->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;
    constexpr int kBufferSize = 64 * 1024;
    auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferSize));
    if (!buffer) throw std::bad_alloc();
    mux_->pb = avio_alloc_context(buffer, kBufferSize, 1, this, nullptr, &ArchiveWriter::onWrite, nullptr);
    if (!mux_->pb) {
        av_free(buffer);
        throw std::bad_alloc();
    }
    mux_->pb->seekable = 0;
    mux_->flags |= AVFMT_FLAG_CUSTOM_IO;
    const auto add = [&](const AVCodecContext* enc) {
        AVStream* st = avformat_new_stream(mux_, nullptr);
        if (!st) throw std::bad_alloc();
        check(avcodec_parameters_from_context(st->codecpar, enc), "cannot copy an encoder's parameters to the archive");
        st->time_base = enc->time_base;
        return st->index;
    };
    videoIndex_ = add(video);
    videoTbNum_ = video->time_base.num;
    videoTbDen_ = video->time_base.den;
    if (audio) {
        audioIndex_ = add(audio);
        audioTbNum_ = audio->time_base.num;
        audioTbDen_ = audio->time_base.den;
    }
    AVDictionary* opts = nullptr;
    // Fragments where cutFragment() says; frag_discont: each track's first fragment is dated by its
    // first packet (an appended publish starts at the archive's end, not at 0); no edit list.
    av_dict_set(&opts, "movflags", "+frag_custom+empty_moov+default_base_moof+frag_discont+skip_trailer", 0);
    av_dict_set(&opts, "use_editlist", "0", 0);
    const int rc = avformat_write_header(mux_, &opts);
    av_dict_free(&opts);
    check(rc, "cannot start the archive's mp4 muxer");
    avio_flush(mux_->pb);
}

ArchiveWriter::~ArchiveWriter()
{
    release();
}

void ArchiveWriter::release()
{
    if (mux_) {
        if (mux_->pb) {
            av_freep(&mux_->pb->buffer);
            avio_context_free(&mux_->pb);
        }
        avformat_free_context(mux_);
        mux_ = nullptr;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

int ArchiveWriter::onWrite(void* opaque, uint8_t* data, int size)
{
    static_cast<ArchiveWriter*>(opaque)->captured_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
    return size;
}

void ArchiveWriter::write(const AVPacket* packet, bool video)
{
    if (finished_ || (!video && audioIndex_ < 0)) return;
    AVPacket* p = av_packet_clone(packet);
    if (!p) throw std::bad_alloc();
    const int index = video ? videoIndex_ : audioIndex_;
    const AVRational from = video ? AVRational{videoTbNum_, videoTbDen_} : AVRational{audioTbNum_, audioTbDen_};
    const AVRational to = mux_->streams[index]->time_base;
    av_packet_rescale_ts(p, from, to);
    const int64_t offset = av_rescale_q(offsetUs_, AV_TIME_BASE_Q, to);
    p->pts += offset;
    p->dts += offset;
    p->stream_index = index;
    state_.endUs = std::max(state_.endUs, av_rescale_q(p->dts + p->duration, to, AV_TIME_BASE_Q));
    const int rc = av_write_frame(mux_, p);
    av_packet_free(&p);
    check(rc, "cannot write a packet to the archive");
}

void ArchiveWriter::cutFragment()
{
    if (finished_) return;
    check(av_write_frame(mux_, nullptr), "cannot end a fragment of the archive");
    avio_flush(mux_->pb);
    if (captured_.empty()) return;
    writeAll(fd_, captured_.data(), captured_.size(), path_);
    state_.bytes += static_cast<int64_t>(captured_.size());
    captured_.clear();
    writeState(false);
}

void ArchiveWriter::finish()
{
    if (finished_) return;
    cutFragment();
    finished_ = true;
    if (::fsync(fd_) != 0) throw sysError("cannot sync " + path_);
    writeState(true);
}

void ArchiveWriter::writeState(bool sync)
{
    const std::string body = formatArchiveState(state_), tmp = statePath_ + ".writing";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) throw sysError("cannot write " + tmp);
    try {
        writeAll(fd, body.data(), body.size(), tmp);
        if (sync && ::fsync(fd) != 0) throw sysError("cannot sync " + tmp);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    if (std::rename(tmp.c_str(), statePath_.c_str()) != 0) throw sysError("cannot rename " + tmp);
    if (sync) {
        // The renames and the new file's entry are durable only once the directory is.
        const int d = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d < 0 || ::fsync(d) != 0) {
            if (d >= 0) ::close(d);
            throw sysError("cannot sync " + dir_);
        }
        ::close(d);
    }
}

} // namespace vtp::streaming::ingest
