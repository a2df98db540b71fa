// Fuzzes the streaming plugin's CMCD parsers (every player request carries CMCD, as a query
// argument or as four headers) and the QoE aggregation fed with what they accept. What parses must
// format back to a payload that parses to the same data, within the bounds the header promises.
#include "Cmcd.hpp"
#include "Qoe.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace vtp::streaming;

namespace {

void checkParsed(const Parsed<CmcdData>& p)
{
    if (!p) {
        if (p.error.empty()) std::abort(); // a refusal always says why
        return;
    }
    const CmcdData& d = *p.value;
    if (d.keyCount > kMaxCmcdKeys || d.custom.size() > kMaxCmcdCustomKeys) std::abort();
    if ((d.sid && d.sid->size() > kMaxCmcdIdBytes) || (d.cid && d.cid->size() > kMaxCmcdIdBytes)) std::abort();
    if ((d.br && *d.br < 0) || (d.prMilli && *d.prMilli < 0) || (d.v && *d.v < 1)) std::abort();
    const std::string text = formatCmcd(d);
    if (text.size() > kMaxCmcdBytes) return; // canonical form may be a little longer (pr=2 -> pr=2.0)
    const auto again = parseCmcd(text);
    if (!again || !sameCmcd(d, *again.value) || formatCmcd(*again.value) != text) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto payload = parseCmcd(text);
    checkParsed(payload);
    checkParsed(parseCmcdQuery(text));

    // The same bytes as the four headers, split at line feeds.
    CmcdHeaders h;
    std::string_view* fields[] = {&h.request, &h.object, &h.status, &h.session};
    std::string_view rest = text;
    for (auto* f : fields) {
        const size_t nl = rest.find('\n');
        *f = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
    const auto headers = parseCmcdHeaders(h);
    checkParsed(headers);

    QoeConfig config;
    config.maxSessions = 2;
    QoeAggregator qoe(config);
    int64_t at = 0;
    for (const auto* p : {&payload, &headers}) {
        if (*p)
            qoe.observe({std::chrono::milliseconds(at += 1000), "s", &*p->value, size, "720p"});
        else
            qoe.recordMalformedCmcd(std::chrono::milliseconds(at), "s");
    }
    for (const auto& s : qoe.snapshot(std::chrono::milliseconds(at)).sessions)
        if (!std::isfinite(s.rebufferRatio) || s.rebufferRatio < 0 || s.watchSeconds < 0 || (s.startupMs && *s.startupMs < 0)) std::abort();
    return 0;
}
