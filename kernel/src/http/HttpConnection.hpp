#pragma once

// The HTTP server's private parts, shared by the Http*.cpp files that implement it and included by
// nothing outside kernel/src/http: a connection and the states it passes through (a streamed body
// being read, a deferred answer held, a file being sent), the server's shared state, and the
// functions by which each file hands a connection on to another's state.

#include "http/HttpServer.hpp"

#include "http/BodyDecoder.hpp"
#include "http/DeferredResponses.hpp"
#include "http/FileResponse.hpp"
#include "http/StreamedBody.hpp"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace vtp::kernel {

namespace http {

using Poco::Net::HTTPRequest;
using Poco::Net::HTTPServerParams;
using Poco::Net::HTTPServerSession;
using Poco::Net::StreamSocket;

inline int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Pipelined requests wait in the session's buffer, where epoll cannot see them.
class ServerSession : public HTTPServerSession {
public:
    using HTTPServerSession::buffered;
    using HTTPServerSession::HTTPServerSession;
    using HTTPServerSession::read; // takes buffered bytes first; call it only while buffered() > 0
};

// A streamed body under way (a VTP_ROUTE_BODY_STREAM route): its bytes are read as they arrive,
// each time the connection becomes readable, and no worker waits for the client in between.
struct Upload {
    std::unique_ptr<StreamedBody> body;
    BodyDecoder decoder;
    std::string version; // the request's, for the answer
    bool requestKeepAlive = false;
    std::chrono::steady_clock::time_point started;
};

// A request whose handler deferred its answer (ABI 1.6): while held, the connection sits in
// DeferredResponses' epoll set and no worker waits for it; `answer` is the fallback until then,
// and the answer to send once a worker gets the connection back.
struct Held {
    IncomingRequest in;
    PreparedRequest prepared;
    std::string version;
    bool requestKeepAlive = false;
    std::chrono::steady_clock::time_point started;
    uint64_t id = 0;
    HttpResponseData answer;
};

// A file response being sent (FileBody): what is left of it, and the request it answers, whose
// metrics and access log wait for its end.
struct Transfer {
    std::shared_ptr<FileBody> file;
    uint64_t next = 0; // file offset of the next byte to send
    uint64_t end = 0;
    IncomingRequest in;
    std::string pattern;
    int status = 0;
    std::chrono::steady_clock::time_point started;
};

// One client connection. Between requests it is armed in the epoll set (one-shot, so exactly
// one worker gets it when it becomes readable, or writable while a file response waits for room
// in the socket); while a worker serves it, it is disarmed.
struct Connection {
    Connection(const StreamSocket& s, const HTTPServerParams::Ptr& params)
        : socket(s), session(socket, params), remaining(params->getMaxKeepAliveRequests())
    {
    }

    StreamSocket socket;
    ServerSession session; // owns the read buffer, so it lives as long as the connection
    std::string remote;
    int remaining;        // requests this connection may still make; 0: the next answer closes it
    bool served = false;  // a first request arrived (then the idle limit is the keep-alive one)
    bool partial = false; // part of a head has arrived (then the limit is the request timeout)
    std::atomic<bool> busy{false};
    std::atomic<int64_t> idleSinceMs{nowMs()};
    std::unique_ptr<Upload> upload;        // a streamed body is being read
    std::atomic<bool> streaming{false};    // upload is set (for the sweeper)
    std::atomic<bool> bodyTimedOut{false}; // set by the sweeper: the body stalled
    std::unique_ptr<Held> held;            // a deferred answer is awaited, or ready to send
    std::unique_ptr<Transfer> transfer;    // a file response is being sent
    std::atomic<bool> sending{false};      // transfer waits for room in the socket (for the sweeper)
    bool lingerOnClose = false;            // the answer closes with the request's body unread: linger first
    std::atomic<bool> lingering{false};    // closing: the client's bytes are read and dropped (for the sweeper)
    uint64_t lingered = 0;                 // bytes dropped so far
};

// What a connection does after a worker's turn on it.
// Parked: a streamed body waits for more bytes. Held: a deferred answer is awaited (the
// connection goes to DeferredResponses). Sending: a file response waits for room in the socket.
// Lingering: closing, the write side shut, what the client still sends is dropped.
enum class Next { Keep, Close, Parked, Held, Sending, Lingering };

// Distinct addresses mark the two descriptors in the epoll set that are not connections.
inline char listenerTag;
inline char wakeTag;

// A handler still running after this long gives its worker's turn to a stand-in.
inline constexpr int64_t kSlowHandlerMs = 10;

// Lingering close: how long at most, and how many bytes at most, a connection answered before its
// body was read goes on reading and dropping what the client sends before it closes.
inline constexpr int64_t kLingerMs = 5000;
inline constexpr uint64_t kLingerBytes = 4 << 20;

} // namespace http

struct HttpServer::Shared {
    HttpPipeline& pipeline;
    Logger& log;
    HttpServerSettings settings;
    Poco::Net::HTTPServerParams::Ptr params;
    std::atomic<size_t> inFlight{0};
    std::atomic<bool> stopping{false};
    RequestObserver* observer = nullptr;
    Poco::Net::ServerSocket listener;
    int epollFd = -1;
    int wakeFd = -1;                         // eventfd, level-triggered: once written, every worker sees it and exits
    std::atomic<bool> listenerPaused{false}; // out of descriptors: the sweeper re-arms it

    std::mutex mutex; // guards connections; idle/sweep are signalled under it
    std::condition_variable idle;
    std::condition_variable sweep;
    bool sweeperStop = false;
    std::unordered_map<http::Connection*, std::shared_ptr<http::Connection>> connections;
    std::unique_ptr<DeferredResponses> deferrals;

    // Worker threads. `pollers` of them (http.threads) take turns on the epoll set and serve
    // what they take; a handler still running after kSlowHandler gives its turn to a stand-in
    // (a parked thread, or a new one up to http.max_threads), so a blocking handler delays
    // nobody else while the fast path keeps few threads and few context switches.
    struct Worker {
        std::atomic<int64_t> busySinceMs{0}; // in a handler since then; 0: not in one
        std::atomic<bool> replaced{false};   // a stand-in has its turn: park after this request
    };
    std::mutex workersMutex; // guards the fields below
    std::condition_variable turn;
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<std::thread> threads;
    int polling = 0; // workers holding a turn
    int parked = 0;  // workers waiting for one
    bool quit = false;

    Shared(HttpPipeline& p, Logger& l, HttpServerSettings s) : pipeline(p), log(l), settings(std::move(s)) {}
    ~Shared()
    {
        if (epollFd >= 0) ::close(epollFd);
        if (wakeFd >= 0) ::close(wakeFd);
    }
};

namespace http {

// How a connection passes from one file's state to another's. Every function takes the connection
// while a worker has it (disarmed), except heldAnswered and heldGone (DeferredResponses' thread,
// once the connection has left the workers' epoll set).

// HttpResponseWriter.cpp: the whole response (or a file response's head) in one send(2).
// Writes the response, or the head of a file response; returns whether file bytes follow.
bool send(HttpServer::Shared& sh, Connection& conn, const std::string& version, bool requestKeepAlive, const IncomingRequest& in,
          const HttpResponseData& out);
bool send(HttpServer::Shared& sh, Connection& conn, const HTTPRequest& request, const IncomingRequest& in, const HttpResponseData& out);
// A problem to a head that could not be parsed, then the connection closes; a client gone is ignored.
void writeRaw(StreamSocket& socket, HttpResponseData r, const std::string& requestId);

// HttpRequests.cpp: reading a request head and answering it (or handing it to another state).
bool headArrived(Connection& conn);
Next serveOne(HttpServer::Shared& sh, Connection& conn);

// HttpUploads.cpp: a streamed body, read as it arrives (Next::Parked between pieces).
Next continueUpload(HttpServer::Shared& sh, Connection& conn);
void endUpload(HttpServer::Shared& sh, Connection& conn, const HttpResponseData* answered);

// HttpTransfers.cpp: a file response's bytes, sent with sendfile as the socket has room (Next::Sending).
Next continueTransfer(HttpServer::Shared& sh, Connection& conn);
Next startTransfer(HttpServer::Shared& sh, Connection& conn, const std::shared_ptr<FileBody>& file, IncomingRequest in, std::string pattern,
                   int status, std::chrono::steady_clock::time_point started);

// HttpHeldAnswers.cpp: a deferred answer (Next::Held while DeferredResponses holds the connection).
Next sendHeld(HttpServer::Shared& sh, Connection& conn);
// DeferredResponses' callbacks: the answer is in (a worker sends it), or the client hung up.
void heldAnswered(HttpServer::Shared& sh, Connection* conn, HttpResponseData answer);
void heldGone(HttpServer::Shared& sh, Connection* conn);

// HttpLingeringClose.cpp: closing a connection whose request body was left unread (Next::Lingering).
Next startLinger(Connection& conn);
Next continueLinger(Connection& conn);

// HttpWorkers.cpp: the workers' epoll set, and the end of a request or a connection.
void finish(HttpServer::Shared& sh);
void completeRequest(HttpServer::Shared& sh, const IncomingRequest& in, const std::string& pattern, int status,
                     std::chrono::steady_clock::time_point started);
void closeConnection(HttpServer::Shared& sh, Connection* conn);
bool arm(HttpServer::Shared& sh, int fd, void* tag, int op, uint32_t events = EPOLLIN | EPOLLRDHUP);
void startWorker(const std::shared_ptr<HttpServer::Shared>& sh); // under workersMutex
void replaceSlowWorkers(const std::shared_ptr<HttpServer::Shared>& sh, int64_t now);

// HttpSweeper.cpp: timeouts of idle, slow and stalled connections; slow handlers.
void sweeperLoop(const std::shared_ptr<HttpServer::Shared>& sh);

} // namespace http

} // namespace vtp::kernel
