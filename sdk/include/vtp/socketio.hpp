#pragma once

// C++ over the "vtp.socketio" service (vtp/services/socketio.h): a plugin's own Socket.IO
// namespace on the signalling plugin's endpoint. Declare "signalling" as a dependency, then in
// init():
//
//   io_ = vtp::SocketIo::find(host);                 // nullptr without the signalling plugin
//   io_->addNamespace("/poll", {.onEvent = [this](const vtp::SioSocket& s, const vtp::SioEvent& e) {...}});
//
// Handlers run on the kernel's WebSocket thread (keep them short); every method may be called
// from a handler or from any other thread.

#include "vtp/json.hpp"
#include "vtp/plugin.hpp"
#include "vtp/services/socketio.h"
#include "vtp/verifier.hpp"

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace vtp {

struct SioSocket {
    std::string nsp, id, userId;
    std::vector<std::string> roles;
    std::string authJson; // the CONNECT auth payload without the token
    bool hasRole(std::string_view role) const
    {
        for (const auto& r : roles)
            if (r == role) return true;
        return false;
    }
};

struct SioEvent {
    std::string name;
    Json args;                            // a JSON array; binary values are placeholders
    std::vector<std::string> attachments; // placeholder num N is attachments[N]
    int64_t ackId = -1;                   // >= 0: answer with SocketIo::ack
};

struct SioNamespace {
    bool requireAuth = true;
    // Return a reason to refuse the connection (sent to the client in CONNECT_ERROR).
    std::function<std::optional<std::string>(const SioSocket&)> onConnect{};
    std::function<void(const SioSocket&, const SioEvent&)> onEvent{};
    std::function<void(const SioSocket&, const std::string& reason)> onDisconnect{};
};

class SocketIo {
public:
    // The service, or nullptr if no plugin offers it.
    static std::unique_ptr<SocketIo> find(const Host& host)
    {
        const auto* t = host.find<vtp_socketio_v1>(VTP_SOCKETIO_SERVICE, VTP_SOCKETIO_VERSION, VTP_SOCKETIO_V1_SIZE);
        return t ? std::unique_ptr<SocketIo>(new SocketIo(t)) : nullptr;
    }

    // A binary argument: put this in args where the attachment `index` belongs.
    static Json binary(size_t index) { return Json{{"_placeholder", true}, {"num", static_cast<int64_t>(index)}}; }

    void addNamespace(const std::string& name, SioNamespace handlers)
    {
        auto& h = namespaces_.emplace_back(Holder{name, std::move(handlers), {}});
        h.raw.struct_size = sizeof h.raw;
        h.raw.name = h.name.c_str();
        h.raw.require_auth = h.handlers.requireAuth ? 1 : 0;
        h.raw.user_data = &h;
        h.raw.on_connect = [](void* ud, const vtp_sio_socket* s, char* reason, size_t cap) -> int {
            auto* self = static_cast<Holder*>(ud);
            if (!self->handlers.onConnect) return VTP_OK;
            try {
                auto refusal = self->handlers.onConnect(socketOf(s));
                if (!refusal) return VTP_OK;
                detail::copyError(vtp_errbuf{reason, cap}, refusal->c_str());
            } catch (const std::exception& e) {
                detail::copyError(vtp_errbuf{reason, cap}, e.what());
            } catch (...) {
            }
            return VTP_ERROR;
        };
        h.raw.on_event = [](void* ud, const vtp_sio_socket* s, const char* event, const char* args, size_t len, const vtp_sio_binary* att,
                            size_t n, int64_t ackId) {
            auto* self = static_cast<Holder*>(ud);
            if (!self->handlers.onEvent) return;
            try {
                SioEvent e{event, Json::parse(std::string_view(args, len)), {}, ackId};
                for (size_t i = 0; i < n; ++i) e.attachments.emplace_back(att[i].data, att[i].len);
                self->handlers.onEvent(socketOf(s), e);
            } catch (...) {
                // A handler must not throw into the signalling plugin; the event is dropped.
            }
        };
        h.raw.on_disconnect = [](void* ud, const vtp_sio_socket* s, const char* reason) {
            auto* self = static_cast<Holder*>(ud);
            if (!self->handlers.onDisconnect) return;
            try {
                self->handlers.onDisconnect(socketOf(s), reason ? reason : "");
            } catch (...) {
            }
        };
        detail::ErrorText err;
        if (t_->add_namespace(t_->context, &h.raw, err.view()) != VTP_OK) {
            namespaces_.pop_back();
            throw PluginError("namespace " + name + ": " + err.str());
        }
    }

    bool emit(const std::string& nsp, const std::string& socketId, const std::string& event, const Json& args = Json::array(),
              const std::vector<std::string>& attachments = {}) const
    {
        const std::string a = args.dump();
        const auto b = views(attachments);
        return t_->emit(t_->context, nsp.c_str(), socketId.c_str(), event.c_str(), a.data(), a.size(), b.data(), b.size()) == VTP_OK;
    }

    // The client acknowledges; `onAck` gets its reply's arguments (a JSON array) and attachments.
    bool emitWithAck(const std::string& nsp, const std::string& socketId, const std::string& event, const Json& args,
                     std::function<void(const Json& args, const std::vector<std::string>& attachments)> onAck)
    {
        std::lock_guard lock(acksMutex_);
        auto& pending = acks_.emplace_back(std::move(onAck));
        const std::string a = args.dump();
        const int rc = t_->emit_with_ack(
            t_->context, nsp.c_str(), socketId.c_str(), event.c_str(), a.data(), a.size(),
            [](void* ud, const char* reply, size_t len, const vtp_sio_binary* att, size_t n) {
                auto* f = static_cast<std::function<void(const Json&, const std::vector<std::string>&)>*>(ud);
                try {
                    std::vector<std::string> attachments;
                    for (size_t i = 0; i < n; ++i) attachments.emplace_back(att[i].data, att[i].len);
                    (*f)(Json::parse(std::string_view(reply, len)), attachments);
                } catch (...) {
                }
            },
            &pending);
        return rc == VTP_OK;
    }

    // To a room of the namespace (empty: every socket of it); returns how many sockets it reached.
    size_t broadcast(const std::string& nsp, const std::string& room, const std::string& event, const Json& args = Json::array(),
                     const std::vector<std::string>& attachments = {}, const std::string& exceptSocketId = {}) const
    {
        const std::string a = args.dump();
        const auto b = views(attachments);
        size_t count = 0;
        t_->broadcast(t_->context, nsp.c_str(), room.empty() ? nullptr : room.c_str(), event.c_str(), a.data(), a.size(), b.data(),
                      b.size(), exceptSocketId.empty() ? nullptr : exceptSocketId.c_str(), &count);
        return count;
    }

    bool ack(const std::string& nsp, const std::string& socketId, int64_t ackId, const Json& args = Json::array(),
             const std::vector<std::string>& attachments = {}) const
    {
        const std::string a = args.dump();
        const auto b = views(attachments);
        return t_->ack(t_->context, nsp.c_str(), socketId.c_str(), ackId, a.data(), a.size(), b.data(), b.size()) == VTP_OK;
    }
    bool join(const std::string& nsp, const std::string& socketId, const std::string& room) const
    {
        return t_->join(t_->context, nsp.c_str(), socketId.c_str(), room.c_str()) == VTP_OK;
    }
    bool leave(const std::string& nsp, const std::string& socketId, const std::string& room) const
    {
        return t_->leave(t_->context, nsp.c_str(), socketId.c_str(), room.c_str()) == VTP_OK;
    }
    bool disconnect(const std::string& nsp, const std::string& socketId) const
    {
        return t_->disconnect(t_->context, nsp.c_str(), socketId.c_str()) == VTP_OK;
    }

private:
    explicit SocketIo(const vtp_socketio_v1* t) : t_(t) {}
    struct Holder {
        std::string name;
        SioNamespace handlers;
        vtp_sio_namespace raw;
    };
    static SioSocket socketOf(const vtp_sio_socket* s)
    {
        return SioSocket{s->nsp, s->id, s->user_id ? s->user_id : "", splitCommaList(s->roles ? s->roles : ""),
                         s->auth_json ? s->auth_json : "{}"};
    }
    static std::vector<vtp_sio_binary> views(const std::vector<std::string>& attachments)
    {
        std::vector<vtp_sio_binary> v;
        for (const auto& a : attachments) v.push_back({a.data(), a.size()});
        return v;
    }

    const vtp_socketio_v1* t_;
    std::list<Holder> namespaces_; // addresses handed to the service stay stable
    std::mutex acksMutex_;
    std::list<std::function<void(const Json&, const std::vector<std::string>&)>> acks_;
};

} // namespace vtp
