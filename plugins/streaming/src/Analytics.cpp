#include "Analytics.hpp"

#include "MediaFile.hpp"

#include <vtp/random.hpp>

#include <algorithm>
#include <chrono>
#include <set>

namespace vtp::streaming {

namespace {

using std::chrono::milliseconds;

int64_t unixNowMs()
{
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

constexpr auto kSubjectCacheFor = std::chrono::seconds(60);
constexpr size_t kMaxCachedSubjects = 2048;
constexpr size_t kMaxRungLabels = 16; // metric label values and rungs per session
constexpr int64_t kRetentionEveryMs = 3600000;
constexpr char kKeySep = '\n'; // user id and CMCD sid, in the aggregator's sid

std::string aggregatorStream(QoeKind kind, std::string_view id)
{
    return std::string(kindName(kind)) + ":" + std::string(id);
}

// The aggregator keys a session by its stream and sid; Qoe.cpp joins them with a NUL.
std::string sessionKey(std::string_view stream, std::string_view sid)
{
    std::string k(stream);
    k += '\0';
    k += sid;
    return k;
}

Json rangesJson(const std::vector<std::pair<double, double>>& ranges)
{
    Json out = Json::array();
    for (const auto& [a, b] : ranges) {
        Json r = Json::array();
        r.push(a);
        r.push(b);
        out.push(r);
    }
    return out;
}

} // namespace

std::string_view kindName(QoeKind k)
{
    return k == QoeKind::Recording ? "recording" : "stream";
}

Analytics::Analytics(Host& host) : host_(host), access_(host)
{
    const Config& c = host.config();
    enabled_ = c.getBool("analytics.enabled");
    idleMs_ = c.getInt("analytics.session_idle_seconds") * 1000;
    retentionDays_ = c.getInt("analytics.retention_days");
    maxSessions_ = static_cast<size_t>(c.getInt("analytics.max_sessions"));
    segmentSeconds_ = c.getInt("ladder.segment_seconds");
    QoeConfig q;
    q.maxSessions = maxSessions_;
    qoe_ = std::make_unique<QoeAggregator>(q);

    viewers_ = host.gauge("qoe_viewers", "Concurrent viewers (sessions seen in the last 30 s) per recording or stream (kind, id)");
    viewersTotal_ = host.gauge("qoe_viewers_total", "Concurrent viewers of all recordings or of all streams (kind)");
    egress_ = host.counter("qoe_egress_bytes_total", "Bytes of media served to players (kind: recording or stream)");
    requests_ = host.counter("qoe_requests_total", "Media requests served, per rung (kind, rung; none for masters)");
    malformed_ = host.counter("cmcd_malformed_total", "Requests whose CMCD did not parse: served, in no session (kind)");
    sessionsLive_ = host.gauge("qoe_sessions", "Playback sessions in memory on this node");
    sessionsEnded_ = host.counter("qoe_sessions_ended_total", "Playback sessions ended (idle) and stored");
    progressEvents_ = host.counter("playback_progress_events_total", "playback.progress events published");
}

Analytics::~Analytics()
{
    stop();
}

void Analytics::start()
{
    access_.start();
    // Found even when disabled: the reports of what was stored still describe their recordings.
    media_ = RecordingMedia::find(host_);
    if (!enabled_) return;
    if (media_) {
        observer_ = media_->observe([this](std::string_view text) {
            const Json o = Json::parse(text);
            const std::string id = o["recording_id"].asString(), user = o["user_id"].asString(), file = o["file"].asString();
            const Json headers = o["cmcd_headers"];
            auto header = [&](const char* name) { return headers.has(name) ? headers[name].asString() : std::string(); };
            const std::string request = header("cmcd-request"), object = header("cmcd-object"), status = header("cmcd-status"),
                              session = header("cmcd-session");
            std::optional<std::string> query;
            if (o.has("cmcd") && !o["cmcd"].isNull()) query = o["cmcd"].asString();
            ServedMedia m;
            m.kind = QoeKind::Recording;
            m.subjectId = id;
            m.userId = user;
            m.file = file;
            m.bytes = static_cast<uint64_t>(std::max<int64_t>(0, o.intOr("bytes", 0)));
            if (query) m.cmcdQuery = *query;
            m.cmcdHeaders = {request, object, status, session};
            m.atMs = o.intOr("at_ms", unixNowMs());
            observe(m);
        });
        if (!observer_) host_.log().warn("the recording plugin refused another media observer: recordings get no stream analytics");
    } else {
        host_.log().warn("the recording plugin offers no vtp.recording.media service: recordings get no stream analytics");
    }
    {
        std::lock_guard lock(loopMutex_);
        stopping_ = false;
    }
    loop_ = std::thread([this] { drainLoop(); });
}

void Analytics::stop()
{
    observer_.reset(); // no observation comes after this
    {
        std::lock_guard lock(loopMutex_);
        stopping_ = true;
    }
    loopCv_.notify_all();
    if (loop_.joinable()) {
        loop_.join();
        // Whatever is still in memory is stored: a restart keeps it (as ended now).
        try {
            tick(true);
        } catch (const std::exception& e) {
            host_.log().warn("could not store the playback sessions at stop", {{"error", e.what()}});
        }
    }
    media_.reset();
}

std::optional<Analytics::Subject> Analytics::subject(QoeKind kind, const std::string& id, bool fresh)
{
    const std::string key = aggregatorStream(kind, id);
    const auto now = std::chrono::steady_clock::now();
    if (!fresh) {
        std::lock_guard lock(cacheMutex_);
        if (const auto it = subjects_.find(key); it != subjects_.end() && it->second.until > now) return it->second.subject;
    }
    std::optional<Subject> s;
    if (kind == QoeKind::Recording) {
        const auto rec = media_ ? media_->describe(id) : std::nullopt;
        if (rec) {
            s = Subject{};
            if (!(*rec)["section_id"].isNull()) s->sectionId = (*rec)["section_id"].asString();
            s->ownerId = (*rec)["owner_id"].asString();
            s->visibility = rec->stringOr("visibility", "participants");
            s->segmentSeconds = segmentSeconds_;
            // The ladder's rungs, by the representation number in their playlists' names.
            const Rows rows = host_.db().query("SELECT result FROM streaming_ladders WHERE recording_id = ? AND state = 'ready'", {id});
            if (!rows.empty() && !rows[0]["result"].isNull()) {
                const Json result = Json::parse(rows[0]["result"].asString());
                const Json sources = result["sources"];
                for (size_t i = 0; sources.isArray() && i < sources.size(); ++i) {
                    const Json rungs = sources.at(i)["rungs"];
                    for (size_t j = 0; rungs.isArray() && j < rungs.size(); ++j) {
                        const Json r = rungs.at(j);
                        const MediaFile f = parseMediaFile(r.stringOr("playlist", ""));
                        if (!f.representation) continue;
                        const std::string name = r.stringOr("name", "");
                        s->rungs[*f.representation] = RungInfo{name, r.intOr("kbps", 0), name != "audio"};
                    }
                }
            }
        }
    } else {
        const Rows rows = host_.db().query("SELECT section_id, owner_id FROM streaming_streams WHERE id = ?", {id});
        if (!rows.empty()) {
            s = Subject{};
            s->sectionId = rows[0]["section_id"].asOptionalString();
            s->ownerId = rows[0]["owner_id"].asString();
        }
    }
    if (s && s->sectionId) s->courseId = access_.sectionCourse(*s->sectionId);
    std::lock_guard lock(cacheMutex_);
    if (subjects_.size() >= kMaxCachedSubjects) subjects_.clear();
    subjects_[key] = Cached{s, now + kSubjectCacheFor};
    return s;
}

std::string Analytics::countedRung(std::string_view rung)
{
    const std::string r = rung.empty() ? std::string("none") : std::string(rung);
    std::lock_guard lock(rungMutex_);
    if (std::find(rungLabels_.begin(), rungLabels_.end(), r) != rungLabels_.end()) return r;
    if (rungLabels_.size() >= kMaxRungLabels) return "other";
    rungLabels_.push_back(r);
    return r;
}

void Analytics::observe(const ServedMedia& m)
{
    if (!enabled_) return;
    const int64_t at = m.atMs.value_or(unixNowMs());
    const std::string kind(kindName(m.kind));
    const std::string stream = aggregatorStream(m.kind, m.subjectId);
    const std::string subjectId(m.subjectId), userId(m.userId);

    // Which rung, and what media time: the caller's, else the recording's ladder and the name.
    const MediaFile f = parseMediaFile(m.file);
    std::string rung(m.rung);
    std::optional<int64_t> kbps = m.rungKbps;
    bool video = rung != "audio";
    std::optional<std::pair<double, double>> media = m.mediaSeconds;
    std::optional<Subject> subj;
    try {
        subj = subject(m.kind, subjectId);
    } catch (const std::exception& e) {
        host_.log().warn("could not describe a stream analytics subject", {{"id", subjectId}, {"error", e.what()}});
    }
    if (rung.empty() && f.representation) {
        if (!f.ladder) {
            rung = "source"; // the single rendition made by processing
        } else if (subj) {
            if (const auto it = subj->rungs.find(*f.representation); it != subj->rungs.end()) {
                rung = it->second.name;
                if (!kbps && it->second.kbps > 0) kbps = it->second.kbps;
                video = it->second.video;
            }
        }
    }
    if (!media && f.type == MediaFile::Type::Segment && f.ladder && subj && subj->segmentSeconds > 0) {
        const double s = static_cast<double>(subj->segmentSeconds);
        media = std::pair{static_cast<double>(*f.number - 1) * s, static_cast<double>(*f.number) * s};
    }

    egress_.inc(static_cast<double>(m.bytes), {{"kind", kind}});
    requests_.inc(1, {{"kind", kind}, {"rung", countedRung(rung)}});

    // The query argument wins over the headers; either malformed makes the request malformed.
    const bool anyHeader =
        !m.cmcdHeaders.request.empty() || !m.cmcdHeaders.object.empty() || !m.cmcdHeaders.status.empty() || !m.cmcdHeaders.session.empty();
    Parsed<CmcdData> parsed = Parsed<CmcdData>::ok(CmcdData{});
    if (anyHeader) parsed = parseCmcdHeaders(m.cmcdHeaders);
    if (m.cmcdQuery && parsed) parsed = parseCmcd(*m.cmcdQuery);
    if (!parsed) {
        malformed_.inc(1, {{"kind", kind}});
        qoe_->recordMalformedCmcd(milliseconds(at), stream);
        qoe_->observe({milliseconds(at), stream, nullptr, m.bytes, rung});
        return;
    }

    CmcdData c = std::move(*parsed.value);
    std::optional<std::string> cmcdSid;
    if (c.sid && !c.sid->empty()) cmcdSid = c.sid;
    // A session per user and sid: a sid is the player's choice, so two users never share one.
    c.sid = userId + kKeySep + cmcdSid.value_or("");
    // What the server knows fills in what the player did not say (a player without CMCD included).
    // A live stream's part or segment comes with its media time (its names are not the ladder's).
    const bool segment = f.type == MediaFile::Type::Segment || (m.kind == QoeKind::Stream && m.mediaSeconds);
    if (segment && !rung.empty() && rung != "source") {
        if (!c.ot) c.ot = video ? CmcdObjectType::Video : CmcdObjectType::Audio;
        if (!c.br && kbps) c.br = kbps;
        if (!c.d && media) c.d = static_cast<int64_t>((media->second - media->first) * 1000.0 + 0.5);
    }
    c.keyCount = std::max<uint32_t>(c.keyCount, 1);

    std::optional<Json> progress;
    {
        std::lock_guard lock(mutex_);
        const std::string key = sessionKey(stream, *c.sid);
        auto it = sessions_.find(key);
        if (it == sessions_.end() && sessions_.size() >= maxSessions_) {
            // Full: counted for the subject, in no session (as the aggregator refuses it too).
            qoe_->observe({milliseconds(at), stream, nullptr, m.bytes, rung});
            return;
        }
        if (it == sessions_.end()) {
            SessionState s;
            s.id = randomUuid();
            s.kind = m.kind;
            s.subjectId = subjectId;
            s.userId = userId;
            s.sid = cmcdSid;
            if (subj) {
                s.sectionId = subj->sectionId;
                s.courseId = subj->courseId;
                s.ownerId = subj->ownerId;
            }
            it = sessions_.emplace(key, std::move(s)).first;
        }
        SessionState& s = it->second;
        qoe_->observe({milliseconds(at), stream, &c, m.bytes, rung});
        // A file that was not there (its size unknown): the player got an error.
        if (m.bytes == 0 && f.type != MediaFile::Type::Other) qoe_->recordError(milliseconds(at), stream, *c.sid);
        if (!rung.empty()) {
            auto r = s.rungs.find(rung);
            if (r == s.rungs.end()) r = s.rungs.emplace(s.rungs.size() < kMaxRungLabels ? rung : std::string("other"), 0).first;
            ++r->second;
        }
        s.lastMs = std::max(s.lastMs, at);
        if (media && s.progress.watched(at, media->first, media->second)) {
            s.progress.published(at);
            Json p{{"user_id", s.userId},
                   {"session", s.id},
                   {"sid", s.sid ? Json(*s.sid) : Json()},
                   {"position_s", *s.progress.position()},
                   {"watched", rangesJson(s.progress.ranges())},
                   {"ended", false}};
            p.set(kind + "_id", s.subjectId);
            progress = std::move(p);
        }
    }
    if (progress) {
        host_.publish("playback.progress", *progress);
        progressEvents_.inc();
    }
}

QoeSessionRow Analytics::rowOf(const SessionStats& st, const SessionState& s) const
{
    QoeSessionRow r;
    r.id = s.id;
    r.kind = std::string(kindName(s.kind));
    r.subjectId = s.subjectId;
    r.userId = s.userId;
    r.sectionId = s.sectionId;
    r.courseId = s.courseId;
    r.ownerId = s.ownerId;
    r.sid = s.sid;
    r.startedAt = st.firstSeenMs / 1000;
    r.endedAt = st.lastSeenMs / 1000;
    r.startupMs = st.startupMs;
    r.rebufferCount = st.rebuffers;
    r.rebufferSeconds = st.rebufferSeconds;
    r.rebufferRatio = st.rebufferRatio;
    r.bitrateSwitches = st.bitrateSwitches;
    r.avgKbps = st.averageKbps;
    r.minKbps = st.lowestKbps;
    r.errors = st.errors;
    r.watchSeconds = st.watchSeconds;
    r.requests = st.requests;
    r.bytes = st.bytes;
    r.positionS = s.progress.position();
    r.watched = s.progress.ranges();
    r.rungs = s.rungs;
    return r;
}

bool Analytics::matches(const QoeSessionRow& r, std::optional<QoeKind> kind, const std::string& subjectId,
                        const std::optional<std::string>& courseId) const
{
    if (kind) return r.kind == kindName(*kind) && r.subjectId == subjectId;
    return r.courseId == courseId;
}

std::vector<QoeSessionRow> Analytics::liveSessions(std::optional<QoeKind> kind, const std::string& subjectId,
                                                   const std::optional<std::string>& courseId) const
{
    const std::string stream = kind ? aggregatorStream(*kind, subjectId) : std::string();
    std::vector<QoeSessionRow> out;
    // The snapshot under the same lock as the drain: a session is in memory or pending, never neither.
    std::lock_guard lock(mutex_);
    const QoeSnapshot snap = qoe_->snapshot(milliseconds(unixNowMs()));
    for (const auto& st : snap.sessions) {
        if (kind && st.stream != stream) continue;
        const auto it = sessions_.find(sessionKey(st.stream, st.sid));
        if (it == sessions_.end()) continue;
        if (!kind && it->second.courseId != courseId) continue;
        out.push_back(rowOf(st, it->second));
        out.back().live = true;
    }
    for (const auto& r : pending_)
        if (matches(r, kind, subjectId, courseId)) out.push_back(r);
    return out;
}

uint32_t Analytics::concurrentViewers(QoeKind kind, const std::string& subjectId) const
{
    const std::string stream = aggregatorStream(kind, subjectId);
    for (const auto& s : qoe_->snapshot(milliseconds(unixNowMs())).streams)
        if (s.stream == stream) return s.concurrentViewers;
    return 0;
}

uint64_t Analytics::malformedCmcd(QoeKind kind, const std::string& subjectId) const
{
    const std::string stream = aggregatorStream(kind, subjectId);
    for (const auto& s : qoe_->snapshot(milliseconds(unixNowMs())).streams)
        if (s.stream == stream) return s.malformedCmcd;
    return 0;
}

uint64_t Analytics::malformedCmcdOfCourse(const std::string& courseId)
{
    uint64_t n = 0;
    for (const auto& s : qoe_->snapshot(milliseconds(unixNowMs())).streams) {
        if (s.malformedCmcd == 0) continue;
        const size_t colon = s.stream.find(':');
        const QoeKind kind = s.stream.compare(0, colon, "stream") == 0 ? QoeKind::Stream : QoeKind::Recording;
        try {
            const auto subj = subject(kind, s.stream.substr(colon + 1));
            if (subj && subj->courseId == courseId) n += s.malformedCmcd;
        } catch (const std::exception&) {
            // A subject that cannot be described now is left out of the count.
        }
    }
    return n;
}

void Analytics::drainLoop()
{
    int64_t nextRetention = 0;
    std::unique_lock lock(loopMutex_);
    while (!stopping_) {
        lock.unlock();
        try {
            tick(false);
            if (const int64_t now = unixNowMs(); now >= nextRetention) {
                nextRetention = now + kRetentionEveryMs;
                const long long before = static_cast<long long>(now / 1000 - retentionDays_ * 86400);
                host_.db().exec("DELETE FROM streaming_qoe_rungs WHERE session_id IN (SELECT id FROM streaming_qoe_sessions WHERE "
                                "ended_at < ?)",
                                {before});
                host_.db().exec("DELETE FROM streaming_qoe_sessions WHERE ended_at < ?", {before});
            }
        } catch (const std::exception& e) {
            host_.log().warn("stream analytics: storing sessions failed (retried)", {{"error", e.what()}});
        }
        lock.lock();
        loopCv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
    }
}

void Analytics::publishProgress(const SessionState& s, bool ended)
{
    Json p{{"user_id", s.userId},
           {"session", s.id},
           {"sid", s.sid ? Json(*s.sid) : Json()},
           {"position_s", s.progress.position() ? Json(*s.progress.position()) : Json()},
           {"watched", rangesJson(s.progress.ranges())},
           {"ended", ended}};
    p.set(std::string(kindName(s.kind)) + "_id", s.subjectId);
    host_.publish("playback.progress", p);
    progressEvents_.inc();
}

void Analytics::tick(bool all)
{
    const int64_t now = unixNowMs();
    std::vector<SessionState> ended;
    {
        std::lock_guard lock(mutex_);
        // All: the last sight may be a little ahead of this clock (an observation's at_ms).
        const auto drained = qoe_->drainIdle(milliseconds(now), milliseconds(all ? -86400000 : idleMs_));
        for (const auto& st : drained) {
            const auto it = sessions_.find(sessionKey(st.stream, st.sid));
            if (it == sessions_.end()) continue;
            pending_.push_back(rowOf(st, it->second));
            ended.push_back(std::move(it->second));
            sessions_.erase(it);
        }
        // Sessions the aggregator evicted or refused (it was full) leave nothing to drain.
        std::erase_if(sessions_, [&](const auto& kv) { return kv.second.lastMs < now - idleMs_ - 60000; });
        // A database down for long: the oldest ended sessions go first.
        if (pending_.size() > maxSessions_) {
            host_.log().warn("stream analytics: ended sessions dropped, the database did not take them",
                             {{"dropped", std::to_string(pending_.size() - maxSessions_)}});
            pending_.erase(pending_.begin(), pending_.end() - static_cast<std::ptrdiff_t>(maxSessions_));
        }
    }
    // Once when it ends (with what it watched in all), whenever its last periodic one was.
    for (const auto& s : ended)
        if (s.progress.anyWatched()) publishProgress(s, true);
    size_t stored = 0;
    {
        std::unique_lock store(storeMutex_);
        std::vector<QoeSessionRow> rows;
        {
            std::lock_guard lock(mutex_);
            rows = pending_;
        }
        if (!rows.empty()) {
            persist(rows); // throws on failure: they stay pending, tried again next tick
            std::lock_guard lock(mutex_);
            std::set<std::string> done;
            for (const auto& r : rows) done.insert(r.id);
            std::erase_if(pending_, [&](const QoeSessionRow& r) { return done.contains(r.id); });
            stored = rows.size();
        }
    }
    if (stored > 0) sessionsEnded_.inc(static_cast<double>(stored));

    const QoeSnapshot snap = qoe_->snapshot(milliseconds(now));
    sessionsLive_.set(static_cast<double>(snap.sessions.size()));
    std::map<std::string, double> totals{{"recording", 0}, {"stream", 0}};
    std::lock_guard lock(rungMutex_);
    std::map<std::string, bool> seen;
    for (const auto& s : snap.streams) {
        if (s.concurrentViewers == 0 && !viewerSeries_.contains(s.stream)) continue;
        const size_t colon = s.stream.find(':');
        const std::string kind = s.stream.substr(0, colon), id = s.stream.substr(colon + 1);
        viewers_.set(s.concurrentViewers, {{"kind", kind}, {"id", id}});
        totals[kind] += s.concurrentViewers;
        if (s.concurrentViewers > 0) seen[s.stream] = true;
    }
    // A subject nobody watches any more reads 0 (then is left alone).
    for (const auto& [stream, _] : viewerSeries_)
        if (!seen.contains(stream)) {
            const size_t colon = stream.find(':');
            viewers_.set(0, {{"kind", stream.substr(0, colon)}, {"id", stream.substr(colon + 1)}});
        }
    viewerSeries_ = std::move(seen);
    for (const auto& [kind, n] : totals) viewersTotal_.set(n, {{"kind", kind}});
}

void Analytics::persist(const std::vector<QoeSessionRow>& rows)
{
    host_.db().transaction([&](Tx& tx) {
        for (const auto& r : rows) {
            const std::string watched = rangesJson(r.watched).dump();
            // Stored once: a second stop of the same session (none expected) changes nothing.
            const int64_t added = tx.exec(
                "INSERT INTO streaming_qoe_sessions (id, kind, subject_id, section_id, course_id, owner_id, user_id, sid, started_at, "
                "ended_at, startup_ms, rebuffer_count, rebuffer_seconds, rebuffer_ratio, bitrate_switches, avg_kbps, min_kbps, errors, "
                "watch_seconds, requests, bytes, position_s, watched) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?, ?) ON CONFLICT (id) DO NOTHING",
                {r.id,
                 r.kind,
                 r.subjectId,
                 r.sectionId,
                 r.courseId,
                 r.ownerId,
                 r.userId,
                 r.sid,
                 static_cast<long long>(r.startedAt),
                 static_cast<long long>(r.endedAt),
                 r.startupMs,
                 static_cast<long long>(r.rebufferCount),
                 r.rebufferSeconds,
                 r.rebufferRatio,
                 static_cast<long long>(r.bitrateSwitches),
                 r.avgKbps,
                 r.minKbps,
                 static_cast<long long>(r.errors),
                 r.watchSeconds,
                 static_cast<long long>(r.requests),
                 static_cast<long long>(r.bytes),
                 r.positionS,
                 watched});
            if (added == 0) continue;
            for (const auto& [rung, n] : r.rungs)
                tx.exec("INSERT INTO streaming_qoe_rungs (session_id, rung, requests) VALUES (?, ?, ?)",
                        {r.id, rung, static_cast<long long>(n)});
        }
    });
}

} // namespace vtp::streaming
