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
// Every answer carries Cache-Control for a shared HTTP cache (the token makes URLs per viewer);
// any origin may read them (players on another site).

#include "LiveStreams.hpp"
#include "Streams.hpp"

#include <vtp/sdk.hpp>

namespace vtp::streaming {

class LiveRoutes {
public:
    // Registers the routes (in init).
    LiveRoutes(Host& host, Streams& streams, LiveStreams& live);

private:
    Response top(const Request& req);
    Response media(const Request& req);
    Response renditionPlaylist(const Request& req, const std::string& id, const std::string& rendition);

    Streams& streams_;
    LiveStreams& live_;
};

} // namespace vtp::streaming
