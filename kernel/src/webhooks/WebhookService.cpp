#include "webhooks/WebhookService.hpp"

#include "ids/Uuid.hpp"
#include "log/Logger.hpp"
#include "webhooks/WebhookSignature.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include <algorithm>
#include <mutex>

namespace vtp::kernel {

namespace {

constexpr size_t kMaxUrlLength = 2048;
constexpr size_t kMaxPatterns = 32;
constexpr size_t kBatch = 10;
constexpr auto kIdlePoll = std::chrono::seconds(1);
// How stale the endpoint cache may get: how long another node's new endpoint can miss events here.
constexpr auto kEndpointPatternsMaxAge = std::chrono::seconds(1);
constexpr size_t kMaxResponseBytes = 64 * 1024;

int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string newId()
{
    return randomUuid();
}

std::string text(const SqlValue& v)
{
    return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : std::string();
}
int64_t integer(const SqlValue& v)
{
    if (std::holds_alternative<int64_t>(v)) return std::get<int64_t>(v);
    if (std::holds_alternative<double>(v)) return static_cast<int64_t>(std::get<double>(v));
    return 0;
}
std::optional<int64_t> optInteger(const SqlValue& v)
{
    if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
    return integer(v);
}

std::vector<std::string> parsePatterns(const std::string& json)
{
    std::vector<std::string> out;
    try {
        auto a = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Array::Ptr>();
        for (size_t i = 0; i < a->size(); ++i) out.push_back(a->getElement<std::string>(static_cast<unsigned>(i)));
    } catch (const Poco::Exception&) {
    }
    return out;
}

std::string patternsJson(const std::vector<std::string>& patterns)
{
    std::string out = "[";
    for (size_t i = 0; i < patterns.size(); ++i) {
        if (i) out += ",";
        out += "\"";
        appendJsonEscaped(out, patterns[i]);
        out += "\"";
    }
    return out + "]";
}

// The body every attempt of one delivery sends, byte for byte.
std::string deliveryBody(const Event& e, const std::string& deliveryId, int64_t occurredAt)
{
    std::string out = "{\"id\":\"";
    appendJsonEscaped(out, deliveryId);
    out += "\",\"event\":\"";
    appendJsonEscaped(out, e.name);
    out += "\",\"event_id\":\"";
    appendJsonEscaped(out, e.id);
    out += "\",\"origin\":\"";
    appendJsonEscaped(out, e.origin);
    out += "\",\"occurred_at\":" + std::to_string(occurredAt / 1000) + ",\"payload\":";
    out += e.payload; // validated as a JSON object by the bus
    out += "}";
    return out;
}

Poco::Net::Context::Ptr clientTlsContext()
{
    // Verifies the server's certificate against the system CAs and its name; a bad one fails the
    // attempt (RejectCertificateHandler) instead of asking a console handler.
    static std::once_flag once;
    static Poco::Net::Context::Ptr context;
    std::call_once(once, [] {
        context = new Poco::Net::Context(Poco::Net::Context::CLIENT_USE, "", Poco::Net::Context::VERIFY_RELAXED, 9, true);
        Poco::Net::SSLManager::instance().initializeClient(nullptr, new Poco::Net::RejectCertificateHandler(false), context);
    });
    return context;
}

} // namespace

WebhookService::WebhookService(Database& db, EventBus& bus, WebhookSettings settings, Logger& log)
    : db_(db), bus_(bus), settings_(settings), log_(log)
{
    settings_.workers = std::max(1, settings_.workers);
    settings_.maxAttempts = std::max<int64_t>(1, settings_.maxAttempts);
    // Subscribed now, so that events published while plugins start are queued for it too.
    subscription_ = bus_.subscribe("kernel", "*", [this](const Event& e) { onEvent(e); });
}

WebhookService::~WebhookService()
{
    stop();
}

void WebhookService::start()
{
    std::lock_guard lock(mutex_);
    if (started_ || stop_) return;
    started_ = true;
    for (int i = 0; i < settings_.workers; ++i) workers_.emplace_back([this] { workerLoop(); });
}

void WebhookService::stop()
{
    {
        std::lock_guard lock(mutex_);
        if (stop_) return;
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_)
        if (t.joinable()) t.join();
}

void WebhookService::validateUrl(const std::string& url)
{
    if (url.empty() || url.size() > kMaxUrlLength) throw WebhookError("url has 1 to 2048 characters");
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception&) {
        throw WebhookError("url is not a valid URL");
    }
    if (uri.getScheme() != "http" && uri.getScheme() != "https") throw WebhookError("url must be http:// or https://");
    if (uri.getHost().empty()) throw WebhookError("url has no host");
    if (!uri.getUserInfo().empty()) throw WebhookError("url must not carry credentials; the signature authenticates vtpd");
    if (!uri.getFragment().empty()) throw WebhookError("url must not have a fragment");
}

WebhookEndpoint WebhookService::create(const std::string& url, const std::vector<std::string>& events, std::string secret)
{
    validateUrl(url);
    if (events.empty() || events.size() > kMaxPatterns) throw WebhookError("events lists 1 to 32 patterns");
    for (const auto& p : events) {
        try {
            validateEventPattern(p);
        } catch (const EventError& e) {
            throw WebhookError(std::string("events: ") + e.what());
        }
    }
    if (secret.empty())
        secret = generateWebhookSecret();
    else if (secret.size() < 16 || secret.size() > 256)
        throw WebhookError("secret has 16 to 256 characters");
    WebhookEndpoint e;
    e.id = newId();
    e.url = url;
    e.events = events;
    e.secret = secret;
    e.createdAt = nowMs();
    db_.exec("INSERT INTO kernel_webhook_endpoints (id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?)",
             {e.id, e.url, patternsJson(e.events), e.secret, e.createdAt});
    forgetEndpointPatterns();
    // The host only: a query string may carry a token of the receiver's.
    log_.info("webhooks", "endpoint added", {{"id", e.id}, {"host", Poco::URI(e.url).getHost()}, {"events", patternsJson(e.events)}});
    return e;
}

void WebhookService::completeList(WebhookEndpoint& e)
{
    auto counts = db_.exec("SELECT status, COUNT(*) FROM kernel_webhook_deliveries WHERE endpoint_id = ? GROUP BY status", {e.id});
    for (const auto& row : counts.rows) {
        const auto s = text(row[0]);
        const auto n = integer(row[1]);
        if (s == "pending")
            e.pending = n;
        else if (s == "delivered")
            e.delivered = n;
        else if (s == "failed")
            e.failed = n;
    }
    auto last = db_.exec("SELECT attempts, last_status, last_error, updated_at FROM kernel_webhook_deliveries"
                         " WHERE endpoint_id = ? AND attempts > 0 ORDER BY updated_at DESC, id DESC LIMIT 1",
                         {e.id});
    if (!last.rows.empty()) {
        const auto& r = last.rows[0];
        e.lastAttempts = integer(r[0]);
        e.lastStatus = optInteger(r[1]);
        e.lastError = text(r[2]);
        e.lastAttemptAt = integer(r[3]);
    }
}

std::vector<WebhookEndpoint> WebhookService::list(size_t limit, size_t offset)
{
    auto rs = db_.exec("SELECT id, url, events, created_at FROM kernel_webhook_endpoints ORDER BY created_at, id LIMIT ? OFFSET ?",
                       {static_cast<int64_t>(limit), static_cast<int64_t>(offset)});
    std::vector<WebhookEndpoint> out;
    for (const auto& row : rs.rows) {
        WebhookEndpoint e;
        e.id = text(row[0]);
        e.url = text(row[1]);
        e.events = parsePatterns(text(row[2]));
        e.createdAt = integer(row[3]);
        completeList(e);
        out.push_back(std::move(e));
    }
    return out;
}

std::optional<WebhookEndpoint> WebhookService::find(const std::string& id)
{
    auto rs = db_.exec("SELECT id, url, events, created_at FROM kernel_webhook_endpoints WHERE id = ?", {id});
    if (rs.rows.empty()) return std::nullopt;
    WebhookEndpoint e;
    e.id = text(rs.rows[0][0]);
    e.url = text(rs.rows[0][1]);
    e.events = parsePatterns(text(rs.rows[0][2]));
    e.createdAt = integer(rs.rows[0][3]);
    completeList(e);
    return e;
}

bool WebhookService::remove(const std::string& id)
{
    auto c = db_.acquire();
    c->begin();
    c->exec("DELETE FROM kernel_webhook_deliveries WHERE endpoint_id = ?", {id});
    const auto rs = c->exec("DELETE FROM kernel_webhook_endpoints WHERE id = ?", {id});
    c->commit();
    forgetEndpointPatterns();
    if (rs.affectedRows > 0) log_.info("webhooks", "endpoint removed", {{"id", id}});
    return rs.affectedRows > 0;
}

std::vector<WebhookDelivery> WebhookService::deliveries(const std::string& endpointId, const std::string& status, size_t limit,
                                                        size_t offset)
{
    std::string sql = "SELECT id, endpoint_id, event, status, attempts, last_status, last_error, next_attempt_at, created_at, updated_at"
                      " FROM kernel_webhook_deliveries WHERE endpoint_id = ?";
    std::vector<SqlValue> params{endpointId};
    if (!status.empty()) {
        sql += " AND status = ?";
        params.emplace_back(status);
    }
    sql += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?";
    params.emplace_back(static_cast<int64_t>(limit));
    params.emplace_back(static_cast<int64_t>(offset));
    std::vector<WebhookDelivery> out;
    for (const auto& r : db_.exec(sql, params).rows) {
        WebhookDelivery d;
        d.id = text(r[0]);
        d.endpointId = text(r[1]);
        d.event = text(r[2]);
        d.status = text(r[3]);
        d.attempts = integer(r[4]);
        d.lastStatus = optInteger(r[5]);
        d.lastError = text(r[6]);
        d.nextAttemptAt = integer(r[7]);
        d.createdAt = integer(r[8]);
        d.updatedAt = integer(r[9]);
        out.push_back(std::move(d));
    }
    return out;
}

std::shared_ptr<const std::vector<WebhookService::EndpointPatterns>> WebhookService::endpointPatterns()
{
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(patternsMutex_);
    if (!patterns_ || now - patternsReadAt_ >= kEndpointPatternsMaxAge) {
        auto fresh = std::make_shared<std::vector<EndpointPatterns>>();
        for (const auto& row : db_.exec("SELECT id, events FROM kernel_webhook_endpoints").rows)
            fresh->push_back({text(row[0]), parsePatterns(text(row[1]))});
        patterns_ = std::move(fresh);
        patternsReadAt_ = now;
    }
    return patterns_;
}

void WebhookService::forgetEndpointPatterns()
{
    // Under the lock: a read that began before the change cannot store its older rows after this.
    std::lock_guard lock(patternsMutex_);
    patterns_.reset();
}

void WebhookService::onEvent(const Event& event)
{
    // Every node sees every event; only the node that published it writes the outbox rows.
    if (event.origin != bus_.nodeId()) return;
    for (int attempt = 1;; ++attempt) {
        try {
            const auto endpoints = endpointPatterns();
            std::vector<std::string> matching;
            for (const auto& e : *endpoints)
                if (std::any_of(e.patterns.begin(), e.patterns.end(),
                                [&](const std::string& p) { return eventPatternMatches(p, event.name); }))
                    matching.push_back(e.id);
            if (matching.empty()) return;
            const int64_t now = nowMs();
            auto c = db_.acquire();
            c->begin();
            for (const auto& endpointId : matching) {
                const std::string id = newId();
                c->exec("INSERT INTO kernel_webhook_deliveries (id, endpoint_id, event, body, status, attempts, next_attempt_at,"
                        " locked_until, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, 0, ?, ?)",
                        {id, endpointId, event.name, deliveryBody(event, id, now), now, now, now});
            }
            c->commit();
            break;
        } catch (const std::exception& e) {
            if (attempt == 1) {
                // Perhaps an endpoint removed on another node within the cache's age: read them again.
                forgetEndpointPatterns();
                continue;
            }
            log_.error("webhooks", "could not queue webhook deliveries; the event is not delivered to endpoints",
                       {{"event", event.name}, {"error", e.what()}});
            return;
        }
    }
    wake_.notify_all();
}

void WebhookService::workerLoop()
{
    while (true) {
        bool sent = false;
        try {
            sent = deliverDue();
        } catch (const std::exception& e) {
            log_.warn("webhooks", "delivery worker: database error; retrying", {{"error", e.what()}});
        }
        std::unique_lock lock(mutex_);
        if (stop_) return;
        if (!sent) wake_.wait_for(lock, kIdlePoll);
        if (stop_) return;
    }
}

bool WebhookService::deliverDue()
{
    const int64_t now = nowMs();
    auto due = db_.exec("SELECT d.id, d.event, d.body, d.attempts, e.url, e.secret FROM kernel_webhook_deliveries d"
                        " JOIN kernel_webhook_endpoints e ON e.id = d.endpoint_id"
                        " WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND d.locked_until <= ?"
                        " ORDER BY d.next_attempt_at, d.id LIMIT ?",
                        {now, now, static_cast<int64_t>(kBatch)});
    bool any = false;
    for (const auto& row : due.rows) {
        {
            std::lock_guard lock(mutex_);
            if (stop_) break;
        }
        const std::string id = text(row[0]);
        // Claim it: the lock outlasts one attempt, so a crashed sender's row is retried later.
        const int64_t claimAt = nowMs();
        const int64_t lockedUntil = claimAt + std::chrono::duration_cast<std::chrono::milliseconds>(settings_.timeout * 3).count();
        // `attempts` unchanged: no other worker sent it since this one read it.
        const auto claim = db_.exec("UPDATE kernel_webhook_deliveries SET locked_until = ? WHERE id = ? AND status = 'pending'"
                                    " AND locked_until <= ? AND attempts = ?",
                                    {lockedUntil, id, claimAt, integer(row[3])});
        if (claim.affectedRows != 1) continue;
        any = true;
        const std::string event = text(row[1]);
        const int64_t attempts = integer(row[3]) + 1;
        const Attempt a = send(text(row[4]), text(row[5]), id, event, text(row[2]));
        const int64_t done = nowMs();
        SqlValue lastStatus = a.status ? SqlValue(*a.status) : SqlValue(std::monostate{});
        if (a.status && *a.status >= 200 && *a.status < 300) {
            db_.exec("UPDATE kernel_webhook_deliveries SET status = 'delivered', attempts = ?, last_status = ?, last_error = NULL,"
                     " locked_until = 0, updated_at = ? WHERE id = ?",
                     {attempts, lastStatus, done, id});
            log_.debug("webhooks", "delivered", {{"delivery", id}, {"event", event}, {"attempts", std::to_string(attempts)}});
            continue;
        }
        const std::string error = a.error.empty() ? "HTTP " + std::to_string(a.status.value_or(0)) : a.error;
        if (attempts >= settings_.maxAttempts) {
            db_.exec("UPDATE kernel_webhook_deliveries SET status = 'failed', attempts = ?, last_status = ?, last_error = ?,"
                     " locked_until = 0, updated_at = ? WHERE id = ?",
                     {attempts, lastStatus, error, done, id});
            log_.warn("webhooks", "delivery failed for good",
                      {{"delivery", id}, {"event", event}, {"attempts", std::to_string(attempts)}, {"error", error}});
            continue;
        }
        // initial * 2^(attempts-1), capped.
        auto backoff = settings_.initialBackoff;
        for (int64_t i = 1; i < attempts && backoff < settings_.maxBackoff; ++i) backoff *= 2;
        backoff = std::min(backoff, settings_.maxBackoff);
        const int64_t next = done + std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count();
        db_.exec("UPDATE kernel_webhook_deliveries SET attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?,"
                 " locked_until = 0, updated_at = ? WHERE id = ?",
                 {attempts, lastStatus, error, next, done, id});
        log_.info("webhooks", "delivery attempt failed; will retry",
                  {{"delivery", id},
                   {"event", event},
                   {"attempts", std::to_string(attempts)},
                   {"error", error},
                   {"retry_in_s", std::to_string(backoff.count())}});
    }
    return any;
}

WebhookService::Attempt WebhookService::send(const std::string& url, const std::string& secret, const std::string& deliveryId,
                                             const std::string& event, const std::string& body)
{
    Attempt a;
    try {
        const Poco::URI uri(url);
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (uri.getScheme() == "https")
            session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), clientTlsContext());
        else
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        session->setTimeout(Poco::Timespan(static_cast<long>(settings_.timeout.count()), 0));
        std::string target = uri.getPathEtc();
        if (target.empty()) target = "/";
        Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, target, Poco::Net::HTTPMessage::HTTP_1_1);
        const std::string timestamp = std::to_string(nowMs() / 1000);
        req.setContentType("application/json");
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        req.set("User-Agent", "vtpd-webhooks");
        req.set("X-VTP-Event", event);
        req.set("X-VTP-Delivery", deliveryId);
        req.set("X-VTP-Timestamp", timestamp);
        req.set("X-VTP-Signature", webhookSignature(secret, timestamp, body));
        session->sendRequest(req) << body;
        Poco::Net::HTTPResponse resp;
        std::istream& in = session->receiveResponse(resp);
        // Read (a bounded part of) the answer so the exchange completes; its content is unused.
        char buffer[4096];
        size_t total = 0;
        while (total < kMaxResponseBytes && in.read(buffer, sizeof buffer)) total += static_cast<size_t>(in.gcount());
        a.status = static_cast<int64_t>(resp.getStatus());
    } catch (const Poco::Exception& e) {
        a.error = e.displayText();
    } catch (const std::exception& e) {
        a.error = e.what();
    }
    return a;
}

} // namespace vtp::kernel
