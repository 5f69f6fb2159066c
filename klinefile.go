package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"chatd/state"
)

// K-lines are kept in a JSON file next to the config file (chatd.toml →
// chatd.klines), so a ban survives a restart. The state goroutine never
// touches the file: it hands a snapshot of the K-lines (O(1) to take) to
// klineFile.Save after each change, and a writer goroutine encodes and
// writes it atomically (temporary file, then rename). Changes that come
// faster than the disk are coalesced: only the newest snapshot is written.

// klinePathFor returns the K-line file that goes with the config file at
// configPath.
func klinePathFor(configPath string) string {
	p := strings.TrimSuffix(configPath, filepath.Ext(configPath)) + ".klines"
	if p == configPath {
		p += ".klines"
	}
	return p
}

// loadKlineFile reads the K-line file; a missing file is no K-lines.
func loadKlineFile(path string) ([]state.Kline, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("K-lines: %w", err)
	}
	list, err := state.DecodeKlines(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return list, nil
}

// klineFile is the writer of the K-line file. It implements state.KlineStore.
type klineFile struct {
	path    string
	log     *slog.Logger
	pending chan state.KlineSnapshot // capacity 1: the newest not yet written
	done    chan struct{}
}

func newKlineFile(path string, log *slog.Logger) *klineFile {
	f := &klineFile{path: path, log: log, pending: make(chan state.KlineSnapshot, 1), done: make(chan struct{})}
	go f.run()
	return f
}

// Save queues a snapshot to be written, replacing one still waiting. It
// never blocks. Only the state goroutine calls it, so after taking the
// stale one out the next send finds room.
func (f *klineFile) Save(snapshot state.KlineSnapshot) {
	for {
		select {
		case f.pending <- snapshot:
			return
		default:
		}
		select {
		case <-f.pending:
		default:
		}
	}
}

func (f *klineFile) run() {
	defer close(f.done)
	for snapshot := range f.pending {
		data, err := snapshot.Encode(time.Now())
		if err == nil {
			err = writeFileAtomic(f.path, data)
		}
		if err != nil {
			f.log.Error("saving K-lines", "path", f.path, "err", err)
		}
	}
}

// close writes what is pending and stops the writer. Save must not be
// called afterwards (the state goroutine has stopped by then).
func (f *klineFile) close() {
	close(f.pending)
	<-f.done
}

// writeFileAtomic replaces path with data: readers see the old file or the
// new one, never a part.
func writeFileAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
