#pragma once

// For state that has no notification of its own (a server's queue length, a connection count):
// check it every millisecond until it holds or the deadline passes. Not a sleep standing in for
// synchronisation: the wait ends as soon as the condition is seen.

#include <chrono>
#include <thread>

namespace vtp::test {

template <typename Predicate>
bool pollUntil(Predicate predicate, std::chrono::milliseconds timeout)
{
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

} // namespace vtp::test
