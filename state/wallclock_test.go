package state

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoWallClockInHandlers: the world's code and the handlers read the
// time of the event (World.Now), never the wall clock, and no random
// source: a cluster's nodes, and a replay of a log, must compute the same
// world. The few places that may are named here, with why.
func TestNoWallClockInHandlers(t *testing.T) {
	allowed := map[string]string{
		"state/world.go:New":                "the start time of a server that has no log yet",
		"state/world.go:startTiming":        "measures how long events take (ObserveEvents), for metrics only",
		"state/world.go:endTiming":          "likewise",
		"state/offload.go:After":            "the timer runs on the client's node; its firing is an event",
		"commands/login.go:newAccountsCtl":  "the node's secret for fake SCRAM salts, used by Offload work only",
		"commands/password.go:HashPassword": "the salt of a new password, made in Offload work on the client's node",
	}
	forbidden := map[string]bool{"time.Now": true, "time.Since": true, "time.Until": true, "rand.Read": true, "rand.Int": true, "rand.IntN": true, "rand.Intn": true, "rand.Int63": true, "rand.Uint64": true}
	for _, dir := range []string{".", "../commands"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(filepath.Dir(file))
			if dir == "." {
				name = "state"
			}
			name += "/" + filepath.Base(file)
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok {
					continue
				}
				ast.Inspect(fn, func(n ast.Node) bool {
					sel, ok := n.(*ast.SelectorExpr)
					if !ok {
						return true
					}
					pkg, ok := sel.X.(*ast.Ident)
					if !ok || !forbidden[pkg.Name+"."+sel.Sel.Name] {
						return true
					}
					where := name + ":" + fn.Name.Name
					if _, ok := allowed[where]; !ok {
						t.Errorf("%s calls %s.%s: use World.Now (the event's time), or do it in Offload work; if it is node-local, say why in this test's list", where, pkg.Name, sel.Sel.Name)
					}
					return true
				})
			}
		}
	}
}
