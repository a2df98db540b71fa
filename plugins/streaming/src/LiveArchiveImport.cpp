// The ended live stream made a recording: its archives imported through the recording plugin's
// service, once (a claim in the database), on a thread of its own (a copy takes a while).
#include "LiveStreams.hpp"

#include "ArchiveState.hpp"

#include <ctime>
#include <filesystem>

namespace vtp::streaming {

namespace {

namespace fs = std::filesystem;

Json orNull(const std::optional<std::string>& s)
{
    return s ? Json(*s) : Json();
}

} // namespace

void LiveStreams::queueImport(const std::string& id, const std::string& reason)
{
    std::lock_guard lock(importMutex_);
    imports_.emplace_back(id, reason);
    importCv_.notify_all();
}

void LiveStreams::importLoop()
{
    for (;;) {
        std::pair<std::string, std::string> next;
        {
            std::unique_lock lock(importMutex_);
            // Now and then, imports left over: pending ones the database refused to claim a moment
            // ago, claims whose node stopped (stale after settings_.staleImport).
            if (!importCv_.wait_for(lock, std::chrono::minutes(10), [&] { return stopping_ || !imports_.empty(); })) {
                lock.unlock();
                try {
                    for (const auto& row : host_.db().query("SELECT id FROM streaming_streams WHERE state = 'ended' AND archive_state IN "
                                                            "('pending', 'importing') ORDER BY ended_at"))
                        queueImport(row["id"].asString(), "publisher gone");
                } catch (const std::exception& e) {
                    host_.log().warn("could not look for live streams left to import", {{"error", e.what()}});
                }
                continue;
            }
            if (stopping_) return; // the claims left pending are taken at the next start
            next = imports_.front();
            imports_.erase(imports_.begin());
        }
        try {
            importArchive(next.first, next.second);
        } catch (const std::exception& e) {
            // The database away: the row stays pending (or claimed) and is taken again at start.
            host_.log().error("could not import an ended live stream", {{"stream_id", next.first}, {"error", e.what()}});
        }
    }
}

void LiveStreams::importArchive(const std::string& id, const std::string& reason)
{
    const long long now = static_cast<int64_t>(::time(nullptr));
    const long long staleBefore = now - static_cast<long long>(settings_.staleImport.count());
    if (host_.db().exec("UPDATE streaming_streams SET archive_state = 'importing', archive_claimed_at = ? WHERE id = ? AND state = 'ended' "
                        "AND (archive_state = 'pending' OR (archive_state = 'importing' AND archive_claimed_at < ?))",
                        {now, id, staleBefore}) == 0)
        return; // another node (or an earlier run) has it, or it is done
    const Rows rows = host_.db().query("SELECT title, room_id, section_id, owner_id FROM streaming_streams WHERE id = ?", {id});
    if (rows.empty()) return;

    // The archives, oldest first, each cut to its last whole fragment (a worker killed mid-write).
    const std::string dir = archiveDirOf(id);
    Json sources = Json::array();
    int64_t startedMs = 0, stoppedMs = 0;
    for (const auto& [n, state] : ingest::listArchives(dir)) {
        const std::string path = ingest::archiveMedia(dir, n);
        std::error_code ec;
        const auto size = fs::file_size(path, ec);
        if (ec || state.bytes <= state.initBytes || size < static_cast<uint64_t>(state.bytes)) continue;
        if (size > static_cast<uint64_t>(state.bytes)) fs::resize_file(path, static_cast<uint64_t>(state.bytes), ec);
        if (ec) continue;
        // An archive is its publishes one after the other; a second one (a publish with another
        // picture size) is placed on the recording's timeline by its own start.
        sources.push(Json{{"path", path}, {"kind", "camera"}, {"started_at_ms", state.startedAtMs}});
        if (startedMs == 0 || state.startedAtMs < startedMs) startedMs = state.startedAtMs;
        stoppedMs = std::max(stoppedMs, state.startedAtMs + state.endUs / 1000);
    }
    std::optional<std::string> recordingId;
    std::string failure;
    if (sources.size() == 0) {
        failure = "nothing was archived";
    } else if (!media_) {
        failure = "the recording plugin offers no vtp.recording.media service";
    } else {
        Json request{{"title", rows[0]["title"].asString()},
                     {"owner_id", rows[0]["owner_id"].asString()},
                     {"started_at_ms", startedMs},
                     {"stopped_at_ms", std::max(startedMs, stoppedMs)},
                     {"sources", sources}};
        if (const auto section = rows[0]["section_id"].asOptionalString())
            request.set("section_id", *section);
        else
            request.set("room_id", rows[0]["room_id"].asOptionalString().value_or(id));
        try {
            recordingId = media_->importRecording(request);
        } catch (const std::exception& e) {
            failure = e.what();
        }
    }
    const long long done = static_cast<int64_t>(::time(nullptr));
    if (recordingId) {
        if (host_.db().exec("UPDATE streaming_streams SET recording_id = ?, archive_state = 'imported', updated_at = ? WHERE id = ?",
                            {*recordingId, done, id}) == 0)
            host_.log().warn("a live stream was deleted while it was imported: its recording stays",
                             {{"stream_id", id}, {"recording_id", *recordingId}});
        imported_.inc();
        host_.log().info("live stream imported as a recording", {{"stream_id", id}, {"recording_id", *recordingId}});
        // The recording plugin has its own durable copy.
        std::error_code ec;
        fs::remove_all(dir, ec);
    } else {
        // The archive stays on disk for an operator (README: what becomes of a live class).
        host_.db().exec("UPDATE streaming_streams SET archive_state = 'failed', updated_at = ? WHERE id = ?", {done, id});
        importFailures_.inc();
        host_.log().error("an ended live stream could not become a recording", {{"stream_id", id}, {"reason", failure}, {"archive", dir}});
    }
    publishEnded(id, reason, recordingId);
}

void LiveStreams::publishEnded(const std::string& id, const std::string& reason, const std::optional<std::string>& recordingId)
{
    const Rows rows = host_.db().query("SELECT * FROM streaming_streams WHERE id = ?", {id});
    if (rows.empty()) return;
    const int64_t endedAt = rows[0]["ended_at"].asOptionalInt().value_or(static_cast<int64_t>(::time(nullptr)));
    const int64_t startedAt = rows[0]["started_at"].asOptionalInt().value_or(endedAt);
    host_.publish("stream.ended", Json{{"id", id},
                                       {"title", rows[0]["title"].asString()},
                                       {"room_id", orNull(rows[0]["room_id"].asOptionalString())},
                                       {"section_id", orNull(rows[0]["section_id"].asOptionalString())},
                                       {"owner_id", rows[0]["owner_id"].asString()},
                                       {"state", "ended"},
                                       {"started_at", startedAt},
                                       {"ended_at", endedAt},
                                       {"duration_s", std::max<int64_t>(0, endedAt - startedAt)},
                                       {"reason", reason},
                                       {"recording_id", orNull(recordingId)}});
}

} // namespace vtp::streaming
