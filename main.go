// Command chatd is a small IRC server: one binary, one config file.
//
//	chatd [-config chatd.toml] [-debug]   run the server
//	chatd mkpasswd                        read a password on stdin, print its bcrypt hash
//	chatd backup [-config F] FILE         copy the store to FILE (safe while chatd runs)
//	chatd account [-config F] list|create|passwd|delete [NAME]
//	chatd -version                        print the version
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"chatd/commands"
	"chatd/conf"
	"chatd/store"

	"golang.org/x/crypto/bcrypt"
)

const defaultConfigPath = "chatd.toml"

func main() {
	// Logging must never kill the server. Go ends a process with SIGPIPE
	// when a write to stdout or stderr finds the pipe closed, and with
	// `chatd 2>&1 | tee log` a Ctrl-C stops tee too, so the "shutting
	// down" log line would kill chatd before any client got its ERROR.
	// Ignored, the write just fails (and the log line is lost).
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status (2 for a bad
// config or bad flags).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "mkpasswd":
			return mkpasswd(stdin, stdout, stderr)
		case "backup":
			return backupCommand(args[1:], stdout, stderr)
		case "account":
			return accountCommand(args[1:], stdin, stdout, stderr)
		}
	}
	flags := flag.NewFlagSet("chatd", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", defaultConfigPath, "path of the TOML config file")
	showVersion := flags.Bool("version", false, "print the version and exit")
	debug := flags.Bool("debug", false, "log at debug level (includes message traffic)")
	cpuProfile := flags.String("cpuprofile", "", "write a CPU profile to this file until shutdown (for performance work)")
	flags.Usage = func() { usage(flags) }
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // -h asked for the usage text, which is not an error
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, commands.Version)
		return 0
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "chatd:", err)
			return 2
		}
		defer stopProfile()
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	handler, closeLog := newAsyncHandler(stderr, level)
	defer closeLog()
	log := slog.New(handler)

	cfg, err := loadConfig(*configPath, isFlagSet(flags, "config"), log)
	if err != nil {
		fmt.Fprintln(stderr, "chatd:", err)
		return 2
	}

	st, err := store.Open(storePathFor(cfg, *configPath), log)
	if err != nil {
		fmt.Fprintln(stderr, "chatd:", err)
		return 2
	}
	if p := st.Path(); p != "" {
		log.Info("store opened", "path", p)
	}
	d, err := startDaemon(cfg, log, withConfigPath(*configPath), withKlineFile(klinePathFor(*configPath)), withStore(st))
	if err != nil {
		fmt.Fprintln(stderr, "chatd:", err)
		return 1
	}
	// Signals are caught before "listening" is logged: whoever waits for
	// that line may signal at once.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for _, a := range d.addrs() {
		log.Info("listening", "addr", a.String())
	}
	for _, u := range d.webURLs() {
		log.Info("web chat page: open it in a browser", "url", u)
	}
	for running := true; running; {
		select {
		case <-ctx.Done():
			running = false
		case <-hup:
			log.Info("SIGHUP: reloading config", "path", *configPath)
			d.Reload() // logs "config reloaded" or why nothing changed
		}
	}
	log.Info("shutting down")
	d.stop()
	return 0
}

// usage prints how to run chatd, its subcommand included.
func usage(flags *flag.FlagSet) {
	out := flags.Output()
	fmt.Fprint(out, `Usage:
  chatd [flags]      run the server
  chatd mkpasswd     read a password on stdin, print its bcrypt hash
                     (for password_hash in an [[oper]] table), e.g.
                     echo 'my secret' | chatd mkpasswd

Flags:
`)
	flags.PrintDefaults()
}

// loadConfig reads the config file. When the default path is absent and no
// -config was given, chatd runs on built-in defaults and says so.
func loadConfig(path string, explicit bool, log *slog.Logger) (*conf.Config, error) {
	cfg, err := conf.Load(path, conf.ReservedCommands(commands.Verbs()))
	if err == nil {
		log.Info("config loaded", "path", path)
		return cfg, nil
	}
	if !explicit && errors.Is(err, fs.ErrNotExist) {
		log.Info("no config file; using built-in defaults", "path", path)
		return conf.Default(), nil
	}
	return nil, err
}

func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// mkpasswd reads one password line from stdin and prints its bcrypt hash,
// for [[oper]] password_hash.
func mkpasswd(stdin io.Reader, stdout, stderr io.Writer) int {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(stderr, "chatd mkpasswd:", err)
		return 1
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		fmt.Fprintln(stderr, "chatd mkpasswd: empty password")
		return 2
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		fmt.Fprintln(stderr, "chatd mkpasswd:", err)
		return 1
	}
	fmt.Fprintln(stdout, string(hash))
	return 0
}

// startCPUProfile profiles the process into path; the returned function
// stops profiling and closes the file.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
