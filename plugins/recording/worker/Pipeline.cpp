#include "Pipeline.hpp"

#include "CmafSegments.hpp"
#include "GrowingInput.hpp"
#include "Images.hpp"
#include "Report.hpp"
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
#include <numeric>
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

namespace vtp::media {

namespace {

using namespace detail;

// ---- the pipeline ------------------------------------------------------------------------------

struct Source;

// One output track: an input stream copied or transcoded into the DASH/HLS muxer (and, for the
// primary source, into recording.mp4).
struct Track {
    Source* src = nullptr;
    int sourceIndex = 0;
    AVStream* in = nullptr;
    bool video = false, copy = false;
    int out = -1, mp4 = -1;
    int64_t shift = 0; // added to input timestamps (input time base)
    Codec dec, enc;
    std::unique_ptr<SwsContext, SwsFree> sws;
    std::unique_ptr<SwrContext, SwrFree> swr;
    std::unique_ptr<AVAudioFifo, FifoFree> fifo;
    AVChannelLayout swrInLayout{};
    int swrInRate = 0, swrInFormat = -1;
    int width = 0, height = 0;
    int64_t nextAudioPts = AV_NOPTS_VALUE, lastKeyPts = AV_NOPTS_VALUE, lastFramePts = AV_NOPTS_VALUE;
    int64_t lastDts = AV_NOPTS_VALUE, lastMp4Dts = AV_NOPTS_VALUE;
    int64_t packetsIn = 0, decodeErrors = 0, framesDecoded = 0, packetsOut = 0;
    int64_t firstUs = AV_NOPTS_VALUE, endUs = AV_NOPTS_VALUE;
    uint64_t bytes = 0;
    std::string codecs;
    bool thumbnails = false;
    // Ladder: the rung this track encodes (height 0: not a rung), whether its source is a shared
    // screen, and on the track that decodes a source's video, every rung track it feeds (itself
    // included).
    LadderRung rung;
    bool screen = false;
    std::vector<size_t> rungs;
    // The composed presentation (screen large, camera small): its rung tracks follow the camera's
    // pictures (`composedRungs` on the camera's decoding track) and draw the latest screen picture
    // under them; `canvas` is that picture scaled, redrawn only when a new one came.
    bool composed = false;
    std::vector<size_t> composedRungs;
    Frame canvas;
    int64_t canvasVersion = -1;
    std::unique_ptr<SwsContext, SwsFree> cameraSws;
    // Live: the segments published so far (name, seconds), and what its init segment says.
    std::vector<std::pair<std::string, double>> liveSegments;
    cmaf::TrackInfo cmaf;
    AVRational timeBase() const { return enc ? enc->time_base : in->time_base; }
};

struct Source {
    SourceSpec spec;
    AVFormatContext* fmt = nullptr;
    int64_t size = 0;
    int video = -1, audio = -1;
    std::vector<int> trackOf; // input stream -> track, or -1
    Packet next;
    bool eof = false, damaged = false;
    int64_t nextUs = 0;
    std::string damage;
    std::unique_ptr<GrowingInput> growing; // live: the upload still being written
    AVIOContext* io = nullptr;             // its reader
    ~Source()
    {
        avformat_close_input(&fmt);
        if (io) {
            av_freep(&io->buffer);
            avio_context_free(&io);
        }
    }
};

class Pipeline {
public:
    Pipeline(const Options& o, std::function<void(double)> progress) : o_(o), progress_(std::move(progress)) {}
    ~Pipeline()
    {
        if (mp4_) {
            if (mp4_->pb) avio_closep(&mp4_->pb);
            avformat_free_context(mp4_);
        }
        if (dash_) avformat_free_context(dash_);
    }

    std::string run()
    {
        openSources();
        openOutputs();
        demux();
        finishOutputs();
        return publish();
    }

private:
    void openSources()
    {
        if (o_.sources.empty()) throw MediaError("no source to process");
        int64_t minOffset = INT64_MAX;
        for (const auto& s : o_.sources) minOffset = std::min(minOffset, s.offsetMs);
        for (const auto& s : o_.sources)
            if (s.completeFile.empty() == o_.live())
                throw MediaError("live processing needs every source growing (--live-complete after each --source)");
        for (size_t i = 0; i < o_.sources.size(); ++i) {
            auto src = std::make_unique<Source>();
            src->spec = o_.sources[i];
            src->spec.offsetMs -= minOffset;
            src->size = static_cast<int64_t>(fileSize(src->spec.path));
            if (o_.live()) {
                openGrowing(*src);
            } else if (src->size == 0) {
                throw MediaError(label(i) + "the file is empty: no bytes were uploaded");
            }
            if (auto why = probe(&src->fmt, src->spec.path.c_str(), o_.limits); !why.empty()) throw MediaError(label(i) + why);
            bestStreams(src->fmt, src->video, src->audio);
            src->trackOf.assign(src->fmt->nb_streams, -1);
            sources_.push_back(std::move(src));
        }
    }

    void openGrowing(Source& s)
    {
        s.growing = std::make_unique<GrowingInput>(s.spec.path, s.spec.completeFile, o_.pollMs, [this] { publishLive(); });
        constexpr int kBuffer = 1 << 16;
        auto* buf = static_cast<uint8_t*>(av_malloc(kBuffer));
        if (!buf) throw std::bad_alloc();
        s.io = avio_alloc_context(buf, kBuffer, 0, s.growing.get(), &GrowingInput::read, nullptr, nullptr);
        if (!s.io) {
            av_free(buf);
            throw std::bad_alloc();
        }
        s.io->seekable = 0;
        s.fmt = avformat_alloc_context();
        if (!s.fmt) throw std::bad_alloc();
        s.fmt->pb = s.io;
        s.fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    }

    std::string label(size_t i) const { return o_.sources.size() > 1 ? "source " + std::to_string(i + 1) + ": " : ""; }

    void addTrack(Source& s, size_t sourceIndex, int streamIndex, bool video)
    {
        Track t;
        t.src = &s;
        t.sourceIndex = static_cast<int>(sourceIndex);
        t.in = s.fmt->streams[streamIndex];
        t.video = video;
        const AVCodecParameters* p = t.in->codecpar;
        // A ladder transcodes everything: its rungs' bitrates and keyframes are its own.
        t.copy = !o_.ladder && (video ? p->codec_id == AV_CODEC_ID_H264 : p->codec_id == AV_CODEC_ID_AAC);
        // Start of the source on the recording's timeline: its first timestamp becomes its offset.
        const int64_t start = s.fmt->start_time != AV_NOPTS_VALUE ? s.fmt->start_time : 0;
        t.shift = av_rescale_q(s.spec.offsetMs * 1000 - start, AV_TIME_BASE_Q, t.in->time_base);
        t.thumbnails = video && sourceIndex == 0 && !o_.ladder;
        if (o_.ladder && video) {
            addRungs(s, t, streamIndex);
            return;
        }
        if (!t.copy || t.thumbnails) openDecoder(t);
        if (!t.copy) openEncoder(t);
        s.trackOf[static_cast<size_t>(streamIndex)] = static_cast<int>(tracks_.size());
        tracks_.push_back(std::move(t));
    }

    struct RungSize {
        LadderRung rung;
        int width = 0, height = 0;
    };
    // The rungs of a picture `width` x `height`: those at or below its height (the lowest always),
    // every one the same shape exactly (a DASH adaptation set has one): the picture's shape as a
    // small fraction num/den, heights multiples of what keeps both sides whole and even (18 for
    // 16:9: a 480 rung is 864x486). The distortion is a fraction of a percent.
    std::vector<RungSize> rungSizes(int width, int height) const
    {
        std::vector<LadderRung> chosen;
        for (const auto& r : o_.ladder->rungs)
            if (r.height <= height) chosen.push_back(r);
        if (chosen.empty()) chosen.push_back(o_.ladder->rungs.back());
        const double ratio = static_cast<double>(width) / height;
        int num = 1, den = 1;
        double best = 1e9;
        for (int d = 1; d <= 32; ++d) {
            const int n = std::max(1, static_cast<int>(std::lround(ratio * d)));
            const double err = std::abs(static_cast<double>(n) / d - ratio) / ratio;
            if (err < best - 1e-9) {
                best = err;
                num = n;
                den = d;
            }
            if (err < 0.002) break;
        }
        const int step = num % 2 ? 2 * den : std::lcm(den, 2);
        std::vector<RungSize> out;
        for (const auto& r : chosen) {
            int h = std::max(step, static_cast<int>(std::lround(static_cast<double>(r.height) / step)) * step);
            while (h > step && h > height) h -= step;
            out.push_back({r, h / den * num, h});
        }
        return out;
    }

    // The composed presentation of a ladder, when the recording has a camera and a shared screen:
    // rungs of the screen's shape and heights, following the camera's pictures (its frame rate, its
    // timeline), the screen drawn large and the camera small in a corner (--compose-*); before the
    // screen is shared, the camera alone fills the picture.
    void addComposed()
    {
        if (!o_.ladder || !o_.ladder->compose) return;
        int camera = -1, screen = -1;
        for (size_t i = 0; i < sources_.size(); ++i) {
            const Source& s = *sources_[i];
            if (s.video < 0) continue;
            if (s.spec.kind == "screen" && screen < 0) screen = static_cast<int>(i);
            if (s.spec.kind != "screen" && camera < 0) camera = static_cast<int>(i);
        }
        if (camera < 0 || screen < 0) return;
        Source& cam = *sources_[static_cast<size_t>(camera)];
        const Source& scr = *sources_[static_cast<size_t>(screen)];
        const size_t cameraTrack = static_cast<size_t>(cam.trackOf[static_cast<size_t>(cam.video)]);
        screenTrack_ = scr.trackOf[static_cast<size_t>(scr.video)];
        const AVCodecParameters* sp = scr.fmt->streams[scr.video]->codecpar;
        const auto sizes = rungSizes(sp->width, sp->height);
        const size_t first = tracks_.size();
        composedIndex_ = static_cast<int>(sources_.size());
        for (const auto& size : sizes) {
            const Track& c = tracks_[cameraTrack];
            Track t;
            t.src = c.src;
            t.sourceIndex = composedIndex_;
            t.in = c.in;
            t.video = true;
            t.shift = c.shift;
            t.rung = size.rung;
            t.composed = true;
            t.width = size.width;
            t.height = size.height;
            openEncoder(t);
            tracks_.push_back(std::move(t));
            tracks_[first].rungs.push_back(tracks_.size() - 1); // the adaptation set
            tracks_[cameraTrack].composedRungs.push_back(tracks_.size() - 1);
        }
    }

    // A video source of a ladder: one track per rung at or below its height (the lowest rung
    // always), the first decoding for all of them.
    void addRungs(Source& s, const Track& proto, int streamIndex)
    {
        const AVCodecParameters* p = proto.in->codecpar;
        if (p->width <= 0 || p->height <= 0) throw MediaError("the video declares no picture size");
        const auto sizes = rungSizes(p->width, p->height);
        const size_t first = tracks_.size();
        s.trackOf[static_cast<size_t>(streamIndex)] = static_cast<int>(first);
        for (size_t i = 0; i < sizes.size(); ++i) {
            Track t;
            t.width = sizes[i].width;
            t.height = sizes[i].height;
            t.src = proto.src;
            t.sourceIndex = proto.sourceIndex;
            t.in = proto.in;
            t.video = true;
            t.shift = proto.shift;
            t.rung = sizes[i].rung;
            t.screen = s.spec.kind == "screen";
            if (i == 0) openDecoder(t);
            openEncoder(t);
            tracks_.push_back(std::move(t));
            tracks_[first].rungs.push_back(first + i);
        }
    }

    void openDecoder(Track& t)
    {
        const AVCodec* codec = avcodec_find_decoder(t.in->codecpar->codec_id);
        if (!codec) throw MediaError(std::string("no decoder for ") + avcodec_get_name(t.in->codecpar->codec_id));
        t.dec.reset(avcodec_alloc_context3(codec));
        check(avcodec_parameters_to_context(t.dec.get(), t.in->codecpar), "preparing a decoder");
        t.dec->pkt_timebase = t.in->time_base;
        t.dec->max_pixels = static_cast<int64_t>(o_.limits.maxWidth) * o_.limits.maxHeight;
        // A copied video is decoded only for the poster and thumbnails: its keyframes suffice.
        if (t.copy) t.dec->skip_frame = AVDISCARD_NONKEY;
        AVDictionary* opts = nullptr;
        av_dict_set(&opts, "threads", t.copy ? "1" : "auto", 0);
        const int rc = avcodec_open2(t.dec.get(), codec, &opts);
        av_dict_free(&opts);
        check(rc, std::string("opening the ") + avcodec_get_name(t.in->codecpar->codec_id) + " decoder");
    }

    void openEncoder(Track& t)
    {
        const AVCodecParameters* p = t.in->codecpar;
        AVDictionary* opts = nullptr;
        const AVCodec* codec = nullptr;
        if (t.video) {
            codec = avcodec_find_encoder_by_name("libx264");
            if (!codec) throw std::runtime_error("FFmpeg was built without libx264");
            t.enc.reset(avcodec_alloc_context3(codec));
            // Every picture is scaled to the first size (MediaRecorder changes it mid-stream); a
            // rung's to its height, the width keeping the source's shape.
            if (t.rung.height == 0) { // a rung's size is set by addRungs
                t.width = even(p->width);
                t.height = even(p->height);
            }
            t.enc->width = t.width;
            t.enc->height = t.height;
            t.enc->pix_fmt = AV_PIX_FMT_YUV420P;
            t.enc->time_base = t.in->time_base.num > 0 ? t.in->time_base : AVRational{1, 1000};
            AVRational rate = av_guess_frame_rate(t.src->fmt, t.in, nullptr);
            if (rate.num <= 0 || rate.den <= 0 || av_q2d(rate) > 240) rate = {30, 1};
            if (t.screen && o_.ladder && av_q2d(rate) > o_.ladder->screenMaxFps) rate = {o_.ladder->screenMaxFps, 1};
            t.enc->framerate = rate;
            t.enc->gop_size = std::max(1, static_cast<int>(std::ceil(av_q2d(rate) * o_.keyframeSeconds * 5)));
            t.enc->sample_aspect_ratio = p->sample_aspect_ratio;
            av_dict_set(&opts, "preset", o_.preset.c_str(), 0);
            if (t.rung.height > 0) {
                // A bitrate, capped (VBV) so that a rung's peaks stay near what the playlist
                // announces; keyframes only where forced, the same instants on every rung.
                t.enc->bit_rate = static_cast<int64_t>(t.rung.videoKbps) * 1000;
                t.enc->rc_max_rate = t.enc->bit_rate * 3 / 2;
                t.enc->rc_buffer_size = static_cast<int>(std::min<int64_t>(t.enc->bit_rate * 2, INT32_MAX));
                av_dict_set(&opts, "x264-params", "scenecut=0", 0);
                if (t.screen && o_.ladder->screenTune != "none") av_dict_set(&opts, "tune", o_.ladder->screenTune.c_str(), 0);
            } else {
                av_dict_set(&opts, "crf", std::to_string(o_.crf).c_str(), 0);
            }
            av_dict_set(&opts, "forced-idr", "1", 0);
            av_dict_set(&opts, "threads", o_.threads > 0 ? std::to_string(o_.threads).c_str() : "auto", 0);
        } else {
            codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
            if (!codec) throw std::runtime_error("FFmpeg has no AAC encoder");
            t.enc.reset(avcodec_alloc_context3(codec));
            static const int rates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000};
            t.enc->sample_rate = std::find(std::begin(rates), std::end(rates), p->sample_rate) != std::end(rates) ? p->sample_rate : 48000;
            av_channel_layout_default(&t.enc->ch_layout, std::min(2, std::max(1, p->ch_layout.nb_channels)));
            t.enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
            t.enc->bit_rate = o_.ladder ? 1000LL * o_.ladder->audioKbps : 64000LL * t.enc->ch_layout.nb_channels;
            t.enc->time_base = {1, t.enc->sample_rate};
        }
        t.enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER; // MP4 keeps the parameter sets in the init segment
        const int rc = avcodec_open2(t.enc.get(), codec, &opts);
        av_dict_free(&opts);
        check(rc, std::string("opening the ") + codec->name + " encoder");
        if (!t.video) {
            t.fifo.reset(av_audio_fifo_alloc(t.enc->sample_fmt, t.enc->ch_layout.nb_channels, 4096));
            if (!t.fifo) throw std::bad_alloc();
        }
    }

    AVStream* newStream(AVFormatContext* ctx, const Track& t)
    {
        AVStream* st = avformat_new_stream(ctx, nullptr);
        if (!st) throw std::bad_alloc();
        if (t.enc)
            check(avcodec_parameters_from_context(st->codecpar, t.enc.get()), "preparing the output");
        else
            check(avcodec_parameters_copy(st->codecpar, t.in->codecpar), "preparing the output");
        st->codecpar->codec_tag = 0;
        st->time_base = t.timeBase();
        if (t.video) st->avg_frame_rate = t.enc ? t.enc->framerate : t.in->avg_frame_rate;
        return st;
    }

    void openOutputs()
    {
        for (size_t i = 0; i < sources_.size(); ++i) {
            Source& s = *sources_[i];
            if (s.video >= 0) addTrack(s, i, s.video, true);
            if (s.audio >= 0) addTrack(s, i, s.audio, false);
        }
        addComposed();
        for (auto& t : tracks_)
            if (t.video)
                t.codecs = t.enc ? h264CodecString(t.enc->extradata, t.enc->extradata_size)
                                 : h264CodecString(t.in->codecpar->extradata, t.in->codecpar->extradata_size);
        const std::string mpd = o_.workDir + (o_.ladder ? "/abr.mpd" : "/manifest.mpd");
        check(avformat_alloc_output_context2(&dash_, nullptr, "dash", mpd.c_str()), "preparing the DASH output");
        check(avformat_alloc_output_context2(&mp4_, nullptr, "mp4", (o_.workDir + "/recording.mp4").c_str()), "preparing the MP4 output");
        std::string sets;
        int setCount = 0; // the muxer wants them numbered from 0
        // A ladder's video segments end on its keyframe grid: the muxer cuts at the first keyframe
        // at least seg_duration after the segment's start, so half a keyframe interval of slack
        // keeps a picture a hair early (millisecond timestamps) from doubling a segment.
        const double rungSegment = o_.segmentSeconds - o_.keyframeSeconds / 2;
        for (size_t i = 0; i < tracks_.size(); ++i) {
            Track& t = tracks_[i];
            newStream(dash_, t);
            t.out = static_cast<int>(i);
            if (t.rung.height > 0 && t.rungs.empty()) continue; // a rung after a source's first: in the first's set
            if (!sets.empty()) sets += ' ';
            // Each track its own adaptation set (a ladder's rungs of one source together); the
            // first source's are the presentation's main ones (a player asked for Role main picks
            // the camera, not the screen).
            std::string streams = std::to_string(i);
            for (size_t r = 1; r < t.rungs.size(); ++r) streams += "," + std::to_string(t.rungs[r]);
            sets += "id=" + std::to_string(setCount++) + (t.rungs.empty() ? "" : ",seg_duration=" + jsonNumber(rungSegment)) +
                    ",descriptor=<Role schemeIdUri=\"urn:mpeg:dash:role:2011\" value=\"" + (t.sourceIndex == 0 ? "main" : "alternate") +
                    "\"/>,streams=" + streams;
            if (t.sourceIndex == 0 && !o_.ladder) {
                newStream(mp4_, t);
                t.mp4 = static_cast<int>(mp4_->nb_streams) - 1;
            }
        }
        AVDictionary* opts = nullptr;
        av_dict_set(&opts, "seg_duration", jsonNumber(o_.segmentSeconds).c_str(), 0);
        av_dict_set(&opts, "use_template", "1", 0);
        av_dict_set(&opts, "use_timeline", "1", 0);
        av_dict_set(&opts, "hls_playlist", "1", 0);
        av_dict_set(&opts, "hls_master_name", "dash-master.m3u8", 0); // replaced by ours (CODECS for every variant)
        av_dict_set(&opts, "dash_segment_type", "mp4", 0);
        const std::string prefix = o_.ladder ? "abr-" : "";
        av_dict_set(&opts, "init_seg_name", (prefix + "init-$RepresentationID$.mp4").c_str(), 0);
        av_dict_set(&opts, "media_seg_name", (prefix + "seg-$RepresentationID$-$Number%05d$.m4s").c_str(), 0);
        av_dict_set(&opts, "adaptation_sets", sets.c_str(), 0);
        int rc = avformat_write_header(dash_, &opts);
        av_dict_free(&opts);
        check(rc, "starting the DASH output");
        if (mp4_->nb_streams > 0) {
            check(avio_open(&mp4_->pb, (o_.workDir + "/recording.mp4").c_str(), AVIO_FLAG_WRITE), "creating recording.mp4");
            // Fragmented, its (empty) index first: plays while it downloads like a faststart file,
            // without the second pass over the whole file (a GB for an hour) that moving an index
            // to the front costs, and valid as it grows in a live capture. Fragments of 2 s at
            // least (an audio-only recording's packets are all keyframes).
            av_dict_set(&opts, "movflags", "+frag_keyframe+empty_moov+default_base_moof", 0);
            av_dict_set(&opts, "min_frag_duration", "2000000", 0);
            rc = avformat_write_header(mp4_, &opts);
            av_dict_free(&opts);
            check(rc, "starting recording.mp4");
        }
        if (sources_[0]->video >= 0 && !o_.ladder)
            thumbs_ = std::make_unique<Thumbnails>(o_.workDir, o_.thumbnailSeconds, o_.thumbnailWidth);
        if (o_.live()) {
            // What an interrupted attempt published goes: this run makes every file again.
            ::mkdir(o_.mediaDir.c_str(), 0755);
            for (const auto& n : listDir(o_.mediaDir)) ::unlink((o_.mediaDir + "/" + n).c_str());
        }
    }

    // ---- live: finished segments into media/ as they come ----

    // A media playlist of the DASH muxer (which it rewrites after each segment), cut to the entries
    // whose files are complete, as an EVENT playlist (segments only ever added); `final` keeps its
    // #EXT-X-ENDLIST. Files it names are complete: the muxer names a segment after renaming it.
    std::string eventPlaylist(const std::string& text, bool final, std::vector<std::string>* files) const
    {
        std::istringstream in(text);
        std::string line, out, pending;
        bool typed = false;
        while (std::getline(in, line)) {
            if (line.rfind("#EXT-X-PLAYLIST-TYPE", 0) == 0) continue;
            if (line.rfind("#EXT-X-MAP:URI=\"", 0) == 0) {
                const std::string uri = line.substr(16, line.find('"', 16) - 16);
                if (!published_.count(uri) && fileSize(o_.workDir + "/" + uri) == 0) break;
                if (files) files->push_back(uri);
            }
            if (line.empty() || line[0] == '#') {
                if (line == "#EXT-X-ENDLIST" && !final) continue;
                pending += line + "\n";
                if (!typed && line.rfind("#EXT-X-VERSION", 0) == 0) {
                    pending += "#EXT-X-PLAYLIST-TYPE:EVENT\n";
                    typed = true;
                }
                continue;
            }
            if (!published_.count(line) && fileSize(o_.workDir + "/" + line) == 0) break; // not there (yet)
            if (files) files->push_back(line);
            out += pending + line + "\n";
            pending.clear();
        }
        if (final) out += pending;
        return out;
    }

    // A track's EVENT playlist of its published segments (segments are only ever added).
    std::string livePlaylist(const Track& t) const
    {
        double longest = o_.segmentSeconds;
        for (const auto& [name, seconds] : t.liveSegments) longest = std::max(longest, seconds);
        std::ostringstream m;
        m << "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-TARGETDURATION:" << static_cast<int>(std::ceil(longest))
          << "\n#EXT-X-MEDIA-SEQUENCE:1\n#EXT-X-MAP:URI=\"init-" << t.out << ".mp4\"\n";
        for (const auto& [name, seconds] : t.liveSegments) m << "#EXTINF:" << jsonNumber(seconds) << ",\n" << name << "\n";
        return m.str();
    }

    // Moves the segments the DASH muxer has finished into media/ (synced, then renamed) and writes
    // each track's EVENT playlist there to name them. Called while an input waits for bytes and
    // every so often while it is read. The playlists are ours, made from the finished segments:
    // the muxer rewrites its own only when every video track has cut (two sources cut apart).
    void publishLive()
    {
        if (!o_.live() || !dash_) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - lastLive_ < std::chrono::milliseconds(250)) return;
        lastLive_ = now;
        bool moved = false;
        std::vector<Track*> changed;
        auto publishFile = [&](const std::string& name) {
            const std::string from = o_.workDir + "/" + name;
            syncFile(from);
            const uint64_t size = fileSize(from);
            if (::rename(from.c_str(), (o_.mediaDir + "/" + name).c_str()) != 0)
                throw std::runtime_error("cannot move " + name + " into " + o_.mediaDir);
            published_[name] = size;
            moved = true;
        };
        for (auto& t : tracks_) {
            const std::string init = "init-" + std::to_string(t.out) + ".mp4";
            for (;;) {
                char seg[64];
                std::snprintf(seg, sizeof seg, "seg-%d-%05zu.m4s", t.out, t.liveSegments.size() + 1);
                // The muxer writes a segment under a temporary name: under its own it is finished.
                if (fileSize(o_.workDir + "/" + seg) == 0) break;
                if (!published_.count(init)) {
                    if (fileSize(o_.workDir + "/" + init) == 0) break;
                    t.cmaf = cmaf::readInit(o_.workDir + "/" + init);
                    if (t.cmaf.timescale == 0) throw std::runtime_error("the muxer's " + init + " names no timescale");
                    publishFile(init);
                }
                const auto ticks = cmaf::segmentDuration(o_.workDir + "/" + seg, t.cmaf);
                if (!ticks) throw std::runtime_error("the muxer's " + std::string(seg) + " holds no samples");
                publishFile(seg);
                t.liveSegments.emplace_back(seg, static_cast<double>(*ticks) / t.cmaf.timescale);
                if (changed.empty() || changed.back() != &t) changed.push_back(&t);
            }
        }
        if (moved) syncFile(o_.mediaDir); // the segments' names durable before a playlist names them
        for (const Track* t : changed) {
            const std::string name = "media_" + std::to_string(t->out) + ".m3u8";
            const std::string tmp = o_.workDir + "/live-" + name + ".tmp";
            writeFile(tmp, livePlaylist(*t));
            syncFile(tmp);
            if (::rename(tmp.c_str(), (o_.mediaDir + "/" + name).c_str()) != 0)
                throw std::runtime_error("cannot move " + name + " into " + o_.mediaDir);
        }
        // The download grows all along: synced as it goes, so that the last sync at the end is short.
        if (now - lastMp4Sync_ > std::chrono::seconds(2)) {
            lastMp4Sync_ = now;
            const int fd = ::open((o_.workDir + "/recording.mp4").c_str(), O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                ::fdatasync(fd);
                ::close(fd);
            }
        }
    }

    uint64_t sizeOf(const std::string& name) const
    {
        const auto p = published_.find(name);
        return p != published_.end() ? p->second : fileSize(o_.workDir + "/" + name);
    }

    // The next packet of a source, its time on the recording's timeline.
    void readNext(Source& s)
    {
        if (!s.next) s.next = newPacket();
        for (;;) {
            av_packet_unref(s.next.get());
            const int rc = av_read_frame(s.fmt, s.next.get());
            if (rc == AVERROR_EOF) {
                s.eof = true;
                return;
            }
            if (rc == AVERROR(ENOMEM)) check(rc, "reading the file");
            if (s.growing && !s.growing->failure().empty()) throw std::runtime_error(s.growing->failure());
            if (rc < 0) {
                // A damaged tail (a capture cut off mid-write) ends the source; what was read stays.
                s.eof = s.damaged = true;
                s.damage = avError(rc);
                return;
            }
            const int track =
                s.next->stream_index < static_cast<int>(s.trackOf.size()) ? s.trackOf[static_cast<size_t>(s.next->stream_index)] : -1;
            if (track < 0) continue;
            const Track& t = tracks_[static_cast<size_t>(track)];
            const int64_t ts = s.next->dts != AV_NOPTS_VALUE ? s.next->dts : s.next->pts;
            s.nextUs = ts == AV_NOPTS_VALUE ? s.nextUs : av_rescale_q(ts + t.shift, t.in->time_base, AV_TIME_BASE_Q);
            return;
        }
    }

    void demux()
    {
        for (auto& s : sources_) readNext(*s);
        auto lastReport = std::chrono::steady_clock::now();
        for (;;) {
            Source* pick = nullptr;
            for (auto& s : sources_)
                if (!s->eof && (!pick || s->nextUs < pick->nextUs)) pick = s.get();
            if (!pick) break;
            Track& t = tracks_[static_cast<size_t>(pick->trackOf[static_cast<size_t>(pick->next->stream_index)])];
            handle(t, pick->next.get());
            readNext(*pick);
            publishLive();
            const auto now = std::chrono::steady_clock::now();
            if (now - lastReport > std::chrono::milliseconds(500)) {
                lastReport = now;
                double done = 0, total = 0;
                for (auto& s : sources_) {
                    // A growing upload: the fraction of what has arrived so far.
                    const auto size = s->growing ? static_cast<double>(fileSize(s->spec.path)) : static_cast<double>(s->size);
                    total += size;
                    done += s->eof ? size : static_cast<double>(std::max<int64_t>(0, avio_tell(s->fmt->pb)));
                }
                if (total > 0) progress_(std::min(0.99, done / total));
            }
        }
        for (auto& t : tracks_) flush(t);
    }

    void handle(Track& t, AVPacket* pkt)
    {
        ++t.packetsIn;
        if (t.copy) {
            // Copied: its keyframes are decoded for the poster and the tiles that are due, and the
            // first to prove the stream decodes.
            if (t.dec && (pkt->flags & AV_PKT_FLAG_KEY) &&
                (t.framesDecoded == 0 ||
                 (t.thumbnails &&
                  (pkt->pts == AV_NOPTS_VALUE || thumbs_->wants(static_cast<double>(pkt->pts + t.shift) * av_q2d(t.in->time_base))))))
                decode(t, pkt);
            if (pkt->pts != AV_NOPTS_VALUE) pkt->pts += t.shift;
            if (pkt->dts != AV_NOPTS_VALUE) pkt->dts += t.shift;
            if (pkt->dts == AV_NOPTS_VALUE) pkt->dts = pkt->pts;
            if (pkt->pts == AV_NOPTS_VALUE) pkt->pts = pkt->dts;
            if (pkt->dts == AV_NOPTS_VALUE) return; // no time at all: cannot be placed
            Packet copy = newPacket();
            check(av_packet_ref(copy.get(), pkt), "copying a packet");
            write(t, copy.get(), t.in->time_base);
        } else {
            decode(t, pkt);
        }
    }

    void decode(Track& t, const AVPacket* pkt)
    {
        int rc = avcodec_send_packet(t.dec.get(), pkt);
        if (rc == AVERROR(ENOMEM)) check(rc, "decoding");
        if (rc < 0 && rc != AVERROR_EOF) ++t.decodeErrors;
        Frame f = newFrame();
        for (;;) {
            rc = avcodec_receive_frame(t.dec.get(), f.get());
            if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
            if (rc == AVERROR(ENOMEM)) check(rc, "decoding");
            if (rc < 0) {
                ++t.decodeErrors;
                return;
            }
            ++t.framesDecoded;
            int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
            if (pts != AV_NOPTS_VALUE) pts += t.shift;
            if (t.thumbnails && pts != AV_NOPTS_VALUE)
                thumbs_->frame(f.get(), std::max(0.0, static_cast<double>(pts) * av_q2d(t.in->time_base)));
            if (!t.copy) {
                if (!t.rungs.empty()) {
                    if (screenTrack_ >= 0 && &t == &tracks_[static_cast<size_t>(screenTrack_)]) {
                        av_frame_unref(screen_.get());
                        check(av_frame_ref(screen_.get(), f.get()), "keeping the screen's picture");
                        ++screenVersion_;
                    }
                    for (size_t r : t.rungs) encodeVideo(tracks_[r], f.get(), pts);
                    for (size_t r : t.composedRungs) encodeVideo(tracks_[r], f.get(), pts);
                } else if (t.video)
                    encodeVideo(t, f.get(), pts);
                else
                    encodeAudio(t, f.get(), pts);
            }
            av_frame_unref(f.get());
        }
    }

    void encodeVideo(Track& t, AVFrame* f, int64_t pts)
    {
        if (pts == AV_NOPTS_VALUE) pts = t.lastFramePts == AV_NOPTS_VALUE ? 0 : t.lastFramePts + 1;
        pts = av_rescale_q(pts, t.in->time_base, t.enc->time_base);
        if (t.lastFramePts != AV_NOPTS_VALUE && pts <= t.lastFramePts) return; // a repeated time: the picture is dropped
        // A screen's rung: no more pictures than its frame rate (the same ones on every rung).
        if (t.screen && o_.ladder && t.lastFramePts != AV_NOPTS_VALUE &&
            pts - t.lastFramePts < av_rescale_q(1, av_inv_q(t.enc->framerate), t.enc->time_base) * 9 / 10)
            return;
        t.lastFramePts = pts;
        Frame out = t.composed ? compose(t, f) : scaled(t.sws, f, t.width, t.height);
        out->pts = pts;
        // A keyframe every keyframeSeconds, whatever the source's were: segments need them.
        const auto keyTicks = std::max<int64_t>(1, static_cast<int64_t>(o_.keyframeSeconds / av_q2d(t.enc->time_base)));
        // A ladder's keyframes fall on a grid of the recording's timeline: the first picture in
        // each interval, so the same instants on every rung and every source.
        const auto slot = [&](int64_t v) { return v >= 0 ? v / keyTicks : -((-v + keyTicks - 1) / keyTicks); };
        if (t.lastKeyPts == AV_NOPTS_VALUE || (o_.ladder ? slot(pts) != slot(t.lastKeyPts) : pts - t.lastKeyPts >= keyTicks)) {
            out->pict_type = AV_PICTURE_TYPE_I;
            t.lastKeyPts = pts;
        }
        sendToEncoder(t, out.get());
    }

    // `f` scaled to `width` x `height` (YUV 4:2:0) with `sws`, in a new picture.
    static Frame scaled(std::unique_ptr<SwsContext, SwsFree>& sws, const AVFrame* f, int width, int height)
    {
        sws.reset(sws_getCachedContext(sws.release(), f->width, f->height, static_cast<AVPixelFormat>(f->format), width, height,
                                       AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr));
        if (!sws) throw MediaError("the video's pictures could not be scaled");
        Frame out = newFrame();
        out->format = AV_PIX_FMT_YUV420P;
        out->width = width;
        out->height = height;
        check(av_frame_get_buffer(out.get(), 0), "allocating a picture");
        sws_scale(sws.get(), f->data, f->linesize, 0, f->height, out->data, out->linesize);
        return out;
    }

    // A composed picture: the latest screen picture (scaled once per new one) with the camera's
    // `cam` small in the configured corner; the camera alone, letterboxed, before any screen.
    Frame compose(Track& t, const AVFrame* cam)
    {
        const LadderOptions& l = *o_.ladder;
        Frame out = newFrame();
        out->format = AV_PIX_FMT_YUV420P;
        out->width = t.width;
        out->height = t.height;
        check(av_frame_get_buffer(out.get(), 0), "allocating a picture");
        const auto place = [&](const AVFrame* small, int x, int y) {
            for (int plane = 0; plane < 3; ++plane) {
                const int shift = plane ? 1 : 0, rows = small->height >> shift, bytes = small->width >> shift;
                for (int r = 0; r < rows; ++r)
                    std::memcpy(out->data[plane] + static_cast<ptrdiff_t>((y >> shift) + r) * out->linesize[plane] + (x >> shift),
                                small->data[plane] + static_cast<ptrdiff_t>(r) * small->linesize[plane], static_cast<size_t>(bytes));
            }
        };
        if (screen_->data[0]) {
            if (t.canvasVersion != screenVersion_) {
                t.canvas = scaled(t.sws, screen_.get(), t.width, t.height);
                t.canvasVersion = screenVersion_;
            }
            check(av_frame_copy(out.get(), t.canvas.get()), "composing a picture");
            const int w = std::max(2, even(t.width * l.composeCameraPercent / 100));
            const int h = std::max(2, even(static_cast<int>(static_cast<int64_t>(w) * cam->height / std::max(1, cam->width))));
            const int margin = even(t.height * 2 / 100);
            const bool right = l.composeCorner.ends_with("right"), bottom = l.composeCorner.starts_with("bottom");
            const int x = right ? even(t.width - w - margin) : margin, y = bottom ? even(t.height - h - margin) : margin;
            if (x >= 0 && y >= 0 && x + w <= t.width && y + h <= t.height) place(scaled(t.cameraSws, cam, w, h).get(), x, y);
        } else {
            // Black, then the camera as large as fits, centred.
            std::memset(out->data[0], 16, static_cast<size_t>(out->linesize[0]) * static_cast<size_t>(t.height));
            std::memset(out->data[1], 128, static_cast<size_t>(out->linesize[1]) * static_cast<size_t>(t.height / 2));
            std::memset(out->data[2], 128, static_cast<size_t>(out->linesize[2]) * static_cast<size_t>(t.height / 2));
            int w = t.width, h = even(static_cast<int>(static_cast<int64_t>(t.width) * cam->height / std::max(1, cam->width)));
            if (h > t.height) {
                h = t.height;
                w = even(static_cast<int>(static_cast<int64_t>(t.height) * cam->width / std::max(1, cam->height)));
            }
            place(scaled(t.cameraSws, cam, std::max(2, w), std::max(2, h)).get(), even((t.width - w) / 2), even((t.height - h) / 2));
        }
        return out;
    }

    void encodeAudio(Track& t, AVFrame* f, int64_t pts)
    {
        if (!t.swr || f->sample_rate != t.swrInRate || f->format != t.swrInFormat ||
            av_channel_layout_compare(&f->ch_layout, &t.swrInLayout) != 0) {
            SwrContext* swr = nullptr;
            check(swr_alloc_set_opts2(&swr, &t.enc->ch_layout, t.enc->sample_fmt, t.enc->sample_rate, &f->ch_layout,
                                      static_cast<AVSampleFormat>(f->format), f->sample_rate, 0, nullptr),
                  "preparing the audio resampler");
            t.swr.reset(swr);
            check(swr_init(swr), "preparing the audio resampler");
            t.swrInRate = f->sample_rate;
            t.swrInFormat = f->format;
            av_channel_layout_uninit(&t.swrInLayout);
            check(av_channel_layout_copy(&t.swrInLayout, &f->ch_layout), "preparing the audio resampler");
        }
        if (t.nextAudioPts == AV_NOPTS_VALUE)
            t.nextAudioPts = pts == AV_NOPTS_VALUE ? 0 : av_rescale_q(pts, t.in->time_base, t.enc->time_base);
        const int outSamples = swr_get_out_samples(t.swr.get(), f->nb_samples);
        if (outSamples < 0 || outSamples > 1 << 20) throw MediaError("the audio could not be resampled");
        uint8_t** buf = nullptr;
        check(
            av_samples_alloc_array_and_samples(&buf, nullptr, t.enc->ch_layout.nb_channels, std::max(outSamples, 1), t.enc->sample_fmt, 0),
            "allocating audio");
        const int n = swr_convert(t.swr.get(), buf, outSamples, const_cast<const uint8_t**>(f->extended_data), f->nb_samples);
        if (n > 0 && av_audio_fifo_write(t.fifo.get(), reinterpret_cast<void**>(buf), n) < n) {
            av_freep(&buf[0]);
            av_freep(&buf);
            throw std::bad_alloc();
        }
        av_freep(&buf[0]);
        av_freep(&buf);
        drainFifo(t, false);
    }

    void drainFifo(Track& t, bool last)
    {
        const int frameSize = t.enc->frame_size > 0 ? t.enc->frame_size : 1024;
        while (av_audio_fifo_size(t.fifo.get()) >= frameSize || (last && av_audio_fifo_size(t.fifo.get()) > 0)) {
            const int n = std::min(frameSize, av_audio_fifo_size(t.fifo.get()));
            Frame out = newFrame();
            out->nb_samples = frameSize; // a short last frame is padded with silence
            out->format = t.enc->sample_fmt;
            out->sample_rate = t.enc->sample_rate;
            check(av_channel_layout_copy(&out->ch_layout, &t.enc->ch_layout), "allocating audio");
            check(av_frame_get_buffer(out.get(), 0), "allocating audio");
            av_samples_set_silence(out->extended_data, 0, frameSize, t.enc->ch_layout.nb_channels, t.enc->sample_fmt);
            av_audio_fifo_read(t.fifo.get(), reinterpret_cast<void**>(out->extended_data), n);
            out->pts = t.nextAudioPts;
            t.nextAudioPts += n;
            sendToEncoder(t, out.get());
        }
    }

    void sendToEncoder(Track& t, const AVFrame* f)
    {
        check(avcodec_send_frame(t.enc.get(), f), std::string("encoding ") + (t.video ? "the video" : "the audio"));
        Packet pkt = newPacket();
        for (;;) {
            const int rc = avcodec_receive_packet(t.enc.get(), pkt.get());
            if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
            check(rc, std::string("encoding ") + (t.video ? "the video" : "the audio"));
            write(t, pkt.get(), t.enc->time_base);
            av_packet_unref(pkt.get());
        }
    }

    void flush(Track& t)
    {
        if (t.dec) decode(t, nullptr);
        if (t.enc) {
            if (!t.video && t.fifo) drainFifo(t, true);
            sendToEncoder(t, nullptr);
        }
    }

    // Writes one packet (time base `tb`) to the DASH output and, for the primary source, the MP4.
    void write(Track& t, AVPacket* pkt, AVRational tb)
    {
        const AVRational us = AV_TIME_BASE_Q;
        const int64_t start = av_rescale_q(pkt->pts, tb, us);
        const int64_t end = av_rescale_q(pkt->pts + std::max<int64_t>(pkt->duration, 0), tb, us);
        if (t.firstUs == AV_NOPTS_VALUE || start < t.firstUs) t.firstUs = start;
        if (t.endUs == AV_NOPTS_VALUE || end > t.endUs) t.endUs = end;
        t.bytes += static_cast<uint64_t>(pkt->size);
        ++t.packetsOut;
        if (t.mp4 >= 0) {
            Packet copy = newPacket();
            check(av_packet_ref(copy.get(), pkt), "copying a packet");
            copy->stream_index = t.mp4;
            av_packet_rescale_ts(copy.get(), tb, mp4_->streams[t.mp4]->time_base);
            monotonic(copy.get(), t.lastMp4Dts);
            check(av_interleaved_write_frame(mp4_, copy.get()), "writing recording.mp4");
        }
        pkt->stream_index = t.out;
        av_packet_rescale_ts(pkt, tb, dash_->streams[t.out]->time_base);
        monotonic(pkt, t.lastDts);
        check(av_interleaved_write_frame(dash_, pkt), "writing the segments");
    }

    // Muxers refuse decreasing decoding times (a source's glitch): nudge them forward.
    static void monotonic(AVPacket* pkt, int64_t& last)
    {
        if (last != AV_NOPTS_VALUE && pkt->dts <= last) {
            const int64_t d = last + 1 - pkt->dts;
            pkt->dts += d;
            if (pkt->pts != AV_NOPTS_VALUE && pkt->pts < pkt->dts) pkt->pts = pkt->dts;
        }
        last = pkt->dts;
    }

    double durationSeconds() const
    {
        int64_t end = 0;
        for (const auto& t : tracks_)
            if (t.endUs != AV_NOPTS_VALUE) end = std::max(end, t.endUs);
        return static_cast<double>(end) / AV_TIME_BASE;
    }

    void finishOutputs()
    {
        for (size_t i = 0; i < tracks_.size(); ++i) {
            const Track& t = tracks_[i];
            const std::string what = label(static_cast<size_t>(t.sourceIndex)) + (t.video ? "the video" : "the audio");
            if (t.packetsOut == 0) {
                const Source& s = *t.src;
                throw MediaError(what + " holds nothing that could be read" + (s.damaged ? " (" + s.damage + ")" : ""));
            }
            if (t.dec && t.framesDecoded == 0) throw MediaError("no picture or sound of " + what + " could be decoded");
            if (t.dec && t.packetsIn > 10 && t.decodeErrors * 2 > t.packetsIn)
                throw MediaError(what + " is damaged: " + std::to_string(t.decodeErrors) + " of " + std::to_string(t.packetsIn) +
                                 " packets could not be decoded");
        }
        check(av_write_trailer(dash_), "finishing the DASH output");
        if (mp4_->pb) {
            check(av_write_trailer(mp4_), "finishing recording.mp4");
            avio_closep(&mp4_->pb);
        }
        if (thumbs_) thumbs_->finish(durationSeconds());
    }

    // Peak and average bits per second of a media playlist's segments, from their sizes.
    std::pair<int64_t, int64_t> bandwidth(const std::string& playlist) const
    {
        std::ifstream in(o_.workDir + "/" + playlist);
        std::string line;
        double segDuration = 0, total = 0, peak = 0, bytes = 0;
        while (std::getline(in, line)) {
            if (line.rfind("#EXTINF:", 0) == 0) {
                segDuration = std::atof(line.c_str() + 8);
            } else if (!line.empty() && line[0] != '#' && segDuration > 0) {
                const double size = static_cast<double>(sizeOf(line));
                peak = std::max(peak, size * 8 / std::max(segDuration, 0.5));
                total += segDuration;
                bytes += size;
                segDuration = 0;
            }
        }
        const double init = 0;
        return {static_cast<int64_t>(std::ceil(peak + init)), static_cast<int64_t>(total > 0 ? std::ceil(bytes * 8 / total) : 0)};
    }

    // The HLS master of one source: its video as the variant, its audio as the variant's group.
    std::string master(int sourceIndex) const
    {
        const Track* v = nullptr;
        const Track* a = nullptr;
        for (const auto& t : tracks_)
            if (t.sourceIndex == sourceIndex) (t.video ? v : a) = &t;
        std::ostringstream m;
        m << "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n";
        auto pl = [](const Track* t) { return "media_" + std::to_string(t->out) + ".m3u8"; };
        std::pair<int64_t, int64_t> bw{0, 0};
        std::string codecs;
        if (a) {
            m << "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\""
              << (a->enc ? a->enc->ch_layout.nb_channels : a->in->codecpar->ch_layout.nb_channels) << "\",URI=\"" << pl(a) << "\"\n";
            bw = bandwidth(pl(a));
            codecs = a->enc ? "mp4a.40.2" : aacCodecString(a->in->codecpar);
        }
        if (v) {
            const auto vb = bandwidth(pl(v));
            bw = {bw.first + vb.first, bw.second + vb.second};
            codecs = v->codecs + (codecs.empty() ? "" : "," + codecs);
            const int w = v->enc ? v->enc->width : v->in->codecpar->width, h = v->enc ? v->enc->height : v->in->codecpar->height;
            m << "#EXT-X-STREAM-INF:BANDWIDTH=" << std::max<int64_t>(bw.first, 1)
              << ",AVERAGE-BANDWIDTH=" << std::max<int64_t>(bw.second, 1) << ",RESOLUTION=" << w << "x" << h << ",CODECS=\"" << codecs
              << "\"" << (a ? ",AUDIO=\"audio\"" : "") << "\n"
              << pl(v) << "\n";
        } else {
            m << "#EXT-X-STREAM-INF:BANDWIDTH=" << std::max<int64_t>(bw.first, 1)
              << ",AVERAGE-BANDWIDTH=" << std::max<int64_t>(bw.second, 1) << ",CODECS=\"" << codecs << "\"\n"
              << pl(a) << "\n";
        }
        return m.str();
    }

    // Writes the masters, then moves every finished file into media/: synced, segments before the
    // playlists that name them, the master last; what an earlier run left there is removed.
    std::string publish()
    {
        ::unlink((o_.workDir + "/dash-master.m3u8").c_str());
        if (o_.live())
            for (const auto& t : tracks_) { // stays an EVENT playlist, now with its end
                const std::string path = o_.workDir + "/media_" + std::to_string(t.out) + ".m3u8";
                std::ifstream in(path);
                std::stringstream text;
                text << in.rdbuf();
                in.close();
                writeFile(path, eventPlaylist(text.str(), true, nullptr));
            }
        if (o_.ladder) return publishLadder();
        writeFile(o_.workDir + "/master.m3u8", master(0));
        for (size_t i = 1; i < sources_.size(); ++i)
            writeFile(o_.workDir + "/source-" + std::to_string(i + 1) + ".m3u8", master(static_cast<int>(i)));
        std::set<std::string> fresh;
        const uint64_t bytes = moveIntoMedia("", fresh);

        std::ostringstream r;
        r << "{\"type\":\"result\",\"ok\":true,\"duration_s\":" << jsonNumber(durationSeconds()) << ",\"files\":" << fresh.size()
          << ",\"bytes\":" << bytes << ",\"sources\":[";
        for (size_t i = 0; i < sources_.size(); ++i) {
            const Source& s = *sources_[i];
            r << (i ? "," : "") << "{\"offset_ms\":" << s.spec.offsetMs
              << ",\"master\":" << jsonString(i == 0 ? "master.m3u8" : "source-" + std::to_string(i + 1) + ".m3u8");
            if (s.damaged) r << ",\"warning\":" << jsonString("the file ends damaged (" + s.damage + "): what came before it was kept");
            r << ",\"tracks\":[";
            bool first = true;
            for (const auto& t : tracks_) {
                if (t.sourceIndex != static_cast<int>(i)) continue;
                r << (first ? "" : ",") << "{\"kind\":" << jsonString(t.video ? "video" : "audio")
                  << ",\"source_codec\":" << jsonString(avcodec_get_name(t.in->codecpar->codec_id))
                  << ",\"codec\":" << jsonString(t.video ? "h264" : "aac") << ",\"transcoded\":" << (t.copy ? "false" : "true")
                  << ",\"playlist\":" << jsonString("media_" + std::to_string(t.out) + ".m3u8")
                  << ",\"duration_s\":" << jsonNumber(static_cast<double>(t.endUs - t.firstUs) / AV_TIME_BASE) << ",\"bytes\":" << t.bytes;
                if (t.video)
                    r << ",\"width\":" << (t.enc ? t.enc->width : t.in->codecpar->width)
                      << ",\"height\":" << (t.enc ? t.enc->height : t.in->codecpar->height);
                else
                    r << ",\"sample_rate\":" << (t.enc ? t.enc->sample_rate : t.in->codecpar->sample_rate);
                r << "}";
                first = false;
            }
            r << "]}";
        }
        r << "]}";
        return r.str();
    }

    // Moves every finished file of the work directory into media/: synced, segments before the
    // playlists that name them, masters last; then removes what an earlier run left there among
    // the files whose names begin with `prefix` (all for processing, abr- for a ladder). Fills
    // `fresh` with the names now published; returns their bytes.
    uint64_t moveIntoMedia(const std::string& prefix, std::set<std::string>& fresh)
    {
        std::vector<std::string> names = listDir(o_.workDir);
        auto rank = [&](const std::string& n) {
            if (n == prefix + "master.m3u8") return 4;
            if (n == "manifest.mpd" || n == "abr.mpd" || n.rfind(prefix + "source-", 0) == 0) return 3;
            if (n.size() > 5 && (n.ends_with(".m3u8") || n.ends_with(".vtt"))) return 2;
            return 1;
        };
        std::stable_sort(names.begin(), names.end(), [&](const auto& x, const auto& y) { return rank(x) < rank(y); });
        uint64_t bytes = 0;
        for (const auto& n : names)
            if (n.find(".tmp") == std::string::npos) bytes += fileSize(o_.workDir + "/" + n); // not a muxer's leftover
        // Every file on disk before any is named in media/ (work and media dirs share a file system).
        syncFileSystem(o_.workDir);
        ::mkdir(o_.mediaDir.c_str(), 0755);
        fresh.insert(names.begin(), names.end());
        for (const auto& [n, size] : published_) {
            fresh.insert(n);
            bytes += size;
        }
        for (const auto& n : names) {
            if (n.find(".tmp") != std::string::npos) continue;
            if (::rename((o_.workDir + "/" + n).c_str(), (o_.mediaDir + "/" + n).c_str()) != 0)
                throw std::runtime_error("cannot move " + n + " into " + o_.mediaDir);
        }
        for (const auto& n : listDir(o_.mediaDir))
            if (!fresh.count(n) && n.rfind(prefix, 0) == 0) ::unlink((o_.mediaDir + "/" + n).c_str());
        syncFile(o_.mediaDir);
        return bytes;
    }

    // ---- ladder ----

    static std::string ladderPlaylist(const Track& t) { return "abr-media_" + std::to_string(t.out) + ".m3u8"; }

    // A ladder's HLS master of one source: a variant per rung (highest first) with the source's
    // audio as their group, and the audio alone as the last variant.
    std::string ladderMaster(int sourceIndex) const
    {
        const Track* a = nullptr;
        std::vector<const Track*> rungs;
        for (const auto& t : tracks_) {
            // The composed presentation plays the primary source's sound.
            if (!t.video && (t.sourceIndex == sourceIndex || (sourceIndex == composedIndex_ && t.sourceIndex == 0))) a = &t;
            if (t.video && t.sourceIndex == sourceIndex && t.rung.height > 0) rungs.push_back(&t);
        }
        const auto work = [](const Track& t) { return "media_" + std::to_string(t.out) + ".m3u8"; };
        std::ostringstream m;
        m << "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n";
        std::pair<int64_t, int64_t> audioBw{0, 0};
        if (a) {
            m << "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\""
              << a->enc->ch_layout.nb_channels << "\",URI=\"" << ladderPlaylist(*a) << "\"\n";
            audioBw = bandwidth(work(*a));
        }
        // The primary's master lists the other sources (a screen, a second camera) as alternate
        // video renditions of each rung (HLS's camera angles): a group per rung holding the
        // primary's own picture and, of each other source, its rung nearest in height. Players
        // that do not switch angles play the variant's own picture.
        std::vector<std::vector<const Track*>> others; // per other source, its rungs
        if (sourceIndex == 0)
            for (int s = 1; s < static_cast<int>(sources_.size()); ++s) {
                std::vector<const Track*> r;
                for (const auto& t : tracks_)
                    if (t.video && t.sourceIndex == s && t.rung.height > 0) r.push_back(&t);
                if (!r.empty()) others.push_back(r);
            }
        for (size_t k = 0; k < rungs.size(); ++k) {
            const Track* v = rungs[k];
            auto vb = bandwidth(work(*v));
            const std::string group = "video-" + std::to_string(k + 1);
            if (!others.empty())
                m << "#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"" << group << "\",NAME=\"" << sources_[0]->spec.kind
                  << "\",DEFAULT=YES,AUTOSELECT=YES\n";
            for (const auto& alternate : others) {
                const Track* nearest = alternate.front();
                for (const Track* t : alternate)
                    if (std::abs(t->enc->height - v->enc->height) < std::abs(nearest->enc->height - v->enc->height)) nearest = t;
                const auto nb = bandwidth(work(*nearest));
                vb = {std::max(vb.first, nb.first), std::max(vb.second, nb.second)};
                m << "#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"" << group << "\",NAME=\"" << nearest->src->spec.kind << " "
                  << nearest->sourceIndex + 1 << "\",DEFAULT=NO,AUTOSELECT=NO,URI=\"" << ladderPlaylist(*nearest) << "\"\n";
            }
            char rate[32];
            std::snprintf(rate, sizeof rate, "%.3f", av_q2d(v->enc->framerate));
            m << "#EXT-X-STREAM-INF:BANDWIDTH=" << std::max<int64_t>(vb.first + audioBw.first, 1)
              << ",AVERAGE-BANDWIDTH=" << std::max<int64_t>(vb.second + audioBw.second, 1) << ",RESOLUTION=" << v->enc->width << "x"
              << v->enc->height << ",FRAME-RATE=" << rate << ",CODECS=\"" << v->codecs << (a ? ",mp4a.40.2" : "") << "\""
              << (a ? ",AUDIO=\"audio\"" : "") << (others.empty() ? "" : ",VIDEO=\"" + group + "\"") << "\n"
              << ladderPlaylist(*v) << "\n";
        }
        if (a)
            m << "#EXT-X-STREAM-INF:BANDWIDTH=" << std::max<int64_t>(audioBw.first, 1)
              << ",AVERAGE-BANDWIDTH=" << std::max<int64_t>(audioBw.second, 1) << ",CODECS=\"mp4a.40.2\"\n"
              << ladderPlaylist(*a) << "\n";
        return m.str();
    }

    std::string publishLadder()
    {
        std::vector<std::string> masters;
        for (size_t i = 0; i < sources_.size(); ++i) {
            masters.push_back(i == 0 ? "abr-master.m3u8" : "abr-source-" + std::to_string(i + 1) + ".m3u8");
            writeFile(o_.workDir + "/" + masters.back(), ladderMaster(static_cast<int>(i)));
        }
        if (composedIndex_ >= 0) writeFile(o_.workDir + "/abr-composed.m3u8", ladderMaster(composedIndex_));
        // The muxer names its media playlists media_N.m3u8: beside the single rendition's, they
        // take the ladder's prefix (they name abr- segments already).
        for (const auto& t : tracks_) {
            const std::string from = o_.workDir + "/media_" + std::to_string(t.out) + ".m3u8";
            if (::rename(from.c_str(), (o_.workDir + "/" + ladderPlaylist(t)).c_str()) != 0)
                throw std::runtime_error("the muxer wrote no playlist for a rung");
        }
        std::set<std::string> fresh;
        const uint64_t bytes = moveIntoMedia("abr-", fresh);
        std::ostringstream r;
        r << "{\"type\":\"result\",\"ok\":true,\"task\":\"ladder\",\"duration_s\":" << jsonNumber(durationSeconds())
          << ",\"files\":" << fresh.size() << ",\"bytes\":" << bytes << ",\"hls\":\"abr-master.m3u8\",\"dash\":\"abr.mpd\",\"sources\":[";
        for (size_t i = 0; i < sources_.size(); ++i) {
            // offset_ms: where the source starts on the recording's timeline, which is where its
            // playlist's time 0 is (players map media time to the playlist's start).
            r << (i ? "," : "") << "{\"master\":" << jsonString(masters[i]) << ",\"kind\":" << jsonString(sources_[i]->spec.kind)
              << ",\"offset_ms\":" << sources_[i]->spec.offsetMs << ",\"rungs\":[";
            bool first = true;
            for (const auto& t : tracks_) {
                if (t.sourceIndex != static_cast<int>(i)) continue;
                r << (first ? "" : ",") << "{\"name\":" << jsonString(t.video ? t.rung.name : "audio")
                  << ",\"playlist\":" << jsonString(ladderPlaylist(t)) << ",\"bytes\":" << t.bytes
                  << ",\"kbps\":" << (t.video ? t.rung.videoKbps : o_.ladder->audioKbps);
                if (t.video)
                    r << ",\"width\":" << t.enc->width << ",\"height\":" << t.enc->height
                      << ",\"frame_rate\":" << jsonNumber(av_q2d(t.enc->framerate));
                r << "}";
                first = false;
            }
            r << "]}";
        }
        r << "]";
        if (composedIndex_ >= 0) {
            r << ",\"composed\":{\"master\":\"abr-composed.m3u8\",\"rungs\":[";
            bool first = true;
            for (const auto& t : tracks_) {
                if (t.sourceIndex != composedIndex_) continue;
                r << (first ? "" : ",") << "{\"name\":" << jsonString(t.rung.name) << ",\"playlist\":" << jsonString(ladderPlaylist(t))
                  << ",\"bytes\":" << t.bytes << ",\"width\":" << t.enc->width << ",\"height\":" << t.enc->height << "}";
                first = false;
            }
            r << "]}";
        }
        r << "}";
        return r.str();
    }

    const Options& o_;
    std::function<void(double)> progress_;
    std::vector<std::unique_ptr<Source>> sources_;
    std::vector<Track> tracks_;
    AVFormatContext* dash_ = nullptr;
    AVFormatContext* mp4_ = nullptr;
    // The composed presentation: the screen's decoding track, its latest picture (and how many
    // came), and the index its tracks take as their source (after the real ones); -1: none.
    int screenTrack_ = -1, composedIndex_ = -1;
    Frame screen_ = newFrame();
    int64_t screenVersion_ = 0;
    std::unique_ptr<Thumbnails> thumbs_;
    // Live: segments already in media/ (name -> size), the muxer's playlists last seen.
    std::map<std::string, uint64_t> published_;
    std::chrono::steady_clock::time_point lastLive_{}, lastMp4Sync_{};
};

} // namespace

std::string process(const Options& options, const std::function<void(double)>& progress)
{
    Pipeline p(options, progress);
    return p.run();
}

} // namespace vtp::media
