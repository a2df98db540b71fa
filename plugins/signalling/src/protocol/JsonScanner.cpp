#include "protocol/JsonScanner.hpp"

#include "protocol/Utf8.hpp"

#include <cmath>
#include <cstdlib>

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_set>

namespace vtp::signalling::protocol {

namespace {

// The hard ceiling whatever the options say: the scanner recurses once per nesting level.
constexpr std::size_t kMaxDepthCeiling = 512;

struct Token {
    JsonKind kind = JsonKind::Null;
    const char* start = nullptr; // strings: inside the quotes; numbers and literals: the text
    const char* stop = nullptr;
    bool escaped = false;        // strings: contains a backslash escape
};

int hexValue(char c) noexcept
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Four hex digits at p (caller checked there are four bytes), or -1.
int hex4(const char* p) noexcept
{
    int v = 0;
    for (int i = 0; i < 4; ++i) {
        const int h = hexValue(p[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}


void appendUtf8(std::string& out, std::uint32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// The member names of one object, to refuse a name given twice (RFC 7493 2.3): what this scanner
// checks and what a handler reads from the tree must be the same member. Typical objects have a
// few plain names, compared in place; escaped names or many members go to a hash set.
class MemberNames {
public:
    // False when `key` (a string token) was already seen.
    bool insert(std::string_view raw, bool escaped)
    {
        if (!escaped && !spilled_ && count_ < small_.size()) {
            for (std::size_t i = 0; i < count_; ++i)
                if (small_[i] == raw) return false;
            small_[count_++] = raw;
            return true;
        }
        if (!spilled_) {
            for (std::size_t i = 0; i < count_; ++i) set_.emplace(small_[i]);
            spilled_ = true;
        }
        return set_.insert(escaped ? JsonScanner::unescape(raw) : std::string(raw)).second;
    }

private:
    std::array<std::string_view, 8> small_{};
    std::size_t count_ = 0;
    bool spilled_ = false;
    std::unordered_set<std::string> set_;
};

class Scanner {
public:
    Scanner(std::string_view text, const JsonScanOptions& options)
        : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), options_(options)
    {
        if (options_.maxDepth > kMaxDepthCeiling)
            options_.maxDepth = kMaxDepthCeiling;
    }

    bool run(JsonSummary& summary)
    {
        skipWhitespace();
        Token t;
        if (!value(0, t, &summary))
            return false;
        summary.kind = t.kind;
        skipWhitespace();
        if (p_ != end_)
            return fail(ProtocolErrc::InvalidJson, "unexpected character after the JSON value");
        return true;
    }

    std::optional<ProtocolError> error;

private:
    bool fail(ProtocolErrc code, const char* what)
    {
        if (!error)
            error.emplace(code, "JSON at offset " + std::to_string(p_ - begin_) + ": " + what);
        return false;
    }

    void skipWhitespace() noexcept
    {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
            ++p_;
    }

    bool value(std::size_t depth, Token& t, JsonSummary* top)
    {
        if (p_ == end_)
            return fail(ProtocolErrc::InvalidJson, "expected a value");
        switch (*p_) {
        case '{': t.kind = JsonKind::Object; return object(depth, top);
        case '[': t.kind = JsonKind::Array; return array(depth, top);
        case '"': return string(t);
        case 't': return literal(t, "true", JsonKind::Bool);
        case 'f': return literal(t, "false", JsonKind::Bool);
        case 'n': return literal(t, "null", JsonKind::Null);
        default:
            if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9'))
                return number(t);
            return fail(ProtocolErrc::InvalidJson, "expected a value");
        }
    }

    bool literal(Token& t, std::string_view word, JsonKind kind)
    {
        if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
            return fail(ProtocolErrc::InvalidJson, "invalid literal");
        t.kind = kind;
        t.start = p_;
        p_ += word.size();
        t.stop = p_;
        return true;
    }

    bool digits()
    {
        if (p_ == end_ || *p_ < '0' || *p_ > '9')
            return fail(ProtocolErrc::InvalidJson, "expected a digit");
        while (p_ != end_ && *p_ >= '0' && *p_ <= '9')
            ++p_;
        return true;
    }

    bool number(Token& t)
    {
        t.kind = JsonKind::Number;
        t.start = p_;
        if (*p_ == '-')
            ++p_;
        if (p_ != end_ && *p_ == '0') {
            ++p_;
        } else if (!digits()) {
            return false;
        }
        const auto integerDigits = static_cast<std::size_t>(p_ - t.start) - (*t.start == '-' ? 1 : 0);
        const bool fraction = p_ != end_ && *p_ == '.';
        if (fraction) {
            ++p_;
            if (!digits()) return false;
        }
        bool exponent = false;
        if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
            exponent = true;
            ++p_;
            if (p_ != end_ && (*p_ == '+' || *p_ == '-'))
                ++p_;
            if (!digits()) return false;
        }
        t.stop = p_;
        // An integer of more than 18 digits is refused: the tree (Poco) cannot hold every such value,
        // and JavaScript could not represent it exactly anyway.
        if (!fraction && !exponent && integerDigits > 18) return fail(ProtocolErrc::InvalidJson, "integer out of range");
        // A number beyond a double's range is refused: the tree (SocketPacket::data) could not
        // hold it. Only long or exponent forms can be that large.
        if (exponent || t.stop - t.start > 300) {
            const std::string text(t.start, t.stop);
            if (std::isinf(std::strtod(text.c_str(), nullptr))) return fail(ProtocolErrc::InvalidJson, "number out of range");
        }
        return true;
    }

    bool string(Token& t)
    {
        t.kind = JsonKind::String;
        t.escaped = false;
        ++p_; // opening quote
        t.start = p_;
        while (true) {
            // Fast path: plain printable ASCII.
            while (p_ != end_) {
                const auto c = static_cast<unsigned char>(*p_);
                if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
                    break;
                ++p_;
            }
            if (p_ == end_)
                return fail(ProtocolErrc::InvalidJson, "unterminated string");
            const auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                t.stop = p_;
                ++p_;
                return true;
            }
            if (c < 0x20)
                return fail(ProtocolErrc::InvalidJson, "control character in a string");
            if (c >= 0x80) {
                const auto n = utf8SequenceLength(reinterpret_cast<const unsigned char*>(p_), reinterpret_cast<const unsigned char*>(end_));
                if (n == 0)
                    return fail(ProtocolErrc::InvalidJson, "invalid UTF-8");
                p_ += n;
                continue;
            }
            // A backslash escape.
            t.escaped = true;
            if (end_ - p_ < 2)
                return fail(ProtocolErrc::InvalidJson, "unterminated escape");
            const char e = p_[1];
            if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
                p_ += 2;
                continue;
            }
            if (e != 'u')
                return fail(ProtocolErrc::InvalidJson, "invalid escape");
            if (end_ - p_ < 6)
                return fail(ProtocolErrc::InvalidJson, "truncated \\u escape");
            const int u = hex4(p_ + 2);
            if (u < 0)
                return fail(ProtocolErrc::InvalidJson, "invalid \\u escape");
            if (u >= 0xDC00 && u <= 0xDFFF)
                return fail(ProtocolErrc::InvalidJson, "unpaired low surrogate");
            if (u >= 0xD800 && u <= 0xDBFF) {
                // A lone surrogate has no UTF-8 form; Poco refuses it, so the scanner does too.
                if (end_ - p_ < 12 || p_[6] != '\\' || p_[7] != 'u')
                    return fail(ProtocolErrc::InvalidJson, "unpaired high surrogate");
                const int low = hex4(p_ + 8);
                if (low < 0xDC00 || low > 0xDFFF)
                    return fail(ProtocolErrc::InvalidJson, "unpaired high surrogate");
                p_ += 12;
                continue;
            }
            p_ += 6;
        }
    }

    bool enter(std::size_t depth)
    {
        if (depth + 1 > options_.maxDepth)
            return fail(ProtocolErrc::TooDeep, "nesting deeper than the limit");
        ++p_; // '[' or '{'
        skipWhitespace();
        return true;
    }

    bool array(std::size_t depth, JsonSummary* top)
    {
        if (!enter(depth))
            return false;
        if (p_ != end_ && *p_ == ']') {
            ++p_;
            return true;
        }
        std::size_t count = 0;
        while (true) {
            Token t;
            if (!value(depth + 1, t, nullptr))
                return false;
            if (top && count == 0 && t.kind == JsonKind::String) {
                top->firstIsString = true;
                top->first = t.escaped ? JsonScanner::unescape({t.start, static_cast<std::size_t>(t.stop - t.start)})
                                       : std::string(t.start, t.stop);
            }
            ++count;
            skipWhitespace();
            if (p_ == end_)
                return fail(ProtocolErrc::InvalidJson, "unterminated array");
            if (*p_ == ']') {
                ++p_;
                break;
            }
            if (*p_ != ',')
                return fail(ProtocolErrc::InvalidJson, "expected ',' or ']' in an array");
            ++p_;
            skipWhitespace();
        }
        if (top)
            top->size = count;
        return true;
    }

    static bool keyIs(const Token& key, std::string_view name)
    {
        const std::string_view raw(key.start, static_cast<std::size_t>(key.stop - key.start));
        return key.escaped ? JsonScanner::unescape(raw) == name : raw == name;
    }

    bool object(std::size_t depth, JsonSummary* top)
    {
        if (!enter(depth))
            return false;
        std::size_t count = 0;
        MemberNames names;
        bool placeholder = false, numSeen = false, numValid = false;
        std::uint64_t num = 0;
        if (p_ != end_ && *p_ == '}') {
            ++p_;
        } else {
            while (true) {
                if (p_ == end_ || *p_ != '"')
                    return fail(ProtocolErrc::InvalidJson, "expected a string key in an object");
                Token key;
                if (!string(key))
                    return false;
                if (!names.insert({key.start, static_cast<std::size_t>(key.stop - key.start)}, key.escaped))
                    return fail(ProtocolErrc::InvalidJson, "a member name appears twice in an object");
                skipWhitespace();
                if (p_ == end_ || *p_ != ':')
                    return fail(ProtocolErrc::InvalidJson, "expected ':' after an object key");
                ++p_;
                skipWhitespace();
                Token v;
                if (!value(depth + 1, v, nullptr))
                    return false;
                if (options_.placeholders) {
                    if (keyIs(key, "_placeholder")) {
                        placeholder = v.kind == JsonKind::Bool && *v.start == 't';
                    } else if (keyIs(key, "num")) {
                        numSeen = true;
                        numValid = parseIndex(v, num);
                    }
                }
                ++count;
                skipWhitespace();
                if (p_ == end_)
                    return fail(ProtocolErrc::InvalidJson, "unterminated object");
                if (*p_ == '}') {
                    ++p_;
                    break;
                }
                if (*p_ != ',')
                    return fail(ProtocolErrc::InvalidJson, "expected ',' or '}' in an object");
                ++p_;
                skipWhitespace();
            }
        }
        if (placeholder) {
            if (!numSeen || !numValid || num >= options_.attachmentCount)
                return fail(ProtocolErrc::BadPlaceholder, "placeholder num is not the index of an attachment");
            ++placeholderCount_;
        }
        if (top)
            top->size = count;
        return true;
    }

    // A non-negative integer without fraction or exponent (JSON.parse would accept 1.0 as 1;
    // no stock encoder writes it, so it is refused rather than guessed).
    static bool parseIndex(const Token& v, std::uint64_t& out)
    {
        if (v.kind != JsonKind::Number)
            return false;
        const std::size_t n = static_cast<std::size_t>(v.stop - v.start);
        if (n == 0 || n > 18)
            return false;
        std::uint64_t x = 0;
        for (const char* c = v.start; c != v.stop; ++c) {
            if (*c < '0' || *c > '9')
                return false;
            x = x * 10 + static_cast<std::uint64_t>(*c - '0');
        }
        out = x;
        return true;
    }

public:
    std::size_t placeholderCount() const noexcept { return placeholderCount_; }

private:
    std::size_t placeholderCount_ = 0;
    const char* begin_;
    const char* p_;
    const char* end_;
    JsonScanOptions options_;
};

} // namespace

Result<JsonSummary> JsonScanner::scan(std::string_view text, const JsonScanOptions& options)
{
    Scanner scanner(text, options);
    JsonSummary summary;
    if (!scanner.run(summary))
        return std::move(*scanner.error);
    summary.placeholders = scanner.placeholderCount();
    return summary;
}

std::string JsonScanner::unescape(std::string_view raw)
{
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c != '\\' || i + 1 >= raw.size()) {
            out.push_back(c);
            continue;
        }
        const char e = raw[++i];
        switch (e) {
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
            if (i + 4 >= raw.size())
                return out; // truncated: cannot happen after scan()
            int cp = hex4(raw.data() + i + 1);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < raw.size() && raw[i + 1] == '\\' && raw[i + 2] == 'u') {
                const int low = hex4(raw.data() + i + 3);
                if (low >= 0xDC00 && low <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    i += 6;
                }
            }
            appendUtf8(out, cp < 0 ? 0xFFFD : static_cast<std::uint32_t>(cp));
            break;
        }
        default: out.push_back(e); break; // '"', '\\', '/'
        }
    }
    return out;
}

} // namespace vtp::signalling::protocol
