#pragma once

// CSV (RFC 4180) for roster import and export: quoted fields, doubled quotes, CRLF or LF.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::courses {

struct CsvLine {
    size_t number = 0; // 1-based line number where the record starts
    std::vector<std::string> fields;
    std::optional<std::string> error; // set when the record is malformed (e.g. an unclosed quote)
};

// Splits text into records; blank lines are skipped.
std::vector<CsvLine> parseCsv(std::string_view text);
// One record, fields quoted when needed, ending with CRLF. A field that a spreadsheet would read
// as a formula (=, +, -, @) is prefixed with a quote character.
std::string csvRecord(const std::vector<std::string>& fields);

} // namespace vtp::courses
