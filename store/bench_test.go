package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"chatd/state"
)

// BenchmarkCreateAccount is one account write, from Submit to the done
// call, on a real file (WAL, synchronous=FULL): the latency a REGISTER
// waits for the disk.
func BenchmarkCreateAccount(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "chatd.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	go s.Run()
	defer s.Close(true)
	done := make(chan error, 1)
	b.ResetTimer()
	for i := range b.N {
		a := state.Account{Name: fmt.Sprintf("bench%d", i), PasswordHash: "x", Created: time.Unix(1, 0),
			Scram: state.ScramCredentials{Salt: []byte("s"), Iters: 4096, StoredKey: []byte("k"), ServerKey: []byte("v")}}
		s.Submit(state.CreateAccount{Account: a}, func(err error) { done <- err })
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}
