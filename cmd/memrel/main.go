// Command memrel shows memrel at work.
//
// Usage:
//
//	memrel demo [-data file.json]
//	memrel bench [-users N] [-posts N] [-tags N] [-per N] [-time D] [-json | -gobench]
//	memrel schema [-format sql|mermaid] [-dialect postgres|sqlite]
//	memrel export [-dialect postgres|sqlite] [-schema] [-data file.json | -users N ...]
//
// demo loads a small blog (users, posts, tags), navigates its relations both
// ways, shows an integrity violation being rejected and a cascade, and
// checks the store. -data loads a dataset of the embedded one's form
// instead: exactly one JSON object, whose errors are reported as
// file:line:col where the decoder gives a place.
//
// bench measures the same kind of workload at a chosen size. It runs each
// operation repeatedly until -time has elapsed and prints the time and
// allocations per item the operation handles (per post, per pair, ...); an
// operation that handles no items, as with -posts 0, has no per-item
// figures. -json prints the results as JSON; -gobench prints them as Go
// benchmark lines (ns/op, ns per item, B/op, allocs/op), for benchstat.
//
// schema prints the demo's schema as PostgreSQL or SQLite DDL
// (memrel.WriteSQL) or as a Mermaid ER diagram (memrel.WriteMermaid), and
// export its rows as a SQL script that loads them (memrel.WriteRows): the
// embedded blog's, a dataset's (-data), or a generated blog's (-users).
//
// Results go to stdout, progress and errors to stderr. The exit code is 2
// for a usage error and 1 for a failure.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage: memrel <command> [flags]

commands:
  demo    load the blog dataset, navigate its relations, show integrity at work
  bench   measure a blog workload of a chosen size (ns and allocations per item)
  schema  print the blog's schema as PostgreSQL or SQLite DDL, or as a Mermaid diagram
  export  print the blog's rows as a SQL script for PostgreSQL or SQLite

Run 'memrel <command> -h' for a command's flags.
`

// run is the whole program, testable in-process: data goes to stdout,
// diagnostics to stderr; it returns the exit code (2 for usage errors).
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("memrel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	switch cmd, rest := fs.Arg(0), fs.Args()[1:]; cmd {
	case "demo":
		return demo(rest, stdout, stderr)
	case "bench":
		return runBench(rest, stdout, stderr)
	case "schema":
		return schemaCmd(rest, stdout, stderr)
	case "export":
		return exportCmd(rest, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "memrel: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// errWriter passes writes on to w until one fails, then drops them and
// keeps the first error, for output written in many small pieces.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
