#include "Csv.hpp"

namespace vtp::courses {

std::vector<CsvLine> parseCsv(std::string_view text)
{
    std::vector<CsvLine> out;
    size_t i = 0, line = 1;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3; // a BOM, as spreadsheets write
    while (i < text.size()) {
        CsvLine rec;
        rec.number = line;
        std::string field;
        bool quoted = false, inQuotes = false, any = false;
        while (true) {
            if (i >= text.size()) {
                if (inQuotes) rec.error = "unclosed quote";
                break;
            }
            const char c = text[i];
            if (inQuotes) {
                if (c == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        field += '"';
                        i += 2;
                    } else {
                        inQuotes = false;
                        ++i;
                    }
                } else {
                    if (c == '\n') ++line;
                    field += c;
                    ++i;
                }
                continue;
            }
            if (c == '"' && field.empty() && !quoted) {
                inQuotes = quoted = any = true;
                ++i;
            } else if (c == ',') {
                rec.fields.push_back(field);
                field.clear();
                quoted = false;
                any = true;
                ++i;
            } else if (c == '\r' || c == '\n') {
                if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
                ++i;
                ++line;
                break;
            } else {
                if (quoted && !rec.error) rec.error = "text after a closing quote";
                field += c;
                any = true;
                ++i;
            }
        }
        if (any || !field.empty()) {
            rec.fields.push_back(field);
            out.push_back(std::move(rec));
        }
    }
    return out;
}

std::string csvRecord(const std::vector<std::string>& fields)
{
    // A record of one empty field would be a blank line, which readers skip: quote it.
    if (fields.size() == 1 && fields[0].empty()) return "\"\"\r\n";
    std::string out;
    for (size_t k = 0; k < fields.size(); ++k) {
        if (k) out += ',';
        std::string f = fields[k];
        if (!f.empty() && (f[0] == '=' || f[0] == '+' || f[0] == '-' || f[0] == '@')) f = "'" + f;
        // Quoted when it holds a separator, a quote or a line end, or starts like a BOM (which a
        // reader would drop at the start of a file).
        if (f.find_first_of(",\"\r\n") != std::string::npos || f.rfind("\xEF\xBB\xBF", 0) == 0) {
            out += '"';
            for (char c : f) {
                if (c == '"') out += '"';
                out += c;
            }
            out += '"';
        } else {
            out += f;
        }
    }
    return out + "\r\n";
}

} // namespace vtp::courses
