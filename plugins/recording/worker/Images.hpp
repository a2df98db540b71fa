#pragma once

// Pictures the worker makes: JPEG files (the poster, the thumbnail sheets) and the WebVTT
// thumbnail track that names tiles of them.

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

// ---- JPEG (poster, thumbnail sheets) ------------------------------------------------------------

inline void writeJpeg(const AVFrame* picture, const std::string& path)
{
    const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    if (!codec) throw std::runtime_error("FFmpeg has no JPEG encoder");
    Codec enc(avcodec_alloc_context3(codec));
    enc->width = picture->width;
    enc->height = picture->height;
    enc->pix_fmt = AV_PIX_FMT_YUVJ420P;
    enc->time_base = {1, 25};
    enc->flags |= AV_CODEC_FLAG_QSCALE;
    enc->global_quality = FF_QP2LAMBDA * 4;
    check(avcodec_open2(enc.get(), codec, nullptr), "opening the JPEG encoder");
    Frame f = newFrame();
    check(av_frame_ref(f.get(), picture), "preparing a picture");
    f->quality = enc->global_quality;
    f->pts = 0;
    check(avcodec_send_frame(enc.get(), f.get()), "encoding a picture");
    check(avcodec_send_frame(enc.get(), nullptr), "encoding a picture");
    Packet pkt = newPacket();
    check(avcodec_receive_packet(enc.get(), pkt.get()), "encoding a picture");
    writeFile(path, std::string(reinterpret_cast<const char*>(pkt->data), static_cast<size_t>(pkt->size)));
}

inline Frame allocPicture(int w, int h)
{
    Frame f = newFrame();
    f->format = AV_PIX_FMT_YUVJ420P;
    f->width = w;
    f->height = h;
    check(av_frame_get_buffer(f.get(), 0), "allocating a picture");
    // Black, so that a partly filled sheet has no garbage.
    std::fill_n(f->data[0], static_cast<size_t>(f->linesize[0]) * h, 0);
    std::fill_n(f->data[1], static_cast<size_t>(f->linesize[1]) * ((h + 1) / 2), 128);
    std::fill_n(f->data[2], static_cast<size_t>(f->linesize[2]) * ((h + 1) / 2), 128);
    return f;
}

// The poster and the thumbnail track (WebVTT cues over sprite sheets of tiles), from the primary
// source's decoded pictures.
class Thumbnails {
public:
    Thumbnails(const std::string& dir, double interval, int tileWidth) : dir_(dir), interval_(interval), tileWidth_(tileWidth) {}

    // Whether a picture at `t` would be used: the poster is not final yet, or a tile is due.
    // Remuxing decodes only such keyframes (a keyframe every 2 s, a tile every 5 s).
    bool wants(double t) const { return !posterFinal_ || t + 1e-6 >= next_ * interval_; }

    void frame(const AVFrame* f, double t)
    {
        if (f->width <= 0 || f->height <= 0) return;
        if (!poster_ || (!posterFinal_ && t >= 1.0)) { // a picture a second in, unless the video is shorter
            const int w = std::min(even(f->width), 1280);
            const int h = even(static_cast<int>(std::lround(static_cast<double>(f->height) * w / f->width)));
            poster_ = scaled(f, w, h);
            posterFinal_ = t >= 1.0;
        }
        if (tileHeight_ == 0) {
            tileHeight_ = even(static_cast<int>(std::lround(static_cast<double>(f->height) * tileWidth_ / f->width)));
            tileHeight_ = std::min(tileHeight_, 4 * tileWidth_);
        }
        if (t + 1e-6 < next_ * interval_) return;
        // One tile for this picture; cues skipped over by a gap show it too.
        if (!sheet_) sheet_ = allocPicture(tileWidth_ * kCols, tileHeight_ * kRows);
        const int x = (tiles_ % kCols) * tileWidth_, y = (tiles_ / kCols) * tileHeight_;
        sws_ = sws_getCachedContext(sws_, f->width, f->height, static_cast<AVPixelFormat>(f->format), tileWidth_, tileHeight_,
                                    AV_PIX_FMT_YUVJ420P, SWS_BILINEAR, nullptr, nullptr, nullptr);
        if (!sws_) throw MediaError("a picture could not be scaled");
        uint8_t* dst[4] = {sheet_->data[0] + static_cast<ptrdiff_t>(y) * sheet_->linesize[0] + x,
                           sheet_->data[1] + static_cast<ptrdiff_t>(y / 2) * sheet_->linesize[1] + x / 2,
                           sheet_->data[2] + static_cast<ptrdiff_t>(y / 2) * sheet_->linesize[2] + x / 2, nullptr};
        sws_scale(sws_, f->data, f->linesize, 0, f->height, dst, sheet_->linesize);
        while (t + 1e-6 >= next_ * interval_) {
            cues_.push_back({next_ * interval_, sheets_ + 1, x, y});
            ++next_;
        }
        if (++tiles_ == kCols * kRows) flushSheet();
    }

    // Writes poster.jpg, the last sheet and thumbnails.vtt (cues up to `duration`).
    void finish(double duration)
    {
        flushSheet();
        if (poster_) writeJpeg(poster_.get(), dir_ + "/poster.jpg");
        if (cues_.empty()) return;
        std::ostringstream vtt;
        vtt << "WEBVTT\n";
        for (size_t i = 0; i < cues_.size(); ++i) {
            const double end = i + 1 < cues_.size() ? cues_[i + 1].start : std::max(duration, cues_[i].start + 0.001);
            if (cues_[i].start >= end) continue;
            vtt << "\n"
                << vttTime(cues_[i].start) << " --> " << vttTime(end) << "\nthumbnails-" << cues_[i].sheet << ".jpg#xywh=" << cues_[i].x
                << "," << cues_[i].y << "," << tileWidth_ << "," << tileHeight_ << "\n";
        }
        writeFile(dir_ + "/thumbnails.vtt", vtt.str());
    }

    ~Thumbnails() { sws_freeContext(sws_); }

private:
    static constexpr int kCols = 10, kRows = 10;
    struct Cue {
        double start;
        int sheet, x, y;
    };

    Frame scaled(const AVFrame* f, int w, int h)
    {
        Frame out = allocPicture(w, h);
        SwsContext* s = sws_getContext(f->width, f->height, static_cast<AVPixelFormat>(f->format), w, h, AV_PIX_FMT_YUVJ420P, SWS_BICUBIC,
                                       nullptr, nullptr, nullptr);
        if (!s) throw MediaError("a picture could not be scaled");
        sws_scale(s, f->data, f->linesize, 0, f->height, out->data, out->linesize);
        sws_freeContext(s);
        return out;
    }

    void flushSheet()
    {
        if (!sheet_ || tiles_ == 0) return;
        const int rows = (tiles_ + kCols - 1) / kCols;
        if (rows < kRows) { // a shorter last sheet
            Frame cut = allocPicture(sheet_->width, rows * tileHeight_);
            av_image_copy(cut->data, cut->linesize, const_cast<const uint8_t**>(sheet_->data), sheet_->linesize, AV_PIX_FMT_YUVJ420P,
                          cut->width, cut->height);
            sheet_ = std::move(cut);
        }
        writeJpeg(sheet_.get(), dir_ + "/thumbnails-" + std::to_string(++sheets_) + ".jpg");
        sheet_.reset();
        tiles_ = 0;
    }

    std::string dir_;
    double interval_;
    int tileWidth_, tileHeight_ = 0;
    Frame poster_, sheet_;
    bool posterFinal_ = false;
    int tiles_ = 0, sheets_ = 0;
    int64_t next_ = 0;
    std::vector<Cue> cues_;
    SwsContext* sws_ = nullptr;
};

} // namespace vtp::media::detail
