#pragma once

// One strict JSON check for text a client sent, before anything builds a tree from it: RFC 8259
// syntax, UTF-8, a nesting limit, and I-JSON (RFC 7493): no lone UTF-16 surrogate escape, no
// member named twice, no number that a 64-bit integer or a double cannot hold. On failure it
// says what and where (byte offset, JSON Pointer); on success it sums up the top-level value
// (kind, size, first element when a string) so that a decoder can route without a tree.
//
// The parsing is RapidJSON's SAX reader (Debian's rapidjson-dev, header-only; measured in
// bench/json against the hand-written checkers it replaced and simdjson); this header adds the
// limits and the I-JSON rules RapidJSON lacks. Header-only, no state: safe from any thread.
//
// Known difference from a reader of arbitrary precision: RapidJSON refuses an exponent above
// 308 whatever the digits before it, so 0e400 (which is zero) is refused as out of range.

#include <rapidjson/error/error.h>
#include <rapidjson/reader.h>

#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace vtp::json {

enum class ValueKind : std::uint8_t { Null, Bool, Number, String, Array, Object };

enum class CheckProblem : std::uint8_t {
    None,
    Syntax,          // not RFC 8259 JSON, not UTF-8, or a lone UTF-16 surrogate escape
    TooDeep,         // arrays and objects nested deeper than CheckOptions::maxDepth
    DuplicateMember, // an object names a member twice: a check and a handler must read the same one
    NumberRange,     // an integer outside CheckOptions::integers, or a number beyond a double
    Refused,         // the caller's hooks refused an object
};

enum class IntegerRange : std::uint8_t {
    Bits64,   // [-2^63, 2^64 - 1]: what Poco reads as Int64 or UInt64 without wrapping
    Digits18, // at most 18 digits: exact in an int64 (JavaScript could not hold more exactly anyway)
};

// Whatever the options say, nesting stops here: the reader recurses once per level.
inline constexpr std::size_t kMaxDepthCeiling = 512;

struct CheckOptions {
    std::size_t maxDepth = 64; // the outermost array or object is level 1
    IntegerRange integers = IntegerRange::Bits64;
};

struct CheckResult {
    CheckProblem problem = CheckProblem::None;
    std::size_t offset = 0; // of the first offending byte
    bool atEnd = false;     // the text ended where more was expected
    std::string pointer;    // RFC 6901 pointer to the offending value or member ("" = the root)
    std::string message;    // what is wrong, without the position: "expected ',' or ']' in an array"

    // On success, the top-level value.
    ValueKind kind = ValueKind::Null;
    std::size_t size = 0;       // members or elements of a top-level object or array
    bool firstIsString = false; // a top-level array whose first element is a string
    std::string first;          // that string, unescaped

    bool ok() const noexcept { return problem == CheckProblem::None; }
};

struct TextPosition {
    std::size_t line = 1, column = 1; // 1-based; the column counts bytes
};

inline TextPosition positionOf(std::string_view text, std::size_t offset)
{
    TextPosition p;
    for (std::size_t k = 0; k < offset && k < text.size(); ++k) {
        if (text[k] == '\n') {
            ++p.line;
            p.column = 1;
        } else {
            ++p.column;
        }
    }
    return p;
}

// At most about 40 bytes of client text in a message, cut between UTF-8 characters.
inline std::string abbreviated(std::string_view text)
{
    if (text.size() <= 40) return std::string(text);
    std::size_t head = 20, tail = text.size() - 10;
    while (head > 0 && (static_cast<unsigned char>(text[head]) & 0xC0) == 0x80) --head;
    while (tail < text.size() && (static_cast<unsigned char>(text[tail]) & 0xC0) == 0x80) ++tail;
    return std::string(text.substr(0, head)) + "..." + std::string(text.substr(tail));
}

// Hooks see the document on the way, for checks of the caller's own (Socket.IO's binary
// placeholders, say). Depth 1 is inside the top-level array or object. A non-null return from
// endObject refuses the document with that message (CheckProblem::Refused). NoHooks costs nothing.
struct NoHooks {
    static constexpr bool active = false;
    void beginObject(std::size_t) {}
    void key(std::size_t, std::string_view) {}
    void scalar(std::size_t, ValueKind, std::string_view) {} // strings unescaped; numbers as written
    const char* endObject(std::size_t) { return nullptr; }
};

namespace detail {

// An open array or object. Member names are views of the decoded names in the checker's copy of
// the text (RapidJSON decodes in place, and later strings never overwrite earlier ones).
struct Frame {
    bool object = false;
    std::size_t count = 0;                                // members or elements so far
    std::size_t keysBegin = 0;                            // this object's names in Handler::keys_, while there are few
    std::unordered_set<std::string_view>* many = nullptr; // past kFewMembers, a hash set instead
    std::string_view lastKey;
};

inline constexpr std::size_t kFewMembers = 16; // compared one by one below this

// What a check allocates, kept per thread and reused, so that checking a small message allocates
// nothing (a chat packet is checked in well under a microsecond). A check run from a hook of
// another check on the same thread gets its own.
struct Scratch {
    std::string copy; // the text, which RapidJSON decodes in place
    std::vector<Frame> frames;
    std::vector<std::string_view> keys;                                      // the names of the open objects with few members
    std::vector<std::unique_ptr<std::unordered_set<std::string_view>>> sets; // per depth, for objects with many
    bool busy = false;
};

inline Scratch& threadScratch()
{
    thread_local Scratch scratch;
    return scratch;
}

inline int hexDigit(char c) noexcept
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

inline int hex4(std::string_view t, std::size_t at) noexcept
{
    if (at + 4 > t.size()) return -1;
    int v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        const int h = hexDigit(t[at + k]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

// The length of the UTF-8 sequence at p (at most n bytes available), or 0 if it is not one:
// overlong forms, UTF-16 surrogates and code points above U+10FFFF are not UTF-8.
inline std::size_t utf8Length(const char* p, std::size_t n) noexcept
{
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    const unsigned c = u[0];
    if (c < 0x80) return 1;
    std::size_t len = 0;
    unsigned cp = 0;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (len > n) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        if ((u[k] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (u[k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

inline bool validUtf8(std::string_view s) noexcept
{
    std::size_t i = 0;
    while (i < s.size()) {
        if (i + 8 <= s.size()) {
            std::uint64_t word;
            std::memcpy(&word, s.data() + i, 8);
            if ((word & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        const std::size_t n = utf8Length(s.data() + i, s.size() - i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

inline std::string rangeMessage(std::string_view literal, IntegerRange integers)
{
    if (literal.find_first_of(".eE") != std::string_view::npos)
        return "the number " + abbreviated(literal) + " is beyond the range of a double";
    return "the integer " + abbreviated(literal) +
           (integers == IntegerRange::Bits64 ? " is outside the 64-bit range" : " has more than 18 digits");
}

template <class Hooks>
class Handler {
public:
    Handler(std::string_view text, Scratch& scratch, const CheckOptions& options, Hooks& hooks, rapidjson::InsituStringStream& stream,
            CheckResult& result)
        : t_(text), buf_(scratch.copy.data()), maxDepth_(options.maxDepth < kMaxDepthCeiling ? options.maxDepth : kMaxDepthCeiling),
          integers_(options.integers), hooks_(hooks), stream_(stream), result_(result), frames_(scratch.frames), keys_(scratch.keys),
          sets_(scratch.sets)
    {
        keys_.clear(); // a check that failed left its names
    }

    bool failed() const noexcept { return failed_; }

    // The pointer to the value being read where the reader stopped.
    std::string pointer() const
    {
        std::string out;
        for (std::size_t d = 0; d < depth_; ++d) {
            const Frame& f = frames_[d];
            if (f.object) {
                if (f.count == 0) break;
                out += '/';
                for (char c : f.lastKey) {
                    if (c == '~')
                        out += "~0";
                    else if (c == '/')
                        out += "~1";
                    else
                        out += c;
                }
            } else {
                out += '/';
                out += std::to_string(f.count);
            }
        }
        return out;
    }

    bool Null() { return scalar(ValueKind::Null, "null"); }
    bool Bool(bool b) { return scalar(ValueKind::Bool, b ? "true" : "false"); }
    // Numbers arrive as written (kParseNumbersAsStringsFlag); these are never called.
    bool Int(int) { return true; }
    bool Uint(unsigned) { return true; }
    bool Int64(std::int64_t) { return true; }
    bool Uint64(std::uint64_t) { return true; }
    bool Double(double) { return true; }

    bool RawNumber(const char* s, rapidjson::SizeType n, bool)
    {
        const std::string_view literal(s, n);
        if (!inRange(literal)) return fail(CheckProblem::NumberRange, static_cast<std::size_t>(s - buf_), rangeMessage(literal, integers_));
        return scalar(ValueKind::Number, literal);
    }

    bool String(const char* s, rapidjson::SizeType n, bool)
    {
        const std::string_view value(s, n);
        if (!validUtf8(value)) return badString(s);
        if (depth_ == 1 && !frames_[0].object && frames_[0].count == 0) {
            result_.firstIsString = true;
            result_.first.assign(value);
        }
        return scalar(ValueKind::String, value);
    }

    bool Key(const char* s, rapidjson::SizeType n, bool)
    {
        const std::string_view name(s, n);
        if (!validUtf8(name)) return badString(s);
        Frame& f = frames_[depth_ - 1];
        f.lastKey = name;
        if (!insertName(f, name)) {
            ++f.count; // the pointer names this member
            return fail(CheckProblem::DuplicateMember, static_cast<std::size_t>(s - buf_) - 1,
                        "the member '" + abbreviated(name) + "' appears more than once in an object");
        }
        ++f.count;
        if constexpr (Hooks::active) hooks_.key(depth_, name);
        return true;
    }

    bool StartObject() { return enter(true); }
    bool StartArray() { return enter(false); }

    bool EndObject(rapidjson::SizeType)
    {
        if constexpr (Hooks::active) {
            if (const char* refusal = hooks_.endObject(depth_)) return fail(CheckProblem::Refused, stream_.Tell(), refusal);
        }
        return leave();
    }
    bool EndArray(rapidjson::SizeType) { return leave(); }

    bool fail(CheckProblem problem, std::size_t at, std::string what)
    {
        if (failed_) return false;
        failed_ = true;
        result_.problem = problem;
        result_.offset = at;
        result_.pointer = pointer();
        result_.message = std::move(what);
        return false;
    }

private:
    bool scalar(ValueKind kind, std::string_view text)
    {
        if constexpr (Hooks::active) hooks_.scalar(depth_, kind, text);
        if (depth_ == 0) {
            result_.kind = kind;
        } else if (!frames_[depth_ - 1].object) {
            ++frames_[depth_ - 1].count;
        }
        return true;
    }

    bool enter(bool object)
    {
        if (depth_ + 1 > maxDepth_)
            return fail(CheckProblem::TooDeep, stream_.Tell() - 1, "nesting deeper than " + std::to_string(maxDepth_) + " levels");
        if (depth_ == 0) result_.kind = object ? ValueKind::Object : ValueKind::Array;
        if (frames_.size() == depth_) frames_.emplace_back();
        Frame& f = frames_[depth_++];
        f.object = object;
        f.count = 0;
        if (object) {
            f.keysBegin = keys_.size();
            f.many = nullptr;
            if constexpr (Hooks::active) hooks_.beginObject(depth_);
        }
        return true;
    }

    bool leave()
    {
        const Frame& closing = frames_[depth_ - 1];
        if (closing.object) keys_.resize(closing.keysBegin);
        --depth_;
        if (depth_ == 0) {
            result_.size = frames_[0].count;
        } else if (!frames_[depth_ - 1].object) {
            ++frames_[depth_ - 1].count;
        }
        return true;
    }

    // False when the object already has a member of this name.
    bool insertName(Frame& f, std::string_view name)
    {
        if (f.many) return f.many->insert(name).second;
        for (std::size_t i = f.keysBegin; i < keys_.size(); ++i)
            if (keys_[i] == name) return false;
        if (keys_.size() - f.keysBegin < kFewMembers) {
            keys_.push_back(name);
            return true;
        }
        // Sets are kept per depth and reused: a document opens few objects with many members.
        while (sets_.size() < depth_) sets_.push_back(std::make_unique<std::unordered_set<std::string_view>>());
        f.many = sets_[depth_ - 1].get();
        f.many->clear();
        f.many->insert(keys_.begin() + static_cast<std::ptrdiff_t>(f.keysBegin), keys_.end());
        keys_.resize(f.keysBegin);
        return f.many->insert(name).second;
    }

    bool inRange(std::string_view literal) const
    {
        if (literal.find_first_of(".eE") == std::string_view::npos) {
            const bool negative = literal.front() == '-';
            const std::string_view magnitude = negative ? literal.substr(1) : literal;
            if (integers_ == IntegerRange::Digits18) return magnitude.size() <= 18;
            if (magnitude.size() < 19) return true;
            // Poco reads integers as Int64 or UInt64 and wraps or saturates beyond them.
            const std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
            return magnitude.size() < limit.size() || (magnitude.size() == limit.size() && magnitude <= limit);
        }
        // Only an exponent or some 309 digits reach beyond a double. RapidJSON has refused exponents
        // it knows to overflow; the rest is checked exactly. Underflow to zero is harmless.
        if (literal.find_first_of("eE") == std::string_view::npos && literal.size() < 300) return true;
        errno = 0;
        const double d = std::strtod(std::string(literal).c_str(), nullptr);
        return !(errno == ERANGE && std::isinf(d));
    }

    // A string whose decoded bytes are not UTF-8: either the raw text was not (RapidJSON is run
    // without its per-byte validation, which made it three times slower; the decoded strings are
    // checked here instead, where plain ASCII goes eight bytes at a time), or it held a lone low
    // surrogate escape (\udc00), which RapidJSON 1.1 decodes into the bytes of a UTF-16
    // surrogate (it refuses only a high one without a low one). Find which, and where.
    bool badString(const char* decoded)
    {
        const std::size_t open = static_cast<std::size_t>(decoded - buf_); // just after the opening quote
        bool afterHigh = false;
        for (std::size_t i = open; i < t_.size() && t_[i] != '"';) {
            const auto c = static_cast<unsigned char>(t_[i]);
            if (c >= 0x80) {
                const std::size_t n = utf8Length(t_.data() + i, t_.size() - i);
                if (n == 0) return fail(CheckProblem::Syntax, i, "invalid UTF-8");
                i += n;
                afterHigh = false;
                continue;
            }
            if (c != '\\') {
                ++i;
                afterHigh = false;
                continue;
            }
            const bool unicode = i + 1 < t_.size() && t_[i + 1] == 'u';
            const int unit = unicode ? hex4(t_, i + 2) : -1;
            if (unit >= 0xDC00 && unit <= 0xDFFF && !afterHigh)
                return fail(CheckProblem::Syntax, i,
                            "lone UTF-16 surrogate escape \\u" + std::string(t_.substr(i + 2, 4)) +
                                " (a low surrogate without a high one before it)");
            afterHigh = unit >= 0xD800 && unit <= 0xDBFF;
            i += unicode ? 6 : 2;
        }
        return fail(CheckProblem::Syntax, open, "invalid UTF-8");
    }

    std::string_view t_;
    const char* buf_; // the copy RapidJSON decodes in place: a string or number's offset is its address minus this
    std::size_t maxDepth_;
    IntegerRange integers_;
    Hooks& hooks_;
    rapidjson::InsituStringStream& stream_;
    CheckResult& result_;
    std::vector<Frame>& frames_;
    std::vector<std::string_view>& keys_;
    std::vector<std::unique_ptr<std::unordered_set<std::string_view>>>& sets_;
    std::size_t depth_ = 0;
    bool failed_ = false;
};

// RapidJSON's error codes in the words clients have always been given.
inline std::string describe(rapidjson::ParseErrorCode code, std::string_view t, std::size_t at)
{
    const char here = at < t.size() ? t[at] : '\0';
    switch (code) {
    case rapidjson::kParseErrorDocumentEmpty: return "expected a value";
    case rapidjson::kParseErrorDocumentRootNotSingular: return "unexpected data after the JSON value";
    case rapidjson::kParseErrorValueInvalid: return "expected a value";
    case rapidjson::kParseErrorObjectMissName: return "expected a string key in an object";
    case rapidjson::kParseErrorObjectMissColon: return "expected ':' after an object key";
    case rapidjson::kParseErrorObjectMissCommaOrCurlyBracket: return "expected ',' or '}' in an object";
    case rapidjson::kParseErrorArrayMissCommaOrSquareBracket: return "expected ',' or ']' in an array";
    case rapidjson::kParseErrorStringUnicodeEscapeInvalidHex: return "bad \\u escape";
    case rapidjson::kParseErrorStringUnicodeSurrogateInvalid:
        return "lone UTF-16 surrogate escape \\u" + std::string(t.substr(at + 2, 4)) + " (a high surrogate must be followed by a low one)";
    case rapidjson::kParseErrorStringEscapeInvalid:
        return static_cast<unsigned char>(here) < 0x20 ? "control character in a string" : "bad escape in a string";
    case rapidjson::kParseErrorStringMissQuotationMark:
        return at < t.size() ? "control character in a string" : "unterminated string"; // a NUL byte, or the end
    case rapidjson::kParseErrorStringInvalidEncoding: return "invalid UTF-8";
    case rapidjson::kParseErrorNumberMissFraction:
    case rapidjson::kParseErrorNumberMissExponent: return "expected a digit";
    default: return "not valid JSON";
    }
}

} // namespace detail

template <class Hooks = NoHooks>
CheckResult check(std::string_view text, const CheckOptions& options = {}, Hooks&& hooks = Hooks{})
{
    using H = std::remove_reference_t<Hooks>;
    // Numbers handed over as written (ranges are checked here), UTF-8 checked here (Handler::String),
    // and the end checked here rather than by RapidJSON, which takes a NUL byte for the end of the text.
    constexpr unsigned flags = rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseStopWhenDoneFlag;
    CheckResult result;
    // RapidJSON decodes strings in place (kParseInsituFlag): twice as fast as through its stack.
    detail::Scratch& shared = detail::threadScratch();
    detail::Scratch own;
    detail::Scratch& scratch = shared.busy ? own : shared;
    struct Release {
        detail::Scratch& s;
        ~Release()
        {
            s.busy = false;
            // A large body's copy is not kept for the thread's lifetime.
            if (s.copy.capacity() > (std::size_t{1} << 16)) std::string().swap(s.copy);
        }
    } release{scratch};
    scratch.busy = true;
    scratch.copy.assign(text);
    rapidjson::InsituStringStream stream(scratch.copy.data());
    detail::Handler<H> handler(text, scratch, options, hooks, stream, result);
    rapidjson::Reader reader;
    const rapidjson::ParseResult parsed = reader.Parse<flags>(stream, handler);
    if (handler.failed()) {
        result.atEnd = result.offset >= text.size();
        return result;
    }
    if (parsed.IsError()) {
        result.offset = parsed.Offset();
        result.problem = parsed.Code() == rapidjson::kParseErrorNumberTooBig ? CheckProblem::NumberRange : CheckProblem::Syntax;
        result.pointer = handler.pointer();
        if (result.problem == CheckProblem::NumberRange) {
            std::size_t stop = result.offset;
            while (stop < text.size() && text[stop] != '\0' && std::strchr("+-.0123456789eE", text[stop])) ++stop;
            result.message = detail::rangeMessage(text.substr(result.offset, stop - result.offset), options.integers);
        } else {
            result.message = detail::describe(parsed.Code(), text, result.offset);
        }
        result.atEnd = result.offset >= text.size();
        return result;
    }
    std::size_t at = stream.Tell();
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) ++at;
    if (at != text.size()) {
        result.problem = CheckProblem::Syntax;
        result.offset = at;
        result.message = "unexpected data after the JSON value";
    }
    return result;
}

} // namespace vtp::json
