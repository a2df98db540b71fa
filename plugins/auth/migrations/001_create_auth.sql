-- Accounts. Times are Unix seconds (UTC). roles is ",admin,student," so that one LIKE finds a role.
CREATE TABLE auth_users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    locale TEXT,
    time_zone TEXT,
    avatar_url TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- Access tokens issued before this instant are refused (roles changed, account disabled).
    tokens_valid_after BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX auth_users_created ON auth_users (created_at, id);

-- One row per login: the family every rotated refresh token of that login belongs to.
CREATE TABLE auth_sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_reason TEXT,
    user_agent TEXT,
    address TEXT
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id, created_at);

-- Refresh tokens, stored only as SHA-256 hashes. used_at is set when a token is rotated; a
-- second use of the same token is a replay and revokes its session (the family).
CREATE TABLE auth_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX auth_refresh_tokens_session ON auth_refresh_tokens (session_id);

CREATE TABLE auth_password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE auth_invites (
    code_hash TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    email TEXT,
    roles TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    used_by TEXT
);

-- Login throttling, shared by every node: one row per account ("account:EMAIL") and per
-- client address ("address:IP").
CREATE TABLE auth_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);
