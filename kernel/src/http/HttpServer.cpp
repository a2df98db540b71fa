// The facade: HttpServer's start, drain and public accessors. A connection's states are in
// HttpConnection.hpp and the Http*.cpp files named for them.

#include "http/HttpServer.hpp"

#include "http/HttpConnection.hpp"

#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vtp::kernel {

using namespace Poco::Net;
using namespace http;

HttpServer::HttpServer(HttpServerSettings settings, HttpPipeline& pipeline, Logger& log)
    : settings_(std::move(settings)), shared_(std::make_shared<Shared>(pipeline, log, settings_)), inFlight_(shared_->inFlight)
{
    shared_->params = new HTTPServerParams;
    shared_->params->setMaxThreads(settings_.maxThreads);
    shared_->params->setTimeout(Poco::Timespan(settings_.requestTimeout.count(), 0));
    shared_->params->setKeepAlive(true);
    shared_->params->setKeepAliveTimeout(Poco::Timespan(settings_.keepAliveTimeout.count(), 0));
    shared_->params->setMaxKeepAliveRequests(settings_.maxKeepAliveRequests);
    Shared* sh = shared_.get(); // the deferrals live and stop inside it
    shared_->deferrals = std::make_unique<DeferredResponses>(
        [sh](void* owner, HttpResponseData answer) { heldAnswered(*sh, static_cast<http::Connection*>(owner), std::move(answer)); },
        [sh](void* owner) { heldGone(*sh, static_cast<http::Connection*>(owner)); });
}

DeferredResponses& HttpServer::deferrals()
{
    return *shared_->deferrals;
}

HttpServer::~HttpServer()
{
    if (started_ && !shared_->stopping) drain(std::chrono::milliseconds(0));
}

void HttpServer::start()
{
    auto& sh = *shared_;
    sh.listener = ServerSocket(SocketAddress(settings_.host, settings_.port), 1024);
    sh.listener.setBlocking(false);
    port_ = sh.listener.address().port();
    sh.epollFd = ::epoll_create1(EPOLL_CLOEXEC);
    sh.wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (sh.epollFd < 0 || sh.wakeFd < 0) throw Poco::IOException("http: cannot create the epoll set", std::strerror(errno));
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.ptr = &wakeTag;
    if (::epoll_ctl(sh.epollFd, EPOLL_CTL_ADD, sh.wakeFd, &wake) != 0 ||
        !arm(sh, sh.listener.impl()->sockfd(), &listenerTag, EPOLL_CTL_ADD))
        throw Poco::IOException("http: cannot watch the listener", std::strerror(errno));
    sh.deferrals->start();
    sh.pipeline.setDeferrals(sh.deferrals.get());
    started_ = true;
    {
        std::lock_guard lock(sh.workersMutex);
        for (int i = 0; i < settings_.threads; ++i) startWorker(shared_);
    }
    sweeper_ = std::thread(sweeperLoop, shared_);
}

void HttpServer::setObserver(RequestObserver* observer)
{
    shared_->observer = observer;
}

size_t HttpServer::connections() const
{
    std::lock_guard lock(shared_->mutex);
    return shared_->connections.size();
}

bool HttpServer::drain(std::chrono::milliseconds deadline)
{
    if (!started_) return true;
    auto& sh = *shared_;
    sh.stopping = true;
    sh.deferrals->expireAll(); // held requests get their timeout answer now
    // New clients fail fast (refused) instead of completing handshakes nobody accepts.
    ::epoll_ctl(sh.epollFd, EPOLL_CTL_DEL, sh.listener.impl()->sockfd(), nullptr);
    try {
        sh.listener.close();
    } catch (...) {
    }
    bool drained;
    {
        std::unique_lock lock(sh.mutex);
        drained = sh.idle.wait_for(lock, deadline, [&] { return sh.inFlight.load() == 0; });
        sh.sweeperStop = true;
        sh.sweep.notify_all();
        // Wakes connections waiting for a request and workers blocked reading a slow head.
        for (auto& [ptr, conn] : sh.connections) ::shutdown(conn->socket.impl()->sockfd(), SHUT_RDWR);
    }
    sweeper_.join(); // before the threads are collected: it may start one
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(sh.workersMutex);
        sh.quit = true;
        sh.turn.notify_all();
        threads.swap(sh.threads);
    }
    const uint64_t one = 1;
    [[maybe_unused]] const auto w = ::write(sh.wakeFd, &one, sizeof one);
    for (auto& t : threads) {
        // A handler still running past the deadline keeps its thread: the process is about
        // to exit, and the thread holds the shared state alive.
        if (drained)
            t.join();
        else
            t.detach();
    }
    sh.pipeline.setDeferrals(nullptr);
    sh.deferrals->stop();
    if (drained) {
        std::unordered_map<http::Connection*, std::shared_ptr<http::Connection>> rest;
        {
            std::lock_guard lock(sh.mutex);
            rest.swap(sh.connections);
        }
        for (auto& [ptr, conn] : rest) {
            try {
                conn->socket.close();
            } catch (...) {
            }
        }
    }
    started_ = false;
    return drained;
}

} // namespace vtp::kernel
