#include "db/DatabaseUrl.hpp"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <cctype>
#include <filesystem>

namespace vtp::kernel {

namespace {

bool startsWith(const std::string& text, std::string_view prefix)
{
    return text.compare(0, prefix.size(), prefix) == 0;
}

// Poco's PostgreSQL connector splits the connection string at spaces before libpq sees it, so
// values cannot be quoted: refuse whitespace and escape what libpq would interpret.
std::string conninfoValue(const std::string& key, const std::string& value)
{
    std::string out;
    for (char c : value) {
        if (std::isspace(static_cast<unsigned char>(c)) != 0) {
            throw DbError("PostgreSQL URL: the value of '" + key + "' must not contain whitespace");
        }
        if (c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    return out;
}

DatabaseUrl parseSqlite(const std::string& url, const std::string& dataDir)
{
    std::string path = url.substr(std::string_view("sqlite:").size());
    if (startsWith(path, "//")) path.erase(0, 2); // sqlite:///abs/path
    if (path.empty()) throw DbError("SQLite URL has no path: " + url);
    if (path == ":memory:" || startsWith(path, "file::memory:")) {
        throw DbError("SQLite in-memory databases are not supported (pooled sessions would not share it)");
    }
    std::filesystem::path file(path);
    if (file.is_relative()) file = std::filesystem::path(dataDir.empty() ? "." : dataDir) / file;
    file = std::filesystem::absolute(file).lexically_normal();

    DatabaseUrl out;
    out.dialect = Dialect::SQLite;
    out.connectionString = file.string();
    out.displayUrl = "sqlite:" + file.string();
    return out;
}

DatabaseUrl parsePostgres(const std::string& url)
{
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception&) {
        // The message would echo the URL and its password.
        throw DbError("PostgreSQL URL is malformed");
    }
    DatabaseUrl out;
    out.dialect = Dialect::PostgreSQL;

    // Poco keeps the user info percent-encoded; split at the first ':' before decoding.
    std::string rawUser = uri.getUserInfo();
    std::string rawPassword;
    bool hasPassword = false;
    if (size_t colon = rawUser.find(':'); colon != std::string::npos) {
        rawPassword = rawUser.substr(colon + 1);
        rawUser.erase(colon);
        hasPassword = true;
    }
    std::string user;
    std::string password;
    Poco::URI::decode(rawUser, user);
    Poco::URI::decode(rawPassword, password);
    std::string dbname = uri.getPath();
    while (startsWith(dbname, "/")) dbname.erase(0, 1);

    std::string conninfo;
    auto add = [&](const std::string& key, const std::string& value) {
        if (value.empty()) return;
        if (!conninfo.empty()) conninfo += ' ';
        conninfo += key + "=" + conninfoValue(key, value);
    };
    add("host", uri.getHost());
    if (uri.getPort() != 0) add("port", std::to_string(uri.getPort()));
    add("dbname", dbname);
    add("user", user);
    add("password", password);
    bool hasTimeout = false;
    for (const auto& [key, value] : uri.getQueryParameters()) {
        if (key.empty() || key.find_first_of(" ='\\") != std::string::npos) {
            throw DbError("PostgreSQL URL has an invalid query parameter '" + key + "'");
        }
        if (key == "connect_timeout") hasTimeout = true;
        add(key, value);
    }
    if (!hasTimeout) add("connect_timeout", "10");

    Poco::URI shown(uri);
    shown.setUserInfo(hasPassword ? rawUser + ":****" : rawUser);
    out.connectionString = conninfo;
    out.displayUrl = shown.toString();
    out.password = password;
    return out;
}

} // namespace

DatabaseUrl parseDatabaseUrl(const std::string& url, const std::string& dataDir)
{
    if (startsWith(url, "sqlite:")) return parseSqlite(url, dataDir);
    if (startsWith(url, "postgresql://") || startsWith(url, "postgres://")) return parsePostgres(url);
    throw DbError("unsupported database URL (expected sqlite:PATH or postgresql://...): " +
                  url.substr(0, url.find("://") == std::string::npos ? url.size() : url.find("://") + 3));
}

std::string scrubSecret(std::string message, const std::string& secret)
{
    if (secret.empty()) return message;
    for (size_t pos = message.find(secret); pos != std::string::npos; pos = message.find(secret, pos + 4)) {
        message.replace(pos, secret.size(), "****");
    }
    return message;
}

} // namespace vtp::kernel
