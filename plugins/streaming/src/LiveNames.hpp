#pragma once

// The names of a live stream's files as viewers ask for them, under
// /api/v1/streams/{id}/live/{token}/: RENDITION.m3u8, and RENDITION/init-S.mp4 (session S's
// initialisation segment: each publish of a stream is a session), RENDITION/part-MSN-K.m4s (part K
// of segment MSN) and RENDITION/seg-MSN.m4s. MSN is the stream's media sequence number, which goes
// on across reconnects; the worker numbers each session from 0 (LiveStreams maps one to the other).
// Parsed strictly (digits only, bounded, no leading '+' or '-'), since they come from clients. Pure C++.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vtp::streaming {

// A rendition's name as the worker makes them ("720p", "audio"): 1-16 of [a-z0-9].
bool validRenditionName(std::string_view name);

struct MediaName {
    enum class Kind { Init, Part, Segment };
    Kind kind = Kind::Segment;
    uint64_t number = 0; // Init: the session; Part, Segment: the MSN
    uint32_t part = 0;   // Part only
};
std::optional<MediaName> parseMediaName(std::string_view file);
std::string mediaName(const MediaName& name);

// RENDITION.m3u8 -> RENDITION, when valid.
std::optional<std::string> playlistRendition(std::string_view file);

} // namespace vtp::streaming
