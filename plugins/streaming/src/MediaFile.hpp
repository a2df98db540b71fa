#pragma once

// What a recording's media file name says about a request: its kind (manifest, init segment,
// media segment), the rendition (the muxer's representation number N) and the segment number.
// Names as the recording plugin's media worker writes them: the ladder's abr-master.m3u8,
// abr-source-N.m3u8, abr-media_N.m3u8, abr-init-N.mp4, abr-seg-N-NNNNN.m4s and abr.mpd; the
// single rendition's the same without the "abr-" prefix (master.m3u8, manifest.mpd...). Pure.

#include <cstdint>
#include <optional>
#include <string_view>

namespace vtp::streaming {

struct MediaFile {
    enum class Type { Manifest, Init, Segment, Other } type = Type::Other;
    bool ladder = false;               // an abr- file
    std::optional<int> representation; // N of media_N, init-N, seg-N-...
    std::optional<int64_t> number;     // a segment's number (the first is 1)
    bool operator==(const MediaFile&) const = default;
};

MediaFile parseMediaFile(std::string_view name);

} // namespace vtp::streaming
