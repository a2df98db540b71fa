#pragma once

// A Socket.IO load generator on libwebsockets' client side: N clients over Engine.IO v4's
// WebSocket transport (?EIO=4&transport=websocket), each sending CONNECT with {token}, joining its
// room (room:join, acknowledged) and then, while a step runs, sending chat:send every period. Each
// chat text carries the sender's steady_clock time, so every other member of the room that
// receives the chat:message yields one fan-out latency on the same clock. Pings are answered.
//
// Threads: one libwebsockets context and service thread per worker; a room's clients all live
// on one worker, so per-room bookkeeping needs no lock. The controlling thread (main) drives the
// phases through the setters below and reads results with snapshot(); those are thread-safe.
// Targets are loopback addresses only (the constructor refuses anything else).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vtp::bench {

struct GeneratorOptions {
    std::string host = "127.0.0.1"; // loopback only
    int port = 0;
    std::string path = "/socket.io/";
    std::size_t clients = 0;
    std::size_t roomSize = 25;
    std::vector<std::string> rooms;  // client i joins rooms[i / roomSize]
    std::vector<std::string> tokens; // client i sends tokens[i % tokens.size()]
    unsigned threads = 1;
    std::size_t maxInFlight = 200; // handshakes under way per thread (connect + CONNECT + join)
    unsigned connectRetries = 3;   // a failed connection attempt is retried this often
    std::size_t textBytes = 64;    // length of each chat text (the timestamp marker, then padding)
    bool validate = false;         // decode every frame with the codec and check its fields
};

// Figures for one step (a send rate), counted by the step the message was sent in.
struct StepFigures {
    std::vector<std::uint32_t> fanoutUs; // one per delivery to a member other than the sender
    std::uint64_t sent = 0;              // chat:send written
    std::uint64_t expected = 0;          // sum over sent messages of the other live members then
    std::uint64_t delivered = 0;         // chat:message received by another member
    std::uint64_t echoes = 0;            // the sender's own copy
    std::uint64_t acksOk = 0, acksRefused = 0;
    std::uint64_t skippedSends = 0; // sends the generator could not make in time (it fell a period behind)
};

struct ConnectFigures {
    std::vector<std::uint32_t> joinUs;  // room:join sent -> ack received
    std::vector<std::uint32_t> readyUs; // TCP connect started -> joined (the whole handshake)
    std::uint64_t joined = 0;           // clients connected and in their room
    std::uint64_t failed = 0;           // clients that never got there (after retries)
    std::uint64_t retries = 0;
    std::uint64_t joinRefused = 0; // room:join acknowledged with an error
    std::string lastError;
};

struct Snapshot {
    ConnectFigures connect;
    std::vector<StepFigures> steps;
    std::uint64_t drops = 0;   // joined clients whose connection closed before the end
    std::uint64_t pings = 0;   // Engine.IO pings answered
    std::uint64_t invalid = 0; // frames the codec refused or whose fields were wrong (validate)
    std::uint64_t framesIn = 0;
    std::uint64_t foreignChats = 0; // chat:message without the generator's marker (another client's)
    std::string lastInvalid;
};

class LoadGenerator {
public:
    explicit LoadGenerator(GeneratorOptions options); // throws std::invalid_argument
    ~LoadGenerator();
    LoadGenerator(const LoadGenerator&) = delete;
    LoadGenerator& operator=(const LoadGenerator&) = delete;

    // Starts the worker threads, which connect every client (maxInFlight at a time per thread).
    void start();
    // Clients joined / given up so far (cheap, any thread).
    std::uint64_t joined() const;
    std::uint64_t failed() const;
    std::uint64_t drops() const;

    // Every joined client sends one chat:send per periodSeconds, spread evenly over the period,
    // counted as step `step` (0-based, increasing). periodSeconds <= 0 stops sending.
    void runStep(std::size_t step, double periodSeconds);
    void pause() { runStep(currentStep_.load(), 0); }

    // Closes every connection (close frame 1000) and stops the threads within timeoutSeconds.
    void stop(double timeoutSeconds = 5);

    // A copy of everything measured so far (latency vectors included): call between steps.
    Snapshot snapshot() const;

    // Nanoseconds on the clock the timestamps use (steady_clock).
    static std::int64_t nowNs();

    class Worker; // one per thread, in LoadGenerator.cpp

private:
    GeneratorOptions options_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<std::size_t> currentStep_{0};
};

} // namespace vtp::bench
