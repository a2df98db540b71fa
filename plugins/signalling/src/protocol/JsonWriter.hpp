#pragma once

// Serialises JSON the way JSON.stringify does (same escapes, same number forms for integers
// and ordinary doubles, object keys in insertion order), so that what the stock client receives
// is byte-for-byte what socket.io's own server would send.

#include "protocol/Result.hpp"

#include <Poco/Dynamic/Var.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::signalling::protocol {

class JsonWriter {
public:
    // Appends s as a JSON string literal. Invalid UTF-8 becomes U+FFFD so that the output is
    // always valid JSON whatever the caller passes.
    static void appendString(std::string& out, std::string_view s);

    // Appends a number as JSON.stringify prints it (NaN and infinities as null).
    static void appendNumber(std::string& out, double value);

    // Appends a Poco tree (Object/Array, their Ptr forms, std::vector<Var>, scalars, Binary).
    // Each Binary becomes {"_placeholder":true,"num":N} and its bytes are appended to
    // *attachments; with attachments == nullptr a Binary is refused (BadArgument). Returns the
    // number of attachments added. Trees deeper than maxDepth are refused (TooDeep).
    static Result<std::size_t> appendValue(std::string& out, const Poco::Dynamic::Var& value, std::vector<std::string>* attachments,
                                           std::size_t maxDepth = 64);

    // True when the tree holds at least one Binary (decides EVENT vs BINARY_EVENT).
    static bool hasBinary(const Poco::Dynamic::Var& value, std::size_t maxDepth = 64);
};

} // namespace vtp::signalling::protocol
