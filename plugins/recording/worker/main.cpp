// vtp-media-worker: processes a stopped recording's sources for the recording plugin, in a process
// of its own (started by vtpd with limits on memory and CPU time), so that a hostile or corrupt
// file can crash or hang only this process. Reports on standard output, one JSON object a line:
//   {"type":"progress","fraction":0.42}
//   {"type":"result","ok":true,"duration_s":...,"sources":[...]}   or
//   {"type":"result","ok":false,"reason":"..."}
// Usage: vtp-media-worker --media-dir DIR --work-dir DIR --source FILE[@OFFSET_MS] ... [options]
// With --live-complete FILE after each --source: the sources are uploads still being written (a
// camera and a screen captured at once), each read as it grows until its FILE holds its final
// length; segments reach --media-dir as they are made.
// With --task ladder: an adaptive ladder of the sources (--rung HEIGHT:KBPS, highest first,
// --audio-kbps, --screen-tune, --screen-max-fps; --kind KIND after a --source), its files named
// abr-* in --media-dir beside the single rendition's; with a camera and a screen, also a composed
// presentation (--compose-camera-percent, 0: none; --compose-corner).
#include "Pipeline.hpp"
#include "Report.hpp"

extern "C" {
#include <libavutil/log.h>
}

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

namespace {

using namespace vtp::media;

// FFmpeg's own messages go to standard error (the plugin discards it); the last error is kept
// for the failure reason.
std::mutex logMutex;
std::string lastAvError;

void logCallback(void* avcl, int level, const char* fmt, va_list args)
{
    if (level > AV_LOG_ERROR) return;
    char line[512];
    int prefix = 0; // no "[mov @ 0x...]": the text goes into reasons people read
    va_list copy;
    va_copy(copy, args);
    av_log_format_line(avcl, level, fmt, copy, line, sizeof line, &prefix);
    va_end(copy);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    std::lock_guard lock(logMutex);
    lastAvError = text;
    std::fprintf(stderr, "%s\n", text.c_str());
}

[[noreturn]] void usage(const std::string& why)
{
    reportLine("{\"type\":\"result\",\"ok\":false,\"reason\":" + jsonString("the media worker was started wrongly: " + why) + "}");
    std::exit(64);
}

double number(const char* s, const char* name)
{
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    if (!*s || *end) usage(std::string("--") + name + " needs a number");
    return v;
}

} // namespace

int main(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) usage(a + " needs a value");
        const char* v = argv[++i];
        if (a == "--media-dir")
            o.mediaDir = v;
        else if (a == "--work-dir")
            o.workDir = v;
        else if (a == "--source") {
            std::string s = v;
            SourceSpec spec;
            if (const auto at = s.rfind('@'); at != std::string::npos) {
                spec.offsetMs = static_cast<int64_t>(number(s.c_str() + at + 1, "source offset"));
                s.resize(at);
            }
            spec.path = s;
            o.sources.push_back(spec);
        } else if (a == "--preset")
            o.preset = v;
        else if (a == "--crf")
            o.crf = static_cast<int>(number(v, "crf"));
        else if (a == "--threads")
            o.threads = static_cast<int>(number(v, "threads"));
        else if (a == "--segment-seconds")
            o.segmentSeconds = number(v, "segment-seconds");
        else if (a == "--keyframe-seconds")
            o.keyframeSeconds = number(v, "keyframe-seconds");
        else if (a == "--thumbnail-seconds")
            o.thumbnailSeconds = number(v, "thumbnail-seconds");
        else if (a == "--kind") {
            if (o.sources.empty()) usage("--kind follows the --source it describes");
            o.sources.back().kind = v;
        } else if (a == "--task") {
            if (std::string(v) != "ladder") usage("unknown task " + std::string(v));
            if (!o.ladder) o.ladder.emplace();
        } else if (a == "--rung") {
            if (!o.ladder) usage("--rung follows --task ladder");
            const std::string r = v;
            const auto colon = r.find(':');
            if (colon == std::string::npos) usage("--rung is HEIGHT:KBPS");
            LadderRung rung;
            rung.height = static_cast<int>(number(r.substr(0, colon).c_str(), "rung height"));
            rung.videoKbps = static_cast<int>(number(r.substr(colon + 1).c_str(), "rung kbps"));
            if (rung.height < 16 || rung.height > 8640 || rung.videoKbps < 10 || rung.videoKbps > 1000000) usage("a rung is out of range");
            rung.name = std::to_string(rung.height) + "p";
            o.ladder->rungs.push_back(rung);
        } else if (a == "--audio-kbps") {
            if (!o.ladder) usage("--audio-kbps follows --task ladder");
            o.ladder->audioKbps = static_cast<int>(number(v, "audio-kbps"));
        } else if (a == "--screen-tune") {
            if (!o.ladder) usage("--screen-tune follows --task ladder");
            o.ladder->screenTune = v;
        } else if (a == "--screen-max-fps") {
            if (!o.ladder) usage("--screen-max-fps follows --task ladder");
            o.ladder->screenMaxFps = static_cast<int>(number(v, "screen-max-fps"));
        } else if (a == "--compose-camera-percent") {
            if (!o.ladder) usage("--compose-camera-percent follows --task ladder");
            o.ladder->composeCameraPercent = static_cast<int>(number(v, "compose-camera-percent"));
            o.ladder->compose = o.ladder->composeCameraPercent > 0;
        } else if (a == "--compose-corner") {
            if (!o.ladder) usage("--compose-corner follows --task ladder");
            o.ladder->composeCorner = v;
        } else if (a == "--live-complete") {
            if (o.sources.empty()) usage("--live-complete follows the --source it completes");
            o.sources.back().completeFile = v;
        } else if (a == "--poll-ms")
            o.pollMs = static_cast<int>(number(v, "poll-ms"));
        else if (a == "--max-width")
            o.limits.maxWidth = static_cast<int>(number(v, "max-width"));
        else if (a == "--max-height")
            o.limits.maxHeight = static_cast<int>(number(v, "max-height"));
        else
            usage("unknown option " + a);
    }
    if (o.mediaDir.empty() || o.workDir.empty() || o.sources.empty()) usage("--media-dir, --work-dir and --source are needed");
    if (o.segmentSeconds < 1 || o.keyframeSeconds <= 0 || o.thumbnailSeconds < 1) usage("a duration option is out of range");
    if (o.ladder &&
        (o.ladder->rungs.empty() || o.live() || o.ladder->audioKbps < 16 || o.ladder->audioKbps > 1024 || o.ladder->screenMaxFps < 1 ||
         o.ladder->screenMaxFps > 240 || o.ladder->composeCameraPercent < 0 || o.ladder->composeCameraPercent > 50 ||
         (o.ladder->composeCorner != "top-left" && o.ladder->composeCorner != "top-right" && o.ladder->composeCorner != "bottom-left" &&
          o.ladder->composeCorner != "bottom-right")))
        usage("a ladder needs rungs, finished sources and sensible bitrates");

    av_log_set_callback(logCallback);
    try {
        const std::string result = process(o, [](double f) { reportLine("{\"type\":\"progress\",\"fraction\":" + jsonNumber(f) + "}"); });
        reportLine(result);
        return 0;
    } catch (const MediaError& e) {
        std::string reason = e.what();
        {
            // FFmpeg's own word on it, when it said something ("moov atom not found").
            std::lock_guard lock(logMutex);
            if (!lastAvError.empty() && reason.find(lastAvError) == std::string::npos) reason += " (FFmpeg: " + lastAvError + ")";
        }
        reportLine("{\"type\":\"result\",\"ok\":false,\"reason\":" + jsonString(reason) + "}");
        return 2;
    } catch (const std::bad_alloc&) {
        reportLine("{\"type\":\"result\",\"ok\":false,\"reason\":" +
                   jsonString("the media worker ran out of memory (its limit) processing this file") + "}");
        return 3;
    } catch (const std::exception& e) {
        // Not the media's fault (a full disk, a broken installation): the plugin may retry.
        reportLine("{\"type\":\"result\",\"ok\":false,\"retry\":true,\"reason\":" + jsonString(e.what()) + "}");
        return 4;
    }
}
