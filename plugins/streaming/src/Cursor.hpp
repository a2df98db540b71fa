#pragma once

// The lists' cursor: the last item's (time, id), base64url so that it is opaque and URL-safe.

#include <vtp/base64.hpp>
#include <vtp/errors.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace vtp::streaming {

inline std::string encodeCursor(int64_t at, const std::string& id)
{
    return base64UrlEncode(std::to_string(at) + "\n" + id);
}

// Throws 400 invalid-parameter for anything encodeCursor did not make.
inline std::pair<long long, std::string> decodeCursor(const std::string& cursor)
{
    const auto text = cursor.size() <= 512 ? base64UrlDecode(cursor) : std::nullopt;
    const size_t sep = text ? text->find('\n') : std::string::npos;
    try {
        if (sep == std::string::npos || sep == 0) throw std::invalid_argument("no separator");
        size_t used = 0;
        const long long at = std::stoll(text->substr(0, sep), &used);
        if (used != sep) throw std::invalid_argument("trailing text");
        return {at, text->substr(sep + 1)};
    } catch (const std::exception&) {
        throw BadRequest("invalid cursor; pass next_cursor unchanged", "invalid-parameter");
    }
}

} // namespace vtp::streaming
