-- History: every recorded line of a target that outlives a session. The
-- key is (target, ord), ord being the number behind the msgid ((Unix ms
-- << 16) + n), so every history query is a range of one B-tree and
-- needs no other index.
CREATE TABLE history (
    target  TEXT NOT NULL,      -- folded channel name, or "@account other" (a conversation)
    ord     INTEGER NOT NULL,   -- order, msgid and server-time
    kind    INTEGER NOT NULL,   -- 0 PRIVMSG/NOTICE, 1 TAGMSG, 2 JOIN PART QUIT KICK MODE TOPIC NICK
    account TEXT NOT NULL,      -- the sender's account, '' for none
    bot     INTEGER NOT NULL,   -- 1 when the sender was in bot mode
    line    TEXT NOT NULL,      -- the line as relayed, with the sender's client-only tags
    PRIMARY KEY (target, ord)
) WITHOUT ROWID;

-- One row per target: its newest ord, its newest message's ord (TARGETS)
-- and how many rows it has (the per-target cap).
CREATE TABLE history_targets (
    target   TEXT PRIMARY KEY,
    last_ord INTEGER NOT NULL,
    last_msg INTEGER NOT NULL,  -- 0 when it has no PRIVMSG/NOTICE
    rows     INTEGER NOT NULL
) WITHOUT ROWID;

-- Private messages kept for an account that was offline, until it logs in.
CREATE TABLE offline (
    account TEXT NOT NULL REFERENCES accounts(name_key) ON DELETE CASCADE,
    ord     INTEGER NOT NULL,
    target  TEXT NOT NULL,      -- the history row: the recipient's copy
    sender  TEXT NOT NULL,      -- the sender's party key (its share of the mailbox)
    PRIMARY KEY (account, ord)
) WITHOUT ROWID;

-- draft/read-marker, per account: the time of the last message read.
CREATE TABLE read_markers (
    account TEXT NOT NULL REFERENCES accounts(name_key) ON DELETE CASCADE,
    target  TEXT NOT NULL,      -- folded channel name or nick
    time    INTEGER NOT NULL,   -- Unix ms
    PRIMARY KEY (account, target)
) WITHOUT ROWID;

-- ord_mark: every ord handed out before the last commit is below it, so
-- that msgids stay unique across a restart even if the clock went back.
CREATE TABLE history_meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
