#pragma once

// testkit's routes for the HTTP features media plugins lean on (ABI 1.6): streamed uploads to a
// file, refused or failed on purpose, with counters the tests poll to see that every sink ended;
// deferred answers, held until a test releases them from another thread; and files as the answer
// of both (a streamed body stored and sent back, a held request completed with a file).

#include <vtp/sdk.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace testkit {

class MediaRoutes {
public:
    // A file under DATA/files/ by its name, never a path: the client's text must not reach outside.
    static bool safeFileName(std::string_view name)
    {
        return !name.empty() && name.front() != '.' && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
        });
    }
    static std::string fileType(std::string_view name)
    {
        return name.ends_with(".txt") ? "text/plain" : name.ends_with(".m4s") ? "video/iso.segment" : "application/octet-stream";
    }

    void init(vtp::Host& host)
    {
        host_ = &host;
        uploadDir_ = host.dataDir() + "/uploads";
        ::mkdir(uploadDir_.c_str(), 0750);
        filesDir_ = host.dataDir() + "/files";
        ::mkdir(filesDir_.c_str(), 0750);

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
        // A file as a streamed route's answer: the body is stored as DATA/files/NAME, and the
        // answer is that file, sent by the kernel (?offset=&length=: a part of it as the whole answer).
        host.streamRoute({.method = "POST",
                          .path = "/api/v1/testkit/files/{name}",
                          .role = vtp::Role::Public,
                          .summary = "Stores the body as a file and answers with that file",
                          .maxBodyBytes = 256 << 20,
                          .errors = {{404, "not-found"}},
                          .answersFiles = true},
                         [this](const vtp::Request& req) {
                             const std::string name = req.param("name");
                             if (!safeFileName(name)) throw vtp::HttpError(404, "not-found", "No such file");
                             return std::make_unique<FileAnswerSink>(*this, filesDir_ + "/" + name, fileType(name));
                         });
        host.route({.method = "GET",
                    .path = "/api/v1/testkit/uploads",
                    .role = vtp::Role::Public,
                    .summary = "Upload sinks open now, finished, and aborted by reason"},
                   [this](const vtp::Request&) { return stats(); });

        // Deferred answers: held until POST /release completes them from a thread of the plugin's
        // own. ?timeout_ms=N (default 60000); ?fallback=1: a timeout answers 200 {"fallback":true}
        // rather than the kernel's 504; ?now=1: completed from another thread before the handler
        // returns; ?file=NAME: completed with DATA/files/NAME (with ?fallback=1, the fallback is it).
        host.route({.method = "GET",
                    .path = "/api/v1/testkit/hold",
                    .role = vtp::Role::Public,
                    .summary = "Answers later, when released, or on its timeout",
                    .errors = {{400, "invalid-parameter"}, {404, "not-found"}, {504, "response-timeout"}},
                    .answersFiles = true},
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

    // Stores the body, then answers with the file it made.
    class FileAnswerSink : public CountingSink {
    public:
        FileAnswerSink(MediaRoutes& owner, std::string path, std::string type)
            : CountingSink(owner), file_(path), path_(std::move(path)), type_(std::move(type))
        {
        }
        void data(std::string_view piece) override
        {
            file_.write(piece);
            bytes_ += piece.size();
        }
        vtp::Response finish(const vtp::Request& req) override
        {
            file_.close();
            ++owner_.finished_;
            const auto offset = static_cast<uint64_t>(req.queryInt("offset", 0, 0, INT64_MAX));
            const int64_t length = req.queryInt("length", -1, -1, INT64_MAX);
            return vtp::Response::file(path_, type_, offset, length < 0 ? VTP_FILE_TO_END : static_cast<uint64_t>(length));
        }
        void abort(vtp::BodyAbort reason) override
        {
            file_.remove();
            owner_.aborted(reason);
        }

    private:
        vtp::FileWriter file_;
        std::string path_, type_;
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
        const std::string file = req.query("file").value_or("");
        if (!file.empty() && !safeFileName(file)) throw vtp::BadRequest("file is a name under DATA/files", "invalid-parameter");
        vtp::Deferred d = req.defer(timeout);
        if (req.query("now") == "1") {
            bool sent = false;
            std::thread([&] { sent = d.complete(vtp::Response::json({{"released", "before the handler returned"}})); }).join();
            if (!sent) throw std::runtime_error("an immediate completion was refused");
        } else {
            std::lock_guard lock(mutex_);
            held_.push_back({d, std::string(req.requestId()), file});
        }
        if (req.query("fallback") == "1")
            return file.empty() ? vtp::Response::json({{"fallback", true}}) : vtp::Response::file(filesDir_ + "/" + file, fileType(file));
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
                const auto answer = h.file.empty() ? vtp::Response::json({{"released", h.requestId}})
                                                   : vtp::Response::file(filesDir_ + "/" + h.file, fileType(h.file));
                if (h.deferred.complete(answer))
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
    std::string uploadDir_, filesDir_;
    std::atomic<int64_t> open_{0}, finished_{0};
    std::mutex mutex_;
    std::map<std::string, int64_t> aborts_;
    struct HeldAnswer {
        vtp::Deferred deferred;
        std::string requestId;
        std::string file; // answered with DATA/files/NAME when set
    };
    std::vector<HeldAnswer> held_; // under mutex_
};

} // namespace testkit
