#include "MediaProbe.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/mem.h>
}

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace vtp::media {

std::string avError(int code)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buf, sizeof buf);
    return buf;
}

namespace {

std::string dims(int w, int h)
{
    return std::to_string(w) + "x" + std::to_string(h);
}

// What the container declares, before any decoding: a file that claims an absurd picture or
// duration is refused here, before a decoder allocates for it.
std::string checkDeclared(AVFormatContext* ctx, const ProbeLimits& limits)
{
    for (unsigned i = 0; i < ctx->nb_streams; ++i) {
        const AVCodecParameters* p = ctx->streams[i]->codecpar;
        if (p->codec_type == AVMEDIA_TYPE_VIDEO &&
            (p->width > limits.maxWidth || p->height > limits.maxHeight || p->width < 0 || p->height < 0))
            return "the file declares a " + dims(p->width, p->height) + " picture, larger than the " +
                   dims(limits.maxWidth, limits.maxHeight) + " allowed";
    }
    if (ctx->duration != AV_NOPTS_VALUE && ctx->duration > 0 && static_cast<double>(ctx->duration) / AV_TIME_BASE > limits.maxDurationS)
        return "the file declares a duration of " + std::to_string(ctx->duration / AV_TIME_BASE) + " s, longer than the " +
               std::to_string(static_cast<int64_t>(limits.maxDurationS)) + " s allowed";
    return {};
}

} // namespace

void bestStreams(AVFormatContext* ctx, int& video, int& audio)
{
    video = av_find_best_stream(ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    audio = av_find_best_stream(ctx, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (video < 0) video = -1;
    if (audio < 0) audio = -1;
    // A cover picture is not the recording's video.
    if (video >= 0 && (ctx->streams[video]->disposition & AV_DISPOSITION_ATTACHED_PIC)) video = -1;
}

std::string probe(AVFormatContext** pctx, const char* path, const ProbeLimits& limits)
{
    AVFormatContext* ctx = *pctx ? *pctx : avformat_alloc_context();
    if (!ctx) return "out of memory";
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "format_whitelist", kFormatWhitelist, 0);
    av_dict_set(&opts, "protocol_whitelist", "file", 0);
    // Bounded look at the start: a hostile file cannot make the probe read or decode for long.
    av_dict_set(&opts, "probesize", "10000000", 0);
    av_dict_set(&opts, "analyzeduration", "10000000", 0);
    int rc = avformat_open_input(&ctx, path, nullptr, &opts);
    av_dict_free(&opts);
    if (rc < 0) {
        *pctx = nullptr; // avformat_open_input frees the context on failure
        if (rc == AVERROR_INVALIDDATA) return "not a video or audio file this server reads (MP4, QuickTime, WebM or Matroska)";
        return "the file could not be opened as video or audio: " + avError(rc);
    }
    *pctx = ctx;
    auto fail = [&](std::string why) {
        avformat_close_input(pctx);
        return why;
    };
    if (ctx->nb_streams == 0 || ctx->nb_streams > 64) return fail("the file holds no audio or video streams this server reads");
    if (auto why = checkDeclared(ctx, limits); !why.empty()) return fail(why);

    // Decoders opened by the probe allocate no larger picture than allowed.
    const std::string maxPixels = std::to_string(static_cast<int64_t>(limits.maxWidth) * limits.maxHeight);
    std::vector<AVDictionary*> streamOpts(ctx->nb_streams, nullptr);
    for (auto& d : streamOpts) {
        av_dict_set(&d, "max_pixels", maxPixels.c_str(), 0);
        av_dict_set(&d, "threads", "1", 0);
    }
    rc = avformat_find_stream_info(ctx, streamOpts.data());
    for (auto& d : streamOpts) av_dict_free(&d);
    if (rc < 0) return fail("the file's streams could not be read: " + avError(rc));
    if (auto why = checkDeclared(ctx, limits); !why.empty()) return fail(why);

    int video = -1, audio = -1;
    bestStreams(ctx, video, audio);
    if (video < 0 && audio < 0) return fail("the file holds no audio or video streams this server reads");
    if (video >= 0) {
        const AVCodecParameters* p = ctx->streams[video]->codecpar;
        if (!avcodec_find_decoder(p->codec_id))
            return fail(std::string("the video codec ") + avcodec_get_name(p->codec_id) + " is not supported");
        if (p->width <= 0 || p->height <= 0) return fail("the video's picture size could not be read");
    }
    if (audio >= 0) {
        const AVCodecParameters* p = ctx->streams[audio]->codecpar;
        if (!avcodec_find_decoder(p->codec_id))
            return fail(std::string("the audio codec ") + avcodec_get_name(p->codec_id) + " is not supported");
        if (p->sample_rate <= 0 || p->sample_rate > 384000 || p->ch_layout.nb_channels <= 0 || p->ch_layout.nb_channels > 64)
            return fail("the audio's sample rate or channels could not be read");
    }
    return {};
}

namespace {

struct MemoryInput {
    const uint8_t* data;
    size_t size, pos = 0;
};

int readMemory(void* opaque, uint8_t* buf, int n)
{
    auto* m = static_cast<MemoryInput*>(opaque);
    const size_t left = m->size - m->pos;
    if (left == 0) return AVERROR_EOF;
    const size_t take = std::min(left, static_cast<size_t>(n));
    std::memcpy(buf, m->data + m->pos, take);
    m->pos += take;
    return static_cast<int>(take);
}

int64_t seekMemory(void* opaque, int64_t offset, int whence)
{
    auto* m = static_cast<MemoryInput*>(opaque);
    if (whence == AVSEEK_SIZE) return static_cast<int64_t>(m->size);
    int64_t base = 0;
    switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = static_cast<int64_t>(m->pos); break;
    case SEEK_END: base = static_cast<int64_t>(m->size); break;
    default: return AVERROR(EINVAL);
    }
    if (offset > INT64_MAX - base) return AVERROR(EINVAL);
    const int64_t to = base + offset;
    if (to < 0 || to > static_cast<int64_t>(m->size)) return AVERROR(EINVAL);
    m->pos = static_cast<size_t>(to);
    return to;
}

} // namespace

std::string probeBytes(const uint8_t* data, size_t size, const ProbeLimits& limits)
{
    MemoryInput input{data, size};
    const int bufSize = 4096;
    auto* buf = static_cast<uint8_t*>(av_malloc(bufSize));
    AVIOContext* io = avio_alloc_context(buf, bufSize, 0, &input, readMemory, nullptr, seekMemory);
    AVFormatContext* ctx = avformat_alloc_context();
    ctx->pb = io;
    ctx->flags |= AVFMT_FLAG_CUSTOM_IO;
    std::string why = probe(&ctx, "", limits);
    if (why.empty()) {
        // Read a few packets too: the demuxer's packet path is reachable from the same bytes.
        AVPacket* pkt = av_packet_alloc();
        for (int i = 0; i < 64 && av_read_frame(ctx, pkt) >= 0; ++i) av_packet_unref(pkt);
        av_packet_free(&pkt);
        avformat_close_input(&ctx);
    }
    av_freep(&io->buffer);
    avio_context_free(&io);
    return why;
}

} // namespace vtp::media
