// PostgreSQL statements run through libpq on the connection of the Poco session rather than
// through Poco::Data::Statement, because Poco 1.11's connector
//  - parses int8 with NumberParser::tryParse64, which loses precision below -2^53,
//  - returns uuid columns as empty BLOBs and numeric as double,
//  - counts placeholders with a regex that also matches "$1" inside strings and bodies,
//  - and needs four round trips per statement (prepare, describe, execute, deallocate).
// PQexecParams takes one round trip and reports the SQLSTATE as a field.
#include "db/DatabaseUrl.hpp"
#include "db/SessionExec.hpp"

#include <Poco/Data/PostgreSQL/SessionHandle.h>
#include <Poco/Exception.h>

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <memory>
#include <type_traits>

namespace vtp::kernel {

namespace {

// Type OIDs from PostgreSQL's catalog/pg_type.h (stable across versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

struct ResultClear {
    void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultClear>;

std::string statementExcerpt(std::string_view sql)
{
    return std::string(sql.substr(0, 200)) + (sql.size() > 200 ? "..." : "");
}

std::string trimmed(const char* text)
{
    std::string out = text != nullptr ? text : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

std::string formatDouble(double value)
{
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    if (ec != std::errc()) throw DbError("cannot format a double parameter");
    return std::string(buffer, end);
}

bool parseInt64(const char* text, size_t length, int64_t& out)
{
    auto [end, ec] = std::from_chars(text, text + length, out);
    return ec == std::errc() && end == text + length;
}

SqlValue toSqlValue(const PGresult* result, int row, int column)
{
    if (PQgetisnull(result, row, column) != 0) return std::monostate{};
    const char* text = PQgetvalue(result, row, column);
    const auto length = static_cast<size_t>(PQgetlength(result, row, column));
    switch (PQftype(result, column)) {
    case kBoolOid: return static_cast<int64_t>(length > 0 && text[0] == 't' ? 1 : 0);
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
        int64_t value = 0;
        if (parseInt64(text, length, value)) return value;
        return std::string(text, length);
    }
    case kNumericOid: {
        // SUM(bigint) is numeric: keep whole numbers as integers, like SQLite does.
        int64_t value = 0;
        if (parseInt64(text, length, value)) return value;
        [[fallthrough]];
    }
    case kFloat4Oid:
    case kFloat8Oid: {
        double value = 0;
        auto [end, ec] = std::from_chars(text, text + length, value);
        if (ec == std::errc() && end == text + length) return value;
        return std::string(text, length);
    }
    case kByteaOid: {
        size_t size = 0;
        unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size);
        if (bytes == nullptr) throw DbError("cannot decode a bytea value");
        Blob blob;
        blob.bytes.assign(bytes, bytes + size);
        PQfreemem(bytes);
        return blob;
    }
    default: return std::string(text, length);
    }
}

} // namespace

ResultSet execPostgres(Poco::Data::Session& session, std::string_view sql, const std::vector<SqlValue>& params, const std::string& secret)
{
    Poco::Data::PostgreSQL::SessionHandle* handle = nullptr;
    try {
        handle = Poco::AnyCast<Poco::Data::PostgreSQL::SessionHandle*>(session.getProperty("handle"));
    } catch (const Poco::Exception& e) {
        throw DbError("PostgreSQL session has no handle: " + e.displayText());
    }
    const std::string rendered = renderSql(sql, Dialect::PostgreSQL);

    // Text format for everything but blobs; a null pointer is SQL NULL.
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);
    static const char emptyBytes[1] = {0};
    for (size_t i = 0; i < params.size(); ++i) {
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::monostate>) {
                    values[i] = nullptr;
                } else if constexpr (std::is_same_v<T, Blob>) {
                    values[i] = v.bytes.empty() ? emptyBytes : reinterpret_cast<const char*>(v.bytes.data());
                    lengths[i] = static_cast<int>(v.bytes.size());
                    formats[i] = 1;
                } else {
                    if constexpr (std::is_same_v<T, int64_t>) {
                        texts[i] = std::to_string(v);
                    } else if constexpr (std::is_same_v<T, double>) {
                        texts[i] = formatDouble(v);
                    } else {
                        texts[i] = v;
                    }
                    values[i] = texts[i].c_str();
                    lengths[i] = static_cast<int>(texts[i].size());
                }
            },
            params[i]);
    }

    ResultPtr result;
    {
        // Poco guards every libpq call on a session with this mutex.
        Poco::FastMutex::ScopedLock lock(handle->mutex());
        PGconn* connection = *handle;
        if (connection == nullptr) throw DbError("PostgreSQL session is not connected");
        result.reset(PQexecParams(connection, rendered.c_str(), static_cast<int>(params.size()), nullptr, values.data(), lengths.data(),
                                  formats.data(), 0));
        if (!result) {
            throw DbError("PostgreSQL error: " + scrubSecret(trimmed(PQerrorMessage(connection)), secret));
        }
    }

    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_EMPTY_QUERY) throw DbError("SQL text contains no statement");
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
        const std::string sqlstate = state != nullptr ? state : "";
        std::string message = "PostgreSQL error";
        if (!sqlstate.empty()) message += " " + sqlstate;
        message += ": " + scrubSecret(trimmed(PQresultErrorMessage(result.get())), secret);
        message += " in: " + statementExcerpt(sql);
        // SQLSTATE class 23: integrity constraint violation (unique, foreign key, check, not null).
        throw DbError(message, sqlstate.rfind("23", 0) == 0);
    }

    ResultSet out;
    const int columns = PQnfields(result.get());
    const int rows = PQntuples(result.get());
    for (int c = 0; c < columns; ++c) out.columns.emplace_back(PQfname(result.get(), c));
    out.rows.reserve(static_cast<size_t>(rows));
    for (int r = 0; r < rows; ++r) {
        std::vector<SqlValue> row;
        row.reserve(static_cast<size_t>(columns));
        for (int c = 0; c < columns; ++c) row.push_back(toSqlValue(result.get(), r, c));
        out.rows.push_back(std::move(row));
    }
    // "INSERT 0 3", "UPDATE 2", "SELECT 5" -> the count; empty for DDL.
    const char* tuples = PQcmdTuples(result.get());
    int64_t affected = 0;
    if (tuples != nullptr && *tuples != '\0' && parseInt64(tuples, std::strlen(tuples), affected)) {
        out.affectedRows = affected;
    }
    return out;
}

} // namespace vtp::kernel
