package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/memrel/memrel"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "conduit:", err)
		os.Exit(1)
	}
}

// run is the program: it serves until ctx ends or SIGINT or SIGTERM
// arrives, then lets the requests in flight finish and saves. ready, if
// not nil, receives the address served once the listener is open.
func run(ctx context.Context, args []string, stderr io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("conduit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to serve on")
	dataPath := fs.String("data", "", "file to keep the data in across restarts (loaded at start, written atomically)")
	empty := fs.Bool("empty", false, "start without the embedded seed (when -data names no file yet)")
	every := fs.Duration("save-every", 2*time.Second, "with -data, how often to save after writes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case *every <= 0:
		return fmt.Errorf("-save-every %v: want a positive duration", *every)
	}
	logger := log.New(stderr, "conduit: ", log.LstdFlags)
	c := newSchema()
	db, err := memrel.Open(c.s)
	if err != nil {
		return err
	}
	secret, err := startData(c, db, *dataPath, *empty)
	if err != nil {
		return err
	}
	a := newApp(c, db, secret)
	a.log = logger

	saved := int64(-1) // the writes saved: none yet, so the first save runs
	saveNow := func() error {
		n := a.writes.Load()
		if *dataPath == "" || n == saved {
			return nil
		}
		s, err := snapshotOf(c, db, secret)
		if err == nil {
			err = save(*dataPath, s)
		}
		if err == nil {
			saved = n
		}
		return err
	}
	// A first save, before serving: a -data that cannot be written fails
	// now, before any request is answered.
	if err := saveNow(); err != nil {
		return fmt.Errorf("-data: %w", err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: logger}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Printf("serving the RealWorld API on http://%s/api", ln.Addr())
	if ready != nil {
		ready <- ln.Addr().String()
	}

	tick := time.NewTicker(*every)
	defer tick.Stop()
	var serveErr error
serving:
	for {
		select {
		case serveErr = <-served:
			break serving
		case <-tick.C:
			if err := saveNow(); err != nil {
				logger.Printf("saving %s: %v (will retry)", *dataPath, err)
			}
		case <-ctx.Done():
			stop() // a second Ctrl-C ends the process at once
			logger.Print("shutting down: finishing the requests in flight")
			shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			serveErr = srv.Shutdown(shut)
			cancel()
			break serving
		}
	}
	// Shutdown gave up, or Serve failed: close what is left, then wait
	// for every handler to return, so that the save below holds every
	// write a client was told of.
	if serveErr != nil {
		srv.Close()
		if errors.Is(serveErr, http.ErrServerClosed) {
			serveErr = nil
		}
	}
	a.inflight.Wait()
	before := saved
	if err := saveNow(); err != nil {
		return errors.Join(serveErr, fmt.Errorf("saving %s: %w", *dataPath, err))
	}
	if saved != before {
		logger.Printf("saved %s", *dataPath)
	}
	return serveErr
}

// startData fills db: from the data file if it exists (a file that cannot
// be read or loaded is refused, and left as it is), else from the seed
// unless empty. It returns the key that signs tokens.
func startData(c *schema, db *memrel.DB, path string, empty bool) ([]byte, error) {
	if path != "" {
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			secret, err := load(c, db, data)
			if err != nil {
				return nil, fmt.Errorf("-data %s: %w (the file is left as it is)", path, err)
			}
			return secret, nil
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("-data: %w", err)
		}
	}
	if empty {
		return newSecret(), nil
	}
	if _, err := load(c, db, seedJSON); err != nil {
		return nil, fmt.Errorf("the embedded seed: %w", err)
	}
	return newSecret(), nil
}
