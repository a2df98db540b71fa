#pragma once

// testkit's routes for the HTTP features media plugins lean on (ABI 1.6): streamed uploads to a
// file, refused or failed on purpose, with counters the tests poll to see that every sink ended;
// and deferred answers, held until a test releases them from another thread.

#include <vtp/sdk.hpp>

#include <sys/stat.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace testkit {

class MediaRoutes {
public:
    void init(vtp::Host& host)
    {
        host_ = &host;
        uploadDir_ = host.dataDir() + "/uploads";
        ::mkdir(uploadDir_.c_str(), 0750);

        // An upload straight to DATA/uploads/NAME. ?sync=1: fdatasync before answering;
        // ?fail_after=N: refuse with 507 once N bytes have come. The name "refused" is turned
        // away before the body is read.
        host.streamRoute({.method = "PUT",
                          .path = "/api/v1/testkit/upload/{name}",
                          .role = "uploader",
                          .summary = "Streams the body to a file (up to 5 GiB)",
                          .maxBodyBytes = 5ull << 30,
                          .successStatus = 201,
                          .errors = {{400, "invalid-name"}, {409, "refused"}, {507, "insufficient-storage"}}},
                         [this](const vtp::Request& req) { return makeFileSink(req); });
        // A small limit, and nothing kept: 413s and trickling clients.
        host.streamRoute({.method = "PUT",
                          .path = "/api/v1/testkit/upload-small",
                          .role = vtp::Role::Public,
                          .summary = "Counts the body's bytes (up to 64 KiB)",
                          .maxBodyBytes = 64 << 10},
                         [this](const vtp::Request&) { return std::make_unique<CountingSink>(*this); });
        host.route({.method = "GET",
                    .path = "/api/v1/testkit/uploads",
                    .role = vtp::Role::Public,
                    .summary = "Upload sinks open now, finished, and aborted by reason"},
                   [this](const vtp::Request&) { return stats(); });

        // Deferred answers: held until POST /release completes them from a thread of the plugin's
        // own. ?timeout_ms=N (default 60000); ?fallback=1: a timeout answers 200 {"fallback":true}
        // rather than the kernel's 504; ?now=1: completed from another thread before the handler
        // returns.
        host.route({.method = "GET",
                    .path = "/api/v1/testkit/hold",
                    .role = vtp::Role::Public,
                    .summary = "Answers later, when released, or on its timeout",
                    .errors = {{400, "invalid-parameter"}, {504, "response-timeout"}}},
                   [this](const vtp::Request& req) { return hold(req); });
        host.route({.method = "POST",
                    .path = "/api/v1/testkit/release",
                    .role = vtp::Role::Public,
                    .summary = "Completes every held answer from another thread; says how many went out"},
                   [this](const vtp::Request&) { return release(); });
        host.route(
            {.method = "GET", .path = "/api/v1/testkit/held", .role = vtp::Role::Public, .summary = "How many answers the plugin holds"},
            [this](const vtp::Request&) {
                std::lock_guard lock(mutex_);
                return vtp::Response::json({{"held", static_cast<int64_t>(held_.size())}});
            });
    }

private:
    class CountingSink : public vtp::BodySink {
    public:
        explicit CountingSink(MediaRoutes& owner) : owner_(owner) { ++owner_.open_; }
        ~CountingSink() override { --owner_.open_; }
        void data(std::string_view piece) override { bytes_ += piece.size(); }
        vtp::Response finish(const vtp::Request& req) override
        {
            ++owner_.finished_;
            return vtp::Response::json({{"bytes", static_cast<int64_t>(bytes_)}, {"told", static_cast<int64_t>(req.bodyBytes())}});
        }
        void abort(vtp::BodyAbort reason) override { owner_.aborted(reason); }

    protected:
        MediaRoutes& owner_;
        uint64_t bytes_ = 0;
    };

    class FileSink : public CountingSink {
    public:
        FileSink(MediaRoutes& owner, const std::string& path, bool sync, uint64_t failAfter)
            : CountingSink(owner), file_(path), sync_(sync), failAfter_(failAfter)
        {
        }
        void data(std::string_view piece) override
        {
            if (failAfter_ && bytes_ + piece.size() > failAfter_)
                throw vtp::HttpError(507, "insufficient-storage", "Insufficient storage", "testkit refuses past fail_after bytes");
            file_.write(piece);
            bytes_ += piece.size();
        }
        vtp::Response finish(const vtp::Request& req) override
        {
            if (sync_) file_.sync(); // the 201 acknowledges bytes that are on the disk
            file_.close();
            ++owner_.finished_;
            return vtp::Response::json(
                {{"bytes", static_cast<int64_t>(file_.written())}, {"told", static_cast<int64_t>(req.bodyBytes())}, {"synced", sync_}},
                201);
        }
        void abort(vtp::BodyAbort reason) override
        {
            file_.remove(); // nothing of a broken upload stays behind
            owner_.aborted(reason);
        }

    private:
        vtp::FileWriter file_;
        bool sync_;
        uint64_t failAfter_;
    };

    std::unique_ptr<vtp::BodySink> makeFileSink(const vtp::Request& req)
    {
        const std::string name = req.param("name");
        if (name.empty() || name.size() > 64 || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
            throw vtp::BadRequest("a name is 1 to 64 of a-z, 0-9 and -", "invalid-name");
        if (name == "refused") throw vtp::Conflict("testkit refuses this upload before its body", "refused");
        const uint64_t failAfter = static_cast<uint64_t>(req.queryInt("fail_after", 0, 0, INT64_MAX));
        return std::make_unique<FileSink>(*this, uploadDir_ + "/" + name, req.query("sync") == "1", failAfter);
    }

    void aborted(vtp::BodyAbort reason)
    {
        std::lock_guard lock(mutex_);
        ++aborts_[vtp::toString(reason)];
    }

    vtp::Response hold(const vtp::Request& req)
    {
        const auto timeout = std::chrono::milliseconds(req.queryInt("timeout_ms", 60000, 1, 3600000));
        vtp::Deferred d = req.defer(timeout);
        if (req.query("now") == "1") {
            bool sent = false;
            std::thread([&] { sent = d.complete(vtp::Response::json({{"released", "before the handler returned"}})); }).join();
            if (!sent) throw std::runtime_error("an immediate completion was refused");
        } else {
            std::lock_guard lock(mutex_);
            held_.push_back({d, std::string(req.requestId())});
        }
        if (req.query("fallback") == "1") return vtp::Response::json({{"fallback", true}});
        return vtp::Response::deferred();
    }

    vtp::Response release()
    {
        std::vector<HeldAnswer> batch;
        {
            std::lock_guard lock(mutex_);
            batch.swap(held_);
        }
        int64_t completed = 0, gone = 0;
        // Not on the kernel's worker: the point is that any thread may finish an answer.
        std::thread([&] {
            for (const auto& h : batch) {
                if (h.deferred.complete(vtp::Response::json({{"released", h.requestId}})))
                    ++completed;
                else
                    ++gone;
            }
        }).join();
        return vtp::Response::json({{"completed", completed}, {"gone", gone}});
    }

    vtp::Response stats()
    {
        vtp::Json aborted = vtp::Json::object();
        {
            std::lock_guard lock(mutex_);
            for (const auto& [reason, n] : aborts_) aborted.set(reason, n);
        }
        return vtp::Response::json({{"open", open_.load()}, {"finished", finished_.load()}, {"aborted", aborted}});
    }

    vtp::Host* host_ = nullptr;
    std::string uploadDir_;
    std::atomic<int64_t> open_{0}, finished_{0};
    std::mutex mutex_;
    std::map<std::string, int64_t> aborts_;
    struct HeldAnswer {
        vtp::Deferred deferred;
        std::string requestId;
    };
    std::vector<HeldAnswer> held_; // under mutex_
};

} // namespace testkit
