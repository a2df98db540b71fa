#include "PlayerAssets.hpp"

#include <dlfcn.h>

#include <filesystem>

namespace vtp::streaming {

namespace {

std::string besidePlugin()
{
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&besidePlugin), &info) == 0 || !info.dli_fname) return "streaming-player";
    const std::string path = info.dli_fname;
    const auto slash = path.rfind('/');
    return (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) + "/streaming-player";
}

} // namespace

PlayerAssets::PlayerAssets(Host& host, std::string directory) : directory_(directory.empty() ? besidePlugin() : std::move(directory))
{
    if (!std::filesystem::exists(directory_ + "/player.html"))
        host.log().warn("the side-by-side player page was not built (no npm at build time): /streaming/player/ answers 404",
                        {{"directory", directory_}});
    host.route({.method = "GET",
                .path = "/streaming/player/{file}",
                .role = Role::Public,
                .summary = "The side-by-side player page of a recording's sources (player.html#recording=ID) and its scripts",
                .errors = {{404, "not-found"}},
                .answersFiles = true},
               [this](const Request& req) { return get(req); });
}

std::string PlayerAssets::contentType(const std::string& file)
{
    if (file == "player.html") return "text/html; charset=utf-8";
    if (file == "player.js" || file == "hls.min.js") return "text/javascript; charset=utf-8";
    if (file == "player.css") return "text/css; charset=utf-8";
    return {};
}

Response PlayerAssets::get(const Request& req) const
{
    // Only the page's own files: no client text reaches the path but these names.
    const std::string file = req.param("file");
    const std::string type = contentType(file);
    if (type.empty()) throw NotFound("no such file");
    Response r = Response::file(directory_ + "/" + file, type);
    // Revalidated (ETag) on every use: a new build of the plugin serves new files at once.
    r.header("Cache-Control", "no-cache");
    if (file == "player.html") r.header("Content-Security-Policy", kPolicy);
    return r;
}

} // namespace vtp::streaming
