#pragma once

// The live ingest worker's command line and its listen URL, parsed and checked before anything is
// opened. Pure C++ (no FFmpeg), so that it is unit-tested alone.

#include <cstdint>
#include <string>
#include <vector>

namespace vtp::streaming::ingest {

struct Rung {
    int height = 0; // pixels; the width follows the source's aspect ratio
    int kbps = 0;   // the video bitrate (and its VBV peak)
};

enum class Protocol { Rtmp, Srt };

// Where and how to listen, and the key a publisher must present.
struct ListenTarget {
    Protocol protocol = Protocol::Rtmp;
    std::string host;
    uint16_t port = 0;
    std::string app; // RTMP only: the application part of the path ("live")
    std::string key; // the stream key: RTMP's stream name, SRT's streamid
    // SRT only: query parameters passed on to libsrt (latency, passphrase); never the key.
    std::vector<std::pair<std::string, std::string>> srtOptions;
};

struct IngestOptions {
    ListenTarget listen;
    std::string outDir;
    // Where the stream's archive grows (ArchiveWriter.hpp): none when empty.
    std::string archiveDir;
    std::vector<Rung> rungs;
    int audioKbps = 128;
    int segmentMs = 2000, partMs = 500;
    std::string preset = "veryfast";
    int idleTimeoutMs = 60000; // no accepted publisher by then: the worker ends
    int stallTimeoutMs = 4000; // a publisher that sends nothing this long has gone
    int maxWidth = 4096, maxHeight = 2160;
    int maxInputKbps = 25000; // averaged over a few seconds
    int maxFps = 60;          // frames closer together than this are dropped
};

// Stream keys are what instructors paste into OBS: 1 to 63 characters of [A-Za-z0-9_-] (FFmpeg's
// RTMP listener reads at most 63 characters of a stream name).
bool validStreamKey(const std::string& key);

// The stream key an SRT caller presents in its streamid: the streamid itself, or in SRT's
// access-control form "#!::r=live/KEY,m=publish" (what the plugin's ingest URLs carry, as OBS and
// ffmpeg send it) the resource's last path element. A form that asks for anything but publishing
// (m=request: a player) gives "" (no key ever matches it). A streamid still percent-encoded as
// in the URL ("%23%21%3A%3A...": FFmpeg 5.1's libsrt sends it so) is decoded first.
std::string srtStreamIdKey(const std::string& streamId);

// Parses rtmp://HOST:PORT/APP/KEY or srt://HOST:PORT?mode=listener&streamid=KEY[&latency=..]
// [&passphrase=..]; an empty answer on success, else why not.
std::string parseListenUrl(const std::string& url, ListenTarget& out);

// Parses argv; an empty answer on success, else why not.
std::string parseCommandLine(int argc, const char* const* argv, IngestOptions& out);

} // namespace vtp::streaming::ingest
