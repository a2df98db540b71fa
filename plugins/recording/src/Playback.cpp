#include "Playback.hpp"

#include "MediaFiles.hpp"
#include "RecordingService.hpp"

#include <vtp/random.hpp>

#include <filesystem>

namespace vtp::recording {

namespace {

// What the recording's tokens sign (vtp/playback_token.hpp): never valid for another purpose.
constexpr std::string_view kTokenDomain = "vtp-recording-playback-1";

constexpr const char* kPlaybackSchema = R"json({
  "type": "object",
  "properties": {
    "hls": {"type": "string", "description": "the HLS master playlist"},
    "dash": {"type": "string", "description": "the DASH MPD"},
    "poster": {"type": ["string", "null"]},
    "thumbnails": {"type": ["string", "null"], "description": "a WebVTT track of sprite tiles, for seek previews"},
    "download": {"type": ["string", "null"], "description": "the whole recording as one MP4 file (Content-Disposition: attachment)"},
    "expires_at": {"type": "integer", "description": "Unix seconds; every URL stops working then"},
    "adaptive": {
      "type": ["object", "null"],
      "description": "the adaptive ladder (several bitrates) once the streaming plugin has made it: its HLS master playlist and DASH MPD",
      "properties": {"hls": {"type": "string"}, "dash": {"type": "string"}},
      "required": ["hls", "dash"]
    }
  },
  "required": ["hls", "dash", "poster", "thumbnails", "download", "expires_at", "adaptive"]
})json";

// The decisions kept at most this many; past it the expired ones go, then all.
constexpr size_t kMaxDecisions = 8192;

} // namespace

Playback::Playback(Host& host, const Access& access) : host_(host), access_(access)
{
    tokenSeconds_ = host.config().getInt("playback.url_lifetime_seconds");
    host_.route({.method = "GET",
                 .path = "/api/v1/recordings/{id}/playback",
                 .summary = "Signed URLs of a ready recording's HLS and DASH playlists, poster, thumbnails and MP4 download (whoever may "
                            "watch it)",
                 .responseSchema = kPlaybackSchema,
                 .errors = {{404, "not-found"}, {409, "not-ready"}, {503, "unavailable"}}},
                [this](const Request& req) { return playback(req); });
    // Players fetch across origins with a Range header and read Content-Range.
    Cors cors;
    // The CTA-5004 CMCD headers hls.js and dash.js may send (the streaming plugin reads them).
    cors.headers = {"range", "cmcd-request", "cmcd-object", "cmcd-status", "cmcd-session"};
    cors.exposeHeaders = {"content-range", "accept-ranges", "etag", "content-disposition"};
    host_.route({.method = "GET",
                 .path = "/api/v1/recordings/{id}/media/{token}/{file}",
                 .role = Role::Public,
                 .summary = "A file of a recording's processed output (playlist, segment, image, the MP4 download); the signed token "
                            "from /playback is the authorisation",
                 .errors = {{403, "invalid-token"},
                            {403, "token-expired"},
                            {403, "forbidden"},
                            {404, "not-found"},
                            {409, "not-ready"},
                            {503, "unavailable"}},
                 .secretParams = {"token"},
                 .answersFiles = true,
                 .cors = cors,
                 .query = {{"CMCD", Query::String,
                            "CTA-5004 Common Media Client Data a player sends (hls.js, dash.js), for the streaming plugin's stream "
                            "analytics; never needed to serve the file"}}},
                [this](const Request& req) { return media(req); });
}

void Playback::start(MediaStore& store)
{
    store_ = &store;
    // The first node to start makes the key; every other node (and every later start) reads it.
    host_.db().exec("INSERT INTO recording_keys (name, secret, created_at) VALUES ('playback', ?, ?) ON CONFLICT (name) DO NOTHING",
                    {randomHex(32), static_cast<long long>(unixNow())});
    const Rows rows = host_.db().query("SELECT secret FROM recording_keys WHERE name = 'playback'");
    if (rows.empty()) throw std::runtime_error("the playback signing key could not be stored");
    key_ = rows[0]["secret"].asString();
}

Response Playback::playback(const Request& req)
{
    const std::string id = req.param("id");
    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {id});
    if (rows.empty()) throw NotFound("no recording " + id);
    const RecordingRow r = RecordingService::rowToRecording(rows[0]);
    // Someone who may not see it learns nothing, not even that it exists (as GET /recordings/{id}).
    if (!access_.mayView(req, r.subject)) throw NotFound("no recording " + id);
    if (r.state != "ready") throw Conflict("this recording is " + r.state + ", not ready to play yet", "not-ready");

    return Response::json(signedUrls(id, std::string(req.subject()), req.hasRole("admin"))).header("Cache-Control", "no-store");
}

int Playback::answerFor(const std::string& id, const std::string& userId, bool admin, Json& out)
{
    if (id.empty() || id.size() > 64 || !store_) return VTP_NOT_FOUND;
    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {id});
    if (rows.empty()) return VTP_NOT_FOUND;
    const RecordingRow r = RecordingService::rowToRecording(rows[0]);
    if (!access_.mayView(userId, admin, r.subject)) return VTP_NOT_FOUND;
    if (r.state != "ready") return VTP_CONFLICT;
    out = signedUrls(id, userId, admin);
    return VTP_OK;
}

Json Playback::signedUrls(const std::string& id, const std::string& userId, bool admin) const
{
    const int64_t expiresAt = unixNow() + tokenSeconds_;
    const std::string token = playback::issue(key_, kTokenDomain, id, userId, admin, expiresAt);
    const std::string base = "/api/v1/recordings/" + id + "/media/" + token + "/";
    auto optional = [&](const char* name) { return store_->hasMedia(id, name) ? Json(base + name) : Json(); };
    return Json{{"hls", base + "master.m3u8"},
                {"dash", base + "manifest.mpd"},
                {"poster", optional("poster.jpg")},
                {"thumbnails", optional("thumbnails.vtt")},
                {"download", optional("recording.mp4")},
                {"expires_at", expiresAt},
                {"adaptive", store_->hasMedia(id, "abr-master.m3u8") && store_->hasMedia(id, "abr.mpd")
                                 ? Json{{"hls", base + "abr-master.m3u8"}, {"dash", base + "abr.mpd"}}
                                 : Json()}};
}

bool Playback::mayWatch(const std::string& recordingId, const std::string& userId, bool admin, const Subject& s)
{
    // The visibility is part of the key: a change to it takes effect at once, a roster change
    // within kRecheck.
    const std::string key = recordingId + '\n' + userId + '\n' + (admin ? "a" : "u") + '\n' + s.visibility;
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(cacheMutex_);
        if (const auto it = decisions_.find(key); it != decisions_.end() && it->second.until > now) return it->second.allowed;
    }
    const bool allowed = access_.mayView(userId, admin, s);
    std::lock_guard lock(cacheMutex_);
    if (decisions_.size() >= kMaxDecisions) {
        std::erase_if(decisions_, [&](const auto& kv) { return kv.second.until <= now; });
        if (decisions_.size() >= kMaxDecisions) decisions_.clear();
    }
    decisions_[key] = Decision{allowed, now + kRecheck};
    return allowed;
}

Response Playback::media(const Request& req)
{
    const std::string id = req.param("id");
    const std::string file = req.param("file");
    // The token is never logged, nor echoed in a problem's detail.
    const int64_t now = unixNow();
    const auto checked = playback::check(key_, kTokenDomain, id, req.param("token"), now);
    if (checked.verdict == playback::Verdict::Invalid)
        throw HttpError(403, "invalid-token", "Forbidden",
                        "this playback URL is not valid for this recording: ask /playback for a new one");
    if (checked.verdict == playback::Verdict::Expired)
        throw HttpError(403, "token-expired", "Forbidden", "this playback URL has expired: ask /playback for a new one");
    const playback::Token& token = checked.token;

    const Rows rows = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {id});
    if (rows.empty()) throw NotFound("no recording " + id);
    const RecordingRow r = RecordingService::rowToRecording(rows[0]);
    if (r.state != "ready") throw Conflict("this recording is " + r.state + ", not ready to play", "not-ready");
    if (!mayWatch(id, token.userId, token.admin, r.subject))
        throw Forbidden("the user this URL was made for may no longer watch this recording");
    if (!media::safeName(file)) throw NotFound("no such file");

    const std::string path = store_->mediaPath(id, file);
    if (observed && observed()) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(path, ec);
        Json headers = Json::object();
        for (const char* h : {"cmcd-request", "cmcd-object", "cmcd-status", "cmcd-session"})
            if (auto v = req.header(h)) headers.set(h, *v);
        const auto cmcd = req.query("CMCD");
        served(Json{{"recording_id", id},
                    {"user_id", token.userId},
                    {"file", file},
                    {"bytes", ec ? int64_t{0} : static_cast<int64_t>(size)},
                    {"at_ms", unixNowMs()},
                    {"cmcd", cmcd ? Json(*cmcd) : Json()},
                    {"cmcd_headers", headers}}
                   .dump());
    }
    Response res = Response::file(path, media::contentType(file));
    if (media::isPlaylist(file)) {
        // Playlists may grow while processing goes on: revalidated (ETag) on every use.
        res.header("Cache-Control", "private, no-cache");
    } else {
        // Immutable once named; kept no longer than the URL's token lives (the URL dies with it).
        res.header("Cache-Control", "private, max-age=" + std::to_string(token.expiresAt - now) + ", immutable");
    }
    if (file == "recording.mp4") res.header("Content-Disposition", media::downloadDisposition(r.title));
    return res;
}

} // namespace vtp::recording
