#pragma once

#include "vtp/detail.hpp"
#include "vtp/errors.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace vtp {

using Blob = std::vector<unsigned char>;

// A bound parameter. Strings are borrowed: they must outlive the call (they do in
// db.query("...", {a, b}) form).
class Param {
public:
    Param(std::nullptr_t) : v_{VTP_SQL_NULL, 0, 0, nullptr, 0} {}
    Param(int v) : v_{VTP_SQL_INT, v, 0, nullptr, 0} {}
    Param(long v) : v_{VTP_SQL_INT, v, 0, nullptr, 0} {}
    Param(long long v) : v_{VTP_SQL_INT, static_cast<int64_t>(v), 0, nullptr, 0} {}
    Param(unsigned v) : v_{VTP_SQL_INT, v, 0, nullptr, 0} {}
    Param(bool v) : v_{VTP_SQL_INT, v ? 1 : 0, 0, nullptr, 0} {}
    Param(double v) : v_{VTP_SQL_REAL, 0, v, nullptr, 0} {}
    Param(const char* v) : v_{VTP_SQL_TEXT, 0, 0, v, std::char_traits<char>::length(v)} {}
    Param(std::string_view v) : v_{VTP_SQL_TEXT, 0, 0, v.data(), v.size()} {}
    Param(const std::string& v) : v_{VTP_SQL_TEXT, 0, 0, v.data(), v.size()} {}
    Param(const Blob& v) : v_{VTP_SQL_BLOB, 0, 0, reinterpret_cast<const char*>(v.data()), v.size()} {}
    template <typename T>
    Param(const std::optional<T>& v) : Param(v ? Param(*v) : Param(nullptr))
    {
    }
    const vtp_sql_value& raw() const { return v_; }

private:
    vtp_sql_value v_;
};

// A value copied out of a result row.
class Value {
public:
    Value() = default;
    explicit Value(const vtp_sql_value& v) : type_(static_cast<vtp_sql_type>(v.type)), i_(v.i), r_(v.r)
    {
        if (v.type == VTP_SQL_TEXT || v.type == VTP_SQL_BLOB) s_.assign(v.bytes, v.len);
    }
    bool isNull() const { return type_ == VTP_SQL_NULL; }
    vtp_sql_type type() const { return type_; }
    int64_t asInt() const
    {
        if (type_ == VTP_SQL_INT) return i_;
        if (type_ == VTP_SQL_REAL) return static_cast<int64_t>(r_);
        if (type_ == VTP_SQL_TEXT) return std::stoll(s_);
        throw DbError("column is not an integer", false);
    }
    double asDouble() const
    {
        if (type_ == VTP_SQL_REAL) return r_;
        if (type_ == VTP_SQL_INT) return static_cast<double>(i_);
        if (type_ == VTP_SQL_TEXT) return std::stod(s_);
        throw DbError("column is not a number", false);
    }
    bool asBool() const { return asInt() != 0; }
    std::string asString() const
    {
        if (type_ == VTP_SQL_INT) return std::to_string(i_);
        if (type_ == VTP_SQL_REAL) return std::to_string(r_);
        return s_;
    }
    Blob asBlob() const { return Blob(s_.begin(), s_.end()); }
    std::optional<std::string> asOptionalString() const { return isNull() ? std::nullopt : std::optional(asString()); }
    std::optional<int64_t> asOptionalInt() const { return isNull() ? std::nullopt : std::optional(asInt()); }

private:
    vtp_sql_type type_ = VTP_SQL_NULL;
    int64_t i_ = 0;
    double r_ = 0;
    std::string s_;
};

class Rows {
public:
    struct Row {
        const Rows* owner;
        size_t index;
        const Value& operator[](size_t column) const { return owner->values_.at(index).at(column); }
        const Value& operator[](std::string_view column) const { return (*this)[owner->columnIndex(column)]; }
    };

    size_t size() const { return values_.size(); }
    bool empty() const { return values_.empty(); }
    Row operator[](size_t i) const { return Row{this, i}; }
    Row at(size_t i) const
    {
        if (i >= values_.size()) throw DbError("row index out of range", false);
        return Row{this, i};
    }
    const std::vector<std::string>& columns() const { return columns_; }
    int64_t affected() const { return affected_; }
    size_t columnIndex(std::string_view name) const
    {
        for (size_t i = 0; i < columns_.size(); ++i)
            if (columns_[i] == name) return i;
        throw DbError("no column named '" + std::string(name) + "'", false);
    }

    struct Iterator {
        const Rows* owner;
        size_t i;
        Row operator*() const { return Row{owner, i}; }
        Iterator& operator++()
        {
            ++i;
            return *this;
        }
        bool operator!=(const Iterator& o) const { return i != o.i; }
    };
    Iterator begin() const { return {this, 0}; }
    Iterator end() const { return {this, values_.size()}; }

private:
    friend class Db;
    std::vector<std::string> columns_;
    std::vector<std::vector<Value>> values_;
    int64_t affected_ = 0;
};

class Db;

// A transaction on one pooled connection. Rolled back if destroyed without commit().
class Tx {
public:
    Tx(const Tx&) = delete;
    Tx& operator=(const Tx&) = delete;
    Tx(Tx&& o) noexcept : db_(o.db_), tx_(o.tx_) { o.tx_ = nullptr; }
    ~Tx();
    Rows query(std::string_view sql, std::initializer_list<Param> params = {});
    Rows query(std::string_view sql, const std::vector<Param>& params);
    int64_t exec(std::string_view sql, std::initializer_list<Param> params = {}) { return query(sql, params).affected(); }
    int64_t exec(std::string_view sql, const std::vector<Param>& params) { return query(sql, params).affected(); }
    void commit();

private:
    friend class Db;
    Tx(const Db* db, vtp_db_tx* tx) : db_(db), tx_(tx) {}
    const Db* db_;
    vtp_db_tx* tx_;
};

// The kernel's database (SQLite or PostgreSQL). Write portable SQL with `?` placeholders;
// the kernel renders them for the backend. Thread-safe.
class Db {
public:
    explicit Db(detail::HostRef ref) : ref_(ref) {}

    vtp_sql_dialect dialect() const { return static_cast<vtp_sql_dialect>(ref_.api->db_dialect(ref_.host)); }
    Rows query(std::string_view sql, std::initializer_list<Param> params = {}) const
    {
        return run(nullptr, sql, params.begin(), params.size());
    }
    Rows query(std::string_view sql, const std::vector<Param>& params) const { return run(nullptr, sql, params.data(), params.size()); }
    int64_t exec(std::string_view sql, std::initializer_list<Param> params = {}) const { return query(sql, params).affected(); }
    int64_t exec(std::string_view sql, const std::vector<Param>& params) const { return query(sql, params).affected(); }

    Tx begin() const
    {
        detail::ErrorText err;
        vtp_db_tx* tx = nullptr;
        if (ref_.api->db_begin(ref_.host, &tx, err.view()) != VTP_OK) throw DbError(err.str(), false);
        return Tx(this, tx);
    }
    // Runs f(tx) in a transaction: committed if f returns, rolled back if it throws.
    template <typename F>
    auto transaction(F&& f) const
    {
        Tx tx = begin();
        if constexpr (std::is_void_v<decltype(f(tx))>) {
            f(tx);
            tx.commit();
        } else {
            auto result = f(tx);
            tx.commit();
            return result;
        }
    }

private:
    friend class Tx;
    Rows run(vtp_db_tx* tx, std::string_view sql, const Param* params, size_t n) const
    {
        std::vector<vtp_sql_value> raw;
        raw.reserve(n);
        for (size_t i = 0; i < n; ++i) raw.push_back(params[i].raw());
        std::string text(sql);
        detail::ErrorText err;
        vtp_db_result* res = nullptr;
        const int rc = ref_.api->db_exec(ref_.host, tx, text.c_str(), raw.data(), raw.size(), &res, err.view());
        if (rc != VTP_OK) throw DbError(err.str(), rc == VTP_CONFLICT);
        Rows rows;
        const size_t cols = ref_.api->db_result_columns(res);
        for (size_t c = 0; c < cols; ++c) rows.columns_.emplace_back(ref_.api->db_result_column_name(res, c));
        const size_t count = ref_.api->db_result_rows(res);
        rows.values_.resize(count);
        for (size_t r = 0; r < count; ++r) {
            rows.values_[r].reserve(cols);
            for (size_t c = 0; c < cols; ++c) {
                vtp_sql_value v{};
                ref_.api->db_result_value(res, r, c, &v);
                rows.values_[r].emplace_back(v);
            }
        }
        rows.affected_ = ref_.api->db_result_affected(res);
        ref_.api->db_result_free(res);
        return rows;
    }

    detail::HostRef ref_;
};

inline Tx::~Tx()
{
    if (tx_) db_->ref_.api->db_rollback(db_->ref_.host, tx_);
}
inline Rows Tx::query(std::string_view sql, std::initializer_list<Param> params)
{
    if (!tx_) throw DbError("transaction already finished", false);
    return db_->run(tx_, sql, params.begin(), params.size());
}
inline Rows Tx::query(std::string_view sql, const std::vector<Param>& params)
{
    if (!tx_) throw DbError("transaction already finished", false);
    return db_->run(tx_, sql, params.data(), params.size());
}
inline void Tx::commit()
{
    if (!tx_) throw DbError("transaction already finished", false);
    detail::ErrorText err;
    vtp_db_tx* tx = tx_;
    tx_ = nullptr; // commit frees the transaction whatever the outcome
    if (db_->ref_.api->db_commit(db_->ref_.host, tx, err.view()) != VTP_OK) throw DbError(err.str(), false);
}

} // namespace vtp
