#include "jobs/JobStore.hpp"

namespace vtp::kernel {

namespace {

constexpr const char* kColumns = "id, kind, owner, state, params, result, progress, message, attempts, max_attempts, error, node, "
                                 "claimed_at, heartbeat_at, next_attempt_at, created_at, updated_at, cancel_requested";

std::string text(const SqlValue& v)
{
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
    return {};
}

std::optional<std::string> optionalText(const SqlValue& v)
{
    if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
    return text(v);
}

int64_t integer(const SqlValue& v)
{
    if (const auto* i = std::get_if<int64_t>(&v)) return *i;
    if (const auto* r = std::get_if<double>(&v)) return static_cast<int64_t>(*r);
    return 0;
}

double real(const SqlValue& v)
{
    if (const auto* r = std::get_if<double>(&v)) return *r;
    if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    return 0;
}

SqlValue nullable(const std::optional<std::string>& s)
{
    return s ? SqlValue(*s) : SqlValue(std::monostate{});
}

SqlValue nullableText(const std::string& s)
{
    return s.empty() ? SqlValue(std::monostate{}) : SqlValue(s);
}

JobRecord fromRow(const std::vector<SqlValue>& r)
{
    JobRecord j;
    j.id = text(r.at(0));
    j.kind = text(r.at(1));
    j.owner = text(r.at(2));
    j.state = text(r.at(3));
    j.params = text(r.at(4));
    j.result = optionalText(r.at(5));
    j.progress = real(r.at(6));
    j.message = text(r.at(7));
    j.attempts = integer(r.at(8));
    j.maxAttempts = integer(r.at(9));
    j.error = optionalText(r.at(10));
    j.node = text(r.at(11));
    j.claimedAt = integer(r.at(12));
    j.heartbeatAt = integer(r.at(13));
    j.nextAttemptAt = integer(r.at(14));
    j.createdAt = integer(r.at(15));
    j.updatedAt = integer(r.at(16));
    j.cancelRequested = integer(r.at(17)) != 0;
    return j;
}

std::string placeholders(size_t n)
{
    std::string s;
    for (size_t i = 0; i < n; ++i) s += i ? ", ?" : "?";
    return s;
}

} // namespace

void JobStore::insert(const JobRecord& j)
{
    db_.exec(std::string("INSERT INTO kernel_jobs (") + kColumns + ") VALUES (" + placeholders(18) + ")",
             {j.id, j.kind, nullableText(j.owner), j.state, j.params, nullable(j.result), j.progress, j.message, j.attempts, j.maxAttempts,
              nullable(j.error), nullableText(j.node), SqlValue(std::monostate{}), SqlValue(std::monostate{}), j.nextAttemptAt, j.createdAt,
              j.updatedAt, int64_t{j.cancelRequested ? 1 : 0}});
}

std::optional<JobRecord> JobStore::get(const std::string& id)
{
    const ResultSet rs = db_.exec(std::string("SELECT ") + kColumns + " FROM kernel_jobs WHERE id = ?", {id});
    if (rs.rows.empty()) return std::nullopt;
    return fromRow(rs.rows.front());
}

JobPage JobStore::list(const JobFilter& f)
{
    std::string sql = std::string("SELECT ") + kColumns + " FROM kernel_jobs WHERE 1 = 1";
    std::vector<SqlValue> params;
    if (!f.state.empty()) {
        sql += " AND state = ?";
        params.emplace_back(f.state);
    }
    if (!f.kind.empty()) {
        sql += " AND kind = ?";
        params.emplace_back(f.kind);
    }
    if (f.ownerSet) {
        sql += " AND owner = ?";
        params.emplace_back(f.owner);
    }
    if (f.after) {
        sql += " AND (created_at < ? OR (created_at = ? AND id < ?))";
        params.emplace_back(f.after->first);
        params.emplace_back(f.after->first);
        params.emplace_back(f.after->second);
    }
    // One row more than asked tells whether another page follows.
    sql += " ORDER BY created_at DESC, id DESC LIMIT " + std::to_string(f.limit + 1);
    const ResultSet rs = db_.exec(sql, params);
    JobPage page;
    for (const auto& row : rs.rows) {
        if (page.jobs.size() == f.limit) {
            page.more = true;
            break;
        }
        page.jobs.push_back(fromRow(row));
    }
    return page;
}

std::vector<std::string> JobStore::candidates(const std::vector<std::string>& kinds, int64_t now, size_t limit)
{
    if (kinds.empty() || limit == 0) return {};
    std::vector<SqlValue> params{now};
    for (const auto& k : kinds) params.emplace_back(k);
    const ResultSet rs =
        db_.exec("SELECT id FROM kernel_jobs WHERE state IN ('queued', 'retrying') AND next_attempt_at <= ? AND kind IN (" +
                     placeholders(kinds.size()) + ") ORDER BY next_attempt_at, created_at, id LIMIT " + std::to_string(limit),
                 params);
    std::vector<std::string> ids;
    for (const auto& row : rs.rows) ids.push_back(text(row.at(0)));
    return ids;
}

std::optional<JobRecord> JobStore::claim(const std::string& id, const std::string& node, int64_t now)
{
    // The state and due-time conditions make this the single point where a job changes hands:
    // of two nodes racing, exactly one sees a changed row.
    const ResultSet rs = db_.exec(std::string("UPDATE kernel_jobs SET state = 'running', node = ?, claimed_at = ?, heartbeat_at = ?, "
                                              "attempts = attempts + 1, updated_at = ? "
                                              "WHERE id = ? AND state IN ('queued', 'retrying') AND next_attempt_at <= ? RETURNING ") +
                                      kColumns,
                                  {node, now, now, now, id, now});
    if (rs.rows.size() != 1) return std::nullopt;
    return fromRow(rs.rows.front());
}

std::optional<bool> JobStore::writeProgress(const std::string& id, const std::string& node, int64_t attempt, double fraction,
                                            const std::string& message, int64_t now)
{
    const ResultSet rs = db_.exec("UPDATE kernel_jobs SET progress = ?, message = ?, heartbeat_at = ?, updated_at = ? "
                                  "WHERE id = ? AND node = ? AND attempts = ? AND state = 'running' RETURNING cancel_requested",
                                  {fraction, message, now, now, id, node, attempt});
    if (rs.rows.empty()) return std::nullopt;
    return integer(rs.rows.front().at(0)) != 0;
}

void JobStore::heartbeat(const std::string& node, int64_t now)
{
    db_.exec("UPDATE kernel_jobs SET heartbeat_at = ? WHERE node = ? AND state = 'running'", {now, node});
}

std::vector<std::string> JobStore::cancelRequested(const std::string& node)
{
    const ResultSet rs = db_.exec("SELECT id FROM kernel_jobs WHERE node = ? AND state = 'running' AND cancel_requested = 1", {node});
    std::vector<std::string> ids;
    for (const auto& row : rs.rows) ids.push_back(text(row.at(0)));
    return ids;
}

bool JobStore::finish(const std::string& id, const std::string& node, int64_t attempt, const Outcome& o, int64_t now)
{
    const ResultSet rs =
        db_.exec("UPDATE kernel_jobs SET state = ?, result = ?, error = ?, progress = ?, message = ?, next_attempt_at = ?, "
                 "updated_at = ?, heartbeat_at = NULL "
                 "WHERE id = ? AND node = ? AND attempts = ? AND state = 'running'",
                 {o.state, nullable(o.result), nullable(o.error), o.progress, o.message, o.nextAttemptAt, now, id, node, attempt});
    return rs.affectedRows == 1;
}

bool JobStore::release(const std::string& id, const std::string& node, int64_t attempt, const std::string& reason, int64_t now)
{
    const ResultSet rs = db_.exec("UPDATE kernel_jobs SET state = 'queued', attempts = attempts - 1, error = ?, next_attempt_at = ?, "
                                  "updated_at = ?, heartbeat_at = NULL "
                                  "WHERE id = ? AND node = ? AND attempts = ? AND state = 'running'",
                                  {reason, now, now, id, node, attempt});
    return rs.affectedRows == 1;
}

std::optional<JobRecord> JobStore::requestCancel(const std::string& id, int64_t now)
{
    // One statement, so a claim racing with it either happens before (the runner then sees the
    // flag) or finds the job cancelled.
    db_.exec("UPDATE kernel_jobs SET cancel_requested = 1, updated_at = ?, "
             "state = CASE WHEN state IN ('queued', 'retrying') THEN 'cancelled' ELSE state END "
             "WHERE id = ? AND state IN ('queued', 'retrying', 'running')",
             {now, id});
    return get(id);
}

std::vector<JobStore::Recovered> JobStore::recover(const std::string& node, int64_t staleBefore, int64_t now, bool includeOwnNode)
{
    const ResultSet rs = includeOwnNode ? db_.exec("SELECT id, kind, node, attempts, max_attempts, cancel_requested FROM kernel_jobs "
                                                   "WHERE state = 'running' AND (node = ? OR heartbeat_at IS NULL OR heartbeat_at < ?)",
                                                   {node, staleBefore})
                                        : db_.exec("SELECT id, kind, node, attempts, max_attempts, cancel_requested FROM kernel_jobs "
                                                   "WHERE state = 'running' AND node <> ? AND (heartbeat_at IS NULL OR heartbeat_at < ?)",
                                                   {node, staleBefore});
    std::vector<Recovered> out;
    for (const auto& row : rs.rows) {
        Recovered r{text(row.at(0)), text(row.at(1)), text(row.at(2)), {}};
        const int64_t attempts = integer(row.at(3));
        const bool cancel = integer(row.at(5)) != 0;
        r.state = cancel ? JobState::Cancelled : attempts >= integer(row.at(4)) ? JobState::Failed : JobState::Retrying;
        const std::string reason =
            r.fromNode == node ? "interrupted by restart" : "abandoned: node " + r.fromNode + " stopped sending heartbeats";
        // Fenced by node and attempts: a node that comes back to life cannot be overruled twice.
        const ResultSet changed =
            db_.exec("UPDATE kernel_jobs SET state = ?, error = ?, next_attempt_at = ?, updated_at = ?, heartbeat_at = NULL "
                     "WHERE id = ? AND state = 'running' AND node = ? AND attempts = ?",
                     {r.state, reason, now, now, r.id, r.fromNode, attempts});
        if (changed.affectedRows == 1) out.push_back(std::move(r));
    }
    return out;
}

std::map<std::string, int64_t> JobStore::countsByState()
{
    std::map<std::string, int64_t> counts;
    for (const auto& s : jobStates()) counts[s] = 0;
    const ResultSet rs = db_.exec("SELECT state, COUNT(*) FROM kernel_jobs GROUP BY state");
    for (const auto& row : rs.rows) counts[text(row.at(0))] = integer(row.at(1));
    return counts;
}

std::map<std::string, int64_t> JobStore::pendingByKind()
{
    std::map<std::string, int64_t> counts;
    const ResultSet rs = db_.exec("SELECT kind, COUNT(*) FROM kernel_jobs WHERE state IN ('queued', 'retrying') GROUP BY kind");
    for (const auto& row : rs.rows) counts[text(row.at(0))] = integer(row.at(1));
    return counts;
}

} // namespace vtp::kernel
