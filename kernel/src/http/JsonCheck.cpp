#include "http/JsonCheck.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <unordered_set>
#include <vector>

namespace vtp::kernel {

namespace {

class Checker {
public:
    Checker(std::string_view t, size_t maxDepth) : t_(t), maxDepth_(maxDepth) {}

    JsonCheckResult run()
    {
        ws();
        if (!value(0)) return result_;
        ws();
        if (i_ != t_.size()) fail("unexpected data after the JSON value");
        return result_;
    }

private:
    bool fail(const std::string& what, JsonCheckResult::Kind kind = JsonCheckResult::Kind::Syntax)
    {
        if (!result_.ok) return false;
        result_.ok = false;
        result_.kind = kind;
        for (const auto& token : path_) result_.pointer += "/" + token;
        size_t line = 1, col = 1;
        for (size_t k = 0; k < i_ && k < t_.size(); ++k) {
            if (t_[k] == '\n') { ++line; col = 1; } else { ++col; }
        }
        result_.line = line;
        result_.column = col;
        result_.message = "line " + std::to_string(line) + ", column " + std::to_string(col) + ": " +
                          (i_ >= t_.size() ? "unexpected end of input; " : "") + what;
        if (kind != JsonCheckResult::Kind::Syntax) result_.message += " (at '" + abbreviated(result_.pointer) + "')";
        return false;
    }
    bool eof() const { return i_ >= t_.size(); }
    char peek() const { return eof() ? '\0' : t_[i_]; }
    void ws()
    {
        while (!eof() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) ++i_;
    }
    bool literal(std::string_view word)
    {
        if (t_.substr(i_, word.size()) != word) return fail("expected '" + std::string(word) + "'");
        i_ += word.size();
        return true;
    }

    bool value(size_t depth)
    {
        switch (peek()) {
        case '{': return object(depth + 1);
        case '[': return array(depth + 1);
        case '"': return string(nullptr);
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default:
            if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return number();
            return fail("expected a value");
        }
    }

    bool object(size_t depth)
    {
        if (depth > maxDepth_) return fail("nesting deeper than " + std::to_string(maxDepth_) + " levels");
        ++i_;
        ws();
        if (peek() == '}') { ++i_; return true; }
        std::unordered_set<std::string> keys; // a set: an object may have many thousand members
        while (true) {
            ws();
            if (peek() != '"') return fail("expected a string key in an object");
            const size_t keyAt = i_;
            std::string key;
            if (!string(&key)) return false;
            if (!keys.insert(key).second) {
                i_ = keyAt;
                path_.push_back(pointerToken(key));
                return fail("the member '" + abbreviated(key) + "' appears more than once in an object", JsonCheckResult::Kind::DuplicateKey);
            }
            ws();
            if (peek() != ':') return fail("expected ':' after an object key");
            ++i_;
            ws();
            path_.push_back(pointerToken(key));
            if (!value(depth)) return false;
            path_.pop_back();
            ws();
            if (peek() == ',') { ++i_; continue; }
            if (peek() == '}') { ++i_; return true; }
            return fail("expected ',' or '}' in an object");
        }
    }

    bool array(size_t depth)
    {
        if (depth > maxDepth_) return fail("nesting deeper than " + std::to_string(maxDepth_) + " levels");
        ++i_;
        ws();
        if (peek() == ']') { ++i_; return true; }
        for (size_t index = 0;; ++index) {
            ws();
            path_.push_back(std::to_string(index));
            if (!value(depth)) return false;
            path_.pop_back();
            ws();
            if (peek() == ',') { ++i_; continue; }
            if (peek() == ']') { ++i_; return true; }
            return fail("expected ',' or ']' in an array");
        }
    }

    static int hex(char c)
    {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    // RFC 6901: '~' and '/' in a member name are escaped as ~0 and ~1.
    static std::string pointerToken(const std::string& key)
    {
        std::string out;
        for (char c : key) {
            if (c == '~') out += "~0";
            else if (c == '/') out += "~1";
            else out += c;
        }
        return out;
    }

    bool hex4(size_t at, unsigned& unit)
    {
        unit = 0;
        for (size_t k = 0; k < 4; ++k) {
            if (at + k >= t_.size() || hex(t_[at + k]) < 0) return false;
            unit = unit * 16 + static_cast<unsigned>(hex(t_[at + k]));
        }
        return true;
    }

    static void appendUtf8(std::string& out, unsigned cp)
    {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    // A string; `decoded` (for member names) receives its value with escapes resolved.
    bool string(std::string* decoded)
    {
        ++i_; // opening quote
        while (!eof()) {
            const auto c = static_cast<unsigned char>(t_[i_]);
            if (c == '"') { ++i_; return true; }
            if (c < 0x20) return fail("control character in a string");
            if (c == '\\') {
                ++i_;
                const char e = peek();
                if (e == 'u') {
                    unsigned unit = 0;
                    if (!hex4(i_ + 1, unit)) return fail("bad \\u escape");
                    // A UTF-16 surrogate escape must be a high one followed by a low one
                    // (RFC 7493 2.1); a lone one is no character at all.
                    if (unit >= 0xDC00 && unit <= 0xDFFF) {
                        --i_;
                        return fail("lone UTF-16 surrogate escape \\u" + std::string(t_.substr(i_ + 2, 4)) + " (a low surrogate without a high one before it)");
                    }
                    if (unit >= 0xD800 && unit <= 0xDBFF) {
                        unsigned low = 0;
                        if (t_.substr(i_ + 5, 2) != "\\u" || !hex4(i_ + 7, low) || low < 0xDC00 || low > 0xDFFF) {
                            --i_;
                            return fail("lone UTF-16 surrogate escape \\u" + std::string(t_.substr(i_ + 2, 4)) + " (a high surrogate must be followed by a low one)");
                        }
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        i_ += 6;
                    }
                    if (decoded) appendUtf8(*decoded, unit);
                    i_ += 5;
                    continue;
                }
                if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos || eof())
                    return fail("bad escape in a string");
                if (decoded) {
                    static constexpr std::string_view from = "\"\\/bfnrt", to = "\"\\/\b\f\n\r\t";
                    *decoded += to[from.find(e)];
                }
                ++i_;
                continue;
            }
            if (c >= 0x80) {
                const size_t from = i_;
                if (!utf8()) return false;
                if (decoded) decoded->append(t_.substr(from, i_ - from));
                continue;
            }
            if (decoded) *decoded += static_cast<char>(c);
            ++i_;
        }
        return fail("unterminated string");
    }

    bool utf8()
    {
        const auto c = static_cast<unsigned char>(t_[i_]);
        size_t n = 0;
        unsigned cp = 0;
        if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
        else return fail("invalid UTF-8");
        if (i_ + n >= t_.size()) return fail("truncated UTF-8");
        for (size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(t_[i_ + k]);
            if ((cc & 0xC0) != 0x80) return fail("invalid UTF-8");
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return fail("invalid UTF-8");
        i_ += n + 1;
        return true;
    }

    bool digits()
    {
        if (!(peek() >= '0' && peek() <= '9')) return fail("expected a digit");
        while (peek() >= '0' && peek() <= '9') ++i_;
        return true;
    }

    bool number()
    {
        const size_t start = i_;
        bool integer = true;
        if (peek() == '-') ++i_;
        if (peek() == '0') ++i_;
        else if (!digits()) return false;
        if (peek() == '.') { integer = false; ++i_; if (!digits()) return false; }
        if (peek() == 'e' || peek() == 'E') {
            integer = false;
            ++i_;
            if (peek() == '+' || peek() == '-') ++i_;
            if (!digits()) return false;
        }
        const std::string_view literal = t_.substr(start, i_ - start);
        if (integer) {
            // Poco reads integers as Int64 or UInt64 and wraps or saturates beyond them.
            const bool negative = literal.front() == '-';
            const std::string_view magnitude = negative ? literal.substr(1) : literal;
            const std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
            if (magnitude.size() > limit.size() || (magnitude.size() == limit.size() && magnitude > limit)) {
                i_ = start;
                return fail("the integer " + abbreviated(literal) + " is outside the 64-bit range", JsonCheckResult::Kind::NumberRange);
            }
            return true;
        }
        // Underflow to zero is harmless; overflow has no double to stand for it.
        errno = 0;
        const double d = std::strtod(std::string(literal).c_str(), nullptr);
        if (errno == ERANGE && std::isinf(d)) {
            i_ = start;
            return fail("the number " + abbreviated(literal) + " is beyond the range of a double", JsonCheckResult::Kind::NumberRange);
        }
        return true;
    }

    // At most about 40 bytes of client text in a message, cut between UTF-8 characters.
    static std::string abbreviated(std::string_view text)
    {
        if (text.size() <= 40) return std::string(text);
        size_t head = 20, tail = text.size() - 10;
        while (head > 0 && (static_cast<unsigned char>(text[head]) & 0xC0) == 0x80) --head;
        while (tail < text.size() && (static_cast<unsigned char>(text[tail]) & 0xC0) == 0x80) ++tail;
        return std::string(text.substr(0, head)) + "..." + std::string(text.substr(tail));
    }

    std::string_view t_;
    size_t maxDepth_;
    size_t i_ = 0;
    std::vector<std::string> path_; // JSON Pointer tokens to the value being read
    JsonCheckResult result_;
};

} // namespace

JsonCheckResult checkJson(std::string_view text, size_t maxDepth)
{
    return Checker(text, maxDepth).run();
}

} // namespace vtp::kernel
