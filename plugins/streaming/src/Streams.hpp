#pragma once

// Live streams' REST API (/api/v1/streams): create, list, read, rotate the ingest key, delete.
// A stream is pushed by an encoder to its ingest URLs (RTMP, SRT), each carrying the stream's key,
// and watched through signed playback URLs (/api/v1/streams/{id}/live/{token}/master.m3u8 and
// manifest.mpd) whose token is the SDK's (vtp/playback_token.hpp) under a key of this plugin's
// (table streaming_keys, made at the first start). Who may do what: StreamAccess.
//
// The key is a secret: 32 random bytes, base64url; shown only to the stream's managers, never
// logged nor published; rotating it replaces it in the row, so the old one matches nothing at once.
// Thread-safe once start() has run.

#include "LiveIngest.hpp"
#include "StreamAccess.hpp"

#include <vtp/playback_token.hpp>
#include <vtp/sdk.hpp>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace vtp::streaming {

class Streams {
public:
    // Registers the routes (in init).
    explicit Streams(Host& host);
    // Finds the sections service; reads (or, on the first start of the first node, makes) the
    // playback signing key.
    void start();
    // The live ingest, told of creations, key rotations and deletions, and asked for each new
    // stream's ports (its ingest URLs name them). None (unit tests, ingest.enabled = false): the
    // ingest URLs keep the configured bases' ports. Call before start().
    void setIngest(LiveIngest* ingest) { ingest_ = ingest; }

    // For the live playlist routes (path /api/v1/streams/{id}/live/{token}/FILE): the id of the
    // user the token was issued to, when it is genuine and unexpired for this stream and that user
    // may still see it. Throws 403 invalid-token, 403 token-expired, 404 not-found (no such stream,
    // deleted since) or 403 forbidden (no longer on the section's roster). Whether a user may see
    // a stream is asked at most every kRecheck per user and stream. Every live request comes here
    // (a viewer makes two per part), so nothing on its way touches the database or the MAC more
    // than once per kRecheck: genuine tokens and streams' subjects are kept that long (a stream
    // deleted on this node is forgotten at once; on another, within kRecheck).
    std::string verifyPlayback(const std::string& streamId, const std::string& token);

    // What the playback tokens sign: never valid for a recording's media, nor the reverse.
    static constexpr std::string_view kTokenDomain = "vtp-streaming-live-1";
    static constexpr std::chrono::seconds kRecheck{5};
    static constexpr size_t kMaxTitleChars = 200;

private:
    Response create(const Request& req);
    Response list(const Request& req);
    Response get(const Request& req);
    Response rotateKey(const Request& req);
    Response remove(const Request& req);

    // The stream as `userId` sees it: the key and ingest URLs for its managers only (`manager`:
    // known already; else asked of StreamAccess).
    Json streamJson(const Rows::Row& row, const std::string& userId, bool admin, std::optional<bool> manager = std::nullopt) const;
    // What stream.* events carry: never the key.
    static Json eventPayload(const Rows::Row& row);
    static StreamSubject subjectOf(const Rows::Row& row);
    // The stream's row, or 404 for a stream that does not exist or that the caller may not see.
    Rows visibleRow(const Request& req) const;
    bool mayWatch(const std::string& streamId, const std::string& userId, bool admin, const StreamSubject& s);
    // Keeps a cache below kMaxDecisions entries: the expired ones go, then all if need be.
    template <typename Map>
    static void boundLocked(Map& map, std::chrono::steady_clock::time_point now);

    Host& host_;
    StreamAccess access_;
    LiveIngest* ingest_ = nullptr;
    std::string rtmpBase_, srtBase_;
    int64_t tokenSeconds_ = 0;
    std::string signingKey_;

    struct Decision {
        bool allowed = false;
        std::chrono::steady_clock::time_point until;
    };
    struct GenuineToken {
        playback::Token token;
        std::chrono::steady_clock::time_point until;
    };
    struct KnownStream {
        StreamSubject subject;
        std::chrono::steady_clock::time_point until;
    };
    std::mutex cacheMutex_;
    std::unordered_map<std::string, Decision> decisions_;   // stream, user, admin
    std::unordered_map<std::string, GenuineToken> tokens_;  // stream, token: its MAC checked
    std::unordered_map<std::string, KnownStream> subjects_; // stream: its row's room, section, owner
};

} // namespace vtp::streaming
