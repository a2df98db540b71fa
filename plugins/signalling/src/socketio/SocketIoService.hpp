#pragma once

// The "vtp.socketio" service (sdk/include/vtp/services/socketio.h): other plugins' namespaces
// on this plugin's Socket.IO endpoint. Translates between the C table and SocketServer, under
// the plugin's (re-entrant) lock.

#include "socketio/SocketServer.hpp"

#include <vtp/services/socketio.h>

#include <map>
#include <mutex>
#include <set>
#include <string>

namespace vtp::signalling {

class SocketIoService {
public:
    SocketIoService(SocketServer& io, std::recursive_mutex& mutex, std::set<std::string> reserved);
    const vtp_socketio_v1* table() const { return &table_; }
    // The arguments of an event packet's payload (["name", a, b] -> [a, b]), text unchanged.
    static std::string argsOf(std::string_view payload);

private:
    struct External {
        vtp_sio_namespace ns{};
        std::string name;
    };
    static std::vector<std::string> copy(const vtp_sio_binary* attachments, size_t count);

    SocketServer& io_;
    std::recursive_mutex& mutex_;
    std::set<std::string> reserved_;
    std::map<std::string, External> externals_;
    vtp_socketio_v1 table_{};
};

} // namespace vtp::signalling
