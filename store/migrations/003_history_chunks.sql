-- History in chunks: one row per target per commit, holding that commit's
-- entries of the target (ord, kind, bot, account and line, each after the
-- other), instead of one row per entry. A row of SQLite costs
-- microseconds of the store goroutine's time whatever it holds; a chunk
-- costs that once for many messages, so recording history does not slow
-- the fan-out. Every query is still a range of one B-tree: chunks are
-- keyed by target and their last ord, and know their first.
-- The rows of 002's history table are not carried over (no chatd ran it
-- for more than a few hours).
DROP TABLE history;
DELETE FROM history_targets;

CREATE TABLE history_chunks (
    target TEXT NOT NULL,       -- folded channel name, or "@account other" (a conversation)
    last   INTEGER NOT NULL,    -- the ord of its last entry
    first  INTEGER NOT NULL,    -- the ord of its first entry
    n      INTEGER NOT NULL,    -- how many entries it holds
    kinds  INTEGER NOT NULL,    -- bit k set when it holds an entry of kind k
    data   BLOB NOT NULL,       -- the entries, oldest first (store/chunk.go)
    PRIMARY KEY (target, last)
) WITHOUT ROWID;

-- Offline messages keep their line themselves: they are read whole, on
-- a login.
DROP TABLE offline;
CREATE TABLE offline (
    account TEXT NOT NULL REFERENCES accounts(name_key) ON DELETE CASCADE,
    ord     INTEGER NOT NULL,
    sender  TEXT NOT NULL,      -- the sender's party key (its share of the mailbox)
    sender_account TEXT NOT NULL,
    bot     INTEGER NOT NULL,
    line    TEXT NOT NULL,
    PRIMARY KEY (account, ord)
) WITHOUT ROWID;
