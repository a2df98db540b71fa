#pragma once

// The media worker's whole-file pipeline: a recording's sources in, CMAF (fragmented MP4)
// segments shared by HLS and DASH playlists, a poster, a thumbnail track and the MP4 download out.
// H.264 and AAC are copied; anything else is transcoded (libx264, FFmpeg's AAC encoder).
//
// Live (incremental) processing runs the same pipeline on sources that are still being uploaded
// (a camera and a screen captured at once): each input waits at its end for more bytes until its
// upload is complete, and finished segments are moved into media/ as they come (README.md,
// "Processing").

#include "MediaProbe.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace vtp::media {

// A failure caused by the media (or by the limits on it): its text is for the person who recorded.
class MediaError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct SourceSpec {
    std::string path;
    int64_t offsetMs = 0; // where it starts on the recording's timeline (the server's clock)
    // Live: the source is an upload still growing, read as it grows until this file exists and
    // holds the upload's final length.
    std::string completeFile;
    std::string kind; // camera, screen, ... (a screen's ladder keeps text sharp)
};

// An adaptive ladder (the streaming plugin's task) instead of the single rendition: every video
// source encoded at each rung at or below its height, keyframes at the same instants on every
// rung, the audio at one bitrate; files named abr-*, beside the single rendition's.
struct LadderRung {
    int height = 0;
    int videoKbps = 0;
    std::string name;
};
struct LadderOptions {
    std::vector<LadderRung> rungs; // highest first
    int audioKbps = 128;
    std::string screenTune = "stillimage"; // libx264 tune of a screen's rungs ("none": none)
    int screenMaxFps = 15;
    // The composed presentation (a camera and a screen in one picture) for players that show one
    // video: the camera's width in percent of the picture, and its corner.
    bool compose = true;
    int composeCameraPercent = 25;
    std::string composeCorner = "bottom-right"; // top-left, top-right, bottom-left, bottom-right
};

struct Options {
    std::vector<SourceSpec> sources; // the first is the primary: the master playlist, the download
    std::string mediaDir;            // where finished files are renamed to
    std::string workDir;             // where they are written first (same file system)
    ProbeLimits limits;
    std::string preset = "veryfast"; // libx264
    int crf = 23;
    int threads = 0; // encoder threads, 0: as many as the cores
    double segmentSeconds = 4, keyframeSeconds = 2, thumbnailSeconds = 5;
    int thumbnailWidth = 160;
    int pollMs = 150; // how often the end of a growing source is looked at again
    std::optional<LadderOptions> ladder;
    // Live: every source is an upload still growing (SourceSpec::completeFile); segments are
    // published as they complete.
    bool live() const { return !sources.empty() && !sources.front().completeFile.empty(); }
};

// Runs the pipeline; `progress` is called with the fraction of the input read. Returns the result
// as a JSON object (durations, codecs, sizes); throws MediaError for what the media caused.
std::string process(const Options& options, const std::function<void(double)>& progress);

} // namespace vtp::media
