-- Rows with a primary key, so /api/v1/testkit/conflict can violate it on purpose.
CREATE TABLE testkit_items (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL
);
