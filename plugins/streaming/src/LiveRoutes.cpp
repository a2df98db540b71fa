#include "LiveRoutes.hpp"

#include "HlsParams.hpp"
#include "IngestUrls.hpp"
#include "PlaylistText.hpp"

#include <chrono>
#include <filesystem>

namespace vtp::streaming {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kM3u8 = "application/vnd.apple.mpegurl";

// The request's query as sent (the kernel hands it over decoded), for HlsParams' strict parser.
std::string rawQuery(const Request& req)
{
    std::string q;
    const vtp_request* r = req.raw();
    for (size_t i = 0; i < r->query_count; ++i) {
        if (!q.empty()) q += '&';
        q += percentEncode(r->query[i].key);
        q += '=';
        q += percentEncode(r->query[i].value);
    }
    return q;
}

// `bytes`: how much it says, for the analytics.
Response playlistResponse(const LivePlaylist& playlist, const PlaylistRequest& request, uint64_t& bytes)
{
    const EdgeState edge = playlist.edge();
    const auto text = playlist.render(request.skip);
    bytes = text->size();
    return Response::text(*text, 200, kM3u8)
        .header("Cache-Control", playlistCacheControl(request, edge, playlist.config()))
        .header("ETag", "\"" + std::to_string(edge.version) + (request.skip ? "s" : "") + "\"");
}

Response fileResponse(const LiveStreams::MediaFile& f)
{
    return Response::file(f.path, f.contentType).header("Cache-Control", mediaCacheControl(f.playlist->config()));
}

HttpError notLive(const std::string& id)
{
    return HttpError(404, "not-live", "Not found", "stream " + id + " has not been published yet");
}

// Where DASH players read the clock: absolute, since dash.js resolves it against the page.
std::string utcTimingUrl(const Request& req, const std::string& id, const std::string& token)
{
    const std::string path = "/api/v1/streams/" + id + "/live/" + token + "/time";
    const auto host = req.header("host");
    if (!host || host->empty() || host->size() > 255 ||
        host->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:[]") != std::string::npos)
        return path;
    const auto proto = req.header("x-forwarded-proto");
    return (proto == std::optional<std::string>("https") ? "https://" : "http://") + *host + path;
}

LiveRoutes::Served served(const Request& req, const std::string& id, const std::string& user, const std::string& file)
{
    LiveRoutes::Served s;
    s.streamId = id;
    s.userId = user;
    s.file = file;
    s.cmcdQuery = req.query("CMCD");
    s.cmcdRequest = req.header("cmcd-request").value_or("");
    s.cmcdObject = req.header("cmcd-object").value_or("");
    s.cmcdStatus = req.header("cmcd-status").value_or("");
    s.cmcdSession = req.header("cmcd-session").value_or("");
    return s;
}

uint64_t sizeOf(const std::string& path)
{
    std::error_code ec;
    const auto n = std::filesystem::file_size(path, ec);
    return ec ? 0 : static_cast<uint64_t>(n);
}

} // namespace

LiveRoutes::LiveRoutes(Host& host, Streams& streams, LiveStreams& live, Analytics& analytics)
    : streams_(streams), live_(live), analytics_(analytics)
{
    // Players on another origin fetch these with plain GETs; the token is in the path, not a cookie.
    Cors cors;
    cors.origins = {"*"};
    cors.headers = {"cmcd-request", "cmcd-object", "cmcd-status", "cmcd-session"}; // CTA-5004 CMCD, for the analytics
    cors.maxAgeSeconds = 86400;
    const std::vector<ProblemType> errors{{400, "invalid-hls-parameter"},
                                          {403, "invalid-token"},
                                          {403, "token-expired"},
                                          {403, "forbidden"},
                                          {404, "not-found"},
                                          {404, "not-live"},
                                          {503, "playlist-timeout"},
                                          {503, "too-many-waiters"}};
    host.route({.method = "GET",
                .path = "/api/v1/streams/{id}/live/{token}/{file}",
                .role = Role::Public,
                .summary = "A live stream's master.m3u8, RENDITION.m3u8 (LL-HLS, blocking reloads with _HLS_msn, _HLS_part, "
                           "_HLS_skip), manifest.mpd (LL-DASH), time (the clock for DASH) or auth (204 when the signed playback "
                           "token is good: for an edge cache), with the signed playback token",
                .errors = errors,
                .secretParams = {"token"},
                .answersFiles = true, // playlists, the MPD and the clock: text of their own media types
                .cors = cors,
                .query = {{"_HLS_msn", Query::Integer, "hold the playlist until segment _HLS_msn exists"},
                          {"_HLS_part", Query::Integer, "with _HLS_msn: until its part _HLS_part exists"},
                          {"_HLS_skip", Query::String, "YES or v2: a delta update"},
                          {"CMCD", Query::String, "CTA-5004 Common Media Client Data (hls.js, dash.js), for the stream analytics"}}},
               [this](const Request& req) { return top(req); });
    host.route({.method = "GET",
                .path = "/api/v1/streams/{id}/live/{token}/{rendition}/{file}",
                .role = Role::Public,
                .summary = "A live rendition's init-S.mp4, part-MSN-K.m4s or seg-MSN.m4s (CMAF), with the signed playback token",
                .errors = errors,
                .secretParams = {"token"},
                .answersFiles = true,
                .cors = cors,
                .query = {{"CMCD", Query::String, "CTA-5004 Common Media Client Data (hls.js, dash.js), for the stream analytics"}}},
               [this](const Request& req) { return media(req); });
}

Response LiveRoutes::top(const Request& req)
{
    const std::string id = req.param("id"), token = req.param("token"), file = req.param("file");
    const std::string user = streams_.verifyPlayback(id, token);
    if (file == "master.m3u8") {
        const auto master = live_.masterPlaylist(id);
        if (!master) throw notLive(id);
        observe(served(req, id, user, file), master->size());
        // It changes only when a publisher (re)connects.
        return Response::text(*master, 200, kM3u8).header("Cache-Control", "public, max-age=2");
    }
    if (file == "manifest.mpd") {
        const auto mpd = live_.dashManifest(id, utcTimingUrl(req, id, token));
        if (!mpd) throw notLive(id);
        observe(served(req, id, user, file), mpd->size());
        return Response::text(*mpd, 200, "application/dash+xml").header("Cache-Control", "public, max-age=1");
    }
    // For an edge cache in front (docs/operators.md): it shares one cached copy of each playlist
    // and part among every viewer, so it asks here, once per token for a few seconds, whether a
    // viewer's token is good before answering from its cache.
    if (file == "auth") return Response::noContent().header("Cache-Control", "private, max-age=10");
    if (file == "time") {
        const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
        return Response::text(text::isoUtc(now.count()), 200, "text/plain; charset=utf-8").header("Cache-Control", "no-store");
    }
    if (const auto rendition = playlistRendition(file)) return renditionPlaylist(req, id, user, *rendition);
    throw NotFound("no file " + file + " in a live stream");
}

void LiveRoutes::observe(const Served& s, uint64_t bytes)
{
    try {
        ServedMedia m;
        m.kind = QoeKind::Stream;
        m.subjectId = s.streamId;
        m.userId = s.userId;
        m.file = s.file;
        m.bytes = bytes;
        m.rung = s.rung;
        m.rungKbps = s.kbps;
        m.mediaSeconds = s.mediaSeconds;
        if (s.cmcdQuery) m.cmcdQuery = *s.cmcdQuery;
        m.cmcdHeaders = {s.cmcdRequest, s.cmcdObject, s.cmcdStatus, s.cmcdSession};
        analytics_.observe(m);
    } catch (const std::exception&) {
        // The analytics' trouble is theirs: the file is served all the same.
    }
}

Response LiveRoutes::renditionPlaylist(const Request& req, const std::string& id, const std::string& user, const std::string& rendition)
{
    const auto playlist = live_.playlist(id, rendition);
    if (!playlist && live_.masterPlaylist(id)) throw NotFound("no rendition " + rendition + " in this stream");
    if (!playlist) throw notLive(id);
    const auto parsed = parsePlaylistQuery(rawQuery(req));
    if (!parsed) throw BadRequest(parsed.error, "invalid-hls-parameter");
    const PlaylistRequest request = *parsed.value;
    const auto decision = decideBlocking(request, playlist->edge());
    if (decision.answer == BlockingAnswer::BadRequest) throw BadRequest(decision.why, "invalid-hls-parameter");
    // A media playlist is counted in no rung (as a recording's playlists are): rungs count media.
    const Served seen = served(req, id, user, rendition + ".m3u8");
    if (decision.answer == BlockingAnswer::Now) {
        uint64_t bytes = 0;
        Response r = playlistResponse(*playlist, request, bytes);
        observe(seen, bytes);
        return r;
    }

    // Held until the part or segment asked for exists: an entry in the waiters, no thread. The
    // spec's bound is 3 target durations; the kernel's fallback (504) comes only after ours.
    const auto hold = std::chrono::seconds(3 * playlist->config().targetDurationSeconds);
    const Deferred deferred = req.defer(hold + std::chrono::seconds(5));
    const auto added = live_.waiters().add(LiveStreams::waiterKey(id, rendition), *request.msn, request.part, Clock::now() + hold,
                                           [this, deferred, playlist, request, seen](WaitOutcome outcome) {
                                               if (outcome == WaitOutcome::Ready) {
                                                   uint64_t bytes = 0;
                                                   deferred.complete(playlistResponse(*playlist, request, bytes));
                                                   observe(seen, bytes);
                                               } else if (outcome == WaitOutcome::TimedOut)
                                                   deferred.fail(HttpError(503, "playlist-timeout", "Service unavailable",
                                                                           "the part asked for did not come within 3 target durations"));
                                           });
    if (added.status == BlockingWaiters::AddStatus::ReadyNow) {
        uint64_t bytes = 0;
        deferred.complete(playlistResponse(*playlist, request, bytes));
        observe(seen, bytes);
    }
    if (added.status == BlockingWaiters::AddStatus::Refused)
        deferred.fail(HttpError(503, "too-many-waiters", "Service unavailable", "too many players wait on this rendition: retry"));
    return Response::deferred();
}

Response LiveRoutes::media(const Request& req)
{
    const std::string id = req.param("id"), rendition = req.param("rendition"), file = req.param("file");
    const std::string user = streams_.verifyPlayback(id, req.param("token"));
    const auto name = validRenditionName(rendition) ? parseMediaName(file) : std::nullopt;
    if (!name) throw NotFound("no file " + rendition + "/" + file + " in a live stream");
    const auto found = live_.media(id, rendition, *name);
    if (!found) throw NotFound("no file " + rendition + "/" + file + " in this stream");
    Served seen = served(req, id, user, rendition + "/" + file);
    seen.rung = rendition;
    if (found->kbps > 0) seen.kbps = found->kbps;
    seen.mediaSeconds = found->mediaSeconds;
    // Observed once answered: its bytes, or 0 (counted as an error) when it is not there.
    const auto answered = [this, seen](const LiveStreams::MediaFile& f) {
        observe(seen, sizeOf(f.path));
        return fileResponse(f);
    };
    if (found->init) return answered(*found);
    const EdgeState edge = found->playlist->edge();
    if (found->msn < edge.firstMsn) {
        observe(seen, 0);
        throw NotFound(rendition + "/" + file + " has left the DVR window");
    }
    if (targetReached(edge, found->msn, found->part)) return answered(*found);

    // Not written yet: a player fetching the preload hint, or a DASH player early on the segment
    // being written. Held as a blocking playlist reload is, within the same limits.
    PlaylistRequest ask;
    ask.msn = found->msn;
    ask.part = found->part;
    if (decideBlocking(ask, edge).answer != BlockingAnswer::Wait) throw NotFound(rendition + "/" + file + " does not exist");
    const auto hold = std::chrono::seconds(3 * found->playlist->config().targetDurationSeconds);
    const Deferred deferred = req.defer(hold + std::chrono::seconds(5));
    const LiveStreams::MediaFile f = *found;
    const auto answer = [deferred, f, answered, this, seen](WaitOutcome outcome) {
        if (outcome == WaitOutcome::Cancelled) return;
        // Ready also when the stream ended: the file exists only if it was reached.
        if (outcome == WaitOutcome::Ready && targetReached(f.playlist->edge(), f.msn, f.part)) {
            deferred.complete(answered(f));
        } else {
            observe(seen, 0);
            deferred.fail(NotFound("this part or segment did not come"));
        }
    };
    const auto added = live_.waiters().add(LiveStreams::waiterKey(id, rendition), f.msn, f.part, Clock::now() + hold, answer);
    if (added.status == BlockingWaiters::AddStatus::ReadyNow) answer(WaitOutcome::Ready);
    if (added.status == BlockingWaiters::AddStatus::Refused)
        deferred.fail(HttpError(503, "too-many-waiters", "Service unavailable", "too many players wait on this rendition: retry"));
    return Response::deferred();
}

} // namespace vtp::streaming
