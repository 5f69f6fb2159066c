-- Accounts, their client certificates, and registered groups.
CREATE TABLE accounts (
    name_key      TEXT PRIMARY KEY,   -- the name casefolded (rfc1459)
    name          TEXT NOT NULL,      -- as registered
    email         TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,      -- bcrypt
    scram_salt    BLOB NOT NULL,
    scram_iters   INTEGER NOT NULL,
    scram_stored  BLOB NOT NULL,
    scram_server  BLOB NOT NULL,
    created       INTEGER NOT NULL    -- Unix seconds
);

CREATE TABLE account_certs (
    fingerprint TEXT PRIMARY KEY,     -- SHA-256 of the certificate, lower-case hex
    account     TEXT NOT NULL REFERENCES accounts(name_key) ON DELETE CASCADE
);
CREATE INDEX account_certs_account ON account_certs(account);

CREATE TABLE channels (
    name_key   TEXT PRIMARY KEY,      -- the name casefolded
    name       TEXT NOT NULL,
    owner      TEXT NOT NULL REFERENCES accounts(name_key) ON DELETE CASCADE,
    registered INTEGER NOT NULL,      -- Unix seconds
    access     TEXT NOT NULL,         -- JSON: {"account": "op"|"voice"}
    settings   TEXT NOT NULL          -- JSON: topic, modes, key, limit, lists
);
CREATE INDEX channels_owner ON channels(owner);
