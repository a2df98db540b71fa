#include "events/Resp.hpp"

#include <charconv>

namespace vtp::kernel {

namespace {

constexpr int kMaxDepth = 8;
constexpr int64_t kMaxBulk = 512ll * 1024 * 1024; // Redis's own limit
constexpr int64_t kMaxItems = 1 << 20;

int64_t toInteger(std::string_view text)
{
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) throw RespError("RESP: not an integer: " + std::string(text));
    return v;
}

} // namespace

bool RespReader::line(size_t& pos, std::string_view& out) const
{
    const auto end = buffer_.find("\r\n", pos);
    if (end == std::string::npos) return false;
    out = std::string_view(buffer_).substr(pos, end - pos);
    pos = end + 2;
    return true;
}

bool RespReader::parse(size_t& pos, RespValue& out, int depth)
{
    if (depth > kMaxDepth) throw RespError("RESP: nested too deeply");
    if (pos >= buffer_.size()) return false;
    size_t p = pos + 1;
    std::string_view head;
    if (!line(p, head)) return false;
    out = RespValue{};
    out.type = buffer_[pos];
    switch (out.type) {
    case '+':
    case '-': out.text = std::string(head); break;
    case ':': out.integer = toInteger(head); break;
    case '$': {
        const int64_t n = toInteger(head);
        if (n < 0) {
            out.null = true;
            break;
        }
        if (n > kMaxBulk) throw RespError("RESP: bulk string too long");
        if (buffer_.size() < p + static_cast<size_t>(n) + 2) return false;
        out.text = buffer_.substr(p, static_cast<size_t>(n));
        if (buffer_.compare(p + static_cast<size_t>(n), 2, "\r\n") != 0) throw RespError("RESP: bulk string not terminated");
        p += static_cast<size_t>(n) + 2;
        break;
    }
    case '*': {
        const int64_t n = toInteger(head);
        if (n < 0) {
            out.null = true;
            break;
        }
        if (n > kMaxItems) throw RespError("RESP: array too long");
        out.items.resize(static_cast<size_t>(n));
        for (auto& item : out.items)
            if (!parse(p, item, depth + 1)) return false;
        break;
    }
    default: throw RespError(std::string("RESP: unknown type byte '") + out.type + "'");
    }
    pos = p;
    return true;
}

std::optional<RespValue> RespReader::next()
{
    RespValue v;
    size_t p = pos_;
    if (!parse(p, v, 0)) return std::nullopt;
    pos_ = p;
    // Compact once the consumed prefix dominates, so the buffer does not grow without bound.
    if (pos_ > 65536 && pos_ * 2 > buffer_.size()) {
        buffer_.erase(0, pos_);
        pos_ = 0;
    }
    return v;
}

std::string respCommand(const std::vector<std::string>& words)
{
    std::string out = "*" + std::to_string(words.size()) + "\r\n";
    for (const auto& w : words) {
        out += "$" + std::to_string(w.size()) + "\r\n";
        out += w;
        out += "\r\n";
    }
    return out;
}

} // namespace vtp::kernel
