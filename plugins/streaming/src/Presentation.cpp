#include "Presentation.hpp"

#include "ApiSchemas.hpp"

#include <algorithm>
#include <vector>

namespace vtp::streaming {

namespace {

// The recording plugin's order of a recording's sources (its kSourcesPrimaryFirst): cameras,
// then uploaded files, then the rest (screens), each by creation. Processing and the ladder
// number their masters in this order.
int primaryRank(const std::string& kind)
{
    return kind == "camera" ? 0 : kind == "file" ? 1 : 2;
}

// The kinds of a recording's complete sources in that order (its description lists them by creation).
std::vector<std::string> kindsPrimaryFirst(const Json& recording)
{
    std::vector<std::string> kinds;
    const Json list = recording["sources"];
    for (size_t i = 0; i < list.size(); ++i)
        if (list.at(i)["state"].isString() && list.at(i)["state"].asString() == "complete") kinds.push_back(list.at(i)["kind"].asString());
    std::stable_sort(kinds.begin(), kinds.end(),
                     [](const std::string& a, const std::string& b) { return primaryRank(a) < primaryRank(b); });
    return kinds;
}

double offsetSeconds(const Json& source)
{
    return source["offset_ms"].isNumber() ? source["offset_ms"].asDouble() / 1000.0 : 0.0;
}

} // namespace

Presentation::Presentation(Host& host) : host_(host)
{
    host_.route({.method = "GET",
                 .path = "/api/v1/recordings/{id}/presentation",
                 .summary = "A ready recording's sources (camera, screen, ...) as one presentation: each source's HLS master playlist "
                            "(signed URLs) and where it starts on the recording's timeline, for the side-by-side player "
                            "(/streaming/player/player.html)",
                 .responseSchema = kPresentationSchema,
                 .errors = {{404, "not-found"}, {409, "not-ready"}, {503, "unavailable"}}},
                [this](const Request& req) { return get(req); });
}

void Presentation::start()
{
    media_ = RecordingMedia::find(host_);
}

void Presentation::stop()
{
    media_.reset();
}

Json Presentation::sources(const Json& playback, const Json& recording, const Json& ladder)
{
    const std::string hls = playback["hls"].asString();
    const std::string base = hls.substr(0, hls.rfind('/') + 1); // every media file is served beside it
    const Json processed = recording["media"]["sources"];
    Json out = Json::array();
    const auto add = [&](size_t i, const std::string& kind, double offset, const std::string& master) {
        out.push(Json{{"kind", kind}, {"role", i == 0 ? "main" : "alternate"}, {"offset_s", offset}, {"hls", base + master}});
    };
    // The ladder's sources when it matches what processing made (not a stale one of an earlier
    // processing, whose sources may differ).
    const Json rungs = ladder["sources"];
    if (!playback["adaptive"].isNull() && rungs.isArray() && rungs.size() > 0 && rungs.size() == processed.size()) {
        for (size_t i = 0; i < rungs.size(); ++i) {
            const Json s = rungs.at(i);
            add(i, s["kind"].asString(), offsetSeconds(s.has("offset_ms") ? s : processed.at(i)), s["master"].asString());
        }
        return out;
    }
    const auto kinds = kindsPrimaryFirst(recording);
    for (size_t i = 0; i < processed.size(); ++i) {
        const Json s = processed.at(i);
        add(i, i < kinds.size() ? kinds[i] : "other", offsetSeconds(s), s["master"].asString());
    }
    return out;
}

Json Presentation::readyLadder(const std::string& recordingId) const
{
    const Rows rows = host_.db().query("SELECT state, result FROM streaming_ladders WHERE recording_id = ?", {recordingId});
    if (rows.empty() || rows[0]["state"].asString() != "ready") return Json();
    const auto result = rows[0]["result"].asOptionalString();
    if (!result) return Json();
    try {
        return Json::parse(*result);
    } catch (const std::exception&) {
        return Json(); // the single rendition still plays
    }
}

Response Presentation::get(const Request& req)
{
    const std::string id = req.param("id");
    if (!media_) throw ServiceUnavailable("the recording plugin offers no vtp.recording.media service");
    const auto answer = media_->playback(id, std::string(req.subject()), req.hasRole("admin"));
    using S = RecordingMedia::PlaybackAnswer::Status;
    switch (answer.status) {
    case S::Ok: break;
    case S::NotFound: throw NotFound("no recording " + id); // nor one this user may see: the same answer
    case S::NotReady: throw Conflict("this recording is not ready to play yet", "not-ready");
    case S::Unsupported: throw ServiceUnavailable("the recording plugin is too old to sign playback URLs for other plugins");
    }
    const auto recording = media_->describe(id);
    if (!recording) throw NotFound("no recording " + id);
    const Json list = sources(answer.urls, *recording, readyLadder(id));
    if (list.size() == 0) throw Conflict("this recording has no processed source", "not-ready");
    return Response::json(
               Json{{"recording_id", id},
                    {"title", (*recording)["title"]},
                    {"duration_s", (*recording)["duration_s"]},
                    {"adaptive", !answer.urls["adaptive"].isNull() && list.at(0)["hls"].asString().find("/abr-") != std::string::npos},
                    {"expires_at", answer.urls["expires_at"]},
                    {"sources", list},
                    {"player", "/streaming/player/player.html#recording=" + id}})
        .header("Cache-Control", "no-store");
}

} // namespace vtp::streaming
