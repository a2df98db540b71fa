#include "timetable/TextLines.hpp"

#include <charconv>

namespace vtp::courses::timetable {

namespace {

bool isBlank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

} // namespace

bool TextLines::next()
{
    while (pos_ < text_.size()) {
        const size_t end = text_.find('\n', pos_);
        const size_t stop = end == std::string_view::npos ? text_.size() : end;
        current_ = text_.substr(pos_, stop - pos_);
        pos_ = end == std::string_view::npos ? text_.size() : end + 1;
        ++line_;
        tokens_.clear();
        size_t i = 0;
        while (i < current_.size()) {
            while (i < current_.size() && isBlank(current_[i])) ++i;
            const size_t start = i;
            while (i < current_.size() && !isBlank(current_[i])) ++i;
            if (i > start) tokens_.push_back(current_.substr(start, i - start));
        }
        if (!tokens_.empty()) return true;
    }
    tokens_.clear();
    current_ = {};
    return false;
}

std::string TextLines::quoted() const
{
    // Trailing blanks and CR carry no meaning; leave them out of messages.
    std::string_view shown = current_;
    while (!shown.empty() && isBlank(shown.back())) shown.remove_suffix(1);
    return quoteForError(shown);
}

std::string quoteForError(std::string_view text)
{
    constexpr size_t maxShown = 60;
    std::string out = "'";
    const bool cut = text.size() > maxShown;
    if (cut) text = text.substr(0, maxShown);
    static const char* hex = "0123456789abcdef";
    for (char ch : text) {
        const auto byte = static_cast<unsigned char>(ch);
        if (byte < 0x20 || byte == 0x7f) {
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xf];
        } else {
            out += ch;
        }
    }
    out += cut ? "...'" : "'";
    return out;
}

bool parseBoundedInt(std::string_view token, long min, long max, int& out)
{
    long value = 0;
    const char* first = token.data();
    const char* last = token.data() + token.size();
    const auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last || first == last || value < min || value > max) return false;
    out = static_cast<int>(value);
    return true;
}

} // namespace vtp::courses::timetable
