-- Revocations every node must see: a session (all its access tokens) or a user (tokens issued
-- before revoked_at). Kept until no access token they concern can still be valid.
CREATE TABLE auth_revocations (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    revoked_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX auth_revocations_expiry ON auth_revocations (expires_at);
