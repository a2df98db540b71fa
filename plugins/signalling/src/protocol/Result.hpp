#pragma once

// A value or an error (std::expected is C++23; this is the part of it the codec needs).
// Accessing value() of an error, or error() of a value, is a caller bug and aborts in debug builds.

#include "protocol/ProtocolError.hpp"

#include <cassert>
#include <concepts>
#include <type_traits>
#include <utility>
#include <variant>

namespace vtp::signalling::protocol {

template <typename T, typename E = ProtocolError>
class Result {
public:
    template <typename U = T>
    requires std::constructible_from<T, U&&> &&
        (!std::same_as<std::remove_cvref_t<U>, E>)&&(!std::same_as<std::remove_cvref_t<U>, Result>)Result(U&& value)
        : v_(std::in_place_index<0>, std::forward<U>(value))
    {
    }
    Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() &
    {
        assert(ok());
        return *std::get_if<0>(&v_);
    }
    const T& value() const&
    {
        assert(ok());
        return *std::get_if<0>(&v_);
    }
    T&& value() &&
    {
        assert(ok());
        return std::move(*std::get_if<0>(&v_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const E& error() const
    {
        assert(!ok());
        return *std::get_if<1>(&v_);
    }

private:
    std::variant<T, E> v_;
};

} // namespace vtp::signalling::protocol
