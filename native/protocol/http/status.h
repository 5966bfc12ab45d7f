#pragma once
#include <cctype>
#include <string>

namespace nw {
namespace protocol {
namespace http {

inline const char* reasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

// Whether header lines (each ending in CRLF) hold a field of this lower-case name.
inline bool hasHeaderLine(const std::string& lines, const char* lowerCaseName) {
  size_t nameLength = std::char_traits<char>::length(lowerCaseName);
  for (size_t start = 0; start < lines.size();) {
    size_t end = lines.find("\r\n", start);
    if (end == std::string::npos) end = lines.size();
    bool same = end - start > nameLength && lines[start + nameLength] == ':';
    for (size_t i = 0; same && i < nameLength; i++)
      same = std::tolower(static_cast<unsigned char>(lines[start + i])) == lowerCaseName[i];
    if (same) return true;
    start = end + 2;
  }
  return false;
}

// A plain-text response the core sends before it closes (a refused request or
// upgrade); `extraHeaders` are whole lines, each ending in CRLF (a Content-Type
// among them replaces the plain-text one).
inline std::string closingResponse(int status, const std::string& body, const std::string& extraHeaders = "") {
  const char* type = hasHeaderLine(extraHeaders, "content-type") ? "" : "Content-Type: text/plain; charset=utf-8\r\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + reasonPhrase(status) + "\r\nConnection: close\r\n" + type +
         extraHeaders + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace http
}  // namespace protocol
}  // namespace nw
