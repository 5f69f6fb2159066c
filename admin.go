package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"
	"chatd/store"
)

// Admin subcommands that work on the store file, safely while the server
// runs: SQLite's WAL lets them read and write beside it, and the server
// notices their commits within a second and reloads.

// openStoreFor loads the config named by -config (built-in defaults when
// the default file is absent) and opens its store file. It returns the
// store and config, the arguments after the flags, and the exit status
// when the store is nil.
func openStoreFor(name string, args []string, stderr io.Writer) (*store.Store, *conf.Config, []string, int) {
	flags := flag.NewFlagSet("chatd "+name, flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", defaultConfigPath, "path of the TOML config file")
	if err := flags.Parse(args); err != nil {
		return nil, nil, nil, 2
	}
	cfg, err := loadConfig(*configPath, isFlagSet(flags, "config"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		fmt.Fprintf(stderr, "chatd %s: %v\n", name, err)
		return nil, nil, nil, 2
	}
	path := storePathFor(cfg, *configPath)
	if path == "" {
		fmt.Fprintf(stderr, "chatd %s: [store] path is \"\" (in memory): there is no file to work on\n", name)
		return nil, nil, nil, 2
	}
	st, err := store.Open(path, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		fmt.Fprintf(stderr, "chatd %s: %v\n", name, err)
		return nil, nil, nil, 2
	}
	return st, cfg, flags.Args(), 0
}

// backupCommand: chatd backup [-config F] FILE.
func backupCommand(args []string, stdout, stderr io.Writer) int {
	st, _, rest, code := openStoreFor("backup", args, stderr)
	if st == nil {
		return code
	}
	defer st.Close(false)
	if len(rest) != 1 {
		fmt.Fprintln(stderr, "usage: chatd backup [-config chatd.toml] FILE")
		return 2
	}
	if err := st.Backup(rest[0]); err != nil {
		fmt.Fprintln(stderr, "chatd backup:", err)
		return 1
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", st.Path(), rest[0])
	return 0
}

const accountUsage = "usage: chatd account [-config chatd.toml] list | create NAME | passwd NAME | delete NAME\n(create and passwd read the password from standard input)"

// accountCommand: chatd account list|create|passwd|delete.
func accountCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	st, cfg, rest, code := openStoreFor("account", args, stderr)
	if st == nil {
		return code
	}
	defer st.Close(false)
	if len(rest) == 0 || (rest[0] != "list" && len(rest) != 2) {
		fmt.Fprintln(stderr, accountUsage)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "chatd account %s: %v\n", rest[0], err)
		return 1
	}
	switch rest[0] {
	case "list":
		accts, err := st.Accounts()
		if err != nil {
			return fail(err)
		}
		for _, a := range accts {
			fmt.Fprintf(stdout, "%s\tregistered %s\t%d certificate(s)\n", a.Name, a.Created.UTC().Format(time.RFC3339), len(a.Certs))
		}
		return 0
	case "create", "passwd":
		name := rest[1]
		if reason := commands.AccountNameProblem(name, cfg.Limits.NickLength); reason != "" && rest[0] == "create" {
			return fail(fmt.Errorf("%q: %s", name, reason))
		}
		password, err := readPassword(stdin)
		if err != nil {
			return fail(err)
		}
		if reason := commands.PasswordProblem(name, password); reason != "" {
			return fail(errors.New(reason))
		}
		hash, scram, err := commands.HashPassword(password, commands.DefaultPasswordCost)
		if err != nil {
			return fail(err)
		}
		if rest[0] == "create" {
			err = st.Apply(state.CreateAccount{Account: state.Account{Name: name, PasswordHash: hash, Scram: scram, Created: time.Now()}})
		} else {
			err = st.Apply(state.SetPassword{Name: state.Fold(name), PasswordHash: hash, Scram: scram})
		}
		if err != nil {
			return fail(err)
		}
		if rest[0] == "create" {
			fmt.Fprintf(stdout, "account %s created\n", name)
		} else {
			fmt.Fprintf(stdout, "account %s: password changed\n", name)
		}
		return 0
	case "delete":
		if err := st.Apply(state.DeleteAccount{Name: state.Fold(rest[1])}); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "account %s deleted\n", rest[1])
		return 0
	}
	fmt.Fprintln(stderr, accountUsage)
	return 2
}

// readPassword reads one line from stdin.
func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
