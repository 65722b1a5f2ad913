-- The usage a settlement charged for (the usage record's JSON; NULL when a failure charged
-- the hold as held) and when the hold ended (Unix seconds), for the usage views.
ALTER TABLE holds ADD COLUMN usage_json TEXT;
ALTER TABLE holds ADD COLUMN ended_at BIGINT;
CREATE INDEX holds_account_ended ON holds (account, ended_at);
