// Package store owns chatd's SQLite database (modernc.org/sqlite, pure Go):
// the file, its schema migrations (embedded, versioned with PRAGMA
// user_version), and the one goroutine that writes to it.
//
// Concurrency: Open, Load and Close are called by the daemon's main
// goroutine, before Run starts and after the world has stopped. While Run
// is going, the state goroutine calls only Submit, which never blocks;
// every write is applied on Run's goroutine and its done function is
// called there after the transaction committed (or failed). Other
// processes (`chatd account ...`, `chatd backup`) may use the same file at
// the same time: SQLite's WAL mode and busy timeout keep them consistent,
// and Run notices their commits (PRAGMA data_version) and hands the new
// contents to OnExternalChange.
package store
