#pragma once

// A playlist request's query (RFC 8216bis 6.2.5: _HLS_msn, _HLS_part, _HLS_skip), parsed without
// throwing, and the blocking-reload decision over a rendition's live edge. Pure C++, fuzzed
// (tests/fuzz/hlsparams).

#include "LlHls.hpp"
#include "Parsed.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vtp::streaming {

// Bounds on what a client may ask: no live class reaches 10^12 segments or 10^4 parts in one.
inline constexpr uint64_t kMaxMsn = 999999999999;
inline constexpr uint32_t kMaxPart = 9999;

struct PlaylistRequest {
    std::optional<uint64_t> msn;  // _HLS_msn: hold until segment msn (or its part) exists
    std::optional<uint32_t> part; // _HLS_part: only with msn
    bool skip = false;            // _HLS_skip=YES or v2: a delta update
    bool blocking() const { return msn.has_value(); }
};

// `query` is the raw query string after '?' (percent-encoded, '&'-separated). Unknown arguments
// are ignored; each of ours appears at most once, as a decimal integer without sign (leading zeros
// allowed) within the bounds above, or YES / v2 for _HLS_skip. _HLS_part without _HLS_msn is an
// error. A failure's error text is meant for a 400 problem response.
Parsed<PlaylistRequest> parsePlaylistQuery(std::string_view query);
// The query that parses back to `request` ("" for a plain reload).
std::string formatPlaylistQuery(const PlaylistRequest& request);

enum class BlockingAnswer {
    Now,       // answer with the current playlist
    Wait,      // hold the request until the target exists (BlockingWaiters) or the deadline passes
    BadRequest // 400: further ahead of the live edge than the spec allows
};
struct BlockingDecision {
    BlockingAnswer answer = BlockingAnswer::Now;
    std::string why; // for BadRequest
};

// Whether the playlist described by `edge` already satisfies the request: it contains segment msn
// complete (without part), or part `part` of segment msn or anything later.
bool targetReached(const EdgeState& edge, uint64_t msn, std::optional<uint32_t> part);
// RFC 8216bis 6.2.5.2: a non-blocking request, a reached target or an ended stream is answered now;
// _HLS_msn more than two segments past the last one in the playlist, or _HLS_part more than the
// Advance Part Limit (3 parts, or 3 s of parts when the part target is under 1 s) past the last
// part, is refused with 400; anything else waits.
BlockingDecision decideBlocking(const PlaylistRequest& request, const EdgeState& edge);

// Cache-Control for a playlist response, so that a standard HTTP cache (a CDN, a campus proxy)
// absorbs the many viewers: a blocking request's URL names its target, and any playlist that has
// it stays a right answer, so it is kept 6 target durations; a plain reload of a live playlist
// for 1 s; an ended one for an hour.
std::string playlistCacheControl(const PlaylistRequest& request, const EdgeState& edge, const LlHlsConfig& config);
// Cache-Control for a part, a segment or the init segment: never rewritten under the same URI.
std::string mediaCacheControl(const LlHlsConfig& config);

} // namespace vtp::streaming
