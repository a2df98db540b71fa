#pragma once

// The low-latency DASH manifest of a live class, over the same CMAF segments and parts as the
// LL-HLS playlists: a dynamic MPD with a $Number$ SegmentTemplate whose segments are fetched
// while still being written (chunked transfer, availabilityTimeOffset). Pure C++.

#include <cstdint>
#include <string>
#include <vector>

namespace vtp::streaming {

struct DashRepresentation {
    std::string id; // $RepresentationID$, e.g. "720p"
    int64_t bandwidth = 0;
    std::string codecs;
    int width = 0, height = 0; // video
    double frameRate = 0;      // video; 0: not written
    int audioSamplingRate = 0; // audio; 0: not written
};

struct DashAdaptationSet {
    std::string contentType = "video"; // "video" or "audio": one set per media type
    std::string mimeType = "video/mp4";
    std::string language; // audio; empty: not written
    std::string initialization = "$RepresentationID$/init.mp4";
    std::string media = "$RepresentationID$/$Number$.m4s";
    std::vector<DashRepresentation> representations;
};

struct LlDashSpec {
    // The wall-clock start of segment `startNumber`: segment N becomes complete at
    // availabilityStart + (N - startNumber + 1) x segment duration. Use the HLS media sequence
    // numbers as DASH numbers and the PDT of the first segment, and both formats name the same files.
    int64_t availabilityStartTimeMs = 0;
    int64_t publishTimeMs = 0;
    uint64_t startNumber = 0;
    double segmentSeconds = 4;
    double partSeconds = 1;
    double dvrWindowSeconds = 7200; // timeShiftBufferDepth
    double targetLatencySeconds = 3;
    double minLatencySeconds = 2, maxLatencySeconds = 6;
    std::string utcTimingUrl; // an http-iso clock (urn:mpeg:dash:utc:http-iso:2014); required
    std::vector<DashAdaptationSet> adaptationSets;
};

// Throws std::invalid_argument on a spec that cannot make a valid MPD (no sets, part not shorter
// than segment, no UTC timing URL...).
std::string renderLlDashMpd(const LlDashSpec& spec);

} // namespace vtp::streaming
