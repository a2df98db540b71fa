#include "PasswordPolicy.hpp"

namespace vtp::auth {

std::string asciiLower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::optional<size_t> utf8Length(std::string_view s)
{
    size_t count = 0;
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t n = 0;
        uint32_t cp = 0;
        if (c < 0x80) {
            n = 1;
            cp = c;
        } else if ((c & 0xE0) == 0xC0) {
            n = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4;
            cp = c & 0x07;
        } else
            return std::nullopt;
        if (i + n > s.size()) return std::nullopt;
        for (size_t k = 1; k < n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return std::nullopt;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and out-of-range code points are not UTF-8.
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return std::nullopt;
        i += n;
        ++count;
    }
    return count;
}

void PasswordPolicy::addBlocklist(std::string_view text)
{
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
        if (!line.empty() && line.front() != '#') blocked_.insert(asciiLower(line));
        pos = end + 1;
    }
}

std::optional<std::string> PasswordPolicy::check(std::string_view password, std::string_view email) const
{
    const auto length = utf8Length(password);
    if (!length) return "the password is not valid UTF-8";
    if (*length < min_) return "the password must have at least " + std::to_string(min_) + " characters";
    if (*length > max_) return "the password must have at most " + std::to_string(max_) + " characters";
    const std::string lower = asciiLower(password);
    if (blocked_.count(lower)) return "the password is too common; choose another";
    if (!email.empty()) {
        const std::string e = asciiLower(email);
        if (lower == e || lower == e.substr(0, e.find('@'))) return "the password must not be the email address";
    }
    return std::nullopt;
}

std::optional<std::string> normaliseEmail(std::string_view email)
{
    while (!email.empty() && (email.front() == ' ' || email.front() == '\t')) email.remove_prefix(1);
    while (!email.empty() && (email.back() == ' ' || email.back() == '\t')) email.remove_suffix(1);
    if (email.size() < 3 || email.size() > 254) return std::nullopt;
    const size_t at = email.find('@');
    if (at == std::string_view::npos || at == 0 || at > 64 || email.find('@', at + 1) != std::string_view::npos) return std::nullopt;
    const std::string_view domain = email.substr(at + 1);
    if (domain.empty() || domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos) return std::nullopt;
    for (char c : email) {
        const auto u = static_cast<unsigned char>(c);
        // No whitespace, controls or characters that break mail headers; UTF-8 is allowed.
        if (u <= 0x20 || u == 0x7F || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' || c == '\\' || c == '(' || c == ')')
            return std::nullopt;
    }
    if (!utf8Length(email)) return std::nullopt;
    return asciiLower(email);
}

} // namespace vtp::auth
