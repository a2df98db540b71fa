#pragma once

// Low-latency HLS (RFC 8216bis with its partial segments, blocking reload and delta updates) for a
// live class: one LivePlaylist per rendition, fed by the segmenter as CMAF parts and segments are
// written, and read by the many viewers; and the ladder's master playlist. FFmpeg's muxers write
// none of the low-latency tags, so VTP renders these playlists itself. Pure C++.

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace vtp::streaming {

struct LlHlsConfig {
    int targetDurationSeconds = 4;  // EXT-X-TARGETDURATION: every segment's duration, rounded, is at most this
    double partTargetSeconds = 1.0; // EXT-X-PART-INF:PART-TARGET: every part lasts at most this
    double dvrWindowSeconds = 7200; // how far back a late student can rewind; at least 3 target durations
    std::string mapUri;             // EXT-X-MAP, the CMAF initialisation segment; empty for none
    bool canSkip = true;            // offer delta updates (CAN-SKIP-UNTIL, _HLS_skip=YES)
    uint64_t firstMediaSequence = 0;
};

struct PartReport {
    double durationSeconds = 0;
    bool independent = false; // starts with a key frame (INDEPENDENT=YES)
    std::string uri;
};

struct SegmentReport {
    std::string uri;
    double durationSeconds = 0;
    int64_t programDateTimeMs = 0; // wall-clock time of its first sample, ms since the Unix epoch
};

// Files an update took out of the playlist. The caller may free or delete them, after a grace
// period: a client that loaded the previous playlist may still fetch them.
struct Evicted {
    std::vector<std::string> segmentUris; // left the DVR window
    std::vector<std::string> partUris;    // their segment is now older than 3 target durations
    bool empty() const { return segmentUris.empty() && partUris.empty(); }
};

// Where the live edge is, for the blocking-reload decision (HlsParams.hpp) and the waiters
// (BlockingWaiters.hpp). Segment `nextMsn` is the one being written; it has `partsInProgress`
// parts published so far. Every segment before `nextMsn` is complete.
struct EdgeState {
    uint64_t firstMsn = 0; // the oldest segment still in the playlist (EXT-X-MEDIA-SEQUENCE)
    uint64_t nextMsn = 0;
    uint32_t partsInProgress = 0;
    uint32_t lastSegmentParts = 0;       // parts of segment nextMsn - 1 (0 if none)
    uint32_t nominalPartsPerSegment = 1; // ceil(target duration / part target)
    double partTargetSeconds = 1.0;
    bool ended = false;
    uint64_t version = 0; // changes with every update: an ETag for the playlist
};

// One rendition's live playlist. One writer thread calls the update methods; any number of
// threads read. Rendering is cached per version, so a thousand viewers polling cost one render.
// The update methods throw std::invalid_argument on a report that would break the spec (a part
// longer than the part target, a segment whose rounded duration exceeds the target duration, an
// unquotable URI, a report after end()): those are bugs of the writer, not of a client.
class LivePlaylist {
public:
    // Throws std::invalid_argument on a config outside the spec's bounds.
    explicit LivePlaylist(LlHlsConfig config);

    const LlHlsConfig& config() const { return config_; }

    // A part of the segment being written is complete and servable.
    Evicted addPart(const PartReport& part);
    // The segment being written is complete; its parts are those added since the last segment
    // (none, for a writer without parts). Trims the DVR window.
    Evicted finishSegment(const SegmentReport& segment);
    // The URI the next part will have (EXT-X-PRELOAD-HINT:TYPE=PART); empty for no hint.
    void setPreloadHint(const std::string& uri);
    // The publisher came back (a reconnect): the next segment starts a new timeline, preceded by
    // EXT-X-DISCONTINUITY, with `mapUri` as its initialisation segment (EXT-X-MAP; empty: none).
    // Parts of an unfinished segment are dropped (returned), as is the preload hint. Media sequence
    // numbers go on; EXT-X-DISCONTINUITY-SEQUENCE counts the discontinuities that left the window.
    Evicted discontinuity(const std::string& mapUri);
    // The stream ended: EXT-X-ENDLIST from now on. Parts of an unfinished segment are dropped.
    Evicted end();

    EdgeState edge() const;
    // The media playlist. With `skip` (the client sent _HLS_skip=YES and canSkip is set), a delta
    // update whose EXT-X-SKIP stands for the segments older than CAN-SKIP-UNTIL, when there are any.
    std::shared_ptr<const std::string> render(bool skip = false) const;

    // Seconds of media the playlist holds (complete segments).
    double durationSeconds() const;

private:
    struct Part {
        int64_t durationUs;
        bool independent;
        std::string uri;
    };
    struct Segment {
        uint64_t msn;
        int64_t startUs; // since the stream's first segment, for the window arithmetic
        int64_t durationUs;
        std::string pdtLine; // "#EXT-X-PROGRAM-DATE-TIME:...\n"
        std::string tail;    // "#EXTINF:...,\nURI\n"
        std::vector<Part> parts;
        std::string uri;
        std::string mapUri;         // its EXT-X-MAP
        bool discontinuity = false; // the first of a new timeline
    };
    struct Cache {
        uint64_t version = ~uint64_t{0};
        std::shared_ptr<const std::string> full, delta;
    };

    void checkWritable() const;
    void dropOldParts(Evicted& out);
    void appendPart(std::string& out, const Part& p) const;
    std::string renderLocked(bool skip) const;
    int64_t endUs() const; // the end of the last complete segment

    const LlHlsConfig config_;
    const int64_t partTargetUs_;
    mutable std::shared_mutex mutex_; // the state below
    std::deque<Segment> segments_;
    std::vector<Part> inProgress_;
    uint64_t nextMsn_;
    int64_t nextStartUs_ = 0;
    size_t partsFrom_ = 0; // segments_[i] for i >= partsFrom_ still list their parts
    std::string preloadHint_;
    std::string currentMap_;            // the EXT-X-MAP of the segment being written
    bool pendingDiscontinuity_ = false; // the segment being written starts a new timeline
    uint64_t discontinuitySequence_ = 0;
    bool ended_ = false;
    uint64_t version_ = 0;
    mutable std::mutex cacheMutex_;
    mutable Cache cache_;
};

struct VariantStream {
    std::string uri;
    int64_t bandwidth = 0;        // peak bits/s of the variant, its audio included
    int64_t averageBandwidth = 0; // 0: not written
    int width = 0, height = 0;    // 0: no RESOLUTION (audio-only)
    std::string codecs;           // e.g. "avc1.64001f,mp4a.40.2"
    double frameRate = 0;         // 0: not written
};

struct AudioRendition {
    std::string groupId = "audio";
    std::string name = "Audio";
    std::string language; // BCP 47; empty: not written
    std::string uri;      // empty: no audio group
    int channels = 2;
};

struct MasterPlaylistSpec {
    std::vector<VariantStream> variants; // highest first, as the ladder lists its rungs
    AudioRendition audio;                // the video variants refer to it with AUDIO=
    VariantStream audioOnly;             // uri empty: none; for listeners on a poor link
};

// The live ladder's master playlist. Throws std::invalid_argument on a value that cannot be
// written as an attribute (an empty or quote-bearing URI, a non-positive bandwidth).
std::string renderMasterPlaylist(const MasterPlaylistSpec& spec);

} // namespace vtp::streaming
