#pragma once

// What the playback tests share: a recording's processed output laid out as processing lays it
// out (/work notes' recording layout: media/ with a DASH MPD and HLS playlists over the same CMAF
// segments, a poster, a thumbnail track, recording.mp4), made once per test binary with the
// ffmpeg command from testsrc and a sine tone, and a recording set ready the way processing does.

#include "RecordingTestSupport.hpp"

#include <filesystem>
#include <fstream>

namespace vtp::test {

// The processed output of an 8-second recording (320x180 H.264 and AAC in 2-second CMAF segments),
// made once; a directory of files to copy into a recording's media/.
inline const std::string& testMedia()
{
    static TempDir dir("vtp-playback-media");
    static const bool made = [] {
        const std::string out = dir.path();
        std::string log;
        auto ffmpeg = [&](std::vector<std::string> args) {
            args.insert(args.begin(), {VTP_TEST_FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                                       "testsrc=size=320x180:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"});
            if (VtpdProcess::run(args, log) != 0) throw std::runtime_error("ffmpeg failed: " + log);
        };
        const std::vector<std::string> encode{
            "-t", "8",  "-map",        "0:v", "-map",          "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-g", "50", "-keyint_min", "50",  "-sc_threshold", "0",   "-b:v", "300k",    "-c:a",    "aac",       "-b:a",     "64k"};
        auto with = [&](std::vector<std::string> more) {
            std::vector<std::string> all = encode;
            all.insert(all.end(), more.begin(), more.end());
            return all;
        };
        // The DASH muxer writes the HLS master and media playlists over the same segments.
        ffmpeg(
            with({"-f", "dash", "-seg_duration", "2", "-use_template", "1", "-use_timeline", "1", "-hls_playlist", "1", "-init_seg_name",
                  "init-$RepresentationID$.m4s", "-media_seg_name", "chunk-$RepresentationID$-$Number%05d$.m4s", out + "/manifest.mpd"}));
        ffmpeg(with({"-movflags", "+faststart", out + "/recording.mp4"}));
        ffmpeg({"-map", "0:v", "-frames:v", "1", out + "/poster.jpg"});
        ffmpeg({"-map", "0:v", "-frames:v", "1", "-vf", "scale=160:90", out + "/thumbnails-0.jpg"});
        std::ofstream(out + "/thumbnails.vtt") << "WEBVTT\n\n00:00:00.000 --> 00:00:08.000\nthumbnails-0.jpg#xywh=0,0,160,90\n";
        for (const char* f : {"master.m3u8", "media_0.m3u8", "manifest.mpd", "init-0.m4s", "chunk-0-00001.m4s", "recording.mp4"})
            if (!std::filesystem::exists(out + "/" + f)) throw std::runtime_error(std::string("ffmpeg made no ") + f);
        return true;
    }();
    (void)made;
    return dir.path();
}

// Puts the test media in the recording's media/ and marks it ready, as processing does when it
// has finished (the files first, then the state).
inline void makeReady(RecordingServer& s, const std::string& recordingId)
{
    namespace fs = std::filesystem;
    const fs::path media = fs::path(s.storageDir()) / recordingId / "media";
    fs::create_directories(media);
    fs::copy(testMedia(), media, fs::copy_options::overwrite_existing | fs::copy_options::recursive);
    s.auth().query("UPDATE recording_recordings SET state = 'ready', duration_ms = 8000 WHERE id = ?", {recordingId});
}

} // namespace vtp::test
