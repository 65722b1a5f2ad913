-- The durable ledger: accounts (running balance and credits), credits (idempotent by key)
-- and holds (one row per request id through held -> settled | refunded). Types are those
-- SQLite and PostgreSQL share; quota units are BIGINT.
CREATE TABLE accounts (
    account TEXT PRIMARY KEY,
    balance BIGINT NOT NULL,
    funded BIGINT NOT NULL
);

CREATE TABLE credits (
    credit_key TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    amount BIGINT NOT NULL,
    result TEXT NOT NULL
);

CREATE TABLE holds (
    request_id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    api TEXT NOT NULL,
    model TEXT NOT NULL,
    request TEXT NOT NULL,
    group_ratio TEXT NOT NULL,
    hold_key TEXT NOT NULL,
    hold_result TEXT NOT NULL,
    state TEXT NOT NULL,
    held BIGINT NOT NULL,
    charged BIGINT NOT NULL,
    end_key TEXT,
    end_result TEXT,
    created_at BIGINT NOT NULL
);

CREATE INDEX holds_account_state ON holds (account, state);
