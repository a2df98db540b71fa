#include "config/TomlScan.hpp"

#include "config/ConfigFormat.hpp"

namespace vtp::kernel::configformat {

TomlScan scanToml(std::string_view text, size_t maxKeyParts)
{
    enum class State { Normal, Comment, Basic, Literal, MultiBasic, MultiLiteral };
    State state = State::Normal;
    TomlScan scan;
    char previous = '\n'; // the last character outside strings that is not a blank
    size_t dots = 0;      // outside strings since the last character that starts a key
    int line = 1, column = 1;
    size_t i = 0;
    const auto at = [&](size_t k) { return k < text.size() ? text[k] : '\0'; };
    const auto isAscii = [&](size_t k) { return k >= text.size() || static_cast<unsigned char>(text[k]) < 0x80; };
    const auto advance = [&](size_t count) {
        for (; count > 0 && i < text.size(); --count, ++i) {
            const auto c = static_cast<unsigned char>(text[i]);
            if (c == '\n') {
                ++line;
                column = 1;
            } else if ((c & 0xC0) != 0x80) {
                ++column;
            }
        }
    };
    const auto here = [&](std::string found) { return TextPosition{line, column, std::move(found)}; };
    const auto unsafe = [&]() {
        size_t end = i;
        uint32_t cp = 0;
        if (nextCodePoint(text, end, cp))
            scan.unsafeNonAscii = here("non-ASCII character '" + std::string(text.substr(i, end - i)) + "'");
        else
            scan.unsafeNonAscii = here(std::string("byte 0x") + kHex[static_cast<unsigned char>(text[i]) >> 4] +
                                       kHex[static_cast<unsigned char>(text[i]) & 0xF]);
    };
    // Length of a run of `quote` starting at i.
    const auto run = [&](char quote) {
        size_t n = 0;
        while (at(i + n) == quote) ++n;
        return n;
    };
    while (i < text.size() && !(scan.unsafeNonAscii && scan.deepKey)) {
        const char c = text[i];
        switch (state) {
        case State::Normal:
            if (!isAscii(i) && !scan.unsafeNonAscii) unsafe();
            if (c == '#') state = State::Comment;
            if (c == '\n' || c == '[' || c == '{' || c == ',' || c == '=') dots = 0;
            if (c == '.' && ++dots >= maxKeyParts && !scan.deepKey)
                scan.deepKey = here("a key of more than " + std::to_string(maxKeyParts) + " parts");
            // Valid TOML opens a string only where a key or value starts. Elsewhere (after a
            // malformed number, say) toml++ scans on through the quote, so this scan must too.
            if ((c == '"' || c == '\'') && std::string_view("\n=[,{.").find(previous) != std::string_view::npos) {
                const bool multi = run(c) >= 3;
                state = c == '"' ? (multi ? State::MultiBasic : State::Basic) : (multi ? State::MultiLiteral : State::Literal);
                advance(multi ? 3 : 1);
                previous = c;
                continue;
            }
            if (c != ' ' && c != '\t' && c != '\r') previous = c;
            break;
        case State::Comment:
            if (c == '\n') {
                state = State::Normal;
                previous = c;
                dots = 0;
            }
            break;
        case State::Basic:
        case State::Literal:
            if (c == '\n' || (state == State::Basic && c == '"') || (state == State::Literal && c == '\''))
                state = State::Normal;
            else if (state == State::Basic && c == '\\' && at(i + 1) != '\n')
                advance(1);
            break;
        case State::MultiBasic:
            if (c == '\\') {
                advance(1);
                if (!isAscii(i) && !scan.unsafeNonAscii) unsafe();
                if (at(i) == ' ' || at(i) == '\t' || at(i) == '\r' || at(i) == '\n') {
                    while (at(i) == ' ' || at(i) == '\t' || at(i) == '\r' || at(i) == '\n') advance(1);
                    if (!isAscii(i) && !scan.unsafeNonAscii) unsafe();
                    continue;
                }
            } else if (run('"') >= 3) {
                advance(std::min<size_t>(run('"'), 5));
                state = State::Normal;
                continue;
            }
            break;
        case State::MultiLiteral:
            if (run('\'') >= 3) {
                advance(std::min<size_t>(run('\''), 5));
                state = State::Normal;
                continue;
            }
            break;
        }
        advance(1);
    }
    return scan;
}

} // namespace vtp::kernel::configformat
