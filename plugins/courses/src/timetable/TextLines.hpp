#pragma once

#include <string>
#include <string_view>
#include <vector>

// Line-by-line tokenizer shared by the .ctt and .sol readers; internal to the timetable library.
namespace vtp::courses::timetable {

class TextLines {
public:
    explicit TextLines(std::string_view text) : text_(text) {}

    // Moves to the next line that has a token; false at the end of the text.
    bool next();
    // 1-based number of the current line (at the end, of the last line; 1 for empty text).
    int line() const { return line_ > 0 ? line_ : 1; }
    const std::vector<std::string_view>& tokens() const { return tokens_; }
    // The current line for an error message: quoted, shortened, control bytes escaped.
    std::string quoted() const;

private:
    std::string_view text_;
    size_t pos_ = 0;
    int line_ = 0;
    std::string_view current_;
    std::vector<std::string_view> tokens_;
};

// A token or line for an error message: 'text', at most 60 characters, control bytes as \xNN.
std::string quoteForError(std::string_view text);

// Parses a decimal integer in [min, max]; false if the token is anything else.
bool parseBoundedInt(std::string_view token, long min, long max, int& out);

} // namespace vtp::courses::timetable
