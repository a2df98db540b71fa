#include "http/HttpTypes.hpp"

#include "log/Logger.hpp"

namespace vtp::kernel {

std::string_view reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

HttpResponseData makeProblem(int status, std::string_view type, std::string_view title, std::string_view detail, std::string_view instance)
{
    HttpResponseData r;
    r.status = status;
    r.contentType = "application/problem+json";
    std::string& b = r.body;
    b = "{\"type\":\"urn:vtp:problem:";
    appendJsonEscaped(b, type);
    b += "\",\"title\":\"";
    appendJsonEscaped(b, title.empty() ? reasonPhrase(status) : title);
    b += "\",\"status\":";
    b += std::to_string(status);
    if (!detail.empty()) {
        b += ",\"detail\":\"";
        appendJsonEscaped(b, detail);
        b += '"';
    }
    if (!instance.empty()) {
        b += ",\"instance\":\"";
        appendJsonEscaped(b, instance);
        b += '"';
    }
    b += '}';
    return r;
}

} // namespace vtp::kernel
