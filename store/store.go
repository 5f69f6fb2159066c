package store

import (
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"chatd/state"
)

// Store is an open database and, once Run has started, its writer
// goroutine. It implements state.Store.
type Store struct {
	db    *sql.DB
	path  string // "" in memory
	log   *slog.Logger
	queue chan request
	done  chan struct{} // closed when Run returns

	// OnExternalChange, if set before Run, receives the whole contents
	// after another process (chatd account ...) committed a change. It is
	// called on Run's goroutine, in order with the done functions of
	// Submit, and must not block for long.
	OnExternalChange func(Snapshot)
	dataVersion      int64

	closeOnce sync.Once

	// pollEvery is how often Run looks for other processes' commits.
	pollEvery time.Duration

	hist    historyQueue  // history rows not yet committed (history.go)
	reads   *readerPool   // history reads (historyread.go)
	purge   purgeSettings // retention (purge.go)
	readsDB *sql.DB       // the connections reads use; s.db in memory

	observe func(time.Duration) // see ObserveWrites
}

// ObserveWrites has fn told, for each write, how long it took from Submit
// to its commit (or failure): the store's latency, for metrics. Call it
// before Run; fn runs on Run's goroutine and must be quick.
func (s *Store) ObserveWrites(fn func(time.Duration)) { s.observe = fn }

// QueueLength is the number of writes waiting for the disk (at most
// QueueCapacity). Safe from any goroutine.
func (s *Store) QueueLength() int { return len(s.queue) }

// QueueCapacity is how many writes may wait before Submit refuses.
func (s *Store) QueueCapacity() int { return cap(s.queue) }

type request struct {
	wr   state.Write
	done func(error)
	at   time.Time // when it was submitted, for ObserveWrites
}

// queueSize bounds writes waiting for the disk; past it Submit refuses
// (the operation is refused with a clear reply rather than waited for).
const queueSize = 1024

// maxBatch bounds the writes committed together in one transaction: a
// burst costs one fsync per batch instead of one per write.
const maxBatch = 64

// Open opens (creating it if needed) the database at path, or an
// in-memory one for "", checks it and migrates its schema. Errors that
// mean the file cannot be used wrap ErrUnusable.
func Open(path string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	db, err := openDB(path)
	if err != nil {
		return nil, err
	}
	if err := check(db, describe(path)); err != nil {
		db.Close()
		return nil, err
	}
	if err := migrate(db, describe(path)); err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{db: db, path: path, log: log, queue: make(chan request, queueSize), done: make(chan struct{}), pollEvery: time.Second}
	s.hist.wake = make(chan struct{}, 1)
	s.purge.init()
	if err := db.QueryRow("PRAGMA data_version").Scan(&s.dataVersion); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: data_version: %w", err)
	}
	if err := s.openReads(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Path is the database file ("" in memory).
func (s *Store) Path() string { return s.path }

// Submit queues wr; done is called on Run's goroutine once it committed or
// failed. It never blocks and reports false when the queue is full. It
// must not be called after Close.
func (s *Store) Submit(wr state.Write, done func(error)) bool {
	select {
	case s.queue <- request{wr: wr, done: done, at: time.Now()}:
		return true
	default:
		if r, ok := renameOf(wr); ok {
			s.hist.release(r.Old, r.New) // no transaction will move its rows
		}
		return false
	}
}

// Run applies submitted writes until Close. Writes that are waiting
// together are committed in one transaction, each inside a savepoint of
// its own so that one refused write (a name taken meanwhile) does not
// undo the others.
func (s *Store) Run() {
	defer close(s.done)
	var poll <-chan time.Time
	if s.path != "" && s.OnExternalChange != nil {
		t := time.NewTicker(s.pollEvery)
		defer t.Stop()
		poll = t.C
	}
	batch := make([]request, 0, maxBatch)
	var flushHistory <-chan time.Time // armed while history rows wait
	purge := time.NewTimer(s.purge.every())
	defer purge.Stop()
	for {
		select {
		case <-s.hist.wake:
			if s.hist.queued() >= historyBatchRows {
				s.commitHistory()
				flushHistory = nil
			} else if flushHistory == nil {
				flushHistory = time.After(historyFlushEvery)
			}
		case <-flushHistory:
			flushHistory = nil
			s.commitHistory()
		case <-purge.C:
			purge.Reset(s.purgeStep())
		case req, ok := <-s.queue:
			if !ok {
				// Everything handed over before Close; no write is
				// coming for a rename still held.
				s.hist.releaseAll()
				s.commitHistory()
				return
			}
			batch = append(batch[:0], req)
		more:
			for len(batch) < maxBatch {
				select {
				case r, ok := <-s.queue:
					if !ok {
						break more
					}
					batch = append(batch, r)
				default:
					break more
				}
			}
			s.commit(batch) // with the history first if it must (commit)
			clear(batch)
		case <-poll:
			s.pollExternal()
		}
	}
}

// commit applies a batch and calls each request's done. If the batch
// cannot commit (a full disk, an I/O error: SQLite may have rolled it back
// already), each write is tried again alone, so that each gets its own
// answer and those that fit are kept.
//
// A batch holding a deletion of history, or a channel rename's write
// whose history move waits for it (a held rename), first writes the
// history handed over so far in the same transaction: the deletion finds
// the rows handed over before it, and the group's record, its history
// rows and the rows recorded under its new name commit together.
func (s *Store) commit(batch []request) {
	errs := make([]error, len(batch))
	var hist []state.HistoryRow
	var renames []pendingRename
	withHistory := batchTakesHistory(batch)
	if withHistory {
		var dropped uint64
		hist, renames, dropped = s.hist.take(batch)
		if dropped > 0 {
			s.log.Error("history rows dropped: the disk does not keep up", "rows", dropped)
		}
	}
	if err := s.commitTogether(batch, errs, hist, renames, withHistory); err != nil && (len(batch) > 1 || withHistory) {
		if withHistory {
			// The history on its own then (the renames follow the
			// world's names), and each write alone.
			if err := s.writeHistory(hist, renames); err != nil {
				s.log.Error("history not saved", "rows", len(hist), "renames", len(renames), "err", err)
			}
		}
		for i := range batch {
			s.commitTogether(batch[i:i+1], errs[i:i+1], nil, nil, false)
		}
	}
	if withHistory {
		s.hist.done()
	}
	// Our own commit moves data_version only for other connections; read
	// it again so that it is not taken for another process's change.
	s.db.QueryRow("PRAGMA data_version").Scan(&s.dataVersion)
	for i, r := range batch {
		if s.observe != nil {
			s.observe(time.Since(r.at))
		}
		if errs[i] != nil {
			s.log.Error("store write failed", "path", describe(s.path), "write", fmt.Sprintf("%T", r.wr), "err", errs[i])
		}
		if r.done != nil {
			r.done(errs[i])
		}
	}
}

// commitTogether applies writes in one transaction, after the history
// rows and renames if withHistory, setting errs[i] for each write
// refused; it returns the error that stopped the transaction from
// committing (then every errs[i] is set).
func (s *Store) commitTogether(batch []request, errs []error, hist []state.HistoryRow, renames []pendingRename, withHistory bool) error {
	tx, err := s.db.Begin()
	if err != nil {
		err = fmt.Errorf("store: begin: %w", err)
	} else {
		if withHistory {
			err = s.writeHistoryTx(tx, hist, renames)
		}
		if err == nil {
			for i, r := range batch {
				errs[i] = s.applyOne(tx, r.wr)
			}
			err = tx.Commit()
		}
		if err != nil {
			tx.Rollback()
			err = fmt.Errorf("store: commit: %w", err)
		}
	}
	if err != nil {
		for i := range errs {
			if errs[i] == nil || len(batch) > 1 {
				errs[i] = err
			}
		}
	}
	return err
}

func (s *Store) applyOne(tx *sql.Tx, wr state.Write) error {
	if _, err := tx.Exec("SAVEPOINT w"); err != nil {
		return err
	}
	if err := apply(tx, wr); err != nil {
		tx.Exec("ROLLBACK TO w")
		tx.Exec("RELEASE w")
		return err
	}
	_, err := tx.Exec("RELEASE w")
	return err
}

// pollExternal hands the contents to OnExternalChange when another
// process has committed since we last looked.
func (s *Store) pollExternal() {
	var v int64
	if err := s.db.QueryRow("PRAGMA data_version").Scan(&v); err != nil {
		s.log.Error("store: data_version", "err", err)
		return
	}
	if v == s.dataVersion {
		return
	}
	s.dataVersion = v
	snap, err := s.Load()
	if err != nil {
		s.log.Error("store: reloading after an outside change", "err", err)
		return
	}
	s.log.Info("store changed by another process; reloaded", "accounts", len(snap.Accounts), "channels", len(snap.Channels))
	s.OnExternalChange(snap)
}

// Close stops Run after the writes already submitted (Run must have been
// started, or never be) and closes the database.
// A second Close does nothing.
func (s *Store) Close(running bool) error {
	var err error
	s.closeOnce.Do(func() {
		close(s.queue)
		if running {
			<-s.done
		} else {
			s.hist.releaseAll()
			s.commitHistory()
		}
		s.closeReads()
		err = s.db.Close()
	})
	return err
}

// SetMaxPages caps the database file at n pages (PRAGMA max_page_count),
// after which writes fail as on a full disk. Tests use it to prove that a
// failed write is refused and reported; it must be called before Run.
func (s *Store) SetMaxPages(n int) error {
	_, err := s.db.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", n))
	return err
}

// SetReadOnly makes every write fail (PRAGMA query_only) while on. Tests
// use it to show that a write the disk refuses is reported and the
// operation refused while chat goes on; it may be called at any time.
func (s *Store) SetReadOnly(on bool) error {
	_, err := s.db.Exec(fmt.Sprintf("PRAGMA query_only = %t", on))
	return err
}

// PageCount is the file's current size in pages.
func (s *Store) PageCount() (int, error) {
	var n int
	err := s.db.QueryRow("PRAGMA page_count").Scan(&n)
	return n, err
}
