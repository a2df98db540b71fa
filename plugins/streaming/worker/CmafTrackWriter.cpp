#include "CmafTrackWriter.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mem.h>
}

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace vtp::streaming::ingest {

namespace {

std::string avText(int rc)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(rc, buf, sizeof buf);
    return buf;
}

void check(int rc, const std::string& what)
{
    if (rc < 0) throw std::runtime_error(what + ": " + avText(rc));
}

} // namespace

CmafTrackWriter::CmafTrackWriter(const std::string& outDir, const std::string& rendition, const AVCodecContext* encoder)
    : outDir_(outDir), rendition_(rendition), timeBaseNum_(encoder->time_base.num), timeBaseDen_(encoder->time_base.den)
{
    try {
        open(encoder);
    } catch (...) {
        release(); // a constructor that throws gets no destructor
        throw;
    }
}

void CmafTrackWriter::open(const AVCodecContext* encoder)
{
    const std::string dir = outDir_ + "/" + rendition_;
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw std::runtime_error("cannot create " + dir + ": " + std::strerror(errno));
    check(avformat_alloc_output_context2(&mux_, nullptr, "mp4", nullptr), "cannot create the mp4 muxer");
    constexpr int kBufferSize = 64 * 1024;
    ioBuffer_ = static_cast<unsigned char*>(av_malloc(kBufferSize));
    if (!ioBuffer_) throw std::bad_alloc();
    mux_->pb = avio_alloc_context(ioBuffer_, kBufferSize, 1, this, nullptr, &CmafTrackWriter::onWrite, nullptr);
    if (!mux_->pb) throw std::bad_alloc();
    ioBuffer_ = nullptr;    // owned by the AVIOContext now
    mux_->pb->seekable = 0; // the muxer must never go back: the bytes are gone
    mux_->flags |= AVFMT_FLAG_CUSTOM_IO;
    AVStream* st = avformat_new_stream(mux_, nullptr);
    if (!st) throw std::bad_alloc();
    check(avcodec_parameters_from_context(st->codecpar, encoder), "cannot copy the encoder's parameters");
    st->time_base = encoder->time_base;
}

CmafTrackWriter::~CmafTrackWriter()
{
    release();
}

void CmafTrackWriter::release()
{
    if (mux_) {
        if (mux_->pb) {
            av_freep(&mux_->pb->buffer);
            avio_context_free(&mux_->pb);
        }
        avformat_free_context(mux_);
        mux_ = nullptr;
    }
    av_freep(&ioBuffer_);
}

int CmafTrackWriter::onWrite(void* opaque, uint8_t* data, int size)
{
    auto* self = static_cast<CmafTrackWriter*>(opaque);
    self->captured_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
    return size;
}

void CmafTrackWriter::writeFileAtomically(const std::string& name, const std::string& bytes)
{
    const std::string path = outDir_ + "/" + name;
    const std::string tmp = outDir_ + "/" + rendition_ + "/.writing";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
}

std::string CmafTrackWriter::writeInit()
{
    AVDictionary* opts = nullptr;
    // Fragments only where cutPart() asks (frag_custom); the moov first and empty (the init
    // segment); tfdt-relative offsets and CMAF brands; no mfra at the end (nobody would read it).
    av_dict_set(&opts, "movflags", "+frag_custom+empty_moov+default_base_moof+cmaf+skip_trailer", 0);
    const int rc = avformat_write_header(mux_, &opts);
    av_dict_free(&opts);
    check(rc, "cannot start the mp4 muxer for " + rendition_);
    // The muxer may have chosen another time base (a timescale of its own): packets follow it.
    avio_flush(mux_->pb);
    const std::string name = rendition_ + "/init.mp4";
    writeFileAtomically(name, captured_);
    captured_.clear();
    return name;
}

void CmafTrackWriter::write(AVPacket* packet)
{
    const bool key = (packet->flags & AV_PKT_FLAG_KEY) != 0;
    if (partPackets_ == 0) {
        partStart_ = packet->dts;
        partIndependent_ = key;
        if (segmentStart_ < 0) segmentStart_ = packet->dts;
    }
    partEnd_ = packet->dts + packet->duration;
    ++partPackets_;
    const AVRational from{timeBaseNum_, timeBaseDen_};
    av_packet_rescale_ts(packet, from, mux_->streams[0]->time_base);
    packet->stream_index = 0;
    check(av_write_frame(mux_, packet), "cannot write a packet of " + rendition_);
}

PartWritten CmafTrackWriter::cutPart()
{
    PartWritten p;
    check(av_write_frame(mux_, nullptr), "cannot end a fragment of " + rendition_);
    avio_flush(mux_->pb);
    p.msn = msn_;
    p.part = part_;
    p.file = rendition_ + "/part-" + std::to_string(msn_) + "-" + std::to_string(part_) + ".m4s";
    p.duration = static_cast<double>(partEnd_ - partStart_) * timeBaseNum_ / timeBaseDen_;
    p.independent = partIndependent_;
    p.bytes = captured_.size();
    writeFileAtomically(p.file, captured_);
    segmentBytes_ += captured_;
    captured_.clear();
    segmentEnd_ = partEnd_;
    partPackets_ = 0;
    ++part_;
    return p;
}

SegmentWritten CmafTrackWriter::cutSegment()
{
    SegmentWritten s;
    s.msn = msn_;
    s.file = rendition_ + "/seg-" + std::to_string(msn_) + ".m4s";
    s.duration = static_cast<double>(segmentEnd_ - segmentStart_) * timeBaseNum_ / timeBaseDen_;
    s.start = static_cast<double>(segmentStart_) * timeBaseNum_ / timeBaseDen_;
    s.bytes = segmentBytes_.size();
    writeFileAtomically(s.file, segmentBytes_);
    segmentBytes_.clear();
    segmentStart_ = -1;
    part_ = 0;
    ++msn_;
    return s;
}

} // namespace vtp::streaming::ingest
