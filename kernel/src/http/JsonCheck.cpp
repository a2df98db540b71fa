#include "http/JsonCheck.hpp"

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
    bool fail(const std::string& what)
    {
        if (!result_.ok) return false;
        result_.ok = false;
        size_t line = 1, col = 1;
        for (size_t k = 0; k < i_ && k < t_.size(); ++k) {
            if (t_[k] == '\n') { ++line; col = 1; } else { ++col; }
        }
        result_.line = line;
        result_.column = col;
        result_.message = "line " + std::to_string(line) + ", column " + std::to_string(col) + ": " +
                          (i_ >= t_.size() ? "unexpected end of input; " : "") + what;
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
        case '"': return string();
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
        while (true) {
            ws();
            if (peek() != '"') return fail("expected a string key in an object");
            if (!string()) return false;
            ws();
            if (peek() != ':') return fail("expected ':' after an object key");
            ++i_;
            ws();
            if (!value(depth)) return false;
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
        while (true) {
            ws();
            if (!value(depth)) return false;
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

    bool string()
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
                    for (int k = 1; k <= 4; ++k)
                        if (i_ + k >= t_.size() || hex(t_[i_ + k]) < 0) return fail("bad \\u escape");
                    i_ += 5;
                    continue;
                }
                if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos || eof())
                    return fail("bad escape in a string");
                ++i_;
                continue;
            }
            if (c >= 0x80) {
                if (!utf8()) return false;
                continue;
            }
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
        if (peek() == '-') ++i_;
        if (peek() == '0') ++i_;
        else if (!digits()) return false;
        if (peek() == '.') { ++i_; if (!digits()) return false; }
        if (peek() == 'e' || peek() == 'E') {
            ++i_;
            if (peek() == '+' || peek() == '-') ++i_;
            if (!digits()) return false;
        }
        return true;
    }

    std::string_view t_;
    size_t maxDepth_;
    size_t i_ = 0;
    JsonCheckResult result_;
};

} // namespace

JsonCheckResult checkJson(std::string_view text, size_t maxDepth)
{
    return Checker(text, maxDepth).run();
}

} // namespace vtp::kernel
