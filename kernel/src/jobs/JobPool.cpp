#include "jobs/JobPool.hpp"

#include "ids/Uuid.hpp"
#include "log/Logger.hpp"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace vtp::kernel {

namespace {

using Clock = std::chrono::steady_clock;

bool isJsonObject(std::string_view text)
{
    try {
        Poco::JSON::Parser parser;
        return parser.parse(std::string(text)).type() == typeid(Poco::JSON::Object::Ptr);
    } catch (const std::exception&) {
        return false;
    }
}

bool isJson(std::string_view text)
{
    try {
        Poco::JSON::Parser parser;
        parser.parse(std::string(text));
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

} // namespace

JobPool::JobPool(Logger& log, JobSettings settings) : log_(log), settings_(std::move(settings))
{
    settings_.workers = std::clamp(settings_.workers, 1, 1024);
    settings_.longRunningMax = std::clamp(settings_.longRunningMax, 1, 1024);
    settings_.defaultMaxAttempts = std::max<int64_t>(1, settings_.defaultMaxAttempts);
}

JobPool::~JobPool()
{
    {
        std::lock_guard lock(mutex_);
        claiming_ = false;
        stopping_ = true;
        for (const auto& [id, live] : live_)
            if (live->longRunning) live->interrupted = true;
    }
    dispatchCv_.notify_all();
    workerCv_.notify_all();
    longCv_.notify_all();
    if (dispatcher_.joinable()) dispatcher_.join();
    for (auto& w : workers_)
        if (w.joinable()) w.join();
    for (auto& w : longThreads_)
        if (w.joinable()) w.join();
}

void JobPool::setDatabase(Database& db)
{
    std::lock_guard lock(mutex_);
    store_ = std::make_unique<JobStore>(db);
}

bool JobPool::hasDatabase() const
{
    std::lock_guard lock(mutex_);
    return store_ != nullptr;
}

JobStore& JobPool::store()
{
    std::lock_guard lock(mutex_);
    if (!store_) throw JobError(JobError::Code::Unavailable, "the job system has no database yet");
    return *store_;
}

void JobPool::addKind(JobKindSpec spec)
{
    if (!spec.run) throw JobError(JobError::Code::Invalid, "job kind " + spec.kind + " has no runner");
    const std::string prefix = spec.plugin + ".";
    if (spec.kind.size() <= prefix.size() || spec.kind.compare(0, prefix.size(), prefix) != 0)
        throw JobError(JobError::Code::Invalid, "job kind '" + spec.kind + "' must be named '" + prefix + "<name>'");
    std::lock_guard lock(mutex_);
    if (kinds_.count(spec.kind)) throw JobError(JobError::Code::Conflict, "job kind " + spec.kind + " is already declared");
    kinds_.emplace(spec.kind, std::move(spec));
}

void JobPool::removeKindsOf(const std::string& plugin)
{
    std::lock_guard lock(mutex_);
    std::erase_if(kinds_, [&](const auto& k) { return k.second.plugin == plugin; });
}

std::vector<JobKindSpec> JobPool::kinds() const
{
    std::lock_guard lock(mutex_);
    std::vector<JobKindSpec> out;
    for (const auto& [name, spec] : kinds_) out.push_back(spec);
    return out;
}

std::string JobPool::submit(const std::string& kind, std::string_view paramsJson, const std::string& owner)
{
    int64_t maxAttempts = 0;
    {
        std::lock_guard lock(mutex_);
        auto it = kinds_.find(kind);
        if (it == kinds_.end()) throw JobError(JobError::Code::NotFound, "no job kind " + kind + " is declared");
        maxAttempts = it->second.maxAttempts > 0 ? it->second.maxAttempts : settings_.defaultMaxAttempts;
    }
    const std::string params = paramsJson.empty() ? std::string("{}") : std::string(paramsJson);
    if (!isJsonObject(params)) throw JobError(JobError::Code::Invalid, "job params must be a JSON object");
    JobRecord job;
    job.id = randomUuid();
    job.kind = kind;
    job.owner = owner;
    job.state = JobState::Queued;
    job.params = params;
    job.maxAttempts = maxAttempts;
    job.createdAt = job.updatedAt = job.nextAttemptAt = epochMillisNow();
    store().insert(job);
    {
        std::lock_guard lock(mutex_);
        wake_ = true;
    }
    dispatchCv_.notify_one();
    log_.debug("jobs", "job queued", {{"job", job.id}, {"kind", kind}, {"owner", owner}});
    return job.id;
}

void JobPool::start()
{
    JobStore& s = store();
    const int64_t now = epochMillisNow();
    for (const auto& r : s.recover(settings_.nodeId, now - settings_.staleAfter.count(), now, true))
        log_.warn("jobs", "interrupted job recovered", {{"job", r.id}, {"kind", r.kind}, {"node", r.fromNode}, {"state", r.state}});
    const auto pending = s.pendingByKind();
    {
        std::lock_guard lock(mutex_);
        for (const auto& [kind, count] : pending)
            if (!kinds_.count(kind))
                log_.warn("jobs", "jobs wait for a kind no plugin on this node runs", {{"kind", kind}, {"jobs", std::to_string(count)}});
        claiming_ = true;
        stopping_ = false;
        wake_ = true;
    }
    for (int i = 0; i < settings_.workers; ++i) workers_.emplace_back([this] { workerLoop(false); });
    dispatcher_ = std::thread([this] { dispatchLoop(); });
    log_.info("jobs", "job workers started",
              {{"workers", std::to_string(settings_.workers)},
               {"long_running_max", std::to_string(settings_.longRunningMax)},
               {"node", settings_.nodeId}});
}

void JobPool::stopClaiming()
{
    std::lock_guard lock(mutex_);
    claiming_ = false;
}

bool JobPool::drain(Clock::time_point deadline)
{
    std::unique_lock lock(mutex_);
    claiming_ = false;
    // A long-running job would run past any deadline: it is taken back (queued again uncounted).
    for (const auto& [id, live] : live_)
        if (live->longRunning) live->interrupted = true;
    for (auto& c : longReady_) live_.at(c.job.id)->interrupted = true;
    if (!idleCv_.wait_until(lock, deadline, [&] { return busy_ == 0 && busyLong_ == 0; })) {
        log_.warn("jobs", "jobs still running at the drain deadline; they are recovered on the next start",
                  {{"running", std::to_string(busy_ + busyLong_)}});
        return false;
    }
    stopping_ = true;
    lock.unlock();
    dispatchCv_.notify_all();
    workerCv_.notify_all();
    longCv_.notify_all();
    if (dispatcher_.joinable()) dispatcher_.join();
    for (auto& w : workers_)
        if (w.joinable()) w.join();
    workers_.clear();
    for (auto& w : longThreads_)
        if (w.joinable()) w.join();
    longThreads_.clear();
    return true;
}

std::optional<JobRecord> JobPool::get(const std::string& id)
{
    auto job = store().get(id);
    if (!job) return job;
    std::shared_ptr<LiveJob> live;
    {
        std::lock_guard lock(mutex_);
        if (auto it = live_.find(id); it != live_.end()) live = it->second;
    }
    if (live && job->state == JobState::Running && live->attempt == job->attempts) {
        std::lock_guard lock(live->mutex);
        job->progress = live->fraction;
        job->message = live->message;
    }
    return job;
}

JobPage JobPool::list(const JobFilter& filter)
{
    return store().list(filter);
}

std::optional<JobRecord> JobPool::cancel(const std::string& id)
{
    auto job = store().requestCancel(id, epochMillisNow());
    if (!job) return job;
    {
        std::lock_guard lock(mutex_);
        if (auto it = live_.find(id); it != live_.end()) it->second->cancel = true;
    }
    if (job->state == JobState::Cancelled) log_.info("jobs", "job cancelled", {{"job", id}});
    return get(id);
}

std::map<std::string, int64_t> JobPool::countsByState()
{
    return store().countsByState();
}

int64_t JobPool::runningHere() const
{
    std::lock_guard lock(mutex_);
    return static_cast<int64_t>(live_.size());
}

std::chrono::milliseconds JobPool::backoff(int64_t attempts) const
{
    // initial * 2^(attempts-1), without overflowing on large attempt counts.
    auto delay = settings_.backoffInitial;
    for (int64_t i = 1; i < attempts && delay < settings_.backoffMax; ++i) delay *= 2;
    return std::min(delay, settings_.backoffMax);
}

void JobPool::dispatchLoop()
{
    auto nextMaintenance = Clock::now();
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        const auto now = Clock::now();
        if (now >= nextMaintenance) {
            lock.unlock();
            maintain(now);
            lock.lock();
            nextMaintenance = now + std::min(settings_.pollInterval, settings_.staleAfter / 4);
            wake_ = true; // the poll: look for other nodes' work and due retries
        }
        if (nextRetry_ && now >= *nextRetry_) {
            nextRetry_.reset();
            wake_ = true;
        }
        const size_t slots = freeSlots(), longSlots = freeLongSlots();
        if (wake_ && claiming_ && (slots > 0 || longSlots > 0) && !kinds_.empty()) {
            wake_ = false;
            lock.unlock();
            const bool filled = claimDue(slots, longSlots);
            lock.lock();
            // Every slot of a class taken: more may be due; look again as soon as one frees up.
            if (filled) wake_ = true;
            continue;
        }
        auto until = nextMaintenance;
        if (nextRetry_) until = std::min(until, *nextRetry_);
        dispatchCv_.wait_until(lock, until, [&] {
            const bool free = freeSlots() > 0 || freeLongSlots() > 0;
            return stopping_ || (wake_ && claiming_ && free && !kinds_.empty());
        });
    }
}

void JobPool::maintain(Clock::time_point)
{
    try {
        JobStore& s = store();
        const int64_t now = epochMillisNow();
        s.heartbeat(settings_.nodeId, now);
        std::vector<std::shared_ptr<LiveJob>> live;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [id, l] : live_) live.push_back(l);
        }
        if (!live.empty()) {
            // Cancels requested through another node reach this node's runners here.
            const auto cancelled = s.cancelRequested(settings_.nodeId);
            for (const auto& l : live) {
                if (std::find(cancelled.begin(), cancelled.end(), l->id) != cancelled.end()) l->cancel = true;
                writeProgress(*l, false);
            }
        }
        for (const auto& r : s.recover(settings_.nodeId, now - settings_.staleAfter.count(), now, false))
            log_.warn("jobs", "abandoned job recovered", {{"job", r.id}, {"kind", r.kind}, {"node", r.fromNode}, {"state", r.state}});
    } catch (const std::exception& e) {
        log_.error("jobs", "job maintenance failed", {{"error", e.what()}});
    }
}

size_t JobPool::freeSlots() const
{
    return static_cast<size_t>(settings_.workers) > busy_ ? settings_.workers - busy_ : 0;
}

size_t JobPool::freeLongSlots() const
{
    return static_cast<size_t>(settings_.longRunningMax) > busyLong_ ? settings_.longRunningMax - busyLong_ : 0;
}

bool JobPool::claimDue(size_t slots, size_t longSlots)
{
    std::map<std::string, JobKindSpec> kinds;
    {
        std::lock_guard lock(mutex_);
        kinds = kinds_;
    }
    std::vector<std::string> names, longNames;
    for (const auto& [name, spec] : kinds) (spec.longRunning ? longNames : names).push_back(name);
    bool filled = false;
    try {
        JobStore& s = store();
        for (const bool longRunning : {false, true}) {
            const size_t want = longRunning ? longSlots : slots;
            const auto& of = longRunning ? longNames : names;
            if (want == 0 || of.empty()) continue;
            const int64_t now = epochMillisNow();
            size_t claimed = 0;
            // A few more candidates than slots: other nodes may win some of them.
            for (const auto& id : s.candidates(of, now, want * 2)) {
                if (claimed == want) break;
                auto job = s.claim(id, settings_.nodeId, now);
                if (!job) continue;
                auto kind = kinds.find(job->kind);
                if (kind == kinds.end()) continue; // cannot happen: candidates are of these kinds
                ++claimed;
                auto live = std::make_shared<LiveJob>();
                live->id = job->id;
                live->attempt = job->attempts;
                live->fraction = job->progress;
                live->message = job->message;
                live->cancel = job->cancelRequested;
                live->longRunning = longRunning;
                std::lock_guard lock(mutex_);
                live_[job->id] = live;
                if (!longRunning) {
                    ++busy_;
                    ready_.push_back(Claimed{std::move(*job), kind->second});
                    workerCv_.notify_one();
                    continue;
                }
                ++busyLong_;
                longReady_.push_back(Claimed{std::move(*job), kind->second});
                // A thread per long-running job: a new one unless one is idle (bounded by the slots).
                if (longIdle_ < longReady_.size()) longThreads_.emplace_back([this] { workerLoop(true); });
                longCv_.notify_one();
            }
            if (claimed == want) filled = true;
        }
    } catch (const std::exception& e) {
        log_.error("jobs", "claiming jobs failed", {{"error", e.what()}});
    }
    return filled;
}

void JobPool::workerLoop(bool longRunning)
{
    auto& queue = longRunning ? longReady_ : ready_;
    auto& cv = longRunning ? longCv_ : workerCv_;
    std::unique_lock lock(mutex_);
    while (true) {
        if (longRunning) ++longIdle_;
        cv.wait(lock, [&] { return stopping_ || !queue.empty(); });
        if (longRunning) --longIdle_;
        if (queue.empty()) return; // stopping, and nothing claimed is left
        Claimed claimed = std::move(queue.front());
        queue.pop_front();
        lock.unlock();
        runJob(claimed);
        lock.lock();
        live_.erase(claimed.job.id);
        --(longRunning ? busyLong_ : busy_);
        wake_ = true;
        dispatchCv_.notify_one();
        idleCv_.notify_all();
    }
}

void JobPool::runJob(Claimed& c)
{
    std::shared_ptr<LiveJob> live;
    {
        std::lock_guard lock(mutex_);
        live = live_.at(c.job.id);
    }
    const JobRecord& job = c.job;
    log_.info("jobs", "job started", {{"job", job.id}, {"kind", job.kind}, {"attempt", std::to_string(job.attempts)}});

    vtp_job handle{this, live.get()};
    char err[1024] = {0};
    int rc = VTP_ERROR;
    try {
        // Interrupted before its thread took it: given back without running.
        if (!live->interrupted)
            rc = c.kind.run(c.kind.userData, &handle, job.params.data(), job.params.size(), vtp_errbuf{err, sizeof err});
    } catch (...) {
        std::snprintf(err, sizeof err, "the runner threw an exception across the ABI");
    }

    JobStore::Outcome o;
    {
        std::lock_guard lock(live->mutex);
        o.result = live->result;
        o.progress = live->fraction;
        o.message = live->message;
    }
    const std::string errorText = err[0] ? std::string(err) : std::string("the runner failed without a reason");
    if (live->interrupted && !live->cancel) {
        // Taken back by a stopping kernel: queued again for whichever node runs next.
        try {
            if (store().release(job.id, settings_.nodeId, job.attempts, "interrupted by shutdown; runs again", epochMillisNow()))
                log_.info("jobs", "long-running job interrupted by shutdown; queued again", {{"job", job.id}, {"kind", job.kind}});
        } catch (const std::exception& e) {
            log_.error("jobs", "cannot queue an interrupted job again; it is recovered on the next start",
                       {{"job", job.id}, {"error", e.what()}});
        }
        return;
    }
    if (live->cancel) {
        // Whatever the runner returned, a requested cancel wins; a result it set (its best so
        // far) is kept.
        o.state = JobState::Cancelled;
        if (rc != VTP_OK) o.error = errorText;
    } else if (rc == VTP_OK) {
        o.state = JobState::Succeeded;
        o.progress = 1.0;
    } else if (job.attempts < job.maxAttempts) {
        o.state = JobState::Retrying;
        o.error = errorText;
        const auto delay = backoff(job.attempts);
        o.nextAttemptAt = epochMillisNow() + delay.count();
        std::lock_guard lock(mutex_);
        const auto due = Clock::now() + delay;
        if (!nextRetry_ || due < *nextRetry_) nextRetry_ = due;
    } else {
        o.state = JobState::Failed;
        o.error = errorText;
    }
    try {
        if (!store().finish(job.id, settings_.nodeId, job.attempts, o, epochMillisNow()))
            log_.warn("jobs", "job outcome discarded: the job was taken over while it ran",
                      {{"job", job.id}, {"attempt", std::to_string(job.attempts)}, {"state", o.state}});
        else if (o.state == JobState::Retrying || o.state == JobState::Failed)
            log_.warn("jobs", o.state == JobState::Failed ? "job failed" : "job attempt failed; retrying",
                      {{"job", job.id}, {"kind", job.kind}, {"attempt", std::to_string(job.attempts)}, {"error", errorText}});
        else
            log_.info("jobs", "job finished", {{"job", job.id}, {"kind", job.kind}, {"state", o.state}});
    } catch (const std::exception& e) {
        // The job stays running here; the next start of this node (or a stale sweep) recovers it.
        log_.error("jobs", "cannot record a job's outcome", {{"job", job.id}, {"error", e.what()}});
    }
    // A retry due on this node wakes the dispatcher then, not at the next poll.
    if (o.state == JobState::Retrying) dispatchCv_.notify_one();
}

void JobPool::reportProgress(LiveJob& live, double fraction, const char* message)
{
    if (std::isnan(fraction)) return;
    fraction = std::clamp(fraction, 0.0, 1.0);
    bool write = false;
    {
        std::lock_guard lock(live.mutex);
        live.fraction = fraction;
        const std::string text = message ? message : "";
        if (text != live.message) {
            live.message = text;
            live.messageWritten = false;
        }
        live.dirty = true;
        // A new message is written at once (users read it); bare fractions at most every interval.
        write = !live.messageWritten || Clock::now() - live.lastWrite >= settings_.progressWriteInterval;
    }
    if (write) writeProgress(live, true);
}

void JobPool::writeProgress(LiveJob& live, bool force)
{
    double fraction = 0;
    std::string message;
    {
        std::lock_guard lock(live.mutex);
        if (!live.dirty) return;
        if (!force && Clock::now() - live.lastWrite < settings_.progressWriteInterval) return;
        fraction = live.fraction;
        message = live.message;
        live.dirty = false;
        live.messageWritten = true;
        live.lastWrite = Clock::now();
    }
    try {
        const auto cancel = store().writeProgress(live.id, settings_.nodeId, live.attempt, fraction, message, epochMillisNow());
        if (cancel && *cancel) live.cancel = true;
    } catch (const std::exception& e) {
        log_.warn("jobs", "cannot record job progress", {{"job", live.id}, {"error", e.what()}});
    }
}

void JobPool::reportResult(LiveJob& live, const char* json, size_t len)
{
    const std::string text = json ? std::string(json, len) : std::string("null");
    if (!isJson(text)) {
        log_.warn("jobs", "job result ignored: not JSON", {{"job", live.id}});
        return;
    }
    std::lock_guard lock(live.mutex);
    live.result = text;
}

} // namespace vtp::kernel
