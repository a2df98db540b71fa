#pragma once

// Argon2id password hashing (libargon2) with a bound on how many hashes run at once: each
// takes memory_kib of RAM and a core for tens of milliseconds, so a login storm must queue,
// not exhaust memory.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace vtp::auth {

struct Argon2Params {
    uint32_t memoryKib = 19456; // OWASP: m=19 MiB, t=2, p=1
    uint32_t iterations = 2;
    uint32_t parallelism = 1;
};

// Thrown when too many hashes are already waiting; the route answers 503 with Retry-After.
struct HasherBusy : std::runtime_error {
    HasherBusy() : std::runtime_error("too many password checks in progress") {}
};

class PasswordHasher {
public:
    PasswordHasher(Argon2Params params, unsigned maxConcurrent, unsigned maxWaiting);

    // A PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$hash. Throws HasherBusy.
    std::string hash(std::string_view password);
    // True if `password` matches `encoded`; constant-time in libargon2. Throws HasherBusy.
    bool verify(std::string_view encoded, std::string_view password);
    // Same cost as verify() with no account to check, so an unknown email takes as long.
    void verifyDummy(std::string_view password);
    // True if `encoded` was made with weaker parameters than the configured ones (or is not
    // Argon2id): it is re-hashed at the next successful login.
    bool needsRehash(std::string_view encoded) const;

    const Argon2Params& params() const { return params_; }
    unsigned runningForTest()
    {
        std::lock_guard lock(mutex_);
        return running_;
    }

private:
    class Slot;
    Argon2Params params_;
    unsigned maxConcurrent_, maxWaiting_;
    std::mutex mutex_;
    std::condition_variable cv_;
    unsigned running_ = 0, waiting_ = 0;
    std::string dummy_;
};

} // namespace vtp::auth
