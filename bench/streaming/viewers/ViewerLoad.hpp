#pragma once

// LL-HLS viewers over plain non-blocking sockets and epoll, one keep-alive HTTP/1.1 connection
// each, on 127.0.0.1. A viewer follows one rendition's media playlist part by part:
//   blocking: GET RENDITION.m3u8?_HLS_msn=M&_HLS_part=K for the part after the last it fetched (the
//             playlist's preload hint), held by the origin until that part exists; then GET the part;
//             parts the answer already lists are fetched without asking again;
//   polling:  GET RENDITION.m3u8 every poll period (a random phase per viewer), then GET every part
//             listed after the last it fetched, in order: what a player does against an origin that
//             cannot hold a reload.
// Each viewer records the instant it received the last byte of each part. Every loop is bounded:
// the threads stop at a fixed instant, reads stop at EAGAIN, playlists list a bounded number of parts.

#include "PartClock.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace vtp::bench {

struct LoadOptions {
    uint16_t port = 0;        // on 127.0.0.1
    std::string playlistPath; // e.g. /api/v1/streams/ID/live/TOKEN/360p.m3u8; parts are relative to its directory
    bool blocking = true;
    int pollMs = 250;
    int viewers = 100;
    int threads = 1;
    int64_t startNs = 0;         // the first connection
    int64_t connectSpreadNs = 0; // connections spread evenly over this
    int64_t stopNs = 0;          // every thread returns at this instant
};

struct Delivery {
    uint32_t viewer;
    PartId part;
    int64_t doneNs; // the last byte received
};

struct LoadResult {
    std::vector<Delivery> deliveries;
    uint64_t playlistRequests = 0, partRequests = 0;
    uint64_t errors = 0;     // answers other than 200, connections lost or refused
    uint64_t reconnects = 0; // the server closed a kept-alive connection (Connection: close)
    uint64_t bytes = 0;      // response bodies
    uint32_t connected = 0;  // viewers whose first connection succeeded
};

// Runs `options.viewers` viewers on `options.threads` threads until options.stopNs.
LoadResult runViewers(const LoadOptions& options);

} // namespace vtp::bench
