#include "HlsParams.hpp"

#include <algorithm>
#include <cmath>

namespace vtp::streaming {

namespace {

int hexValue(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decodes `in` into `out` (bounded: our names and values are short). False on a bad escape
// or when longer than `limit`.
bool decode(std::string_view in, std::string& out, size_t limit)
{
    out.clear();
    for (size_t i = 0; i < in.size(); ++i) {
        if (out.size() >= limit) return false;
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        if (i + 2 >= in.size()) return false;
        const int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return true;
}

bool decimal(std::string_view s, uint64_t max, uint64_t& out)
{
    if (s.empty() || s.size() > 20) return false;
    out = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return false;
        const uint64_t digit = static_cast<uint64_t>(c - '0');
        if (out > (max - digit) / 10) return false;
        out = out * 10 + digit;
    }
    return true;
}

} // namespace

Parsed<PlaylistRequest> parsePlaylistQuery(std::string_view query)
{
    PlaylistRequest r;
    bool sawSkip = false;
    std::string name, value;
    size_t pos = 0;
    while (pos <= query.size()) {
        const size_t amp = std::min(query.find('&', pos), query.size());
        const std::string_view pair = query.substr(pos, amp - pos);
        pos = amp + 1;
        if (pair.empty()) continue;
        const size_t eq = std::min(pair.find('='), pair.size());
        // A name that does not decode, or is long, is not one of ours: ignored like any other.
        if (!decode(pair.substr(0, eq), name, 16)) continue;
        const bool isMsn = name == "_HLS_msn", isPart = name == "_HLS_part", isSkip = name == "_HLS_skip";
        if (!isMsn && !isPart && !isSkip) continue;
        if ((isMsn && r.msn) || (isPart && r.part) || (isSkip && sawSkip)) return Parsed<PlaylistRequest>::fail(name + " is given twice");
        const std::string_view raw = eq < pair.size() ? pair.substr(eq + 1) : std::string_view();
        if (!decode(raw, value, 32)) return Parsed<PlaylistRequest>::fail(name + " has a malformed value");
        uint64_t n = 0;
        if (isMsn) {
            if (!decimal(value, kMaxMsn, n))
                return Parsed<PlaylistRequest>::fail("_HLS_msn is not a decimal integer 0.." + std::to_string(kMaxMsn));
            r.msn = n;
        } else if (isPart) {
            if (!decimal(value, kMaxPart, n))
                return Parsed<PlaylistRequest>::fail("_HLS_part is not a decimal integer 0.." + std::to_string(kMaxPart));
            r.part = static_cast<uint32_t>(n);
        } else {
            if (value != "YES" && value != "v2") return Parsed<PlaylistRequest>::fail("_HLS_skip is neither YES nor v2");
            r.skip = true;
            sawSkip = true;
        }
    }
    if (r.part && !r.msn) return Parsed<PlaylistRequest>::fail("_HLS_part needs _HLS_msn");
    return Parsed<PlaylistRequest>::ok(r);
}

std::string formatPlaylistQuery(const PlaylistRequest& request)
{
    std::string q;
    const auto add = [&q](std::string_view kv) {
        if (!q.empty()) q += '&';
        q += kv;
    };
    if (request.msn) add("_HLS_msn=" + std::to_string(*request.msn));
    if (request.part) add("_HLS_part=" + std::to_string(*request.part));
    if (request.skip) add("_HLS_skip=YES");
    return q;
}

bool targetReached(const EdgeState& edge, uint64_t msn, std::optional<uint32_t> part)
{
    if (msn < edge.nextMsn) return true; // segment msn is complete
    return part && msn == edge.nextMsn && *part < edge.partsInProgress;
}

BlockingDecision decideBlocking(const PlaylistRequest& request, const EdgeState& edge)
{
    if (!request.msn || edge.ended) return {};
    const uint64_t msn = *request.msn;
    if (targetReached(edge, msn, request.part)) return {};

    // The last segment in the playlist: the one being written once it has a part, else the last
    // complete one (there may be none yet: then the first to come counts as one past it).
    const uint64_t limitMsn = edge.nextMsn + (edge.partsInProgress > 0 ? 2 : 1);
    if (msn > limitMsn) return {BlockingAnswer::BadRequest, "_HLS_msn is more than two segments ahead of the live edge"};

    if (request.part) {
        // Parts between the last one published and the one asked for, counting the segments in
        // between at their nominal number of parts.
        const double limit = edge.partTargetSeconds < 1.0 ? std::floor(3.0 / edge.partTargetSeconds) : 3.0;
        const int64_t perSegment = edge.nominalPartsPerSegment;
        const int64_t lastPart = static_cast<int64_t>(edge.partsInProgress) - 1; // -1: none yet in nextMsn
        int64_t ahead;
        if (msn == edge.nextMsn) {
            ahead = static_cast<int64_t>(*request.part) - lastPart;
        } else {
            const int64_t restOfCurrent = std::max<int64_t>(0, perSegment - 1 - lastPart);
            ahead = restOfCurrent + static_cast<int64_t>(msn - edge.nextMsn - 1) * perSegment + *request.part + 1;
        }
        if (static_cast<double>(ahead) > limit)
            return {BlockingAnswer::BadRequest, "_HLS_part is further ahead than the Advance Part Limit"};
    }
    return {BlockingAnswer::Wait, {}};
}

std::string playlistCacheControl(const PlaylistRequest& request, const EdgeState& edge, const LlHlsConfig& config)
{
    if (edge.ended) return "public, max-age=3600";
    if (request.msn) return "public, max-age=" + std::to_string(6 * config.targetDurationSeconds);
    return "public, max-age=1";
}

std::string mediaCacheControl(const LlHlsConfig& config)
{
    return "public, max-age=" + std::to_string(static_cast<int64_t>(config.dvrWindowSeconds)) + ", immutable";
}

} // namespace vtp::streaming
