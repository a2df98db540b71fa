#include "http/Router.hpp"

#include "log/Logger.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace vtp::kernel {

namespace {

// OPTIONS: a plugin's answer to a plain OPTIONS (tus discovery); CORS preflights stay the kernel's.
constexpr std::array<std::string_view, 6> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
constexpr size_t kMaxSegments = 32;

bool validStaticSegment(std::string_view s)
{
    if (s.empty()) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '~'; });
}

bool validParamName(std::string_view s)
{
    if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

bool splitPath(std::string_view path, std::vector<std::string_view>& out)
{
    out.clear();
    if (path.empty() || path[0] != '/') return false;
    size_t pos = 1;
    while (pos < path.size()) {
        const size_t slash = path.find('/', pos);
        const size_t end = slash == std::string_view::npos ? path.size() : slash;
        if (end == pos) return false; // "//"
        out.push_back(path.substr(pos, end - pos));
        if (out.size() > kMaxSegments) return false;
        if (slash == std::string_view::npos) break;
        pos = slash + 1; // a trailing slash ends the loop with no empty segment
    }
    return true;
}

bool percentDecode(std::string_view in, std::string& out)
{
    out.clear();
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return false;
            const int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') return false;
        out += c;
    }
    // Paths and queries are text to every handler (and to PostgreSQL, which refuses other bytes).
    return isUtf8(out);
}

// A trie of path segments; each node holds the routes ending there, by method.
struct Router::Impl {
    struct Node {
        std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
        std::unique_ptr<Node> param;
        std::map<std::string, std::shared_ptr<RouteSpec>> byMethod;
        std::map<std::string, std::vector<std::string>> paramNames; // method -> names along the path
    };

    mutable std::shared_mutex mutex;
    Node root;
    std::vector<std::shared_ptr<RouteSpec>> all;

    // Depth-first, static before parameter. Stops at the first leaf that has `method`;
    // remembers the first leaf with any route so that a miss can answer 405 with its methods.
    bool matchNode(const Node& node, const std::vector<std::string_view>& segs, size_t i, std::string_view method,
                   std::vector<std::string_view>& captured, const Node*& leaf, std::vector<std::string_view>& leafCaptured,
                   const Node*& anyLeaf) const
    {
        if (i == segs.size()) {
            if (node.byMethod.empty()) return false;
            if (!anyLeaf) anyLeaf = &node;
            if (node.byMethod.find(std::string(method)) == node.byMethod.end()) return false;
            leaf = &node;
            leafCaptured = captured;
            return true;
        }
        if (auto it = node.children.find(segs[i]); it != node.children.end())
            if (matchNode(*it->second, segs, i + 1, method, captured, leaf, leafCaptured, anyLeaf)) return true;
        if (node.param) {
            captured.push_back(segs[i]);
            const bool found = matchNode(*node.param, segs, i + 1, method, captured, leaf, leafCaptured, anyLeaf);
            captured.pop_back();
            if (found) return true;
        }
        return false;
    }

    static void prune(Node& node, std::string_view owner)
    {
        for (auto it = node.byMethod.begin(); it != node.byMethod.end();) {
            if (it->second->owner == owner) {
                node.paramNames.erase(it->first);
                it = node.byMethod.erase(it);
            } else {
                ++it;
            }
        }
        for (auto& [k, child] : node.children) prune(*child, owner);
        if (node.param) prune(*node.param, owner);
    }
};

Router::Router() : impl_(std::make_unique<Impl>()) {}
Router::~Router() = default;

void Router::add(RouteSpec spec)
{
    if (std::find(kMethods.begin(), kMethods.end(), spec.method) == kMethods.end())
        throw RouteError("unsupported method '" + spec.method + "' (use GET, POST, PUT, PATCH, DELETE or OPTIONS)");
    std::vector<std::string_view> segs;
    if (!splitPath(spec.pattern, segs) || (spec.pattern.size() > 1 && spec.pattern.back() == '/'))
        throw RouteError("malformed path pattern '" + spec.pattern + "'");
    if (spec.role.empty()) throw RouteError("route " + spec.method + " " + spec.pattern + " declares no role");

    std::unique_lock lock(impl_->mutex);
    Impl::Node* node = &impl_->root;
    std::vector<std::string> names;
    for (const auto seg : segs) {
        if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
            const auto name = seg.substr(1, seg.size() - 2);
            if (!validParamName(name)) throw RouteError("bad parameter name '" + std::string(name) + "' in '" + spec.pattern + "'");
            if (std::find(names.begin(), names.end(), name) != names.end())
                throw RouteError("parameter '" + std::string(name) + "' appears twice in '" + spec.pattern + "'");
            names.emplace_back(name);
            if (!node->param) node->param = std::make_unique<Impl::Node>();
            node = node->param.get();
        } else {
            if (!validStaticSegment(seg)) throw RouteError("bad path segment '" + std::string(seg) + "' in '" + spec.pattern + "'");
            auto it = node->children.find(seg);
            if (it == node->children.end()) it = node->children.emplace(std::string(seg), std::make_unique<Impl::Node>()).first;
            node = it->second.get();
        }
    }
    if (auto existing = node->byMethod.find(spec.method); existing != node->byMethod.end())
        throw RouteError("route " + spec.method + " " + spec.pattern + " conflicts with " + existing->second->method + " " +
                         existing->second->pattern + " of " + existing->second->owner);
    auto shared = std::make_shared<RouteSpec>(std::move(spec));
    node->paramNames[shared->method] = std::move(names);
    node->byMethod[shared->method] = shared;
    impl_->all.push_back(std::move(shared));
}

void Router::removeOwner(std::string_view owner)
{
    std::unique_lock lock(impl_->mutex);
    Impl::prune(impl_->root, owner);
    std::erase_if(impl_->all, [&](const auto& r) { return r->owner == owner; });
}

RouteMatch Router::match(std::string_view method, std::string_view path) const
{
    RouteMatch result;
    std::vector<std::string_view> segs;
    if (!splitPath(path, segs)) return result;

    const std::string_view lookup = method == "HEAD" ? std::string_view("GET") : method;
    std::shared_lock lock(impl_->mutex);
    std::vector<std::string_view> captured, leafCaptured;
    const Impl::Node* leaf = nullptr;
    const Impl::Node* anyLeaf = nullptr;
    if (!impl_->matchNode(impl_->root, segs, 0, lookup, captured, leaf, leafCaptured, anyLeaf)) {
        if (anyLeaf) {
            result.kind = RouteMatch::Kind::MethodNotAllowed;
            for (const auto& [m, r] : anyLeaf->byMethod) result.allowed.push_back(m);
            if (anyLeaf->byMethod.count("GET")) result.allowed.push_back("HEAD");
            std::sort(result.allowed.begin(), result.allowed.end());
        }
        return result;
    }
    auto it = leaf->byMethod.find(std::string(lookup));
    const auto& names = leaf->paramNames.at(it->first);
    for (size_t i = 0; i < leafCaptured.size() && i < names.size(); ++i) {
        std::string decoded;
        if (!percentDecode(leafCaptured[i], decoded)) return RouteMatch{};
        result.params.emplace_back(names[i], std::move(decoded));
    }
    result.kind = RouteMatch::Kind::Found;
    result.route = it->second;
    return result;
}

std::vector<std::string> Router::allowed(std::string_view path) const
{
    return match("", path).allowed; // no route has the empty method: the methods of the path's leaf
}

std::vector<RouteSpec> Router::routes() const
{
    std::shared_lock lock(impl_->mutex);
    std::vector<RouteSpec> out;
    for (const auto& r : impl_->all) out.push_back(*r);
    return out;
}

} // namespace vtp::kernel
