#pragma once

// Login throttling shared by every node (table auth_throttle): per account and per client
// address. After the free failures in a window, each further failure locks the key for a delay
// that doubles up to its maximum. A key's count is kept while it is locked, so an address that
// keeps failing reaches its (longer) maximum and stays there. An attempt refused for a lock is
// never counted against the account, so one attacker cannot keep someone else's account locked:
// the account's lock runs out at most maxLockout after the last counted failure, and the
// attacker's address is locked far longer than that.

#include <vtp/db.hpp>

#include <cstdint>
#include <string>

namespace vtp::auth {

struct ThrottleLimits {
    int64_t accountFreeFailures = 5;
    int64_t addressFreeFailures = 20;
    int64_t windowSeconds = 900;
    int64_t baseDelaySeconds = 1;
    int64_t maxLockoutSeconds = 900;         // accounts
    int64_t addressMaxLockoutSeconds = 3600; // addresses
    // Refused registrations (409 email-taken, 403 invite refusals) before delays start, with the
    // same window, delays and maximum lockouts: open registration would otherwise tell anyone,
    // without limit, which addresses have an account.
    int64_t registrationEmailFreeFailures = 3;
    int64_t registrationAddressFreeFailures = 10;
};

class LoginThrottle {
public:
    LoginThrottle(const Db& db, ThrottleLimits limits) : db_(db), limits_(limits) {}

    // Seconds until `key` may try again, 0 if it may now.
    int64_t retryAfter(const std::string& key, int64_t now) const;
    void recordFailure(const std::string& key, int64_t freeFailures, int64_t maxLockout, int64_t now);
    void clear(const std::string& key);
    const ThrottleLimits& limits() const { return limits_; }

    static std::string accountKey(const std::string& email) { return "account:" + email; }
    static std::string addressKey(const std::string& address) { return "address:" + address; }
    // Registration counts apart from logins: a failed login never delays a registration.
    static std::string registrationEmailKey(const std::string& email) { return "register-email:" + email; }
    static std::string registrationAddressKey(const std::string& address) { return "register-address:" + address; }

private:
    const Db& db_;
    ThrottleLimits limits_;
};

} // namespace vtp::auth
