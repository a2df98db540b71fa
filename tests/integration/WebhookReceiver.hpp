#pragma once

// A webhook receiver for the tests: a real HTTP server on a free loopback port, in the test's
// process, that records each POST (the X-VTP-* headers and the body) and can answer 500 to the
// next few.

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <fcntl.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vtp::test {

struct Received {
    std::string event, delivery, timestamp, signature, body;
};

// An HTTP receiver that records each POST and answers 500 to the first `failures` of them.
class Receiver {
public:
    explicit Receiver(uint16_t port = 0) : port_(port) {}
    ~Receiver() { stop(); }

    void start()
    {
        socket_ = Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", port_), 64);
        port_ = socket_.address().port();
        // Not inherited by the vtpd this test spawns: it would keep the port listening after stop().
        ::fcntl(socket_.impl()->sockfd(), F_SETFD, FD_CLOEXEC);
        auto* params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(4);
        server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket_, params);
        server_->start();
    }
    void stop()
    {
        if (server_) server_->stopAll(true);
        server_.reset();
        // Close the listening socket now, so that connections are refused rather than left waiting.
        socket_.close();
    }
    void failNext(int n)
    {
        std::lock_guard lock(mutex_);
        failures_ = n;
    }
    std::vector<Received> requests()
    {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    uint16_t port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/vtp"; }

private:
    struct Handler : Poco::Net::HTTPRequestHandler {
        explicit Handler(Receiver& r) : r_(r) {}
        void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override
        {
            Received got;
            got.event = req.get("X-VTP-Event", "");
            got.delivery = req.get("X-VTP-Delivery", "");
            got.timestamp = req.get("X-VTP-Timestamp", "");
            got.signature = req.get("X-VTP-Signature", "");
            Poco::StreamCopier::copyToString(req.stream(), got.body);
            bool fail = false;
            {
                std::lock_guard lock(r_.mutex_);
                r_.requests_.push_back(got);
                if (r_.failures_ > 0) {
                    --r_.failures_;
                    fail = true;
                }
            }
            res.setStatus(fail ? Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR : Poco::Net::HTTPResponse::HTTP_OK);
            res.setContentLength(2);
            res.send() << "ok";
        }
        Receiver& r_;
    };
    struct Factory : Poco::Net::HTTPRequestHandlerFactory {
        explicit Factory(Receiver& r) : r_(r) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override { return new Handler(r_); }
        Receiver& r_;
    };

    uint16_t port_;
    Poco::Net::ServerSocket socket_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    std::mutex mutex_;
    int failures_ = 0;
    std::vector<Received> requests_;
};

} // namespace vtp::test
