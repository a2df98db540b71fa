// testkit: a plugin that exists only for the integration tests. It gives the kernel a bearer
// token verifier ("test:SUBJECT:ROLE1,ROLE2") before the real auth plugin exists, routes that
// misbehave on purpose, and a service for testkit_consumer. Uses the SDK's C++ layer only.
#include "testkit_counter.h"
#include "MediaRoutes.hpp"

#include <vtp/sdk.hpp>

#include "WaitForFile.hpp"
#include <vtp/services/verifier.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace {

// Copies text into a C buffer of `cap` bytes, truncating; false if it did not fit.
bool copyOut(std::string_view text, char* out, size_t cap)
{
    if (cap == 0) return false;
    const size_t n = std::min(text.size(), cap - 1);
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
    return n == text.size();
}

class TestkitPlugin : public vtp::Plugin {
public:
    static vtp::PluginInfo info()
    {
        vtp::PluginInfo info;
        info.name = "testkit";
        info.version = "0.1.0";
        info.description = "Integration test helpers: a test token verifier, failing routes, a counter service";
        info.config = {vtp::ConfigKey::boolean("verifier", false, "Offer vtp.auth.verifier for tokens \"test:SUBJECT:ROLES\""),
                       vtp::ConfigKey::stringArray("event_patterns", {"testkit.*"}, "Events remembered for GET /api/v1/testkit/events")};
        return info;
    }

    void init(vtp::Host& host) override
    {
        host_ = &host;
        dataDir_ = host.dataDir();

        counter_.struct_size = sizeof counter_;
        counter_.ctx = this;
        counter_.next = [](void* ctx) -> int64_t { return ++static_cast<TestkitPlugin*>(ctx)->count_; };
        host.offer(TESTKIT_COUNTER_SERVICE, TESTKIT_COUNTER_VERSION, &counter_);

        if (host.config().getBool("verifier")) {
            verifier_.struct_size = sizeof verifier_;
            verifier_.context = this;
            verifier_.verify = &TestkitPlugin::verify;
            host.offer(VTP_VERIFIER_SERVICE, VTP_VERIFIER_VERSION, &verifier_);
        }

        host.route({.method = "GET", .path = "/api/v1/testkit/admin", .role = "admin", .summary = "Needs the role admin"},
                   [](const vtp::Request&) {
                       return vtp::Response::json({{"route", "admin"}});
                   });
        host.route({.method = "GET", .path = "/api/v1/testkit/instructor", .role = "instructor", .summary = "Needs the role instructor"},
                   [](const vtp::Request&) {
                       return vtp::Response::json({{"route", "instructor"}});
                   });
        host.route({.method = "GET",
                    .path = "/api/v1/testkit/whoami",
                    .role = vtp::Role::Authenticated,
                    .summary = "The caller's subject and roles"},
                   [](const vtp::Request& req) {
                       return vtp::Response::json({{"subject", std::string(req.subject())}, {"roles", vtp::Json::arrayOf(req.roles())}});
                   });
        host.route({.method = "GET", .path = "/api/v1/testkit/remote", .role = vtp::Role::Public, .summary = "The client address vtpd saw"},
                   [](const vtp::Request& req) {
                       return vtp::Response::json({{"remote", std::string(req.remoteAddress())}});
                   });
        host.route({.method = "GET",
                    .path = "/api/v1/testkit/slow",
                    .role = vtp::Role::Public,
                    .summary = "Marks that it started, then works for 1.5 s (graceful drain tests)"},
                   [this](const vtp::Request&) { return slow(); });
        host.route({.method = "GET", .path = "/api/v1/testkit/throw", .role = vtp::Role::Public, .summary = "Throws (500 tests)"},
                   [](const vtp::Request&) -> vtp::Response { throw std::runtime_error("testkit throws on purpose"); });
        host.route({.method = "GET",
                    .path = "/api/v1/testkit/conflict",
                    .role = vtp::Role::Public,
                    .summary = "Inserts a duplicate primary key (409 tests)"},
                   [this](const vtp::Request&) {
                       host_->db().exec("INSERT INTO testkit_items (id, name) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", {1, "first"});
                       host_->db().exec("INSERT INTO testkit_items (id, name) VALUES (?, ?)", {1, "duplicate"});
                       return vtp::Response::json({{"inserted", true}});
                   });

        // Events: publish on request, and remember every event received that matches
        // event_patterns (testkit.* by default), with its origin.
        for (const auto& pattern : host.config().getStringArray("event_patterns"))
            host.subscribe(pattern, [this](const vtp::Event& e) {
                std::lock_guard lock(eventsMutex_);
                received_.push(vtp::Json{{"name", e.name}, {"payload", e.payload}, {"origin", e.originNode}});
            });
        host.route({.method = "POST",
                    .path = "/api/v1/testkit/publish",
                    .role = vtp::Role::Public,
                    .summary = "Publishes {name, payload} on the event bus",
                    .body = vtp::Body::Json},
                   [this](const vtp::Request& req) {
                       const vtp::Json body = req.json();
                       const bool ok = host_->publish(body["name"].asString(), body["payload"]);
                       return vtp::Response::json({{"published", ok}});
                   });
        host.route({.method = "GET",
                    .path = "/api/v1/testkit/events",
                    .role = vtp::Role::Public,
                    .summary = "The events this node received (testkit.* or config event_patterns), in order"},
                   [this](const vtp::Request&) {
                       std::lock_guard lock(eventsMutex_);
                       return vtp::Response::json({{"events", received_.isNull() ? vtp::Json::array() : received_}});
                   });

        // Jobs: a job kind whose timing the tests control, and routes to submit and count runs.
        host.job({.kind = "testkit.count",
                  .summary = "Counts steps; can fail its first attempts or hold for a release file",
                  .run = [this](vtp::Job& job, const vtp::Json& params) { return countJob(job, params); }});
        host.route({.method = "POST",
                    .path = "/api/v1/testkit/jobs",
                    .role = vtp::Role::Authenticated,
                    .summary = "Submits a testkit.count job owned by the caller",
                    .body = vtp::Body::Json},
                   [this](const vtp::Request& req) {
                       const std::string id = host_->submitJob("testkit.count", req.json(), std::string(req.subject()));
                       return vtp::Response::json({{"id", id}}, 202);
                   });
        host.route({.method = "GET",
                    .path = "/api/v1/testkit/job-runs",
                    .role = vtp::Role::Public,
                    .summary = "Attempts of testkit.count jobs per tag, and how many processes ran them"},
                   [this](const vtp::Request&) {
                       vtp::Json tags = vtp::Json::object();
                       for (const auto& row : host_->db().query("SELECT tag, COUNT(*) FROM testkit_job_runs GROUP BY tag"))
                           tags.set(row[0].asString(), row[1].asInt());
                       const auto pids = host_->db().query("SELECT COUNT(DISTINCT pid) FROM testkit_job_runs");
                       return vtp::Response::json({{"tags", tags}, {"processes", pids.at(0)[0].asInt()}});
                   });

        // Observability: a gauge with a known value, a labelled counter and a debug line on request.
        widgets_ = host.gauge("widgets", "Widgets on hand (a test gauge set to 42 at init)");
        widgets_.set(42);
        pokes_ = host.counter("pokes_total", "Pokes received, by colour");
        host.route({.method = "POST",
                    .path = "/api/v1/testkit/poke",
                    .role = vtp::Role::Public,
                    .summary = "Counts a poke of ?colour= and logs it at debug level"},
                   [this](const vtp::Request& req) {
                       const std::string colour = req.query("colour").value_or("none");
                       pokes_.inc(1, {{"colour", colour}});
                       host_->log().debug("testkit poked", {{"colour", colour}});
                       return vtp::Response::json({{"poked", colour}});
                   });

        // File responses (ABI 1.6): DATA/files/NAME, sent by the kernel (Range, HEAD, conditionals).
        // ?offset=&length= serve a part of the file as the whole response; ?etag= sets the handler's own.
        host.route({.method = "GET",
                    .path = "/api/v1/testkit/files/{name}",
                    .role = vtp::Role::Public,
                    .summary = "A file from the data directory's files/ folder",
                    .errors = {{404, "not-found"}},
                    .cacheControl = "public, max-age=60",
                    .answersFiles = true,
                    // Media for any page, as players fetch it: ranges and validators readable.
                    .cors = vtp::Cors{.origins = {"*"},
                                      .headers = {"range", "if-none-match"},
                                      .exposeHeaders = {"content-range", "accept-ranges", "etag"}}},
                   [this](const vtp::Request& req) { return file(req); });

        // CORS for one origin with credentials (a web client on another host than the API).
        host.route({.method = "POST",
                    .path = "/api/v1/testkit/cors/private",
                    .role = vtp::Role::Public,
                    .summary = "Answers pages from https://app.example only (CORS with credentials)",
                    .cors = vtp::Cors{.origins = {"https://app.example"}, .credentials = true, .maxAgeSeconds = 120}},
                   [](const vtp::Request&) {
                       return vtp::Response::json({{"private", true}});
                   });

        // Long-polling on the socket port (ABI 1.3): a GET on /testkit/poll is held until a POST on the
        // same path brings a message; the GET is then answered with it from the plugin's own thread.
        host.socket({.path = "/testkit/poll", .onHttp = [this](const vtp::SocketHttpRequest& req) { onPoll(req); }});

        media_.init(host);
    }

    ~TestkitPlugin() override { stop(); }

    void start() override
    {
        poller_ = std::thread([this] { answerPolls(); });
    }

    void stop() override
    {
        {
            std::lock_guard lock(pollMutex_);
            pollStopping_ = true;
        }
        pollChanged_.notify_all();
        if (poller_.joinable()) poller_.join();
    }

private:
    // Runs on the WebSocket thread: never blocks, only queues.
    void onPoll(const vtp::SocketHttpRequest& req)
    {
        if (req.method == "POST") {
            {
                std::lock_guard lock(pollMutex_);
                messages_.push_back(req.body);
            }
            pollChanged_.notify_all();
            host_->respond(req.id, 200, "text/plain", "queued");
            return;
        }
        if (req.method != "GET") {
            host_->respond(req.id, 405, "text/plain", "GET or POST", {{"Allow", "GET, POST"}});
            return;
        }
        {
            std::lock_guard lock(pollMutex_);
            waiting_.push_back({req.id, req.remoteAddress});
        }
        pollChanged_.notify_all();
    }

    // Pairs queued messages with held GETs. A GET whose client left (or that the kernel already answered
    // with 504) makes respond() return false: the message then goes to the next one.
    void answerPolls()
    {
        std::unique_lock lock(pollMutex_);
        while (true) {
            pollChanged_.wait(lock, [&] { return pollStopping_ || (!messages_.empty() && !waiting_.empty()); });
            if (pollStopping_) return;
            const std::string message = messages_.front();
            const Poll poll = waiting_.front();
            waiting_.pop_front();
            lock.unlock();
            const bool delivered = host_->respond(poll.id, 200, "text/plain", message, {{"X-Testkit-Remote", poll.remote}});
            lock.lock();
            if (delivered) messages_.pop_front();
        }
    }

    // params: steps (default 3), tag (counts runs), fail_first_attempts (fail while the runs of
    // this tag are that many or fewer), hold (write DATA/job-HOLD-entered, then wait for
    // DATA/job-HOLD-release or a cancel).
    vtp::Json countJob(vtp::Job& job, const vtp::Json& params)
    {
        const std::string tag = params.stringOr("tag", "");
        host_->db().exec("INSERT INTO testkit_job_runs (tag, pid) VALUES (?, ?)", {tag, static_cast<int64_t>(::getpid())});
        const int64_t attempt = host_->db().query("SELECT COUNT(*) FROM testkit_job_runs WHERE tag = ?", {tag}).at(0)[0].asInt();
        if (attempt <= params.intOr("fail_first_attempts", 0))
            throw std::runtime_error("testkit fails attempt " + std::to_string(attempt) + " on purpose");
        const int64_t steps = std::max<int64_t>(1, params.intOr("steps", 3));
        const std::string hold = params.stringOr("hold", "");
        if (!hold.empty()) {
            job.progress(0.5, "held");
            std::ofstream(dataDir_ + "/job-" + hold + "-entered") << "1\n";
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            while (!vtp::test::waitForFile(dataDir_ + "/job-" + hold + "-release", -1, std::chrono::milliseconds(50))) {
                if (job.cancelled()) return vtp::Json{{"tag", tag}, {"stopped", "cancelled while held"}};
                if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("the test never released job " + hold);
            }
        }
        for (int64_t i = 1; i <= steps; ++i) job.progress(static_cast<double>(i) / static_cast<double>(steps), "step " + std::to_string(i));
        return vtp::Json{{"tag", tag}, {"steps", steps}, {"attempt", attempt}};
    }

    vtp::Response file(const vtp::Request& req) const
    {
        const std::string name = req.param("name");
        if (!testkit::MediaRoutes::safeFileName(name)) throw vtp::HttpError(404, "not-found", "No such file");
        const std::string type = testkit::MediaRoutes::fileType(name);
        const auto offset = static_cast<uint64_t>(req.queryInt("offset", 0, 0, INT64_MAX));
        const int64_t length = req.queryInt("length", -1, -1, INT64_MAX);
        auto r =
            vtp::Response::file(dataDir_ + "/files/" + name, type, offset, length < 0 ? VTP_FILE_TO_END : static_cast<uint64_t>(length));
        if (const auto etag = req.query("etag")) r.header("ETag", "\"" + *etag + "\"");
        return r;
    }

    vtp::Response slow()
    {
        // The marker tells a test the request is in flight; the request then runs until the test
        // creates the release file, so the test decides when it ends (no timing assumptions).
        std::ofstream(dataDir_ + "/slow-entered") << "1\n";
        if (!vtp::test::waitForFile(dataDir_ + "/slow-release", -1, std::chrono::seconds(20)))
            throw vtp::HttpError(503, "not-released", "The test never released this request");
        return vtp::Response::json({{"slow", "done"}});
    }

    static int verify(void*, const char* token, size_t tokenLen, char* subject, size_t subjectCap, char* roles, size_t rolesCap,
                      char* reason, size_t reasonCap)
    {
        const std::string_view t(token, tokenLen);
        constexpr std::string_view prefix = "test:";
        const size_t colon = t.size() > prefix.size() ? t.find(':', prefix.size()) : std::string_view::npos;
        if (!t.starts_with(prefix) || colon == std::string_view::npos || colon == prefix.size()) {
            copyOut("unknown test token", reason, reasonCap);
            return VTP_INVALID;
        }
        if (!copyOut(t.substr(prefix.size(), colon - prefix.size()), subject, subjectCap) ||
            !copyOut(t.substr(colon + 1), roles, rolesCap)) {
            copyOut("test token too long", reason, reasonCap);
            return VTP_INVALID;
        }
        return VTP_OK;
    }

    vtp::Host* host_ = nullptr;
    std::mutex eventsMutex_;
    vtp::Json received_ = vtp::Json::array();
    std::string dataDir_;
    std::atomic<int64_t> count_{0};
    testkit_counter_v1 counter_{};
    vtp::Metric widgets_, pokes_;
    vtp_verifier_v1 verifier_{};

    struct Poll {
        uint64_t id;
        std::string remote;
    };
    std::mutex pollMutex_;
    std::condition_variable pollChanged_;
    std::deque<std::string> messages_;
    std::deque<Poll> waiting_;
    bool pollStopping_ = false;
    std::thread poller_;
    testkit::MediaRoutes media_;
};

} // namespace

VTP_PLUGIN(TestkitPlugin)
