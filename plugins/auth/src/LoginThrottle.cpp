#include "LoginThrottle.hpp"

#include <algorithm>

namespace vtp::auth {

int64_t LoginThrottle::retryAfter(const std::string& key, int64_t now) const
{
    const Rows rows = db_.query("SELECT locked_until FROM auth_throttle WHERE throttle_key = ?", {key});
    if (rows.empty()) return 0;
    return std::max<int64_t>(0, rows[0][0].asInt() - now);
}

void LoginThrottle::recordFailure(const std::string& key, int64_t freeFailures, int64_t maxLockout, int64_t now)
{
    db_.transaction([&](Tx& tx) {
        // The count starts again only once the window and a window after the last lock have
        // passed; the upsert keeps concurrent failures from being lost.
        const int64_t stale = now - limits_.windowSeconds;
        tx.exec("INSERT INTO auth_throttle (throttle_key, failures, window_start, locked_until) VALUES (?, 1, ?, 0) "
                "ON CONFLICT (throttle_key) DO UPDATE SET "
                "failures = CASE WHEN auth_throttle.window_start < ? AND auth_throttle.locked_until < ? THEN 1 ELSE auth_throttle.failures "
                "+ 1 END, "
                "window_start = CASE WHEN auth_throttle.window_start < ? AND auth_throttle.locked_until < ? THEN ? ELSE "
                "auth_throttle.window_start END",
                {key, now, stale, stale, stale, stale, now});
        const Rows rows = tx.query("SELECT failures FROM auth_throttle WHERE throttle_key = ?", {key});
        const int64_t failures = rows.empty() ? 0 : rows[0][0].asInt();
        if (failures >= freeFailures) {
            const int64_t excess = std::min<int64_t>(failures - freeFailures, 30);
            const int64_t delay = std::min(maxLockout, limits_.baseDelaySeconds << excess);
            tx.exec("UPDATE auth_throttle SET locked_until = ? WHERE throttle_key = ?", {now + delay, key});
        }
    });
}

void LoginThrottle::clear(const std::string& key)
{
    db_.exec("DELETE FROM auth_throttle WHERE throttle_key = ?", {key});
}

} // namespace vtp::auth
