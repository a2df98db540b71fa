#pragma once

// For state that has no notification of its own (a server's queue length, a connection count):
// check it every `interval` (1 ms; longer for checks that cost a request) until it holds or the
// deadline passes. Not a sleep standing in for synchronisation: the wait ends as soon as the
// condition is seen.

#include <chrono>
#include <thread>

namespace vtp::test {

template <typename Predicate>
bool pollUntil(Predicate predicate, std::chrono::milliseconds timeout, std::chrono::milliseconds interval = std::chrono::milliseconds(1))
{
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(interval);
    }
    return true;
}

} // namespace vtp::test
