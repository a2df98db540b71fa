#pragma once

// The side-by-side player page (player/ in the plugin's source: player.html, player.js,
// player.css, and hls.min.js from the pinned npm package), served at /streaming/player/{file} from
// the folder streaming-player beside the plugin's module, where the build copies and installs
// them. The page may load and connect to nothing but vtpd itself (its Content-Security-Policy).

#include <vtp/sdk.hpp>

#include <string>

namespace vtp::streaming {

class PlayerAssets {
public:
    // Registers the route (in init); `directory` empty: beside the plugin's module.
    explicit PlayerAssets(Host& host, std::string directory = {});

    // The page's policy: scripts, styles, images and requests from vtpd only; media from vtpd and
    // from the MediaSource object URLs hls.js plays through (blob:).
    static constexpr const char* kPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; media-src 'self' blob:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'";
    // The content type of a file the page is made of; empty for any other name.
    static std::string contentType(const std::string& file);
    const std::string& directory() const { return directory_; }

private:
    Response get(const Request& req) const;

    std::string directory_;
};

} // namespace vtp::streaming
