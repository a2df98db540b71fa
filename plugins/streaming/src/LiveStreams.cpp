#include "LiveStreams.hpp"

#include "LlDash.hpp"

#include "ArchiveState.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>

namespace vtp::streaming {

namespace {

namespace fs = std::filesystem;

// The key goes to the worker in its environment; its listen URL names this placeholder instead.
constexpr const char* kKeyPlaceholder = "from-env";

int64_t unixNow()
{
    return static_cast<int64_t>(::time(nullptr));
}

std::string workerBesidePlugin()
{
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&workerBesidePlugin), &info) == 0 || !info.dli_fname) return "vtp-stream-worker";
    const std::string path = info.dli_fname;
    const auto slash = path.rfind('/');
    return (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) + "/vtp-stream-worker";
}

// Whether nothing holds `port` now (TCP for RTMP, UDP for SRT) on the workers' address.
bool portFree(const std::string& address, int port, bool udp)
{
    const int fd = ::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    // As FFmpeg's listener does: a port in TIME_WAIT is free to listen on.
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

Json nullable(const std::optional<std::string>& s)
{
    return s ? Json(*s) : Json();
}

std::string str(const Json& j, const char* key)
{
    const Json v = j[key];
    return v.isString() ? v.asString() : std::string();
}

int64_t integer(const Json& j, const char* key)
{
    const Json v = j[key];
    return v.isInteger() ? v.asInt() : -1;
}

double number(const Json& j, const char* key)
{
    const Json v = j[key];
    return v.isNumber() ? v.asDouble() : -1;
}

} // namespace

LiveSettings LiveSettings::fromConfig(const Host& host)
{
    const Config& c = host.config();
    LiveSettings s;
    s.workerPath = c.getString("ingest.worker");
    if (s.workerPath.empty()) s.workerPath = workerBesidePlugin();
    s.rootDir = host.dataDir() + "/streaming/live";
    s.archiveDir = host.dataDir() + "/streaming/archive";
    s.listenAddress = c.getString("ingest.listen_address");
    in_addr probe{};
    if (::inet_pton(AF_INET, s.listenAddress.c_str(), &probe) != 1)
        throw PluginError("ingest.listen_address must be an IPv4 address (0.0.0.0: every interface)");
    s.rtmpApp = rtmpApplication(c.getString("ingest.rtmp_url"));
    if (s.rtmpApp.empty()) s.rtmpApp = "live";
    if (s.rtmpApp.size() > 63 ||
        s.rtmpApp.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos)
        throw PluginError("the path of ingest.rtmp_url (the RTMP application) must be one word of A-Z a-z 0-9 _ -");
    const auto range = [&](const char* key) {
        const auto r = parsePortRange(c.getString(key));
        if (!r) throw PluginError(std::string(key) + " must be FIRST-LAST (ports 1 to 65535) or one port");
        return *r;
    };
    s.rtmpPorts = range("ingest.rtmp_ports");
    s.srtPorts = range("ingest.srt_ports");
    try {
        s.rungs = parseLadder(c.getStringArray("live.rungs"));
    } catch (const std::invalid_argument& e) {
        throw PluginError(std::string("live.rungs: ") + e.what());
    }
    for (const auto& r : s.rungs)
        if (r.height > 2160 || r.videoKbps < 64 || r.videoKbps > 50000)
            throw PluginError("live.rungs: a live rung is 144 to 2160 pixels high at 64 to 50000 kbit/s");
    s.audioKbps = static_cast<int>(c.getInt("live.audio_kbps"));
    s.preset = c.getString("live.preset");
    s.segmentMs = static_cast<int>(c.getInt("live.segment_ms"));
    s.partMs = static_cast<int>(c.getInt("live.part_ms"));
    if (s.segmentMs % s.partMs != 0) throw PluginError("live.segment_ms must be a whole number of live.part_ms");
    s.dvrWindowSeconds = static_cast<double>(c.getInt("live.dvr_window_seconds"));
    if (s.dvrWindowSeconds < 3.0 * std::ceil(s.segmentMs / 1000.0))
        throw PluginError("live.dvr_window_seconds must hold at least 3 segments (the HLS spec's minimum)");
    s.graceSeconds = static_cast<int>(c.getInt("live.reconnect_grace_seconds"));
    s.maxWaitersPerRendition = static_cast<size_t>(c.getInt("live.max_waiters_per_rendition"));
    s.stallTimeoutMs = static_cast<int>(c.getInt("ingest.stall_timeout_ms"));
    s.maxInputKbps = static_cast<int>(c.getInt("ingest.max_input_kbps"));
    s.limits.memoryBytes = static_cast<uint64_t>(c.getInt("ingest.memory_mb")) * 1024 * 1024;
#ifdef VTP_SANITIZED_BUILD
    s.limits.memoryBytes = 0; // AddressSanitizer reserves terabytes of address space
#endif
    s.limits.nice = static_cast<int>(c.getInt("ingest.nice"));
    return s;
}

LlHlsConfig LiveSettings::playlistConfig() const
{
    LlHlsConfig c;
    c.targetDurationSeconds = static_cast<int>(std::ceil(segmentMs / 1000.0));
    // A part ends on the first frame at or after its instant on the grid: up to a frame longer
    // than part_ms. 10% covers a frame at 20 fps and more (longer ones are clamped).
    c.partTargetSeconds = std::min<double>(c.targetDurationSeconds, partMs * 1.1 / 1000.0);
    c.dvrWindowSeconds = dvrWindowSeconds;
    return c;
}

LiveStreams::LiveStreams(Host& host, LiveSettings settings)
    : host_(host), settings_(std::move(settings)), waiters_(settings_.maxWaitersPerRendition)
{
    imported_ = host.counter("live_recordings_imported_total", "Ended live streams imported as recordings on this node");
    importFailures_ = host.counter("live_recordings_failed_total", "Ended live streams whose archive could not be imported");
    // The recording a stream became is ready: its live files and playlists are of no more use.
    host.subscribe("recording.ready", [this](const Event& e) {
        try {
            const Rows rows = host_.db().query("SELECT id FROM streaming_streams WHERE recording_id = ? AND state = 'ended'",
                                               {e.payload["id"].asString()});
            if (rows.empty()) return;
            {
                std::lock_guard lock(commandsMutex_);
                commands_.push_back({Command::Retire, rows[0]["id"].asString()});
            }
            wake();
        } catch (const std::exception& ex) {
            host_.log().warn("could not look up the stream of a ready recording", {{"error", ex.what()}});
        }
    });
}

LiveStreams::~LiveStreams()
{
    stop();
}

void LiveStreams::start()
{
    std::error_code ec;
    // Sessions are numbered afresh at each start: what an earlier run left is of no use now.
    fs::remove_all(settings_.rootDir, ec);
    fs::create_directories(settings_.rootDir, ec);
    if (ec) throw PluginError("cannot create " + settings_.rootDir + ": " + ec.message());
    fs::create_directories(settings_.archiveDir, ec);
    if (ec) throw PluginError("cannot create " + settings_.archiveDir + ": " + ec.message());
    media_ = RecordingMedia::find(host_);
    if (!media_) host_.log().warn("the recording plugin offers no vtp.recording.media service: ended live streams stay unrecorded");
    wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeFd_ < 0) throw PluginError("cannot make an eventfd for the live ingest loop");
    const Rows rows = host_.db().query("SELECT id, rtmp_port, srt_port FROM streaming_streams WHERE state <> 'ended'");
    {
        std::lock_guard lock(portsMutex_);
        for (const auto& row : rows) {
            if (const auto p = row["rtmp_port"].asOptionalInt()) rtmpUsed_.insert(static_cast<int>(*p));
            if (const auto p = row["srt_port"].asOptionalInt()) srtUsed_.insert(static_cast<int>(*p));
        }
    }
    for (const auto& row : rows) loadStream(row["id"].asString());
    // Imports a stopped node left undone (claimed ones only once their claim is stale).
    for (const auto& row : host_.db().query("SELECT id FROM streaming_streams WHERE state = 'ended' AND archive_state IN ('pending', "
                                            "'importing') ORDER BY ended_at"))
        imports_.emplace_back(row["id"].asString(), "publisher gone");
    loop_ = std::thread([this] { run(); });
    importer_ = std::thread([this] { importLoop(); });
}

void LiveStreams::stop()
{
    if (stopping_.exchange(true)) return;
    wake();
    if (loop_.joinable()) loop_.join();
    {
        std::lock_guard lock(importMutex_);
        importCv_.notify_all();
    }
    // An import under way finishes first (it is a copy of files; the claim would hold it an hour).
    if (importer_.joinable()) importer_.join();
    if (wakeFd_ >= 0) ::close(wakeFd_);
    wakeFd_ = -1;
}

void LiveStreams::wake()
{
    if (wakeFd_ < 0) return;
    const uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wakeFd_, &one, sizeof one);
}

IngestPorts LiveStreams::reservePorts()
{
    std::lock_guard lock(portsMutex_);
    const auto pick = [&](const PortRange& range, std::set<int>& used, bool udp) {
        for (int p = range.first; p <= range.last; ++p)
            if (!used.contains(p) && portFree(settings_.listenAddress, p, udp)) return p;
        return 0;
    };
    IngestPorts ports{pick(settings_.rtmpPorts, rtmpUsed_, false), pick(settings_.srtPorts, srtUsed_, true)};
    if (!ports.rtmp || !ports.srt)
        throw HttpError(503, "no-ingest-port", "Service unavailable",
                        "every ingest port is taken (ingest.rtmp_ports, ingest.srt_ports): end or delete a stream, or widen the ranges");
    rtmpUsed_.insert(ports.rtmp);
    srtUsed_.insert(ports.srt);
    return ports;
}

void LiveStreams::releasePorts(const IngestPorts& ports)
{
    std::lock_guard lock(portsMutex_);
    rtmpUsed_.erase(ports.rtmp);
    srtUsed_.erase(ports.srt);
}

void LiveStreams::created(const std::string& streamId)
{
    {
        std::lock_guard lock(commandsMutex_);
        commands_.push_back({Command::Create, streamId});
    }
    wake();
}

void LiveStreams::keyRotated(const std::string& streamId)
{
    {
        std::lock_guard lock(commandsMutex_);
        commands_.push_back({Command::Rekey, streamId});
    }
    wake();
}

void LiveStreams::deleted(const std::string& streamId)
{
    {
        std::lock_guard lock(commandsMutex_);
        commands_.push_back({Command::Delete, streamId});
    }
    wake();
}

std::string LiveStreams::sessionDir(const std::string& id, uint32_t session) const
{
    return settings_.rootDir + "/" + id + "/s" + std::to_string(session);
}

// ---- the loop -------------------------------------------------------------------------------------

void LiveStreams::loadStream(const std::string& id)
{
    const Rows rows = host_.db().query("SELECT stream_key, state, rtmp_port, srt_port FROM streaming_streams WHERE id = ?", {id});
    if (rows.empty() || rows[0]["state"].asString() == "ended" || ingest_.contains(id)) return;
    Ingest in;
    in.id = id;
    in.key = rows[0]["stream_key"].asString();
    in.ports.rtmp = static_cast<int>(rows[0]["rtmp_port"].asOptionalInt().value_or(0));
    in.ports.srt = static_cast<int>(rows[0]["srt_port"].asOptionalInt().value_or(0));
    if (!in.ports.rtmp || !in.ports.srt) {
        // Made before streams had ports of their own: given some now, kept from then on.
        const IngestPorts ports = reservePorts();
        host_.db().exec("UPDATE streaming_streams SET rtmp_port = ?, srt_port = ? WHERE id = ?", {ports.rtmp, ports.srt, id});
        in.ports = ports;
    }
    if (rows[0]["state"].asString() == "live") {
        // vtpd stopped while it was live: its publisher may come back within the grace period.
        in.phase = Phase::Grace;
        in.graceUntil = Clock::now() + std::chrono::seconds(settings_.graceSeconds);
        in.droppedAt = unixNow();
    }
    std::error_code ec;
    fs::create_directories(settings_.rootDir + "/" + id, ec);
    auto& stored = ingest_.emplace(id, std::move(in)).first->second;
    spawn(stored, 0);
    spawn(stored, 1);
}

void LiveStreams::spawn(Ingest& in, int which)
{
    Worker& w = in.workers[which];
    w.restartAt.reset();
    const uint32_t session = in.nextSession++;
    const std::string port = std::to_string(which == 0 ? in.ports.rtmp : in.ports.srt);
    const std::string listen = which == 0
                                   ? "rtmp://" + settings_.listenAddress + ":" + port + "/" + settings_.rtmpApp + "/" + kKeyPlaceholder
                                   : "srt://" + settings_.listenAddress + ":" + port + "?mode=listener&streamid=" + kKeyPlaceholder;
    std::vector<std::string> args{settings_.workerPath,
                                  "--listen",
                                  listen,
                                  "--out-dir",
                                  sessionDir(in.id, session),
                                  "--archive-dir",
                                  archiveDirOf(in.id),
                                  "--audio-kbps",
                                  std::to_string(settings_.audioKbps),
                                  "--segment-ms",
                                  std::to_string(settings_.segmentMs),
                                  "--part-ms",
                                  std::to_string(settings_.partMs),
                                  "--preset",
                                  settings_.preset,
                                  "--idle-timeout-ms",
                                  std::to_string(settings_.idleTimeoutMs),
                                  "--stall-timeout-ms",
                                  std::to_string(settings_.stallTimeoutMs),
                                  "--max-input-kbps",
                                  std::to_string(settings_.maxInputKbps)};
    for (const auto& r : settings_.rungs) args.insert(args.end(), {"--rung", std::to_string(r.height) + ":" + std::to_string(r.videoKbps)});
    std::string why;
    w.process = IngestProcess::start(args, {"VTP_STREAM_KEY=" + in.key}, settings_.limits, why);
    w.spawnedAt = Clock::now();
    w.endedReason.clear();
    if (!w.process) {
        host_.log().error("cannot start a live ingest worker", {{"stream_id", in.id}, {"error", why}});
        w.restartAt = Clock::now() + std::chrono::seconds(30);
        return;
    }
    w.session = session;
}

std::chrono::milliseconds LiveStreams::nextTimeout(Clock::time_point now) const
{
    // Bounded, so that a waiter added from an HTTP thread with an early deadline is late by little.
    auto next = now + std::chrono::milliseconds(250);
    if (const auto d = waiters_.nextDeadline()) next = std::min(next, *d);
    for (const auto& [id, in] : ingest_) {
        if (in.phase == Phase::Grace) next = std::min(next, in.graceUntil);
        for (const auto& w : in.workers)
            if (w.restartAt) next = std::min(next, *w.restartAt);
    }
    if (!deletions_.empty()) next = std::min(next, deletions_.begin()->first);
    return std::max(std::chrono::milliseconds(0), std::chrono::ceil<std::chrono::milliseconds>(next - now));
}

void LiveStreams::run()
{
    while (!stopping_) {
        std::vector<pollfd> fds{{wakeFd_, POLLIN, 0}};
        std::vector<std::pair<std::string, int>> owners{{"", -1}};
        for (const auto& [id, in] : ingest_)
            for (int i = 0; i < 2; ++i) {
                const auto& p = in.workers[i].process;
                if (!p) continue;
                if (p->reportFd() >= 0) {
                    fds.push_back({p->reportFd(), POLLIN, 0});
                    owners.emplace_back(id, i);
                }
                if (p->errorFd() >= 0) {
                    fds.push_back({p->errorFd(), POLLIN, 0});
                    owners.emplace_back(id, i);
                }
            }
        const int n = ::poll(fds.data(), fds.size(), static_cast<int>(nextTimeout(Clock::now()).count()));
        if (stopping_) break;
        if (n > 0 && (fds[0].revents & POLLIN)) {
            uint64_t count = 0;
            [[maybe_unused]] const auto r = ::read(wakeFd_, &count, sizeof count);
        }
        try {
            handleCommands();
            std::set<std::pair<std::string, int>> touched;
            for (size_t i = 1; n > 0 && i < fds.size(); ++i)
                if (fds[i].revents) touched.insert(owners[i]);
            for (const auto& [id, which] : touched) {
                const auto it = ingest_.find(id);
                if (it == ingest_.end() || !it->second.workers[which].process) continue;
                Ingest& in = it->second;
                std::vector<std::string> lines;
                in.workers[which].process->readErrors();
                const bool open = in.workers[which].process->readReports(lines);
                for (const auto& line : lines) {
                    if (!in.workers[which].process) break; // killed by a report before
                    onLine(in, which, line);
                }
                if (!open && in.workers[which].process) in.workers[which].process->kill();
            }
            // Reap: a worker whose pipe closed has ended (or is about to).
            const auto now = Clock::now();
            std::vector<std::string> graceOver;
            for (auto& [id, in] : ingest_) {
                for (int i = 0; i < 2; ++i) {
                    auto& w = in.workers[i];
                    if (w.process && w.process->reportFd() < 0 && w.process->reap()) onWorkerExit(in, i);
                    if (!w.process && w.restartAt && *w.restartAt <= now && in.phase != Phase::Ended && in.active < 0) spawn(in, i);
                }
                if (in.phase == Phase::Grace && in.graceUntil <= now) graceOver.push_back(id);
            }
            for (const auto& id : graceOver) endStream(ingest_.at(id), "publisher gone");
            while (!deletions_.empty() && deletions_.begin()->first <= now) {
                std::error_code ec;
                fs::remove(deletions_.begin()->second, ec);
                deletions_.erase(deletions_.begin());
            }
            waiters_.expire(now);
        } catch (const std::exception& e) {
            // A database that is away for a moment must not stop every live stream for good.
            host_.log().error("live ingest loop", {{"error", e.what()}});
        }
    }
    // Workers die with their Ingest (SIGKILL and reaped).
    ingest_.clear();
}

void LiveStreams::handleCommands()
{
    std::vector<Command> commands;
    {
        std::lock_guard lock(commandsMutex_);
        commands.swap(commands_);
    }
    for (const auto& c : commands) {
        if (c.kind == Command::Create) {
            loadStream(c.id);
        } else if (c.kind == Command::Rekey) {
            const auto it = ingest_.find(c.id);
            if (it == ingest_.end()) continue;
            const Rows rows = host_.db().query("SELECT stream_key FROM streaming_streams WHERE id = ?", {c.id});
            if (rows.empty()) continue;
            Ingest& in = it->second;
            in.key = rows[0]["stream_key"].asString();
            // The listening workers know the old key: started afresh with the new one. A publisher
            // already live goes on (it proved the key when it connected).
            for (int i = 0; i < 2; ++i) {
                if (i == in.active) continue;
                in.workers[i].process.reset();
                if (in.phase != Phase::Ended && in.active < 0) spawn(in, i);
            }
        } else if (c.kind == Command::Retire) {
            const auto it = ingest_.find(c.id);
            if (it == ingest_.end() || it->second.phase == Phase::Ended) {
                dropStream(c.id);
                host_.log().info("an ended live stream's files were deleted: its recording is ready", {{"stream_id", c.id}});
            }
        } else {
            dropStream(c.id);
            std::error_code ec;
            fs::remove_all(archiveDirOf(c.id), ec);
        }
    }
}

void LiveStreams::dropStream(const std::string& id)
{
    const auto it = ingest_.find(id);
    IngestPorts ports;
    if (it != ingest_.end()) {
        ports = it->second.ports;
        ingest_.erase(it); // kills its workers
    }
    std::shared_ptr<Playback> p;
    {
        std::lock_guard lock(mutex_);
        if (const auto found = playback_.find(id); found != playback_.end()) {
            p = found->second;
            playback_.erase(found);
        }
    }
    if (p)
        for (const auto& [name, r] : p->renditions) waiters_.close(waiterKey(id, name));
    std::erase_if(deletions_, [&](const auto& d) { return d.second.rfind(settings_.rootDir + "/" + id + "/", 0) == 0; });
    std::error_code ec;
    fs::remove_all(settings_.rootDir + "/" + id, ec);
    if (ports.rtmp) releasePorts(ports);
}

void LiveStreams::onLine(Ingest& in, int which, const std::string& line)
{
    Json report;
    try {
        report = Json::parse(line);
    } catch (const std::exception&) {
        report = Json();
    }
    const std::string type = report.isObject() ? str(report, "type") : std::string();
    try {
        if (type == "started") {
            onStarted(in, which, report);
        } else if ((type == "part" || type == "segment") && which == in.active) {
            onMedia(in, report, type == "segment");
        } else if (type == "refused") {
            // Never the key: the worker's reason says only what was wrong.
            host_.log().info("live publish refused",
                             {{"stream_id", in.id}, {"protocol", str(report, "protocol")}, {"reason", str(report, "reason")}});
        } else if (type == "ended") {
            in.workers[which].endedReason = str(report, "reason");
        } else if (type == "archive") {
            const std::string state = str(report, "state");
            if (state == "failed")
                host_.log().error("a live stream's archive could not be written: its recording will lack this publish",
                                  {{"stream_id", in.id}, {"reason", str(report, "reason")}});
            else
                host_.log().info("live archive", {{"stream_id", in.id}, {"state", state}, {"file", str(report, "file")}});
        } else if (type != "init" && type != "part" && type != "segment") {
            host_.log().warn("a live ingest worker wrote something that is not a report: stopped", {{"stream_id", in.id}});
            in.workers[which].process->kill();
        }
    } catch (const std::invalid_argument& e) {
        // A report the playlists cannot take (LivePlaylist's checks): skipped, said once per line.
        host_.log().warn("a live ingest report was skipped", {{"stream_id", in.id}, {"error", e.what()}});
    }
}

void LiveStreams::onStarted(Ingest& in, int which, const Json& report)
{
    Worker& w = in.workers[which];
    if (in.phase == Phase::Ended || (in.active >= 0 && in.active != which)) {
        // Another publisher is live (the other protocol): one at a time.
        w.process->kill();
        return;
    }
    in.active = which;
    // No second publisher while this one is live: the other protocol's worker stops listening.
    in.workers[1 - which].process.reset();
    in.workers[1 - which].restartAt.reset();

    const LlHlsConfig base = settings_.playlistConfig();
    std::vector<std::pair<std::string, EdgeState>> edges;
    std::vector<std::string> dropped;
    {
        std::lock_guard lock(mutex_);
        auto& slot = playback_[in.id];
        if (!slot) slot = std::make_shared<Playback>();
        Playback& p = *slot;
        uint64_t aligned = 0;
        for (const auto& [name, r] : p.renditions) aligned = std::max(aligned, r.playlist->edge().nextMsn);
        for (auto& [name, r] : p.renditions) r.current = false;
        p.order.clear();
        p.session = w.session;
        p.segmentMs = static_cast<int>(integer(report, "segment_ms"));
        p.partMs = static_cast<int>(integer(report, "part_ms"));
        p.sessionStartMs = integer(report, "program_date_time_ms");
        const std::string init = "init-" + std::to_string(w.session) + ".mp4";

        const auto join = [&](const std::string& name, bool audio) -> Rendition* {
            if (!validRenditionName(name)) return nullptr;
            Rendition& r = p.renditions[name];
            r.name = name;
            const std::string mapUri = name + "/" + init;
            if (r.playlist && !r.playlist->edge().ended) {
                r.base = r.playlist->edge().nextMsn;
                const Evicted ev = r.playlist->discontinuity(mapUri);
                dropped.insert(dropped.end(), ev.partUris.begin(), ev.partUris.end());
            } else {
                // New to the stream (a reconnect with a taller source): numbered with the others.
                LlHlsConfig c = base;
                c.mapUri = mapUri;
                c.firstMediaSequence = aligned;
                r.playlist = std::make_shared<LivePlaylist>(c);
                r.base = aligned;
            }
            if (r.sessions.size() >= 1000) r.sessions.erase(r.sessions.begin()); // a reconnect storm stays bounded
            r.sessions.emplace_back(r.base, w.session);
            r.audio = audio;
            r.current = true;
            p.order.push_back(name);
            edges.emplace_back(name, r.playlist->edge());
            return &r;
        };
        const Json rungs = report["rungs"];
        for (size_t i = 0; i < rungs.size(); ++i) {
            const Json rung = rungs.at(i);
            Rendition* r = join(str(rung, "rendition"), false);
            if (!r) continue;
            r->kbps = std::max<int64_t>(0, integer(rung, "video_bitrate") / 1000);
            r->variant = VariantStream{str(rung, "rendition") + ".m3u8",
                                       std::max<int64_t>(1, integer(rung, "bandwidth")),
                                       std::max<int64_t>(0, integer(rung, "video_bitrate") + settings_.audioKbps * 1000),
                                       static_cast<int>(integer(rung, "width")),
                                       static_cast<int>(integer(rung, "height")),
                                       str(rung, "codecs"),
                                       std::max(0.0, number(rung, "frame_rate"))};
        }
        if (const Json audio = report["audio"]; audio.isObject()) {
            if (Rendition* r = join("audio", true)) {
                r->variant =
                    VariantStream{"audio.m3u8", std::max<int64_t>(1, integer(audio, "bandwidth")), 0, 0, 0, str(audio, "codecs"), 0};
                r->sampleRate = static_cast<int>(integer(audio, "sample_rate"));
                r->kbps = std::max<int64_t>(0, integer(audio, "bandwidth") / 1000);
            }
        }
        // A rendition this publish has not (a smaller source): ended, and out of the master.
        for (auto& [name, r] : p.renditions)
            if (!r.current && !r.playlist->edge().ended) {
                const Evicted ev = r.playlist->end();
                dropped.insert(dropped.end(), ev.partUris.begin(), ev.partUris.end());
                edges.emplace_back(name, r.playlist->edge());
            }
        p.sessionStartNumber = p.order.empty() ? 0 : p.renditions[p.order.front()].base;
        rebuildMasterLocked(p);
    }
    for (const auto& [name, edge] : edges) waiters_.advance(waiterKey(in.id, name), edge);
    for (const auto& uri : dropped) scheduleDeletion(in.id, uri.substr(0, uri.find('/')), {uri});

    const Phase was = in.phase;
    in.phase = Phase::Live;
    if (was == Phase::Grace) {
        host_.log().info("live stream continues: its publisher came back", {{"stream_id", in.id}, {"protocol", str(report, "protocol")}});
        return;
    }
    const int64_t now = unixNow();
    if (host_.db().exec("UPDATE streaming_streams SET state = 'live', started_at = ?, updated_at = ? WHERE id = ? AND state = 'idle'",
                        {static_cast<long long>(now), static_cast<long long>(now), in.id}) == 0)
        return; // deleted or ended meanwhile: its command follows
    const Rows rows = host_.db().query("SELECT title, room_id, section_id, owner_id FROM streaming_streams WHERE id = ?", {in.id});
    if (rows.empty()) return;
    host_.publish("stream.started", Json{{"id", in.id},
                                         {"title", rows[0]["title"].asString()},
                                         {"room_id", nullable(rows[0]["room_id"].asOptionalString())},
                                         {"section_id", nullable(rows[0]["section_id"].asOptionalString())},
                                         {"owner_id", rows[0]["owner_id"].asString()},
                                         {"state", "live"},
                                         {"protocol", str(report, "protocol")},
                                         {"started_at", now}});
    host_.log().info("live stream started", {{"stream_id", in.id}, {"protocol", str(report, "protocol")}});
}

void LiveStreams::rebuildMasterLocked(Playback& p)
{
    MasterPlaylistSpec spec;
    for (const auto& name : p.order) {
        const Rendition& r = p.renditions.at(name);
        if (r.audio) {
            spec.audio.uri = r.variant.uri;
            spec.audioOnly = r.variant;
        } else {
            spec.variants.push_back(r.variant);
        }
    }
    if (spec.variants.empty()) spec.audio.uri.clear(); // audio only: the variant alone
    p.master = renderMasterPlaylist(spec);
}

void LiveStreams::onMedia(Ingest& in, const Json& report, bool segment)
{
    const std::string name = str(report, "rendition");
    const int64_t msn = integer(report, "msn");
    if (!validRenditionName(name) || msn < 0) throw std::invalid_argument("a report without a rendition or an msn");
    EdgeState edge;
    Evicted evicted;
    {
        std::lock_guard lock(mutex_);
        const auto p = playback_.find(in.id);
        if (p == playback_.end()) return;
        const auto it = p->second->renditions.find(name);
        if (it == p->second->renditions.end() || !it->second.current) return;
        Rendition& r = it->second;
        const uint64_t g = r.base + static_cast<uint64_t>(msn);
        const double partTarget = r.playlist->config().partTargetSeconds;
        const int perSegment = std::max(1, p->second->segmentMs / std::max(1, p->second->partMs));
        std::string hint;
        if (segment) {
            evicted = r.playlist->finishSegment({name + "/" + mediaName({MediaName::Kind::Segment, g, 0}), number(report, "duration"),
                                                 integer(report, "program_date_time_ms")});
            hint = name + "/" + mediaName({MediaName::Kind::Part, g + 1, 0});
        } else {
            const int64_t k = integer(report, "part");
            if (k < 0 || k > 9999) throw std::invalid_argument("a part report without a part number");
            // Up to a frame over the target: said as the target (see playlistConfig).
            const double duration = std::min(number(report, "duration"), partTarget);
            const MediaName partName{MediaName::Kind::Part, g, static_cast<uint32_t>(k)};
            evicted = r.playlist->addPart(
                {duration, report["independent"].isBool() && report["independent"].asBool(), name + "/" + mediaName(partName)});
            hint = name + "/" +
                   (k + 1 < perSegment ? mediaName({MediaName::Kind::Part, g, static_cast<uint32_t>(k + 1)})
                                       : mediaName({MediaName::Kind::Part, g + 1, 0}));
        }
        r.playlist->setPreloadHint(hint);
        edge = r.playlist->edge();
    }
    waiters_.advance(waiterKey(in.id, name), edge);
    std::vector<std::string> gone = evicted.segmentUris;
    gone.insert(gone.end(), evicted.partUris.begin(), evicted.partUris.end());
    if (!gone.empty()) scheduleDeletion(in.id, name, gone);
}

void LiveStreams::scheduleDeletion(const std::string& id, const std::string& rendition, const std::vector<std::string>& uris)
{
    const auto due = Clock::now() + settings_.deleteDelay;
    std::lock_guard lock(mutex_);
    const auto p = playback_.find(id);
    if (p == playback_.end()) return;
    const auto r = p->second->renditions.find(rendition);
    if (r == p->second->renditions.end()) return;
    for (const auto& uri : uris) {
        const auto name = parseMediaName(std::string_view(uri).substr(uri.find('/') + 1));
        if (!name) continue;
        if (const auto path = pathLocked(id, r->second, *name)) deletions_.emplace(due, *path);
    }
}

void LiveStreams::onWorkerExit(Ingest& in, int which)
{
    Worker& w = in.workers[which];
    const bool wasActive = in.active == which;
    const auto lived = Clock::now() - w.spawnedAt;
    const std::string reason = w.endedReason.empty() ? "the worker stopped without a report" : w.endedReason;
    if (wasActive || (reason != "idle timeout" && reason != "publisher disconnected")) {
        std::string errors;
        for (const auto& l : w.process->lastErrors()) errors += l + "\n";
        host_.log().info("live ingest worker ended", {{"stream_id", in.id}, {"reason", reason}, {"stderr", errors}});
    }
    w.process.reset();
    if (wasActive) {
        in.active = -1;
        std::vector<std::pair<std::string, EdgeState>> edges;
        {
            std::lock_guard lock(mutex_);
            if (const auto p = playback_.find(in.id); p != playback_.end())
                for (auto& [name, r] : p->second->renditions)
                    if (r.current && !r.playlist->edge().ended) r.playlist->setPreloadHint({}); // no part comes for now
        }
        in.droppedAt = unixNow();
        if (settings_.graceSeconds <= 0) {
            endStream(in, "publisher gone");
            return;
        }
        in.phase = Phase::Grace;
        in.graceUntil = Clock::now() + std::chrono::seconds(settings_.graceSeconds);
        // Both protocols listen again at once for the publisher's return.
        for (auto& other : in.workers) {
            other.process.reset();
            other.quickFailures = 0;
            other.restartAt = Clock::now();
        }
        return;
    }
    if (in.phase == Phase::Ended || in.active >= 0) return;
    // A worker that ends at once (its port taken, a bad config) is restarted ever less often.
    w.quickFailures = lived < std::chrono::seconds(2) ? std::min(w.quickFailures + 1, 6) : 0;
    w.restartAt = Clock::now() + (w.quickFailures == 0 ? std::chrono::milliseconds(0) : std::chrono::milliseconds(500 << w.quickFailures));
}

void LiveStreams::endStream(Ingest& in, const std::string& reason)
{
    in.phase = Phase::Ended;
    in.active = -1;
    for (auto& w : in.workers) {
        w.process.reset();
        w.restartAt.reset();
    }
    std::vector<std::pair<std::string, EdgeState>> edges;
    std::vector<std::string> dropped;
    {
        std::lock_guard lock(mutex_);
        if (const auto p = playback_.find(in.id); p != playback_.end())
            for (auto& [name, r] : p->second->renditions) {
                const Evicted ev = r.playlist->end();
                dropped.insert(dropped.end(), ev.partUris.begin(), ev.partUris.end());
                edges.emplace_back(name, r.playlist->edge());
            }
    }
    // Held requests get the playlist with EXT-X-ENDLIST.
    for (const auto& [name, edge] : edges) waiters_.advance(waiterKey(in.id, name), edge);
    for (const auto& uri : dropped) scheduleDeletion(in.id, uri.substr(0, uri.find('/')), {uri});
    releasePorts(in.ports);
    in.ports = {}; // free for another stream now: never released twice

    const int64_t endedAt = in.droppedAt ? in.droppedAt : unixNow();
    const long long now = unixNow();
    // Its archive is to be imported: the claim that keeps the import to one node, once.
    if (host_.db().exec(
            "UPDATE streaming_streams SET state = 'ended', ended_at = ?, updated_at = ?, archive_state = 'pending' WHERE id = ? "
            "AND state = 'live'",
            {static_cast<long long>(endedAt), now, in.id}) == 0)
        return; // deleted meanwhile (Streams said stream.ended then), or never live
    host_.log().info("live stream ended", {{"stream_id", in.id}, {"reason", reason}});
    queueImport(in.id, reason);
}

// ---- the readers ------------------------------------------------------------------------------------

std::optional<std::string> LiveStreams::masterPlaylist(const std::string& streamId) const
{
    std::lock_guard lock(mutex_);
    const auto p = playback_.find(streamId);
    if (p == playback_.end() || p->second->master.empty()) return std::nullopt;
    return p->second->master;
}

std::shared_ptr<LivePlaylist> LiveStreams::playlist(const std::string& streamId, const std::string& rendition) const
{
    std::lock_guard lock(mutex_);
    const auto p = playback_.find(streamId);
    if (p == playback_.end()) return nullptr;
    const auto r = p->second->renditions.find(rendition);
    return r == p->second->renditions.end() ? nullptr : r->second.playlist;
}

std::optional<std::string> LiveStreams::dashManifest(const std::string& streamId, const std::string& utcTimingUrl) const
{
    LlDashSpec spec;
    {
        std::lock_guard lock(mutex_);
        const auto found = playback_.find(streamId);
        if (found == playback_.end() || found->second->order.empty()) return std::nullopt;
        const Playback& p = *found->second;
        // The current session only: its numbers and clock (a reconnect starts a new timeline).
        spec.availabilityStartTimeMs = p.sessionStartMs;
        spec.publishTimeMs = static_cast<int64_t>(unixNow()) * 1000;
        spec.startNumber = p.sessionStartNumber;
        spec.segmentSeconds = p.segmentMs / 1000.0;
        spec.partSeconds = p.partMs / 1000.0;
        spec.dvrWindowSeconds = settings_.dvrWindowSeconds;
        spec.targetLatencySeconds = std::max(2.0, 3 * p.partMs / 1000.0 + p.partMs / 1000.0);
        spec.minLatencySeconds = std::min(spec.targetLatencySeconds, p.partMs / 1000.0 * 2);
        spec.maxLatencySeconds = spec.targetLatencySeconds * 2;
        spec.utcTimingUrl = utcTimingUrl;
        const std::string init = "$RepresentationID$/init-" + std::to_string(p.session) + ".mp4";
        DashAdaptationSet video, audio;
        video.initialization = audio.initialization = init;
        video.media = audio.media = "$RepresentationID$/seg-$Number$.m4s";
        audio.contentType = "audio";
        audio.mimeType = "audio/mp4";
        for (const auto& name : p.order) {
            const Rendition& r = p.renditions.at(name);
            DashRepresentation rep;
            rep.id = name;
            rep.bandwidth = r.variant.bandwidth;
            rep.codecs = r.variant.codecs;
            if (r.audio) {
                rep.audioSamplingRate = r.sampleRate;
                audio.representations.push_back(rep);
            } else {
                rep.width = r.variant.width;
                rep.height = r.variant.height;
                rep.frameRate = r.variant.frameRate;
                // The video alone: the audio has its own set.
                if (const auto comma = rep.codecs.find(','); comma != std::string::npos) rep.codecs.resize(comma);
                video.representations.push_back(rep);
            }
        }
        if (!video.representations.empty()) spec.adaptationSets.push_back(video);
        if (!audio.representations.empty()) spec.adaptationSets.push_back(audio);
    }
    return renderLlDashMpd(spec);
}

std::optional<std::string> LiveStreams::pathLocked(const std::string& id, const Rendition& r, const MediaName& name) const
{
    // The worker's own names, under SESSION/RENDITION/: init.mp4, part-MSN-K.m4s, seg-MSN.m4s with
    // the session's numbers.
    const auto dir = [&](uint32_t session) { return sessionDir(id, session) + "/" + r.name + "/"; };
    if (name.kind == MediaName::Kind::Init) {
        for (const auto& [first, session] : r.sessions)
            if (session == name.number) return dir(session) + "init.mp4";
        return std::nullopt;
    }
    // The latest session that began at or before this MSN.
    const auto it = std::upper_bound(r.sessions.begin(), r.sessions.end(), name.number,
                                     [](uint64_t msn, const std::pair<uint64_t, uint32_t>& s) { return msn < s.first; });
    if (it == r.sessions.begin()) return std::nullopt;
    const auto& [first, session] = *std::prev(it);
    MediaName local = name;
    local.number -= first;
    return dir(session) + mediaName(local);
}

std::optional<LiveStreams::MediaFile> LiveStreams::media(const std::string& streamId, const std::string& rendition,
                                                         const MediaName& name) const
{
    std::lock_guard lock(mutex_);
    const auto p = playback_.find(streamId);
    if (p == playback_.end()) return std::nullopt;
    const auto r = p->second->renditions.find(rendition);
    if (r == p->second->renditions.end()) return std::nullopt;
    const auto path = pathLocked(streamId, r->second, name);
    if (!path) return std::nullopt;
    MediaFile f;
    f.path = *path;
    f.contentType = r->second.audio ? "audio/mp4" : "video/mp4";
    f.playlist = r->second.playlist;
    f.msn = name.number;
    f.init = name.kind == MediaName::Kind::Init;
    if (name.kind == MediaName::Kind::Part) f.part = name.part;
    f.audio = r->second.audio;
    f.kbps = r->second.kbps;
    const double segment = p->second->segmentMs / 1000.0, part = p->second->partMs / 1000.0;
    if (!f.init && segment > 0) {
        const double start = static_cast<double>(name.number) * segment + (f.part ? *f.part * part : 0.0);
        f.mediaSeconds = std::pair{start, start + (f.part ? part : segment)};
    }
    return f;
}

std::optional<int64_t> LiveStreams::renditionKbps(const std::string& streamId, const std::string& rendition) const
{
    std::lock_guard lock(mutex_);
    const auto p = playback_.find(streamId);
    if (p == playback_.end()) return std::nullopt;
    const auto r = p->second->renditions.find(rendition);
    if (r == p->second->renditions.end() || r->second.kbps <= 0) return std::nullopt;
    return r->second.kbps;
}

} // namespace vtp::streaming
