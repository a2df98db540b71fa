#pragma once

// What the streaming plugin's parsers of client input return: the value, or why it was refused.
// They never throw on bad input (a client's mistake is a value, not an exception).

#include <optional>
#include <string>
#include <utility>

namespace vtp::streaming {

template <typename T>
struct Parsed {
    std::optional<T> value;
    std::string error; // set when value is empty
    explicit operator bool() const { return value.has_value(); }
    static Parsed ok(T v) { return Parsed{std::move(v), {}}; }
    static Parsed fail(std::string why) { return Parsed{std::nullopt, std::move(why)}; }
};

} // namespace vtp::streaming
