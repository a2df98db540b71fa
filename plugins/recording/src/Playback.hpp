#pragma once

// Playback of a recording's processed output (media/, written by processing): the signed URLs a
// player is given (GET /recordings/{id}/playback) and the route that serves every playlist,
// segment, image and the download through them (GET /recordings/{id}/media/{token}/{file}).
//
// The token is in the PATH, so that the relative URIs of the playlists resolve to URLs that carry
// it: players that cannot send headers (hls.js, dash.js, <video>) need nothing else. It is an
// HMAC-SHA256 over the recording, the user and the expiry, with a key every node shares (kept in
// the plugin's table recording_keys, made at the first start). Each media request checks the MAC,
// the expiry, that the recording still exists and is ready (one query by primary key), and that
// the token's user may still see it; the last asks the courses plugin, so its answer is kept a few
// seconds per user, recording and visibility. Thread-safe once start() has run.

#include "Access.hpp"
#include "MediaStore.hpp"
#include <vtp/playback_token.hpp>
#include <vtp/sdk.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace vtp::recording {

class Playback {
public:
    // Registers the routes; `store` is set by start().
    Playback(Host& host, const Access& access);
    // Reads (or, on the first start of the first node, makes) the shared signing key.
    void start(MediaStore& store);

    // What /playback answers user `userId` (`admin`: an admin) for recording `id` (the service
    // vtp.recording.media's playback entry): VTP_OK with `out`, VTP_NOT_FOUND (no such recording,
    // or that user may not see it) or VTP_CONFLICT (not ready).
    int answerFor(const std::string& id, const std::string& userId, bool admin, Json& out);

    // How long the courses plugin's answer about a user and a recording is trusted.
    static constexpr std::chrono::seconds kRecheck{5};
    // Called with each media file served (MediaService::served's observation), when set.
    std::function<bool()> observed;
    std::function<void(const std::string&)> served;

private:
    Response playback(const Request& req);
    // The signed URLs of a ready recording for a user (who may see it: checked by the caller).
    Json signedUrls(const std::string& id, const std::string& userId, bool admin) const;
    Response media(const Request& req);
    bool mayWatch(const std::string& recordingId, const std::string& userId, bool admin, const Subject& s);

    Host& host_;
    const Access& access_;
    MediaStore* store_ = nullptr;
    std::string key_;
    int64_t tokenSeconds_ = 0;

    struct Decision {
        bool allowed = false;
        std::chrono::steady_clock::time_point until;
    };
    std::mutex cacheMutex_;
    std::unordered_map<std::string, Decision> decisions_;
};

} // namespace vtp::recording
