#pragma once

// The live playback routes, public and authorised by the signed token in their path
// (Streams::verifyPlayback: 403 for a bad or expired token or a viewer who may no longer watch):
//   GET /api/v1/streams/{id}/live/{token}/master.m3u8    the ladder
//   GET /api/v1/streams/{id}/live/{token}/RENDITION.m3u8 LL-HLS media playlist; blocking reloads
//                                                        (_HLS_msn, _HLS_part) held without a thread
//   GET /api/v1/streams/{id}/live/{token}/manifest.mpd   LL-DASH
//   GET /api/v1/streams/{id}/live/{token}/time           the server's clock for DASH (http-iso)
//   GET /api/v1/streams/{id}/live/{token}/RENDITION/FILE init-S.mp4, part-MSN-K.m4s, seg-MSN.m4s;
//                                                        a part or segment just ahead of the edge
//                                                        (a preload hint, a DASH chunk) is held
// Each file served (playlists and media; a held one when it is answered) is observed by the stream
// analytics (Analytics::observe, QoeKind::Stream) with the viewer, its rendition's bitrate, a
// segment's or part's media time and the player's CMCD (query argument and headers).
// Every answer carries Cache-Control for a shared HTTP cache (the token makes URLs per viewer);
// any origin may read them (players on another site).

#include "Analytics.hpp"
#include "LiveStreams.hpp"
#include "Streams.hpp"

#include <vtp/sdk.hpp>

namespace vtp::streaming {

class LiveRoutes {
public:
    // Registers the routes (in init).
    LiveRoutes(Host& host, Streams& streams, LiveStreams& live, Analytics& analytics);

    // What the analytics are told of a file served, copied out of the request (a held answer
    // outlives it).
    struct Served {
        std::string streamId, userId, file, rung;
        std::optional<int64_t> kbps;
        std::optional<std::pair<double, double>> mediaSeconds;
        std::optional<std::string> cmcdQuery;
        std::string cmcdRequest, cmcdObject, cmcdStatus, cmcdSession;
    };

private:
    Response top(const Request& req);
    Response media(const Request& req);
    Response renditionPlaylist(const Request& req, const std::string& id, const std::string& user, const std::string& rendition);
    void observe(const Served& s, uint64_t bytes);

    Streams& streams_;
    LiveStreams& live_;
    Analytics& analytics_;
};

} // namespace vtp::streaming
