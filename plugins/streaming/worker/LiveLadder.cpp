#include "LiveLadder.hpp"

#include "ArchiveWriter.hpp"
#include "CmafTrackWriter.hpp"

// The recording worker's header-only helpers: RAII holders of FFmpeg objects, codec strings, the
// report line writer. WorkerSupport.hpp needs MediaError and avError declared first.
#include "Pipeline.hpp"
#include "Report.hpp"
#include "WorkerSupport.hpp"

#include <cmath>
#include <stdexcept>

namespace vtp::streaming::ingest {

using namespace vtp::media::detail;
using vtp::media::jsonNumber;
using vtp::media::jsonString;
using vtp::media::reportLine;

namespace {

constexpr int kVideoTimescale = 90000;
constexpr int kAudioRate = 48000;

void avCheck(int rc, const std::string& what)
{
    if (rc < 0) throw std::runtime_error(what + ": " + vtp::media::avError(rc));
}

void reportPart(const std::string& rendition, const PartWritten& p)
{
    reportLine("{\"type\":\"part\",\"rendition\":" + jsonString(rendition) + ",\"msn\":" + std::to_string(p.msn) +
               ",\"part\":" + std::to_string(p.part) + ",\"file\":" + jsonString(p.file) + ",\"duration\":" + jsonNumber(p.duration) +
               ",\"independent\":" + (p.independent ? "true" : "false") + ",\"bytes\":" + std::to_string(p.bytes) + "}");
}

void reportSegment(const std::string& rendition, const SegmentWritten& s, int64_t wallClockOriginMs)
{
    reportLine("{\"type\":\"segment\",\"rendition\":" + jsonString(rendition) + ",\"msn\":" + std::to_string(s.msn) +
               ",\"file\":" + jsonString(s.file) + ",\"duration\":" + jsonNumber(s.duration) + ",\"start\":" + jsonNumber(s.start) +
               ",\"program_date_time_ms\":" + std::to_string(wallClockOriginMs + std::llround(s.start * 1000)) +
               ",\"bytes\":" + std::to_string(s.bytes) + "}");
}

} // namespace

struct LiveLadder::Rendition {
    std::string name;
    bool video = true;
    int width = 0, height = 0, kbps = 0;
    Codec enc;
    std::unique_ptr<SwsContext, SwsFree> sws;
    int swsWidth = 0, swsHeight = 0, swsFormat = -1;
    std::unique_ptr<CmafTrackWriter> writer;
    Packet pending;
    bool hasPending = false;
    int64_t lastDuration = 0;
    int64_t partTicks = 0, segmentTicks = 0; // in the encoder's time base
    int64_t currentPart = -1, currentSegment = -1;
    std::string codecs;
    // Audio only: the resampler to 48 kHz stereo float and the samples waiting for a full frame.
    std::unique_ptr<SwrContext, SwrFree> swr;
    AVChannelLayout swrLayout{};
    int swrRate = 0, swrFormat = -1;
    std::unique_ptr<AVAudioFifo, FifoFree> fifo;
    ~Rendition() { av_channel_layout_uninit(&swrLayout); }
};

LiveLadder::LiveLadder(const IngestOptions& options, const SourceInfo& source, int64_t wallClockOriginMs)
    : options_(options), source_(source), wallClockOriginMs_(wallClockOriginMs)
{
}

LiveLadder::~LiveLadder() = default;

void LiveLadder::start()
{
    // Only the rungs at or below the source (no upscaling), and the lowest in any case.
    std::vector<Rung> rungs;
    for (const Rung& r : options_.rungs)
        if (r.height <= source_.height) rungs.push_back(r);
    if (rungs.empty()) rungs.push_back(options_.rungs.back());

    const double fps = source_.frameRate > 0 ? source_.frameRate : 30;
    const int framesPerSegment = std::max(1, static_cast<int>(std::lround(fps * options_.segmentMs / 1000.0)));
    const AVCodec* x264 = avcodec_find_encoder_by_name("libx264");
    if (!x264) throw std::runtime_error("this FFmpeg has no libx264 encoder");
    for (const Rung& rung : rungs) {
        auto r = std::make_unique<Rendition>();
        r->name = std::to_string(rung.height) + "p";
        r->height = std::min(rung.height, even(source_.height));
        r->width = even(static_cast<int>(std::lround(static_cast<double>(r->height) * source_.width / source_.height)));
        r->kbps = rung.kbps;
        r->enc.reset(avcodec_alloc_context3(x264));
        if (!r->enc) throw std::bad_alloc();
        AVCodecContext* c = r->enc.get();
        c->width = r->width;
        c->height = r->height;
        c->pix_fmt = AV_PIX_FMT_YUV420P;
        c->time_base = AVRational{1, kVideoTimescale};
        c->framerate = av_d2q(fps, 1000);
        c->bit_rate = int64_t(rung.kbps) * 1000;
        c->rc_max_rate = c->bit_rate;
        c->rc_buffer_size = static_cast<int>(c->bit_rate); // one second of VBV: a steady live rate
        // x264's own keyframes only as a safety net far apart: the GOP is the segment, made by the
        // keyframes forced on segment boundaries (the same frames on every rung).
        c->gop_size = framesPerSegment * 10;
        c->keyint_min = framesPerSegment;
        c->max_b_frames = 0;
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER; // avcC in the init segment
        av_opt_set(c->priv_data, "preset", options_.preset.c_str(), 0);
        av_opt_set(c->priv_data, "tune", "zerolatency", 0);
        av_opt_set_int(c->priv_data, "forced-idr", 1, 0);
        // No scene-cut keyframes: they would fall on different frames on different rungs.
        av_opt_set(c->priv_data, "x264-params", "scenecut=0:open-gop=0", 0);
        avCheck(avcodec_open2(c, x264, nullptr), "cannot open libx264 for " + r->name);
        r->codecs = h264CodecString(c->extradata, c->extradata_size);
        r->partTicks = int64_t(options_.partMs) * kVideoTimescale / 1000;
        r->segmentTicks = int64_t(options_.segmentMs) * kVideoTimescale / 1000;
        r->pending = newPacket();
        video_.push_back(std::move(r));
    }
    if (source_.hasAudio) {
        const AVCodec* aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
        if (!aac) throw std::runtime_error("this FFmpeg has no AAC encoder");
        auto r = std::make_unique<Rendition>();
        r->name = "audio";
        r->video = false;
        r->kbps = options_.audioKbps;
        r->enc.reset(avcodec_alloc_context3(aac));
        if (!r->enc) throw std::bad_alloc();
        AVCodecContext* c = r->enc.get();
        c->sample_rate = kAudioRate;
        c->sample_fmt = AV_SAMPLE_FMT_FLTP;
        av_channel_layout_default(&c->ch_layout, 2);
        c->bit_rate = int64_t(options_.audioKbps) * 1000;
        c->time_base = AVRational{1, kAudioRate};
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        avCheck(avcodec_open2(c, aac, nullptr), "cannot open the AAC encoder");
        AVCodecParameters* par = avcodec_parameters_alloc();
        if (!par) throw std::bad_alloc();
        avcodec_parameters_from_context(par, c);
        r->codecs = aacCodecString(par);
        avcodec_parameters_free(&par);
        r->partTicks = int64_t(options_.partMs) * kAudioRate / 1000;
        r->segmentTicks = int64_t(options_.segmentMs) * kAudioRate / 1000;
        r->pending = newPacket();
        audio_ = std::move(r);
    }

    std::string rungsJson;
    for (const auto& r : video_) {
        if (!rungsJson.empty()) rungsJson += ",";
        // BANDWIDTH of an HLS variant counts the audio it plays with, and the container's ~10%.
        const int64_t bandwidth = (int64_t(r->kbps) * 1100 + (audio_ ? int64_t(options_.audioKbps) * 1000 : 0));
        rungsJson += "{\"rendition\":" + jsonString(r->name) + ",\"width\":" + std::to_string(r->width) +
                     ",\"height\":" + std::to_string(r->height) + ",\"bandwidth\":" + std::to_string(bandwidth) +
                     ",\"video_bitrate\":" + std::to_string(int64_t(r->kbps) * 1000) + ",\"codecs\":" + jsonString(r->codecs) +
                     ",\"frame_rate\":" + jsonNumber(fps) + "}";
    }
    std::string audioJson = "null";
    if (audio_)
        audioJson = "{\"rendition\":\"audio\",\"codecs\":" + jsonString(audio_->codecs) +
                    ",\"bandwidth\":" + std::to_string(int64_t(options_.audioKbps) * 1000) +
                    ",\"sample_rate\":" + std::to_string(kAudioRate) + ",\"channels\":2}";
    reportLine("{\"type\":\"started\",\"protocol\":" + jsonString(source_.protocol) +
               ",\"source\":{\"width\":" + std::to_string(source_.width) + ",\"height\":" + std::to_string(source_.height) +
               ",\"frame_rate\":" + jsonNumber(source_.frameRate) + ",\"video_codec\":" + jsonString(source_.videoCodec) +
               "},\"segment_ms\":" + std::to_string(options_.segmentMs) + ",\"part_ms\":" + std::to_string(options_.partMs) +
               ",\"program_date_time_ms\":" + std::to_string(wallClockOriginMs_) + ",\"rungs\":[" + rungsJson + "],\"audio\":" + audioJson +
               "}");

    auto openWriter = [&](Rendition& r) {
        r.writer = std::make_unique<CmafTrackWriter>(options_.outDir, r.name, r.enc.get());
        const std::string file = r.writer->writeInit();
        reportLine("{\"type\":\"init\",\"rendition\":" + jsonString(r.name) + ",\"file\":" + jsonString(file) + "}");
    };
    for (auto& r : video_) openWriter(*r);
    if (audio_) openWriter(*audio_);

    if (!options_.archiveDir.empty()) {
        try {
            archive_ = std::make_unique<ArchiveWriter>(options_.archiveDir, video_.front()->enc.get(), audio_ ? audio_->enc.get() : nullptr,
                                                       wallClockOriginMs_);
            reportLine("{\"type\":\"archive\",\"state\":\"open\",\"file\":" + jsonString(archive_->path()) + ",\"offset_ms\":" +
                       std::to_string(archive_->offsetUs() / 1000) + ",\"started_at_ms\":" + std::to_string(wallClockOriginMs_) +
                       ",\"appended\":" + (archive_->appended() ? "true" : "false") + "}");
        } catch (const std::exception& e) {
            archiveFailed(e);
        }
    }
}

void LiveLadder::archiveFailed(const std::exception& e)
{
    archive_.reset();
    reportLine(std::string("{\"type\":\"archive\",\"state\":\"failed\",\"reason\":") + jsonString(e.what()) + "}");
}

void LiveLadder::videoFrame(const AVFrame* frame, int64_t us)
{
    if (finished_ || us < 0) return;
    // Timestamps must increase for x264; and frames closer than the frame-rate cap are dropped.
    const int64_t minGapUs = 1000000 / options_.maxFps - 1000;
    if (lastVideoUs_ >= 0 && us - lastVideoUs_ < std::max<int64_t>(1, minGapUs)) return;
    lastVideoUs_ = us;
    const int64_t pts = av_rescale(us, kVideoTimescale, 1000000);
    const int64_t segment = pts / video_.front()->segmentTicks;
    const bool key = segment != lastKeySegment_;
    lastKeySegment_ = segment;

    for (auto& rp : video_) {
        Rendition& r = *rp;
        Frame out = newFrame();
        if (frame->width == r.width && frame->height == r.height && frame->format == AV_PIX_FMT_YUV420P) {
            avCheck(av_frame_ref(out.get(), frame), "cannot reference a picture");
        } else {
            if (!r.sws || r.swsWidth != frame->width || r.swsHeight != frame->height || r.swsFormat != frame->format) {
                r.sws.reset(sws_getContext(frame->width, frame->height, static_cast<AVPixelFormat>(frame->format), r.width, r.height,
                                           AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr, nullptr));
                if (!r.sws) throw std::runtime_error("a picture of this source cannot be scaled");
                r.swsWidth = frame->width;
                r.swsHeight = frame->height;
                r.swsFormat = frame->format;
            }
            out->width = r.width;
            out->height = r.height;
            out->format = AV_PIX_FMT_YUV420P;
            avCheck(av_frame_get_buffer(out.get(), 0), "cannot allocate a picture");
            sws_scale(r.sws.get(), frame->data, frame->linesize, 0, frame->height, out->data, out->linesize);
        }
        out->pts = pts;
        out->pict_type = key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
        encode(r, out.get());
    }
}

void LiveLadder::audioFrame(const AVFrame* frame, int64_t us)
{
    if (finished_ || !audio_ || frame->nb_samples <= 0 || frame->sample_rate <= 0) return;
    Rendition& r = *audio_;
    if (!r.swr || r.swrRate != frame->sample_rate || r.swrFormat != frame->format ||
        av_channel_layout_compare(&r.swrLayout, &frame->ch_layout) != 0) {
        SwrContext* swr = nullptr;
        AVChannelLayout stereo{};
        av_channel_layout_default(&stereo, 2);
        const int rc = swr_alloc_set_opts2(&swr, &stereo, AV_SAMPLE_FMT_FLTP, kAudioRate, const_cast<AVChannelLayout*>(&frame->ch_layout),
                                           static_cast<AVSampleFormat>(frame->format), frame->sample_rate, 0, nullptr);
        r.swr.reset(swr);
        avCheck(rc, "cannot convert this source's sound");
        avCheck(swr_init(r.swr.get()), "cannot convert this source's sound");
        av_channel_layout_uninit(&r.swrLayout);
        avCheck(av_channel_layout_copy(&r.swrLayout, &frame->ch_layout), "cannot convert this source's sound");
        r.swrRate = frame->sample_rate;
        r.swrFormat = frame->format;
    }
    if (!r.fifo) {
        r.fifo.reset(av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, 2, r.enc->frame_size * 4));
        if (!r.fifo) throw std::bad_alloc();
    }
    const int64_t start = av_rescale(us, kAudioRate, 1000000);
    bool first = false;
    if (audioNextSample_ < 0) {
        // Sound from before the first picture is dropped: the timeline starts with the picture.
        if (us < 0) return;
        audioNextSample_ = 0;
        first = true;
    }
    // Silence before the first sound and in a gap of over half a second: the mp4 muxer dates a
    // track's first fragment 0 whatever its first timestamp, and players want no hole in a track.
    const int64_t gap = start - (audioNextSample_ + av_audio_fifo_size(r.fifo.get()));
    if (gap > 0 && (first || gap > kAudioRate / 2)) {
        if (gap > int64_t(kAudioRate) * 10) {
            av_audio_fifo_reset(r.fifo.get()); // too long a hole to fill: dated afresh
            audioNextSample_ = start;
        } else {
            Frame silence = newFrame();
            silence->nb_samples = static_cast<int>(gap);
            silence->format = AV_SAMPLE_FMT_FLTP;
            silence->sample_rate = kAudioRate;
            av_channel_layout_default(&silence->ch_layout, 2);
            avCheck(av_frame_get_buffer(silence.get(), 0), "cannot allocate sound");
            av_samples_set_silence(silence->data, 0, silence->nb_samples, 2, AV_SAMPLE_FMT_FLTP);
            if (av_audio_fifo_write(r.fifo.get(), reinterpret_cast<void**>(silence->data), silence->nb_samples) < silence->nb_samples)
                throw std::bad_alloc();
        }
    }
    Frame out = newFrame();
    out->nb_samples = swr_get_out_samples(r.swr.get(), frame->nb_samples);
    out->format = AV_SAMPLE_FMT_FLTP;
    out->sample_rate = kAudioRate;
    av_channel_layout_default(&out->ch_layout, 2);
    avCheck(av_frame_get_buffer(out.get(), 0), "cannot allocate sound");
    const int n =
        swr_convert(r.swr.get(), out->data, out->nb_samples, const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples);
    avCheck(n, "cannot convert this source's sound");
    if (n > 0 && av_audio_fifo_write(r.fifo.get(), reinterpret_cast<void**>(out->data), n) < n) throw std::bad_alloc();
    encodeAudioFifo(false);
}

void LiveLadder::encode(Rendition& r, AVFrame* frame)
{
    int rc = avcodec_send_frame(r.enc.get(), frame);
    if (rc == AVERROR_EOF) return;
    avCheck(rc, "cannot encode " + r.name);
    Packet pkt = newPacket();
    while ((rc = avcodec_receive_packet(r.enc.get(), pkt.get())) >= 0) {
        onPacket(r, pkt.get());
        av_packet_unref(pkt.get());
    }
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) avCheck(rc, "cannot encode " + r.name);
}

// Holds each packet until the next one gives its duration; cuts the part (and the segment) when
// the next packet falls in another cell of the grid, so that a part is out one frame after it ends.
void LiveLadder::onPacket(Rendition& r, AVPacket* packet)
{
    if (!r.video) {
        // The AAC encoder dates its packets by its priming delay: back on the input's timeline.
        packet->pts += r.enc->initial_padding;
    }
    packet->dts = packet->pts;
    if (r.hasPending) {
        int64_t d = packet->dts - r.pending->dts;
        if (d <= 0) return; // never a timestamp going back in a CMAF track
        r.pending->duration = d;
        r.lastDuration = d;
        archivePacket(r);
        r.writer->write(r.pending.get()); // rescales it: the archive has had it first
        av_packet_unref(r.pending.get());
        r.hasPending = false;
        const int64_t part = packet->dts / r.partTicks, segment = packet->dts / r.segmentTicks;
        if (part != r.currentPart) {
            reportPart(r.name, r.writer->cutPart());
            if (segment != r.currentSegment) {
                reportSegment(r.name, r.writer->cutSegment(), wallClockOriginMs_);
                // The archive's fragments follow the highest rung's segments (a keyframe starts each).
                if (archive_ && &r == video_.front().get()) {
                    try {
                        archive_->cutFragment();
                    } catch (const std::exception& e) {
                        archiveFailed(e);
                    }
                }
            }
        }
    } else if (packet->dts < 0) {
        return;
    }
    // The cell of the grid that the held packet belongs to.
    r.currentPart = packet->dts / r.partTicks;
    r.currentSegment = packet->dts / r.segmentTicks;
    av_packet_ref(r.pending.get(), packet);
    r.hasPending = true;
}

void LiveLadder::encodeAudioFifo(bool final)
{
    Rendition& r = *audio_;
    if (!r.fifo) return;
    const int frameSize = r.enc->frame_size;
    while (av_audio_fifo_size(r.fifo.get()) >= frameSize || (final && av_audio_fifo_size(r.fifo.get()) > 0)) {
        Frame f = newFrame();
        f->nb_samples = std::min(frameSize, av_audio_fifo_size(r.fifo.get()));
        f->format = AV_SAMPLE_FMT_FLTP;
        f->sample_rate = kAudioRate;
        av_channel_layout_default(&f->ch_layout, 2);
        avCheck(av_frame_get_buffer(f.get(), 0), "cannot allocate sound");
        if (av_audio_fifo_read(r.fifo.get(), reinterpret_cast<void**>(f->data), f->nb_samples) < f->nb_samples)
            throw std::runtime_error("the sound queue lost samples");
        f->pts = audioNextSample_;
        audioNextSample_ += f->nb_samples;
        encode(r, f.get());
    }
}

void LiveLadder::finish()
{
    if (finished_) return;
    finished_ = true;
    auto drain = [&](Rendition& r) {
        encode(r, nullptr);
        if (r.hasPending) {
            r.pending->duration = r.lastDuration > 0 ? r.lastDuration : r.partTicks / 10;
            archivePacket(r);
            r.writer->write(r.pending.get());
            r.hasPending = false;
        }
        if (r.writer && r.writer->partOpen()) {
            reportPart(r.name, r.writer->cutPart());
            reportSegment(r.name, r.writer->cutSegment(), wallClockOriginMs_);
        }
    };
    for (auto& r : video_) drain(*r);
    if (audio_) {
        encodeAudioFifo(true);
        drain(*audio_);
    }
    if (archive_) {
        try {
            archive_->finish();
            reportLine("{\"type\":\"archive\",\"state\":\"synced\",\"file\":" + jsonString(archive_->path()) + ",\"bytes\":" +
                       std::to_string(archive_->state().bytes) + ",\"end_ms\":" + std::to_string(archive_->state().endUs / 1000) + "}");
        } catch (const std::exception& e) {
            archiveFailed(e);
        }
    }
}

void LiveLadder::archivePacket(Rendition& r)
{
    if (!archive_ || (r.video && &r != video_.front().get())) return;
    try {
        archive_->write(r.pending.get(), r.video);
    } catch (const std::exception& e) {
        archiveFailed(e);
    }
}

} // namespace vtp::streaming::ingest
