// Fuzzes the streaming plugin's playlist request parameters (_HLS_msn, _HLS_part, _HLS_skip: any
// client sends them) and the blocking-reload decision and waiters they drive. What parses must
// format back to a query that parses to the same request; a decision must agree with the edge; a
// request told to wait must be answered once its target exists.
#include "BlockingWaiters.hpp"
#include "HlsParams.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace vtp::streaming;

namespace {

EdgeState edge(uint64_t nextMsn, uint32_t parts, double partTarget, bool ended)
{
    EdgeState e;
    e.nextMsn = nextMsn;
    e.partsInProgress = parts;
    e.nominalPartsPerSegment = static_cast<uint32_t>(4.0 / partTarget + 0.999);
    e.partTargetSeconds = partTarget;
    e.ended = ended;
    return e;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = parsePlaylistQuery(text);
    if (!parsed) {
        if (parsed.error.empty()) std::abort();
        return 0;
    }
    const PlaylistRequest& r = *parsed.value;
    if (r.part && !r.msn) std::abort();
    if ((r.msn && *r.msn > kMaxMsn) || (r.part && *r.part > kMaxPart)) std::abort();
    const auto again = parsePlaylistQuery(formatPlaylistQuery(r));
    if (!again || again.value->msn != r.msn || again.value->part != r.part || again.value->skip != r.skip) std::abort();

    for (const auto& e : {edge(0, 0, 1.0, false), edge(273, 2, 1.0, false), edge(273, 0, 0.25, false), edge(kMaxMsn, 3, 0.5, false),
                          edge(5, 1, 1.0, true)}) {
        const auto d = decideBlocking(r, e);
        const bool reached = r.msn && targetReached(e, *r.msn, r.part);
        if (d.answer == BlockingAnswer::Wait && (reached || e.ended || !r.msn)) std::abort();
        if (d.answer == BlockingAnswer::BadRequest && (reached || e.ended || d.why.empty())) std::abort();
        if (d.answer == BlockingAnswer::Now && r.msn && !e.ended && !reached) std::abort();
        if (d.answer != BlockingAnswer::Wait) continue;

        // Held, then released by the writer reaching the target: exactly one Ready.
        BlockingWaiters waiters(4);
        waiters.advance("r", e);
        int ready = 0;
        const auto added = waiters.add("r", *r.msn, r.part, BlockingWaiters::Clock::time_point{}, [&ready](WaitOutcome o) {
            if (o == WaitOutcome::Ready) ++ready;
        });
        if (added.status != BlockingWaiters::AddStatus::Waiting) std::abort();
        auto later = e;
        later.nextMsn = *r.msn + 1;
        later.partsInProgress = 0;
        if (waiters.advance("r", later) != 1 || ready != 1 || waiters.size() != 0) std::abort();
    }
    return 0;
}
