#pragma once

// One strict JSON check for text a client sent, before anything builds a tree from it: RFC 8259
// syntax, UTF-8, a nesting limit, and I-JSON (RFC 7493): no lone UTF-16 surrogate escape, no
// member named twice, no number that a 64-bit integer or a double cannot hold. On failure it
// says what and where (byte offset, JSON Pointer); on success it sums up the top-level value
// (kind, size, first element when a string) so that a decoder can route without a tree.
//
// The parsing is RapidJSON's SAX reader (Debian's rapidjson-dev, header-only; measured in
// bench/json against the hand-written checkers it replaced and simdjson), reading the text in
// place through this header's stream and string scan (detail::Stream, detail::scanString); this
// header adds the limits and the I-JSON rules RapidJSON lacks. Header-only, no state: safe from
// any thread.
//
// Known difference from a reader of arbitrary precision: RapidJSON refuses an exponent above
// 308 whatever the digits before it, so 0e400 (which is zero) is refused as out of range.

#include "vtp/utf8.hpp"

#include <rapidjson/error/error.h>
#include <rapidjson/reader.h>

#include <charconv>
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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// An open array or object. Member names are views of the text, or of the decoded copy of a name
// with an escape (neither moves while a check runs).
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
    std::unique_ptr<char[]> decoded; // strings with escapes, decoded at their offsets in the text
    std::size_t decodedCapacity = 0;
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

// What the reader's stream shares with the handler: RapidJSON copies the stream while it reads a
// string (for registers), and calls the handler before copying it back.
struct StringState {
    Scratch* scratch = nullptr;
    std::size_t head = 0; // offset of the string being read (just after its opening quote)
    bool escaped = false; // it has an escape: decoded into scratch->decoded at its own offset
    bool badUtf8 = false; // its raw text is not UTF-8, or an escape decoded to a lone low surrogate
    bool afterED = false; // the last byte an escape decoded to was 0xED
};

// RapidJSON's in-place reading (decoding a string over its own text) without a copy of the text:
// the text is read where it is, a string without an escape is handed over as a view of it, and
// only a string with an escape is decoded, into a scratch buffer at the same offsets (a decoded
// string is never longer than its text, so strings never overlap there). The end of the text
// reads as the NUL RapidJSON takes for the end. Copying the text first cost as much as checking
// a chat packet, and 10 KiB for a packet refused after 40 bytes.
class Stream {
public:
    using Ch = char;

    Stream(std::string_view text, StringState& state) noexcept
        : src_(text.data()), begin_(text.data()), end_(text.data() + text.size()), state_(&state)
    {
    }

    Ch Peek() const noexcept { return src_ < end_ ? *src_ : '\0'; }
    Ch Take() noexcept { return src_ < end_ ? *src_++ : '\0'; }
    std::size_t Tell() const noexcept { return static_cast<std::size_t>(src_ - begin_); }

    // Writing: the decoded bytes of the string begun by PutBegin (of a number too, which writes nothing).
    Ch* PutBegin() noexcept
    {
        dst_ = Tell();
        state_->head = dst_;
        state_->escaped = false;
        state_->badUtf8 = false;
        state_->afterED = false;
        return const_cast<Ch*>(src_); // the handler reads the text there, or the decoded copy at that offset
    }
    // Only what an escape decodes to comes here (and each string's closing NUL): scanString
    // copies the rest. RapidJSON 1.1 decodes a lone low surrogate escape (\udc00) into the bytes
    // of a UTF-16 surrogate, ED A0-BF xx, which are not UTF-8 (a pair becomes one F0-F4 sequence
    // and U+D000-U+D7FF is ED 80-9F xx): caught here rather than by a pass over the decoded string.
    void Put(Ch c) noexcept
    {
        StringState& st = *state_;
        if (st.escaped) st.scratch->decoded[dst_] = c;
        ++dst_;
        const auto u = static_cast<unsigned char>(c);
        if (st.afterED && u >= 0xA0) st.badUtf8 = true;
        st.afterED = u == 0xED;
    }
    std::size_t PutEnd(Ch* begin) const noexcept { return dst_ - static_cast<std::size_t>(begin - begin_); }
    void Flush() noexcept {}

    const Ch* src_;
    const Ch* begin_;
    const Ch* end_;
    std::size_t dst_ = 0; // where the next decoded byte goes, as an offset
    StringState* state_;
};

inline bool plainAscii(unsigned char c) noexcept
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

// The body of a string up to its next quote, backslash, control character or the end of the text,
// for RapidJSON to take over there (it replaces RapidJSON's byte-by-byte loop; see the
// specialisation of ScanCopyUnescapedString below). ASCII goes 16 bytes at a time (SSE2, which
// every x86-64 has; 8 elsewhere); other bytes are checked as UTF-8 on the way, so that a string
// needs no second pass. The first backslash of a string switches it to decoding.
//
// RapidJSON 1.1's own SSE2 scan (RAPIDJSON_SSE2) is not used: it finds control characters by
// comparing with 0x19 instead of 0x1F, so it let 0x1A-0x1F through unescaped (the socketio fuzz
// target's finding, tests/fuzz/socketio/corpus/regress-sse2-scan-*), and its aligned loads read
// past the end of the text.
inline void scanString(Stream& is) noexcept
{
    StringState& st = *is.state_;
    const char* p = is.src_;
    const char* const end = is.end_;
    char* out = st.escaped ? st.scratch->decoded.get() + is.dst_ : nullptr; // where to copy, once decoding
    for (;;) {
#if defined(__SSE2__)
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1F);
        while (end - p >= 16) {
            const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            const __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(s, quote), _mm_cmpeq_epi8(s, backslash)),
                                              _mm_cmpeq_epi8(_mm_max_epu8(s, control), control));        // s <= 0x1F
            const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(stop) | _mm_movemask_epi8(s)); // | s >= 0x80
            if (mask != 0) {
                const unsigned n = static_cast<unsigned>(__builtin_ctz(mask));
                if (out) {
                    std::memcpy(out, p, n);
                    out += n;
                }
                p += n;
                break;
            }
            if (out) {
                _mm_storeu_si128(reinterpret_cast<__m128i*>(out), s);
                out += 16;
            }
            p += 16;
        }
#else
        while (end - p >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
            const auto zero = [&](std::uint64_t v) { return (v - ones) & ~v & highs; };
            if (((w | zero(w ^ (ones * '"')) | zero(w ^ (ones * '\\')) | ((w - ones * 0x20) & ~w)) & highs) != 0) break;
            if (out) {
                std::memcpy(out, p, 8);
                out += 8;
            }
            p += 8;
        }
#endif
        while (p < end && plainAscii(static_cast<unsigned char>(*p))) {
            if (out) *out++ = *p;
            ++p;
        }
        if (p == end || static_cast<unsigned char>(*p) < 0x80) break; // the end, or a byte for RapidJSON
        std::size_t n = utf8::sequenceLength(p, static_cast<std::size_t>(end - p));
        if (n == 0) {
            st.badUtf8 = true; // said when the string is complete (Handler::String), as before
            n = 1;
        }
        if (out) {
            std::memcpy(out, p, n);
            out += n;
        }
        p += n;
    }
    is.dst_ += static_cast<std::size_t>(p - is.src_);
    is.src_ = p;
    if (!st.escaped && p < end && *p == '\\') {
        // The string decodes from here on; what it had so far is its text.
        Scratch& sc = *st.scratch;
        const std::size_t need = static_cast<std::size_t>(end - is.begin_) + 1;
        if (sc.decodedCapacity < need) {
            sc.decoded.reset(new char[need]);
            sc.decodedCapacity = need;
        }
        std::memcpy(sc.decoded.get() + st.head, is.begin_ + st.head, is.dst_ - st.head);
        st.escaped = true;
    }
}

} // namespace detail
} // namespace vtp::json

RAPIDJSON_NAMESPACE_BEGIN

template <>
struct StreamTraits<vtp::json::detail::Stream> {
    // Read through the caller's stream, not a local copy: copying it at every string stalled on
    // store forwarding (rest-64k 40% slower). It also makes RawNumber see the end of a number.
    enum { copyOptimization = 0 };
};

template <>
inline void SkipWhitespace(vtp::json::detail::Stream& is)
{
    const char* p = is.src_;
    while (p < is.end_ && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
    is.src_ = p;
}

// RapidJSON calls this before each byte of a string that it would otherwise read one by one; the
// generic version does nothing. A member template of the reader, specialised for the checker's
// stream only (explicit specialisations are exempt from access checks).
template <>
template <>
inline void GenericReader<UTF8<>, UTF8<>, CrtAllocator>::ScanCopyUnescapedString(vtp::json::detail::Stream& is, vtp::json::detail::Stream&)
{
    vtp::json::detail::scanString(is);
}

RAPIDJSON_NAMESPACE_END

namespace vtp::json {
namespace detail {

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
    Handler(std::string_view text, Scratch& scratch, const CheckOptions& options, Hooks& hooks, Stream& stream, const StringState& state,
            CheckResult& result)
        : t_(text), state_(state), maxDepth_(options.maxDepth < kMaxDepthCeiling ? options.maxDepth : kMaxDepthCeiling),
          integers_(options.integers), hooks_(hooks), stream_(stream), result_(result), keys_(scratch.keys), sets_(scratch.sets)
    {
        keys_.clear(); // a check that failed left its names
        // Every level's frame is there beforehand: entering a level is a few stores.
        if (scratch.frames.size() < maxDepth_) scratch.frames.resize(maxDepth_);
        frames_ = scratch.frames.data();
    }

    bool failed() const noexcept { return failed_; }

    // The pointer to the value being read where the reader stopped. Measured first and written
    // into place: a refusal at depth 64 is otherwise mostly appends.
    std::string pointer() const
    {
        std::size_t levels = 0, size = 0;
        for (; levels < depth_; ++levels) {
            const Frame& f = frames_[levels];
            if (f.object) {
                if (f.count == 0) break;
                size += 1 + f.lastKey.size();
                for (char c : f.lastKey) size += c == '~' || c == '/';
            } else {
                size += 2; // '/' and a digit
                for (std::size_t n = f.count; n >= 10; n /= 10) ++size;
            }
        }
        std::string out(size, '\0');
        char* o = out.data();
        for (std::size_t d = 0; d < levels; ++d) {
            const Frame& f = frames_[d];
            *o++ = '/';
            if (f.object) {
                for (char c : f.lastKey) {
                    if (c == '~' || c == '/') {
                        *o++ = '~';
                        *o++ = c == '~' ? '0' : '1';
                    } else {
                        *o++ = c;
                    }
                }
            } else if (f.count < 10) {
                *o++ = static_cast<char>('0' + f.count);
            } else {
                o = std::to_chars(o, out.data() + out.size(), f.count).ptr;
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

    bool RawNumber(const char* end, rapidjson::SizeType n, bool)
    {
        // RapidJSON 1.1 hands over what its caller's stream's PutBegin returns, meant to be the
        // number's start; with that stream read in place (copyOptimization = 0, below) it is the end.
        const std::string_view literal(end - n, n);
        if (!inRange(literal)) return fail(CheckProblem::NumberRange, offsetOf(literal.data()), rangeMessage(literal, integers_));
        return scalar(ValueKind::Number, literal);
    }

    bool String(const char* s, rapidjson::SizeType n, bool)
    {
        const std::string_view value = decoded(s, n);
        if (!validString()) return badString(s);
        if (depth_ == 1 && !frames_[0].object && frames_[0].count == 0) {
            result_.firstIsString = true;
            result_.first.assign(value);
        }
        return scalar(ValueKind::String, value);
    }

    bool Key(const char* s, rapidjson::SizeType n, bool)
    {
        const std::string_view name = decoded(s, n);
        if (!validString()) return badString(s);
        Frame& f = frames_[depth_ - 1];
        f.lastKey = name;
        if (!insertName(f, name)) {
            ++f.count; // the pointer names this member
            return fail(CheckProblem::DuplicateMember, offsetOf(s) - 1,
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
    std::size_t offsetOf(const char* s) const noexcept { return static_cast<std::size_t>(s - t_.data()); }

    // The string just read, at s in the text: the text itself, or its decoded copy if it had an escape.
    std::string_view decoded(const char* s, rapidjson::SizeType n) const noexcept
    {
        return state_.escaped ? std::string_view(state_.scratch->decoded.get() + offsetOf(s), n) : std::string_view(s, n);
    }

    // Its text was checked as UTF-8 while it was scanned (scanString), its escapes as they were
    // decoded (Stream::Put).
    bool validString() const noexcept { return !state_.badUtf8; }

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
        if (depth_ + 1 > maxDepth_) return tooDeep();
        if (depth_ == 0) result_.kind = object ? ValueKind::Object : ValueKind::Array;
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

    // Out of line, so that entering a level saves no registers for it.
    [[gnu::noinline, gnu::cold]] bool tooDeep()
    {
        std::string what;
        what.reserve(40);
        what.append("nesting deeper than ").append(std::to_string(maxDepth_)).append(" levels");
        return fail(CheckProblem::TooDeep, stream_.Tell() - 1, std::move(what));
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
        // Names differ mostly in length or at either end: memcmp only for the rest.
        for (std::size_t i = f.keysBegin; i < keys_.size(); ++i) {
            const std::string_view k = keys_[i];
            if (k.size() == name.size() && (k.empty() || (k.front() == name.front() && k.back() == name.back() && k == name))) return false;
        }
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
        bool integer = true; // a loop: find_first_of calls memchr per character
        for (const char c : literal) integer &= c != '.' && c != 'e' && c != 'E';
        if (integer) {
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
    // without its per-byte validation, which made it three times slower; scanString checks the
    // text instead, where plain ASCII goes 16 bytes at a time), or it held a lone low
    // surrogate escape (\udc00), which RapidJSON 1.1 decodes into the bytes of a UTF-16
    // surrogate (it refuses only a high one without a low one). Find which, and where.
    bool badString(const char* s)
    {
        const std::size_t open = offsetOf(s); // just after the opening quote
        bool afterHigh = false;
        for (std::size_t i = open; i < t_.size() && t_[i] != '"';) {
            const auto c = static_cast<unsigned char>(t_[i]);
            if (c >= 0x80) {
                const std::size_t n = utf8::sequenceLength(t_.data() + i, t_.size() - i);
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

    std::string_view t_; // a string or number's offset is its address (in the text: Stream::PutBegin) minus t_.data()
    const StringState& state_;
    std::size_t maxDepth_;
    IntegerRange integers_;
    Hooks& hooks_;
    Stream& stream_;
    CheckResult& result_;
    Frame* frames_; // maxDepth_ of them
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
    // Numbers handed over as written (ranges are checked here), UTF-8 checked here (scanString and
    // Handler::String), and the end checked here rather than by RapidJSON, which takes a NUL byte
    // for the end of the text.
    constexpr unsigned flags = rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseStopWhenDoneFlag;
    CheckResult result;
    // RapidJSON reads in place (kParseInsituFlag, detail::Stream): twice as fast as decoding every
    // string onto its stack.
    detail::Scratch& shared = detail::threadScratch();
    detail::Scratch own;
    detail::Scratch& scratch = shared.busy ? own : shared;
    struct Release {
        detail::Scratch& s;
        ~Release()
        {
            s.busy = false;
            // A large body's decoded strings are not kept for the thread's lifetime.
            if (s.decodedCapacity > (std::size_t{1} << 16)) {
                s.decoded.reset();
                s.decodedCapacity = 0;
            }
        }
    } release{scratch};
    scratch.busy = true;
    detail::StringState state;
    state.scratch = &scratch;
    detail::Stream stream(text, state);
    detail::Handler<H> handler(text, scratch, options, hooks, stream, state, result);
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
