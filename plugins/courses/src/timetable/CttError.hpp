#pragma once

#include <stdexcept>
#include <string>

namespace vtp::courses::timetable {

// A malformed .ctt or .sol file. what() reads "line N: expected E, found F"; line() is 1-based.
class CttError : public std::runtime_error {
public:
    CttError(int line, const std::string& expected, const std::string& found)
        : std::runtime_error("line " + std::to_string(line) + ": expected " + expected + ", found " + found), line_(line)
    {
    }
    int line() const { return line_; }

private:
    int line_;
};

} // namespace vtp::courses::timetable
