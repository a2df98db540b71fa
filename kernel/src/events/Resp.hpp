#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::kernel {

// A RESP2 value as Redis sends it: '+' simple string, '-' error, ':' integer, '$' bulk string,
// '*' array. A null bulk string or array has `null` set.
struct RespValue {
    char type = '+';
    std::string text; // simple, error, bulk
    int64_t integer = 0;
    std::vector<RespValue> items;
    bool null = false;
};

class RespError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Incremental RESP2 parser for a connection read in arbitrary chunks: append() what arrived,
// then take next() until it returns nothing. Throws RespError on bytes that are not RESP.
class RespReader {
public:
    void append(std::string_view bytes) { buffer_.append(bytes); }
    std::optional<RespValue> next();
    size_t buffered() const { return buffer_.size() - pos_; }

private:
    // Parses one value at `pos`; returns false (pos unchanged) if it is not complete yet.
    bool parse(size_t& pos, RespValue& out, int depth);
    bool line(size_t& pos, std::string_view& out) const;

    std::string buffer_;
    size_t pos_ = 0;
};

// A command as a RESP array of bulk strings.
std::string respCommand(const std::vector<std::string>& words);

} // namespace vtp::kernel
