#include "db/Database.hpp"

#include <cctype>

namespace vtp::kernel {

namespace {

bool isIdentChar(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}

bool isIdentStart(char c)
{
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// If s[i] begins a quoted string, quoted identifier, comment or dollar-quoted body, returns the
// index just past it (s.size() when unterminated); otherwise returns i.
size_t skipOpaque(std::string_view s, size_t i)
{
    const size_t n = s.size();
    const char c = s[i];
    if (c == '\'' || c == '"') {
        // PostgreSQL E'...' strings also escape with backslashes.
        const bool backslashes = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') && (i < 2 || !isIdentChar(s[i - 2]));
        size_t j = i + 1;
        while (j < n) {
            if (backslashes && s[j] == '\\') {
                j += 2;
            } else if (s[j] == c) {
                if (j + 1 < n && s[j + 1] == c) {
                    j += 2;
                } else {
                    return j + 1;
                }
            } else {
                ++j;
            }
        }
        return n;
    }
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
        size_t end = s.find('\n', i);
        return end == std::string_view::npos ? n : end;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
        size_t end = s.find("*/", i + 2);
        return end == std::string_view::npos ? n : end + 2;
    }
    if (c == '$' && (i == 0 || !isIdentChar(s[i - 1]))) {
        // $tag$ ... $tag$ with an empty or identifier-like tag; "$1" is a parameter, not a quote.
        size_t j = i + 1;
        if (j < n && isIdentStart(s[j])) {
            while (j < n && isIdentChar(s[j]) && s[j] != '$') ++j;
        }
        if (j < n && s[j] == '$') {
            std::string_view tag = s.substr(i, j - i + 1);
            size_t end = s.find(tag, j + 1);
            return end == std::string_view::npos ? n : end + tag.size();
        }
    }
    return i;
}

bool isCommentStart(std::string_view s, size_t i)
{
    return (s[i] == '-' && i + 1 < s.size() && s[i + 1] == '-') || (s[i] == '/' && i + 1 < s.size() && s[i + 1] == '*');
}

std::string upper(std::string_view word)
{
    std::string out(word);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view text)
{
    size_t begin = 0;
    size_t end = text.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin])) != 0) ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1])) != 0) --end;
    return text.substr(begin, end - begin);
}

} // namespace

std::string renderSql(std::string_view sql, Dialect dialect)
{
    if (dialect == Dialect::SQLite) return std::string(sql);
    std::string out;
    out.reserve(sql.size() + 16);
    int next = 1;
    size_t i = 0;
    while (i < sql.size()) {
        size_t end = skipOpaque(sql, i);
        if (end > i) {
            out.append(sql.substr(i, end - i));
            i = end;
        } else if (sql[i] == '?') {
            out += '$';
            out += std::to_string(next++);
            ++i;
        } else {
            out += sql[i++];
        }
    }
    return out;
}

std::vector<std::string> splitSqlScript(std::string_view script)
{
    std::vector<std::string> statements;
    size_t start = 0;
    bool hasContent = false; // anything but whitespace and comments since `start`
    // Trigger and routine bodies (SQLite CREATE TRIGGER ... BEGIN ...; END, PostgreSQL BEGIN ATOMIC)
    // contain ';': inside them only the END that closes the block ends the statement.
    std::vector<std::string> leadingWords;
    bool blockStatement = false;
    int depth = 0;

    auto finish = [&](size_t end) {
        if (hasContent) {
            std::string_view text = trim(script.substr(start, end - start));
            if (!text.empty()) statements.emplace_back(text);
        }
        start = end + 1;
        hasContent = false;
        leadingWords.clear();
        blockStatement = false;
        depth = 0;
    };

    size_t i = 0;
    while (i < script.size()) {
        size_t end = skipOpaque(script, i);
        if (end > i) {
            if (!isCommentStart(script, i)) hasContent = true;
            i = end;
            continue;
        }
        const char c = script[i];
        if (c == ';' && depth == 0) {
            finish(i);
            ++i;
        } else if (isIdentStart(c) && (i == 0 || !isIdentChar(script[i - 1]))) {
            size_t j = i;
            while (j < script.size() && isIdentChar(script[j])) ++j;
            std::string word = upper(script.substr(i, j - i));
            hasContent = true;
            if (leadingWords.size() < 6) {
                leadingWords.push_back(word);
                if (leadingWords.front() == "CREATE" && (word == "TRIGGER" || word == "FUNCTION" || word == "PROCEDURE")) {
                    blockStatement = true;
                }
            }
            if (blockStatement) {
                if (word == "BEGIN" || word == "CASE") {
                    ++depth;
                } else if (word == "END" && depth > 0) {
                    --depth;
                }
            }
            i = j;
        } else {
            if (std::isspace(static_cast<unsigned char>(c)) == 0) hasContent = true;
            ++i;
        }
    }
    finish(script.size());
    return statements;
}

} // namespace vtp::kernel
