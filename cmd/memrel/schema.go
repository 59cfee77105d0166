package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"

	"github.com/memrel/memrel"
)

// schemaCmd prints the demo's schema as SQL DDL or as a Mermaid diagram.
func schemaCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("memrel schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "sql", "sql or mermaid")
	dialect := fs.String("dialect", "postgres", "for -format sql: postgres or sqlite")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: memrel schema [-format sql|mermaid] [-dialect postgres|sqlite]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "memrel schema: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	b, err := openBlog()
	if err != nil {
		fmt.Fprintf(stderr, "memrel schema: %v\n", err)
		return 1
	}
	out := bufio.NewWriter(stdout)
	switch *format {
	case "sql":
		d := map[string]memrel.Dialect{"postgres": memrel.PostgreSQL, "postgresql": memrel.PostgreSQL, "sqlite": memrel.SQLite}[*dialect]
		if d == 0 {
			fmt.Fprintf(stderr, "memrel schema: -dialect %q: want postgres or sqlite\n", *dialect)
			return 2
		}
		err = memrel.WriteSQL(out, b.DB.Schema(), d)
	case "mermaid":
		err = memrel.WriteMermaid(out, b.DB.Schema())
	default:
		fmt.Fprintf(stderr, "memrel schema: -format %q: want sql or mermaid\n", *format)
		return 2
	}
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		fmt.Fprintf(stderr, "memrel schema: %v\n", err)
		return 1
	}
	return 0
}
