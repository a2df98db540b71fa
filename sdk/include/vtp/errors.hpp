#pragma once

// Exceptions a handler throws to answer with an RFC 9457 problem. The SDK turns them into
// responses at the ABI boundary; nothing else escapes a plugin.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace vtp {

class HttpError : public std::runtime_error {
public:
    // type: a short stable slug, e.g. "not-found"; the kernel makes it a URI.
    HttpError(int status, std::string type, std::string title, std::string detail = {})
        : std::runtime_error(title + (detail.empty() ? "" : ": " + detail)), status_(status), type_(std::move(type)),
          title_(std::move(title)), detail_(std::move(detail))
    {
    }
    int status() const { return status_; }
    const std::string& type() const { return type_; }
    const std::string& title() const { return title_; }
    const std::string& detail() const { return detail_; }
    // Extra response headers for the problem, e.g. Retry-After on a 429 or WWW-Authenticate.
    HttpError& header(std::string name, std::string value)
    {
        headers_.emplace_back(std::move(name), std::move(value));
        return *this;
    }
    const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

private:
    int status_;
    std::string type_, title_, detail_;
    std::vector<std::pair<std::string, std::string>> headers_;
};

struct BadRequest : HttpError {
    explicit BadRequest(std::string detail, std::string type = "bad-request")
        : HttpError(400, std::move(type), "Bad request", std::move(detail))
    {
    }
};
struct Unauthorized : HttpError {
    explicit Unauthorized(std::string detail = {}) : HttpError(401, "unauthorized", "Unauthorized", std::move(detail)) {}
};
struct Forbidden : HttpError {
    explicit Forbidden(std::string detail = {}) : HttpError(403, "forbidden", "Forbidden", std::move(detail)) {}
};
struct NotFound : HttpError {
    explicit NotFound(std::string detail = {}) : HttpError(404, "not-found", "Not found", std::move(detail)) {}
};
struct Conflict : HttpError {
    explicit Conflict(std::string detail = {}, std::string type = "conflict")
        : HttpError(409, std::move(type), "Conflict", std::move(detail))
    {
    }
};
struct Unprocessable : HttpError {
    explicit Unprocessable(std::string detail, std::string type = "validation-failed")
        : HttpError(422, std::move(type), "Validation failed", std::move(detail))
    {
    }
};
struct TooManyRequests : HttpError {
    explicit TooManyRequests(std::string detail = {}, long retryAfterSeconds = 0)
        : HttpError(429, "rate-limited", "Too many requests", std::move(detail))
    {
        if (retryAfterSeconds > 0) header("Retry-After", std::to_string(retryAfterSeconds));
    }
};
struct ServiceUnavailable : HttpError {
    explicit ServiceUnavailable(std::string detail = {}, long retryAfterSeconds = 0)
        : HttpError(503, "unavailable", "Service unavailable", std::move(detail))
    {
        if (retryAfterSeconds > 0) header("Retry-After", std::to_string(retryAfterSeconds));
    }
};

// A database failure; `conflict` for constraint violations (answered 409 if not caught).
class DbError : public std::runtime_error {
public:
    DbError(const std::string& message, bool conflict) : std::runtime_error(message), conflict_(conflict) {}
    bool conflict() const { return conflict_; }

private:
    bool conflict_;
};

// A failure in init/start with a message for the operator.
class PluginError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace vtp
