#include "host/HostApi.hpp"
#include "host/HostGuard.hpp"

#include "events/ClusterChannels.hpp"
#include "host/Kernel.hpp"

// The host table's cluster entries (ABI 1.6): thin adapters from the C ABI to ClusterChannels.
namespace vtp::kernel {

namespace {

const char* nodeId(vtp_host* h) noexcept
{
    return h->kernel->cluster().nodeId().c_str();
}

int send(vtp_host* h, const char* channel, const char* data, size_t len, vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        if (!channel || (!data && len > 0)) {
            copyError(err, "channel and data are required");
            return static_cast<int>(VTP_INVALID);
        }
        switch (h->kernel->cluster().send(channel, std::string_view(data ? data : "", len))) {
        case ClusterChannels::SendResult::Queued: return static_cast<int>(VTP_OK);
        case ClusterChannels::SendResult::NoPeers: copyError(err, "no other node"); return static_cast<int>(VTP_NOT_FOUND);
        case ClusterChannels::SendResult::Dropped: break;
        }
        copyError(err, "the cluster send queue is full: dropped");
        return static_cast<int>(VTP_CONFLICT);
    });
}

int subscribe(vtp_host* h, const char* channel, vtp_cluster_handler handler, void* userData, vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        if (!channel || !handler) {
            copyError(err, "channel and handler are required");
            return static_cast<int>(VTP_INVALID);
        }
        h->kernel->cluster().subscribe(h->name, channel, [handler, userData](const Event& e) {
            handler(userData, e.name.c_str(), e.payload.data(), e.payload.size(), e.origin.c_str());
        });
        return static_cast<int>(VTP_OK);
    });
}

size_t peers(vtp_host* h, vtp_cluster_peer_fn each, void* userData) noexcept
{
    try {
        const auto list = h->kernel->cluster().peers();
        if (each)
            for (const auto& id : list) each(userData, id.c_str());
        return list.size();
    } catch (...) {
        return 0;
    }
}

} // namespace

void fillClusterApi(vtp_host_api& a)
{
    a.cluster_node_id = nodeId;
    a.cluster_send = send;
    a.cluster_subscribe = subscribe;
    a.cluster_peers = peers;
}

} // namespace vtp::kernel
