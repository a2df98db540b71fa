#include "Mailer.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/SecureSMTPClientSession.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <chrono>

namespace vtp::auth {

namespace {
constexpr size_t kMaxQueued = 10000;
constexpr int kAttempts = 3;
} // namespace

void Mailer::start()
{
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void Mailer::stop()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool Mailer::send(Mail mail)
{
    if (!enabled()) return false;
    return post([this, m = std::move(mail)] {
        std::unique_lock lock(mutex_, std::defer_lock);
        deliverWithRetries(m, lock);
    });
}

bool Mailer::post(std::function<void()> task)
{
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= kMaxQueued || stopping_) return false;
        queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
}

void Mailer::run()
{
    std::unique_lock lock(mutex_);
    while (true) {
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        auto task = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        try {
            task();
        } catch (const std::exception& e) {
            log_.error("background task failed", {{"error", e.what()}});
        }
        lock.lock();
    }
}

// Called on the mail thread with `lock` unlocked; waits between attempts unless stopping.
void Mailer::deliverWithRetries(const Mail& mail, std::unique_lock<std::mutex>& lock)
{
    for (int attempt = 1; attempt <= kAttempts; ++attempt) {
        try {
            deliver(mail);
            log_.info("mail sent", {{"subject", mail.subject}});
            return;
        } catch (const std::exception& e) {
            // The message is never logged: it may carry a reset link.
            log_.warn("mail delivery failed", {{"attempt", std::to_string(attempt)}, {"error", e.what()}});
        }
        lock.lock();
        const bool stop = cv_.wait_for(lock, std::chrono::seconds(attempt * 2), [&] { return stopping_; });
        lock.unlock();
        if (stop) return;
    }
}

void Mailer::deliver(const Mail& mail)
{
    Poco::Net::MailMessage message;
    message.setSender(options_.from);
    message.addRecipient(Poco::Net::MailRecipient(Poco::Net::MailRecipient::PRIMARY_RECIPIENT, mail.to));
    message.setSubject(Poco::Net::MailMessage::encodeWord(mail.subject, "UTF-8"));
    message.setContentType("text/plain; charset=UTF-8");
    message.setContent(mail.body, Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);
    const Poco::Timespan timeout(options_.timeoutSeconds, 0);
    Poco::Net::StreamSocket socket;
    socket.connect(Poco::Net::SocketAddress(options_.host, options_.port), timeout);
    socket.setReceiveTimeout(timeout);
    socket.setSendTimeout(timeout);
    if (options_.tls == "starttls") {
        Poco::Net::SecureSMTPClientSession session(socket);
        session.login();
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_RELAXED, 9, true);
        if (!session.startTLS(context)) throw Poco::Net::SMTPException("the server does not offer STARTTLS");
        if (!options_.username.empty()) session.login(Poco::Net::SMTPClientSession::AUTH_LOGIN, options_.username, options_.password);
        session.sendMessage(message);
        session.close();
    } else {
        Poco::Net::SMTPClientSession session(socket);
        if (options_.username.empty())
            session.login();
        else
            session.login(Poco::Net::SMTPClientSession::AUTH_LOGIN, options_.username, options_.password);
        session.sendMessage(message);
        session.close();
    }
}

} // namespace vtp::auth
