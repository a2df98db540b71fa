#pragma once

// testkit's routes for the HTTP features media plugins lean on (ABI 1.6): streamed uploads to a
// file, refused or failed on purpose, with counters the tests poll to see that every sink ended.

#include <vtp/sdk.hpp>

#include <sys/stat.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

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
        host.streamRoute({.method = "PUT", .path = "/api/v1/testkit/upload/{name}", .role = "uploader",
                          .summary = "Streams the body to a file (up to 5 GiB)", .maxBodyBytes = 5ull << 30,
                          .successStatus = 201,
                          .errors = {{400, "invalid-name"}, {409, "refused"}, {507, "insufficient-storage"}}},
                         [this](const vtp::Request& req) { return makeFileSink(req); });
        // A small limit, and nothing kept: 413s and trickling clients.
        host.streamRoute({.method = "PUT", .path = "/api/v1/testkit/upload-small", .role = vtp::Role::Public,
                          .summary = "Counts the body's bytes (up to 64 KiB)", .maxBodyBytes = 64 << 10},
                         [this](const vtp::Request&) { return std::make_unique<CountingSink>(*this); });
        host.route({.method = "GET", .path = "/api/v1/testkit/uploads", .role = vtp::Role::Public,
                    .summary = "Upload sinks open now, finished, and aborted by reason"},
                   [this](const vtp::Request&) { return stats(); });
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
            : CountingSink(owner), file_(path), sync_(sync), failAfter_(failAfter) {}
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
            return vtp::Response::json({{"bytes", static_cast<int64_t>(file_.written())}, {"told", static_cast<int64_t>(req.bodyBytes())},
                                        {"synced", sync_}}, 201);
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
};

} // namespace testkit
