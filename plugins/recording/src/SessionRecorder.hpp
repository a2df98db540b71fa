#pragma once

// Recorded class sessions: when a section's schedule says a class session is recorded (the
// courses plugin's service "vtp.courses.sessions"), its live room "courses:SESSION" is recorded
// from the class's start to its end, and the section's instructors in the room are told to
// capture. Every few seconds (`schedule.poll_seconds`) each node asks which recorded sessions are
// in progress, starts those that have no recording yet and stops the scheduled recordings whose
// session is no longer in progress (ended, moved, cancelled, or no longer recorded).
//
// Never twice: a recording row names its session, and the database allows one per session
// (migration 006), so several nodes, a restart, or an instructor who stopped it mid-class never
// make a second. What survives a restart is the database: a node that was down when a class began
// starts its recording at its first look, if the class is still on.

#include <vtp/sdk.hpp>
#include <vtp/services/sessions.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace vtp::recording {

class RecordingService;

class SessionRecorder {
public:
    SessionRecorder(Host& host, RecordingService& service, const vtp_sessions_v1* sessions, std::chrono::seconds period);
    ~SessionRecorder();
    SessionRecorder(const SessionRecorder&) = delete;
    SessionRecorder& operator=(const SessionRecorder&) = delete;

    void start();
    void stop();
    // One look at the schedule (the thread's work, callable for tests).
    void check();

private:
    void run();

    Host& host_;
    RecordingService& service_;
    const vtp_sessions_v1* sessions_;
    std::chrono::seconds period_;
    Metric checks_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace vtp::recording
