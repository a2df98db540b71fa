#pragma once

// What a new password must satisfy: length in characters (code points) and not a common
// password. Returns the reason a password is refused, or nothing.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace vtp::auth {

class PasswordPolicy {
public:
    PasswordPolicy(size_t minLength, size_t maxLength) : min_(minLength), max_(maxLength) {}

    // Adds one password per line; '#' starts a comment line. Compared case-insensitively.
    void addBlocklist(std::string_view text);
    size_t blocklistSize() const { return blocked_.size(); }

    std::optional<std::string> check(std::string_view password, std::string_view email = {}) const;

private:
    size_t min_, max_;
    std::unordered_set<std::string> blocked_;
};

// Lower-cases ASCII; the blocklist and emails are compared this way.
std::string asciiLower(std::string_view s);
// Number of code points if `s` is valid UTF-8, else nothing.
std::optional<size_t> utf8Length(std::string_view s);
// A normalised email (trimmed, lower-cased), or nothing if it is not a plausible address.
std::optional<std::string> normaliseEmail(std::string_view email);

} // namespace vtp::auth
