#pragma once

// Sends mail through an SMTP server on a background thread, so that a route answers at once
// and in the same time whether or not a mail goes out. Messages are kept in memory only: a
// password-reset mail lost to a crash is recovered by asking again.

#include <vtp/log.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace vtp::auth {

struct SmtpOptions {
    std::string host; // empty: mail is disabled
    uint16_t port = 25;
    std::string tls = "none"; // none or starttls
    std::string username;
    std::string password;
    std::string from = "VTP <vtp@localhost>";
    int64_t timeoutSeconds = 10;
};

struct Mail {
    std::string to;
    std::string subject;
    std::string body;
};

class Mailer {
public:
    Mailer(SmtpOptions options, const Log& log) : options_(std::move(options)), log_(log) {}
    ~Mailer() { stop(); }

    bool enabled() const { return !options_.host.empty(); }
    // Starts the thread even without SMTP, for post().
    void start();
    void stop();
    // Queues a mail; false if mail is disabled or the queue is full.
    bool send(Mail mail);
    // Runs `task` on the mail thread (work whose timing must not show in a response). False
    // if the queue is full.
    bool post(std::function<void()> task);

private:
    void run();
    void deliver(const Mail& mail);
    void deliverWithRetries(const Mail& mail, std::unique_lock<std::mutex>& lock);

    SmtpOptions options_;
    const Log& log_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace vtp::auth
