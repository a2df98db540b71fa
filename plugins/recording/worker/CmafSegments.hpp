#pragma once

// Reads what live publishing needs from the CMAF files the DASH muxer wrote (our own output, not
// a client's file; still read with every bound checked): a track's timescale from its init
// segment, and a media segment's duration from its fragments. With several video sources the
// muxer rewrites its playlists only when every video track has cut a segment, so during a live
// capture the worker writes each track's EVENT playlist itself from its finished segments.

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace vtp::media::cmaf {

inline uint32_t be32(std::string_view b, size_t at)
{
    return (uint32_t(uint8_t(b[at])) << 24) | (uint32_t(uint8_t(b[at + 1])) << 16) | (uint32_t(uint8_t(b[at + 2])) << 8) |
           uint32_t(uint8_t(b[at + 3]));
}

inline uint64_t be64(std::string_view b, size_t at)
{
    return (uint64_t(be32(b, at)) << 32) | be32(b, at + 4);
}

// Calls f(type, payload) for each box in `b` (payload without the 8- or 16-byte header); stops at
// the first malformed one.
template <typename F>
void forEachBox(std::string_view b, F&& f)
{
    size_t at = 0;
    while (at + 8 <= b.size()) {
        uint64_t size = be32(b, at);
        size_t header = 8;
        if (size == 1) {
            if (at + 16 > b.size()) return;
            size = be64(b, at + 8);
            header = 16;
        } else if (size == 0) {
            size = b.size() - at;
        }
        if (size < header || size > b.size() - at) return;
        f(b.substr(at + 4, 4), b.substr(at + header, static_cast<size_t>(size) - header));
        at += static_cast<size_t>(size);
    }
}

inline std::string readWhole(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// What an init segment says of its (one) track: the media timescale (mdhd) and the default
// sample duration of its fragments (trex), 0 when absent.
struct TrackInfo {
    uint32_t timescale = 0;
    uint32_t defaultDuration = 0;
};

inline TrackInfo readInit(const std::string& path)
{
    const std::string file = readWhole(path);
    TrackInfo info;
    forEachBox(file, [&](std::string_view type, std::string_view moov) {
        if (type != "moov") return;
        forEachBox(moov, [&](std::string_view t, std::string_view body) {
            if (t == "mvex")
                forEachBox(body, [&](std::string_view tt, std::string_view trex) {
                    // version/flags 4, track_ID 4, default_sample_description_index 4, default_sample_duration 4
                    if (tt == "trex" && trex.size() >= 16) info.defaultDuration = be32(trex, 12);
                });
            if (t == "trak")
                forEachBox(body, [&](std::string_view tt, std::string_view trak) {
                    if (tt != "mdia") return;
                    forEachBox(trak, [&](std::string_view m, std::string_view mdhd) {
                        if (m != "mdhd" || mdhd.empty()) return;
                        // version 0: creation 4, modification 4, timescale; version 1: 8, 8, timescale
                        const size_t at = uint8_t(mdhd[0]) == 1 ? 20 : 12;
                        if (mdhd.size() >= at + 4) info.timescale = be32(mdhd, at);
                    });
                });
        });
    });
    return info;
}

// The duration of a media segment in its track's timescale: the sum of its samples' durations
// over every fragment (trun, else tfhd's default, else the init segment's trex default).
inline std::optional<uint64_t> segmentDuration(const std::string& path, const TrackInfo& track)
{
    const std::string file = readWhole(path);
    uint64_t total = 0;
    bool any = false, bad = false;
    forEachBox(file, [&](std::string_view type, std::string_view moof) {
        if (type != "moof") return;
        forEachBox(moof, [&](std::string_view t, std::string_view traf) {
            if (t != "traf") return;
            uint32_t fallback = track.defaultDuration;
            forEachBox(traf, [&](std::string_view b, std::string_view box) {
                if (box.size() < 8) return;
                const uint32_t flags = be32(box, 0) & 0xffffff;
                if (b == "tfhd") {
                    size_t at = 8;             // version/flags, track_ID
                    if (flags & 0x01) at += 8; // base_data_offset
                    if (flags & 0x02) at += 4; // sample_description_index
                    if ((flags & 0x08) && box.size() >= at + 4) fallback = be32(box, at);
                } else if (b == "trun") {
                    const uint32_t count = be32(box, 4);
                    size_t at = 8;
                    if (flags & 0x01) at += 4; // data_offset
                    if (flags & 0x04) at += 4; // first_sample_flags
                    const size_t per =
                        ((flags & 0x100) ? 4 : 0) + ((flags & 0x200) ? 4 : 0) + ((flags & 0x400) ? 4 : 0) + ((flags & 0x800) ? 4 : 0);
                    if (per != 0 && (box.size() - std::min(box.size(), at)) / per < count) {
                        bad = true;
                        return;
                    }
                    for (uint32_t i = 0; i < count; ++i) total += (flags & 0x100) ? be32(box, at + static_cast<size_t>(i) * per) : fallback;
                    any = any || count > 0;
                }
            });
        });
    });
    if (bad || !any) return std::nullopt;
    return total;
}

} // namespace vtp::media::cmaf
