// The tus 1.0 resumable upload server of a recording's sources: core (HEAD, PATCH), creation,
// creation-with-upload, creation-defer-length, termination, checksum and expiration. Every byte a
// 201 or 204 acknowledges (Upload-Offset) is on the disk, file and directory synced, first.
#include "ApiSchemas.hpp"
#include "RecordingService.hpp"
#include "TusHeaders.hpp"

#include <Poco/SHA1Engine.h>
#include <Poco/SHA2Engine.h>

#include <vtp/random.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace vtp::recording {

namespace {

const char* const kExtensions = "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration";
const char* const kChecksumAlgorithms = "sha1,sha256";
const char* const kOffsetStream = "application/offset+octet-stream";

// A tus answer always says which version it speaks.
HttpError tusError(int status, std::string type, std::string title, std::string detail)
{
    HttpError e(status, std::move(type), std::move(title), std::move(detail));
    e.header("Tus-Resumable", std::string(tus::kVersion));
    return e;
}

void requireTusVersion(const Request& req)
{
    const auto v = req.header("tus-resumable");
    if (v && tus::supportedVersion(*v)) return;
    HttpError e = tusError(412, "unsupported-version", "Precondition failed",
                           v ? "this server speaks tus " + std::string(tus::kVersion) + ", not " + *v
                             : "send Tus-Resumable: " + std::string(tus::kVersion));
    e.header("Tus-Version", std::string(tus::kVersion));
    throw e;
}

// RFC 9110's IMF-fixdate, which Upload-Expires uses; not locale-dependent.
std::string httpDate(int64_t unix)
{
    static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const time_t t = static_cast<time_t>(unix);
    struct tm tm {};
    ::gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
                  tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

struct UploadRow {
    std::string id, recordingId, ownerId, state, metadata;
    std::optional<int64_t> length;
    int64_t received = 0, expiresAt = 0;
};

UploadRow toUpload(const Rows::Row& row)
{
    return UploadRow{row["id"].asString(),    row["recording_id"].asString(), row["owner_id"].asString(),
                     row["state"].asString(), row["metadata"].asString(),     row["upload_length"].asOptionalInt(),
                     row["received"].asInt(), row["expires_at"].asInt()};
}

// The upload of that recording, or 404; 410 once it expired (its bytes are or will be removed).
UploadRow loadUpload(const Db& db, const std::string& recordingId, const std::string& uploadId)
{
    const Rows rows = db.query("SELECT * FROM recording_uploads WHERE id = ? AND recording_id = ?", {uploadId, recordingId});
    if (rows.empty()) throw tusError(404, "not-found", "Not found", "no upload " + uploadId + " in recording " + recordingId);
    UploadRow u = toUpload(rows[0]);
    if (u.state == "expired" || (u.state == "uploading" && u.expiresAt <= unixNow()))
        throw tusError(410, "upload-expired", "Gone", "this upload expired before it was finished; its bytes are removed");
    return u;
}

// Only whoever created an upload writes to it or reads its state (admins too).
void requireUploadOwner(const Request& req, const UploadRow& u)
{
    if (u.ownerId != req.subject() && !req.hasRole("admin"))
        throw tusError(403, "forbidden", "Forbidden", "this upload belongs to someone else");
}

std::optional<uint64_t> contentLength(const Request& req)
{
    const auto v = req.header("content-length");
    if (!v) return std::nullopt;
    const auto n = tus::parseSize(*v);
    return n.value;
}

// The server's tus configuration: the answer to OPTIONS on the creation URL, and on creation and
// HEAD answers too (clients that never ask, such as tus-js-client, still learn it).
void discoveryHeaders(Response& r, uint64_t maxBytes)
{
    r.header("Tus-Version", std::string(tus::kVersion))
        .header("Tus-Extension", kExtensions)
        .header("Tus-Max-Size", std::to_string(maxBytes))
        .header("Tus-Checksum-Algorithm", kChecksumAlgorithms);
}

// A running digest of the bytes a request carries, for Upload-Checksum.
class Digest {
public:
    explicit Digest(const std::string& algorithm)
    {
        if (algorithm == "sha1")
            engine_ = std::make_unique<Poco::SHA1Engine>();
        else if (algorithm == "sha256")
            engine_ = std::make_unique<Poco::SHA2Engine>(Poco::SHA2Engine::SHA_256);
        else
            throw tusError(400, "unsupported-checksum", "Bad request",
                           "Upload-Checksum names '" + algorithm + "'; this server checks " + kChecksumAlgorithms);
    }
    void update(std::string_view bytes) { engine_->update(bytes.data(), bytes.size()); }
    std::string finish()
    {
        const auto& d = engine_->digest();
        return std::string(d.begin(), d.end());
    }

private:
    std::unique_ptr<Poco::DigestEngine> engine_;
};

// One PATCH (or creation-with-upload POST) body appended to the upload's file.
class UploadSink : public BodySink {
public:
    UploadSink(RecordingService& service, UploadRow upload, uint64_t start, uint64_t limit, std::optional<tus::Checksum> checksum,
               std::unique_ptr<RecordingService::UploadLock> lock, bool creation, RecordingService::Room room = {})
        : s_(service), u_(std::move(upload)), start_(start), limit_(limit), lock_(std::move(lock)), creation_(creation),
          room_(std::move(room)), file_(service.store().uploadPath(u_.recordingId, u_.id), true)
    {
        if (checksum) {
            digest_.emplace(checksum->algorithm);
            expected_ = std::move(checksum->digest);
        }
        s_.inFlight(+1);
    }
    ~UploadSink() override { s_.inFlight(-1); }

    void data(std::string_view piece) override
    {
        if (file_.written() + piece.size() > limit_)
            throw tusError(413, "exceeds-upload-length", "Content too large",
                           "the upload would pass its length (" + std::to_string(limit_) + " bytes)");
        // A quota is checked before each piece is written: what was written before stays (the
        // client resumes from it once there is room again).
        if (room_.bytes) s_.requireRoom(room_, file_.written() - start_ + piece.size());
        file_.write(piece);
        if (digest_) digest_->update(piece);
    }

    Response finish(const Request&) override
    {
        const uint64_t end = file_.written();
        if (digest_ && digest_->finish() != expected_) {
            file_.close();
            s_.store().truncateUpload(u_.recordingId, u_.id, start_);
            throw tusError(460, "checksum-mismatch", "Checksum mismatch",
                           "the body's digest is not the one Upload-Checksum names; the chunk was discarded");
        }
        // Durable before acknowledged: the bytes, then the directory entry and size.
        file_.sync();
        s_.store().syncUploadDirectory(u_.recordingId);
        const bool complete = u_.length && static_cast<int64_t>(end) >= *u_.length;
        const int64_t now = unixNow();
        const int64_t expires = now + s_.uploadExpirySeconds();
        const auto updated = s_.host().db().exec(
            "UPDATE recording_uploads SET received = ?, state = ?, expires_at = ?, completed_at = ? WHERE id = ? AND state <> 'expired'",
            {static_cast<long long>(end), complete ? "complete" : "uploading", static_cast<long long>(expires),
             complete ? Param(static_cast<long long>(now)) : Param(nullptr), u_.id});
        if (updated == 0) {
            // Terminated, deleted with its recording, or swept while this body came in.
            loadUpload(s_.host().db(), u_.recordingId, u_.id);
            throw tusError(410, "upload-expired", "Gone", "this upload expired while its body came in");
        }
        s_.bytesReceived().inc(static_cast<double>(end - start_));
        s_.usageChanged();
        if (complete) {
            s_.uploadCompleted(u_.recordingId, u_.id, static_cast<int64_t>(end)); // its live worker writes the tail
            s_.settleRecording(u_.recordingId);                                   // the last source of a stopped recording: process it
        }
        Response r;
        if (creation_) {
            const std::string location = "/api/v1/recordings/" + u_.recordingId + "/uploads/" + u_.id;
            r = Response::created(Json{{"id", u_.id},
                                       {"offset", static_cast<int64_t>(end)},
                                       {"length", u_.length ? Json(*u_.length) : Json()},
                                       {"state", complete ? "complete" : "uploading"},
                                       {"expires_at", complete ? Json() : Json(expires)}},
                                  location);
            discoveryHeaders(r, s_.maxUploadBytes());
        } else {
            r = Response::noContent();
        }
        r.header("Tus-Resumable", std::string(tus::kVersion)).header("Upload-Offset", std::to_string(end));
        if (!complete) r.header("Upload-Expires", httpDate(expires));
        return r;
    }

    void abort(BodyAbort) override
    {
        // What arrived stays (the client resumes after it: HEAD reports the file's length), except
        // bytes that were to be checked and never could be.
        file_.close();
        if (digest_) s_.store().truncateUpload(u_.recordingId, u_.id, start_);
    }

private:
    RecordingService& s_;
    UploadRow u_;
    uint64_t start_, limit_;
    std::unique_ptr<RecordingService::UploadLock> lock_;
    bool creation_;
    RecordingService::Room room_; // for a body of unknown length: the room left under the quotas when it began
    FileWriter file_;
    std::optional<Digest> digest_;
    std::string expected_;
};

std::optional<tus::Checksum> checksumOf(const Request& req)
{
    const auto header = req.header("upload-checksum");
    if (!header) return std::nullopt;
    auto parsed = tus::parseChecksum(*header);
    if (!parsed) throw tusError(400, "invalid-checksum", "Bad request", "Upload-Checksum: " + parsed.error);
    Digest probe(parsed.value->algorithm); // 400 for an algorithm this server does not check
    return std::move(parsed.value);
}

} // namespace

void RecordingService::registerTusRoutes()
{
    // Browsers may send the tus headers and read the answers' (the operator's origins).
    host_.cors({.headers = {"authorization", "content-type", "tus-resumable", "upload-length", "upload-defer-length", "upload-metadata",
                            "upload-offset", "upload-checksum", "x-requested-with"},
                .exposeHeaders = {"location", "tus-resumable", "tus-version", "tus-extension", "tus-max-size", "tus-checksum-algorithm",
                                  "upload-offset", "upload-length", "upload-defer-length", "upload-metadata", "upload-expires"}});
    const std::vector<ProblemType> common{{403, "forbidden"}, {404, "not-found"}, {412, "unsupported-version"}, {503, "unavailable"}};
    auto with = [&](std::vector<ProblemType> more) {
        more.insert(more.begin(), common.begin(), common.end());
        return more;
    };
    // tus discovery: OPTIONS on the creation URL, before any upload (public: it tells only the
    // server's configuration, and tus clients send no credentials with it). The Tus-Resumable a
    // client sends is ignored, as tus says. A CORS preflight never comes here: vtpd answers those.
    host_.route({.method = "OPTIONS",
                 .path = "/api/v1/recordings/{id}/uploads",
                 .role = Role::Public,
                 .summary = "tus discovery: Tus-Version, Tus-Extension, Tus-Max-Size and Tus-Checksum-Algorithm of this server",
                 .successStatus = 204,
                 .cacheControl = "no-store"},
                [this](const Request&) {
                    Response r = Response::noContent();
                    r.header("Tus-Resumable", std::string(tus::kVersion));
                    discoveryHeaders(r, maxUploadBytes_);
                    return r;
                });
    host_.streamRoute({.method = "POST",
                       .path = "/api/v1/recordings/{id}/uploads",
                       .summary = "tus creation (and creation-with-upload, creation-defer-length): a new source of the recording",
                       .maxBodyBytes = maxUploadBytes_,
                       .responseSchema = kUploadSchema,
                       .successStatus = 201,
                       .errors = with({{400, "invalid-upload-length"},
                                       {400, "invalid-metadata"},
                                       {400, "invalid-checksum"},
                                       {400, "unsupported-checksum"},
                                       {409, "not-recording"},
                                       {410, "upload-expired"},
                                       {413, "upload-too-large"},
                                       {413, "exceeds-upload-length"},
                                       {415, "unsupported-media-type"},
                                       {460, "checksum-mismatch"},
                                       {507, "insufficient-storage"},
                                       {507, "quota-exceeded"}})},
                      [this](const Request& req) { return createUpload(req); });
    host_.route({.method = "GET",
                 .path = "/api/v1/recordings/{id}/uploads/{upload_id}",
                 .summary = "tus HEAD: the upload's offset (Upload-Offset), length and metadata; GET adds them as JSON",
                 .responseSchema = kUploadSchema,
                 .errors = with({{410, "upload-expired"}}),
                 .cacheControl = "no-store"},
                [this](const Request& req) { return headUpload(req); });
    host_.streamRoute({.method = "PATCH",
                       .path = "/api/v1/recordings/{id}/uploads/{upload_id}",
                       .summary = "tus PATCH: appends application/offset+octet-stream at Upload-Offset; 204 once it is on the disk",
                       .maxBodyBytes = maxUploadBytes_,
                       .successStatus = 204,
                       .errors = with({{400, "invalid-offset"},
                                       {400, "invalid-upload-length"},
                                       {400, "invalid-checksum"},
                                       {400, "unsupported-checksum"},
                                       {409, "offset-mismatch"},
                                       {409, "upload-finished"},
                                       {410, "upload-expired"},
                                       {413, "upload-too-large"},
                                       {413, "exceeds-upload-length"},
                                       {415, "unsupported-media-type"},
                                       {423, "upload-locked"},
                                       {460, "checksum-mismatch"},
                                       {507, "insufficient-storage"},
                                       {507, "quota-exceeded"}})},
                      [this](const Request& req) { return patchUpload(req); });
    host_.route({.method = "DELETE",
                 .path = "/api/v1/recordings/{id}/uploads/{upload_id}",
                 .summary = "tus termination: removes the upload and its bytes",
                 .successStatus = 204,
                 .errors = with({})},
                [this](const Request& req) { return terminateUpload(req); });
}

std::unique_ptr<BodySink> RecordingService::createUpload(const Request& req)
{
    requireTusVersion(req);
    const Rows recs = host_.db().query("SELECT * FROM recording_recordings WHERE id = ?", {req.param("id")});
    if (recs.empty()) throw tusError(404, "not-found", "Not found", "no recording " + req.param("id"));
    const RecordingRow rec = rowToRecording(recs[0]);
    if (!access_.isManager(req, rec.subject))
        throw tusError(403, "forbidden", "Forbidden",
                       "only whoever records this class (its instructors, moderators, admins) uploads to it");
    if (rec.state != "recording") throw tusError(409, "not-recording", "Conflict", "this recording was stopped: it takes no new source");

    // Upload-Length, or Upload-Defer-Length: 1 for a live capture whose length nobody knows yet.
    const auto lengthHeader = req.header("upload-length");
    const auto deferHeader = req.header("upload-defer-length");
    std::optional<int64_t> length;
    if (lengthHeader.has_value() == deferHeader.has_value())
        throw tusError(400, "invalid-upload-length", "Bad request", "send either Upload-Length or Upload-Defer-Length: 1");
    if (deferHeader && *deferHeader != "1") throw tusError(400, "invalid-upload-length", "Bad request", "Upload-Defer-Length must be 1");
    if (lengthHeader) {
        const auto n = tus::parseSize(*lengthHeader);
        if (!n) throw tusError(400, "invalid-upload-length", "Bad request", "Upload-Length: " + n.error);
        if (*n.value > maxUploadBytes_)
            throw tusError(413, "upload-too-large", "Content too large",
                           "this server takes uploads of at most " + std::to_string(maxUploadBytes_) + " bytes (Tus-Max-Size)")
                .header("Tus-Max-Size", std::to_string(maxUploadBytes_));
        length = static_cast<int64_t>(*n.value);
    }

    const std::string metadataText = req.header("upload-metadata").value_or("");
    const auto metadata = tus::parseMetadata(metadataText);
    if (!metadata) throw tusError(400, "invalid-metadata", "Bad request", "Upload-Metadata: " + metadata.error);
    auto text = [&](const char* key) -> std::optional<std::string> {
        auto v = tus::metadataValue(*metadata.value, key);
        if (!v) return std::nullopt;
        const bool bad = v->size() > 255 || std::any_of(v->begin(), v->end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
        if (bad)
            throw tusError(400, "invalid-metadata", "Bad request",
                           std::string("Upload-Metadata: '") + key + "' must be 1 to 255 bytes of text");
        return v;
    };
    const auto filename = text("filename");
    const auto filetype = text("filetype");
    const std::string kind = text("source").value_or(filename ? "file" : "camera");
    if (kind != "camera" && kind != "screen" && kind != "audio" && kind != "file" && kind != "other")
        throw tusError(400, "invalid-metadata", "Bad request", "Upload-Metadata: 'source' is camera, screen, audio, file or other");

    // A body is the first chunk (creation-with-upload), and must say so by its type.
    const bool chunked = req.header("transfer-encoding").has_value();
    const auto bodyLength = contentLength(req);
    const bool withUpload = req.contentType() == kOffsetStream;
    if (!withUpload && (chunked || bodyLength.value_or(0) > 0))
        throw tusError(415, "unsupported-media-type", "Unsupported media type",
                       std::string("a creation request's body is ") + kOffsetStream);
    const auto checksum = withUpload ? checksumOf(req) : std::nullopt;
    const uint64_t limit = length ? static_cast<uint64_t>(*length) : maxUploadBytes_;
    if (bodyLength && *bodyLength > limit)
        throw tusError(413, "exceeds-upload-length", "Content too large",
                       "the body is longer than the upload (" + std::to_string(limit) + " bytes)");

    // Quotas: a known length is reserved whole at creation; a deferred one needs some room, and
    // its bodies are held to the room left when each begins.
    const Room room = roomLeft(recs[0]["course_id"].asOptionalString());
    requireRoom(room, length ? static_cast<uint64_t>(*length) : std::max<uint64_t>(bodyLength.value_or(0), 1));

    // Created before its first byte is read: if that body breaks off, the client resumes it.
    UploadRow u;
    u.id = randomHex(16);
    u.recordingId = rec.id;
    u.ownerId = std::string(req.subject());
    u.state = "uploading";
    u.metadata = metadataText;
    u.length = length;
    const int64_t nowMs = unixNowMs();
    u.expiresAt = nowMs / 1000 + uploadExpirySeconds_;
    store_->createUpload(u.recordingId, u.id);
    try {
        host_.db().exec("INSERT INTO recording_uploads (id, recording_id, owner_id, kind, filename, media_type, metadata, upload_length, "
                        "received, state, started_at_ms, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
                        {u.id, u.recordingId, u.ownerId, kind, filename, filetype, u.metadata,
                         length ? Param(static_cast<long long>(*length)) : Param(nullptr), length == 0 ? "complete" : "uploading",
                         static_cast<long long>(nowMs), static_cast<long long>(u.expiresAt), static_cast<long long>(nowMs / 1000)});
    } catch (...) {
        store_->removeUpload(u.recordingId, u.id);
        throw;
    }
    host_.log().info("upload created", {{"upload_id", u.id}, {"recording_id", u.recordingId}, {"kind", kind}});
    // An empty upload is whole at once (tus-js-client sends no PATCH for it).
    if (length == 0) u.state = "complete";
    // A live capture is processed while it comes in.
    if (!length) startLive(u.recordingId, u.id, u.ownerId);
    return std::make_unique<UploadSink>(*this, u, 0, limit, checksum, lockUpload(u.id), true, length ? Room{} : room);
}

std::unique_ptr<BodySink> RecordingService::patchUpload(const Request& req)
{
    requireTusVersion(req);
    if (req.contentType() != kOffsetStream)
        throw tusError(415, "unsupported-media-type", "Unsupported media type", std::string("a PATCH's body is ") + kOffsetStream);
    UploadRow u = loadUpload(host_.db(), req.param("id"), req.param("upload_id"));
    requireUploadOwner(req, u);
    const auto offsetHeader = req.header("upload-offset");
    if (!offsetHeader) throw tusError(400, "invalid-offset", "Bad request", "send Upload-Offset");
    const auto offset = tus::parseSize(*offsetHeader);
    if (!offset) throw tusError(400, "invalid-offset", "Bad request", "Upload-Offset: " + offset.error);
    const auto checksum = checksumOf(req);

    auto lock = lockUpload(u.id);
    if (!lock) throw tusError(423, "upload-locked", "Locked", "another request is writing this upload; retry after it ends");
    // The file is the truth: after a crash it may hold bytes past the last acknowledged offset.
    const auto size = store_->uploadSize(u.recordingId, u.id);
    if (!size) throw tusError(410, "upload-expired", "Gone", "this upload's bytes are gone");
    if (*offset.value != *size)
        throw tusError(409, "offset-mismatch", "Conflict",
                       "Upload-Offset is " + std::to_string(*offset.value) + "; the upload has " + std::to_string(*size) +
                           " bytes (ask with HEAD)")
            .header("Upload-Offset", std::to_string(*size));
    if (u.state == "complete") throw tusError(409, "upload-finished", "Conflict", "this upload is complete already");

    // A deferred upload is held to the room left under its quotas (one of known length reserved
    // its length at creation).
    Room room;
    if (!u.length) room = roomLeft(courseOf(u.recordingId));

    // creation-defer-length: the length comes with some PATCH, once it is known.
    if (const auto lengthHeader = req.header("upload-length")) {
        const auto n = tus::parseSize(*lengthHeader);
        if (!n) throw tusError(400, "invalid-upload-length", "Bad request", "Upload-Length: " + n.error);
        if (u.length && static_cast<uint64_t>(*u.length) != *n.value)
            throw tusError(400, "invalid-upload-length", "Bad request", "an upload's length cannot change once it is set");
        if (*n.value > maxUploadBytes_)
            throw tusError(413, "upload-too-large", "Content too large",
                           "this server takes uploads of at most " + std::to_string(maxUploadBytes_) + " bytes (Tus-Max-Size)")
                .header("Tus-Max-Size", std::to_string(maxUploadBytes_));
        if (*n.value < *size) throw tusError(400, "invalid-upload-length", "Bad request", "Upload-Length is below the bytes received");
        if (!u.length) {
            requireRoom(room, *n.value - *size); // the rest of the length is reserved from now on
            room = Room{};
            u.length = static_cast<int64_t>(*n.value);
            host_.db().exec("UPDATE recording_uploads SET upload_length = ? WHERE id = ?", {static_cast<long long>(*u.length), u.id});
        }
    }
    const uint64_t limit = u.length ? static_cast<uint64_t>(*u.length) : maxUploadBytes_;
    if (const auto n = contentLength(req); n && *size + *n > limit)
        throw tusError(413, "exceeds-upload-length", "Content too large",
                       "the body would take the upload past its length (" + std::to_string(limit) + " bytes)");
    requireRoom(room, contentLength(req).value_or(1)); // a chunked body is held to the room as it comes
    return std::make_unique<UploadSink>(*this, u, *size, limit, checksum, std::move(lock), false, room);
}

Response RecordingService::headUpload(const Request& req)
{
    requireTusVersion(req);
    UploadRow u = loadUpload(host_.db(), req.param("id"), req.param("upload_id"));
    requireUploadOwner(req, u);
    const auto size = store_->uploadSize(u.recordingId, u.id);
    if (!size) throw tusError(410, "upload-expired", "Gone", "this upload's bytes are gone");
    // After a crash between the fsync and the row's update, the file says the upload is whole.
    if (u.state == "uploading" && u.length && static_cast<int64_t>(*size) >= *u.length) {
        host_.db().exec(
            "UPDATE recording_uploads SET received = ?, state = 'complete', completed_at = ? WHERE id = ? AND state = 'uploading'",
            {static_cast<long long>(*size), static_cast<long long>(unixNow()), u.id});
        u.state = "complete";
        uploadCompleted(u.recordingId, u.id, static_cast<int64_t>(*size));
        settleRecording(u.recordingId);
    }
    Response r = Response::json(Json{{"id", u.id},
                                     {"offset", static_cast<int64_t>(*size)},
                                     {"length", u.length ? Json(*u.length) : Json()},
                                     {"state", u.state},
                                     {"expires_at", u.state == "uploading" ? Json(u.expiresAt) : Json()}});
    r.header("Tus-Resumable", std::string(tus::kVersion))
        .header("Upload-Offset", std::to_string(*size))
        .header("Cache-Control", "no-store");
    discoveryHeaders(r, maxUploadBytes_);
    if (u.length)
        r.header("Upload-Length", std::to_string(*u.length));
    else
        r.header("Upload-Defer-Length", "1");
    if (!u.metadata.empty()) r.header("Upload-Metadata", u.metadata);
    if (u.state == "uploading") r.header("Upload-Expires", httpDate(u.expiresAt));
    return r;
}

Response RecordingService::terminateUpload(const Request& req)
{
    requireTusVersion(req);
    const Rows rows =
        host_.db().query("SELECT * FROM recording_uploads WHERE id = ? AND recording_id = ?", {req.param("upload_id"), req.param("id")});
    if (rows.empty()) throw tusError(404, "not-found", "Not found", "no upload " + req.param("upload_id"));
    const UploadRow u = toUpload(rows[0]);
    requireUploadOwner(req, u);
    // The row first: a PATCH under way then finds nothing to acknowledge.
    host_.db().exec("DELETE FROM recording_uploads WHERE id = ?", {u.id});
    store_->removeUpload(u.recordingId, u.id);
    host_.log().info("upload terminated", {{"upload_id", u.id}, {"recording_id", u.recordingId}});
    settleRecording(u.recordingId); // the stopped recording may have waited only for this one
    return Response::noContent().header("Tus-Resumable", std::string(tus::kVersion));
}

} // namespace vtp::recording
