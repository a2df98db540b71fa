#include "socketio/SocketIoService.hpp"

#include <algorithm>
#include <cstring>

namespace vtp::signalling {

namespace {

// Copies, not pointers into the Socket: a plugin's callback may disconnect the very socket it is
// told about (which frees it) and still read what it was given.
struct SocketView {
    std::string nsp, id, userId, roles, authJson;
    vtp_sio_socket raw{};
    explicit SocketView(const Socket& s) : nsp(s.nsp), id(s.id), userId(s.user.userId), authJson(s.authJson)
    {
        for (const auto& r : s.user.roles) roles += (roles.empty() ? "" : ",") + r;
        raw.struct_size = sizeof raw;
        raw.nsp = nsp.c_str();
        raw.id = id.c_str();
        raw.user_id = userId.c_str();
        raw.roles = roles.c_str();
        raw.auth_json = authJson.c_str();
    }
};

void copyError(vtp_errbuf err, const std::string& text)
{
    if (!err.data || err.cap == 0) return;
    const size_t n = std::min(text.size(), err.cap - 1);
    std::memcpy(err.data, text.data(), n);
    err.data[n] = '\0';
}

std::vector<vtp_sio_binary> views(const std::vector<std::string>& attachments)
{
    std::vector<vtp_sio_binary> v;
    for (const auto& a : attachments) v.push_back({a.data(), a.size()});
    return v;
}

} // namespace

std::string SocketIoService::argsOf(std::string_view payload)
{
    // The decoder has checked the payload: an array whose first element is a string.
    size_t i = payload.find('"');
    if (i == std::string_view::npos) return "[]";
    for (++i; i < payload.size() && payload[i] != '"'; ++i)
        if (payload[i] == '\\') ++i;
    for (++i; i < payload.size() && (payload[i] == ' ' || payload[i] == '\t' || payload[i] == '\n' || payload[i] == '\r'); ++i) {}
    if (i >= payload.size() || payload[i] != ',') return "[]";
    return "[" + std::string(payload.substr(i + 1));
}

std::vector<std::string> SocketIoService::copy(const vtp_sio_binary* attachments, size_t count)
{
    std::vector<std::string> out;
    for (size_t i = 0; attachments && i < count; ++i) out.emplace_back(attachments[i].data, attachments[i].len);
    return out;
}

SocketIoService::SocketIoService(SocketServer& io, std::recursive_mutex& mutex, std::set<std::string> reserved)
    : io_(io), mutex_(mutex), reserved_(std::move(reserved))
{
    table_.struct_size = sizeof table_;
    table_.context = this;
    table_.add_namespace = [](void* ctx, const vtp_sio_namespace* ns, vtp_errbuf err) -> int {
        auto* self = static_cast<SocketIoService*>(ctx);
        if (!ns || !VTP_HAS_FIELD(vtp_sio_namespace, on_disconnect, ns->struct_size) || !ns->name || ns->name[0] != '/') {
            copyError(err, "a namespace needs a name starting with '/'");
            return VTP_INVALID;
        }
        std::lock_guard lock(self->mutex_);
        const std::string name = ns->name;
        if (self->reserved_.count(name) || self->io_.hasNamespace(name)) {
            copyError(err, "namespace " + name + " is taken");
            return VTP_CONFLICT;
        }
        External& e = self->externals_[name];
        // Read at the caller's size: a plugin built before the struct grew has a shorter one.
        e.ns = vtp_sio_namespace{};
        std::memcpy(&e.ns, ns, std::min<size_t>(ns->struct_size, sizeof e.ns));
        e.ns.struct_size = static_cast<uint32_t>(std::min<size_t>(ns->struct_size, sizeof e.ns));
        e.name = name;
        e.ns.name = e.name.c_str();
        const vtp_sio_namespace* c = &e.ns;
        Namespace n;
        n.name = name;
        n.requireAuth = c->require_auth != 0;
        n.onConnect = [c](Socket& s, const Poco::Dynamic::Var&) -> std::optional<ConnectRefusal> {
            if (!c->on_connect) return std::nullopt;
            SocketView v(s);
            char reason[256] = {0};
            if (c->on_connect(c->user_data, &v.raw, reason, sizeof reason) == VTP_OK) return std::nullopt;
            return ConnectRefusal{reason[0] ? reason : "refused", {}};
        };
        n.onEvent = [c](Socket& s, const protocol::SocketPacket& p) {
            if (!c->on_event) return;
            SocketView v(s);
            const std::string args = argsOf(p.payload);
            const auto att = views(p.attachments);
            c->on_event(c->user_data, &v.raw, p.eventName.c_str(), args.c_str(), args.size(), att.data(), att.size(),
                        p.id ? static_cast<int64_t>(*p.id) : -1);
        };
        n.onDisconnect = [c](Socket& s, const std::string& reason) {
            if (!c->on_disconnect) return;
            SocketView v(s);
            c->on_disconnect(c->user_data, &v.raw, reason.c_str());
        };
        self->io_.addNamespace(std::move(n));
        return VTP_OK;
    };
    table_.emit = [](void* ctx, const char* nsp, const char* socketId, const char* event, const char* args, size_t len,
                     const vtp_sio_binary* att, size_t n) -> int {
        auto* self = static_cast<SocketIoService*>(ctx);
        std::lock_guard lock(self->mutex_);
        Socket* s = self->io_.find(socketId ? socketId : "");
        if (!s || !nsp || s->nsp != nsp || !event) return VTP_NOT_FOUND;
        return self->io_.emitBinary(s->id, event, std::string_view(args ? args : "", args ? len : 0), copy(att, n)) ? VTP_OK
                                                                                                                    : VTP_NOT_FOUND;
    };
    table_.emit_with_ack = [](void* ctx, const char* nsp, const char* socketId, const char* event, const char* args, size_t len,
                              vtp_sio_ack_handler onAck, void* userData) -> int {
        auto* self = static_cast<SocketIoService*>(ctx);
        std::lock_guard lock(self->mutex_);
        Socket* s = self->io_.find(socketId ? socketId : "");
        if (!s || !nsp || s->nsp != nsp || !event || !onAck) return VTP_NOT_FOUND;
        const bool ok = self->io_.emitWithAck(s->id, event, std::string_view(args ? args : "", args ? len : 0),
                                              [onAck, userData](const protocol::SocketPacket& reply) {
                                                  const std::string a = reply.payload.empty() ? std::string("[]") : reply.payload;
                                                  const auto att = views(reply.attachments);
                                                  onAck(userData, a.c_str(), a.size(), att.data(), att.size());
                                              });
        return ok ? VTP_OK : VTP_NOT_FOUND;
    };
    table_.broadcast = [](void* ctx, const char* nsp, const char* room, const char* event, const char* args, size_t len,
                          const vtp_sio_binary* att, size_t n, const char* except, size_t* count) -> int {
        auto* self = static_cast<SocketIoService*>(ctx);
        if (!nsp || !event) return VTP_INVALID;
        std::lock_guard lock(self->mutex_);
        const size_t reached = self->io_.broadcastBinary(nsp, room ? room : "", event, std::string_view(args ? args : "", args ? len : 0),
                                                         copy(att, n), except ? except : "");
        if (count) *count = reached;
        return VTP_OK;
    };
    table_.ack = [](void* ctx, const char* nsp, const char* socketId, int64_t ackId, const char* args, size_t len,
                    const vtp_sio_binary* att, size_t n) -> int {
        auto* self = static_cast<SocketIoService*>(ctx);
        std::lock_guard lock(self->mutex_);
        Socket* s = self->io_.find(socketId ? socketId : "");
        if (!s || !nsp || s->nsp != nsp || ackId < 0) return VTP_NOT_FOUND;
        return self->io_.ackBinary(s->id, static_cast<uint64_t>(ackId), std::string_view(args ? args : "", args ? len : 0), copy(att, n))
                   ? VTP_OK
                   : VTP_NOT_FOUND;
    };
    static constexpr auto membership = [](void* ctx, const char* nsp, const char* socketId, const char* room, bool join) -> int {
        auto* self = static_cast<SocketIoService*>(ctx);
        std::lock_guard lock(self->mutex_);
        Socket* s = self->io_.find(socketId ? socketId : "");
        if (!s || !nsp || s->nsp != nsp || !room || !*room) return VTP_NOT_FOUND;
        if (join)
            self->io_.join(s->id, room);
        else
            self->io_.leave(s->id, room);
        return VTP_OK;
    };
    table_.join = [](void* ctx, const char* nsp, const char* socketId, const char* room) -> int {
        return membership(ctx, nsp, socketId, room, true);
    };
    table_.leave = [](void* ctx, const char* nsp, const char* socketId, const char* room) -> int {
        return membership(ctx, nsp, socketId, room, false);
    };
    table_.disconnect = [](void* ctx, const char* nsp, const char* socketId) -> int {
        auto* self = static_cast<SocketIoService*>(ctx);
        std::lock_guard lock(self->mutex_);
        Socket* s = self->io_.find(socketId ? socketId : "");
        if (!s || !nsp || s->nsp != nsp) return VTP_NOT_FOUND;
        self->io_.disconnect(s->id, "server namespace disconnect");
        return VTP_OK;
    };
}

} // namespace vtp::signalling
