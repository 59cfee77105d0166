package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/memrel/memrel"
)

const exportUsage = `usage: memrel export [-dialect postgres|sqlite] [-schema] [-data file.json | -users N -posts N -tags N -per N]

export prints the blog's rows as a SQL script that loads them into the
tables 'memrel schema' creates (memrel.WriteRows): one transaction, its
foreign key checks deferred to COMMIT, parents first. By default the rows
are the embedded blog's; -data reads a dataset of its form, and -users
makes one of a chosen size, as 'memrel bench' does. -schema prints the
DDL first, so that the output builds a database by itself:

  memrel export -schema -users 10000 -posts 30 | psql -q

flags:
`

// exportCmd prints the blog's data as SQL.
func exportCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("memrel export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dialect := fs.String("dialect", "postgres", "postgres or sqlite")
	withSchema := fs.Bool("schema", false, "print the schema's DDL before the rows")
	dataPath := fs.String("data", "", "a blog dataset in the embedded one's JSON form")
	users := fs.Int("users", 0, "generate a blog of this many users instead (with -posts, -tags, -per)")
	posts := fs.Int("posts", 10, "with -users: posts per user")
	tags := fs.Int("tags", 100, "with -users: tags")
	per := fs.Int("per", 3, "with -users: tags per post")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), exportUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	d := map[string]memrel.Dialect{"postgres": memrel.PostgreSQL, "postgresql": memrel.PostgreSQL, "sqlite": memrel.SQLite}[*dialect]
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "memrel export: unexpected argument %q\n", fs.Arg(0))
		return 2
	case d == 0:
		fmt.Fprintf(stderr, "memrel export: -dialect %q: want postgres or sqlite\n", *dialect)
		return 2
	case *users != 0 && *dataPath != "":
		fmt.Fprintln(stderr, "memrel export: -data and -users cannot be combined")
		return 2
	case *users < 0 || *users > 0 && (*posts < 0 || *tags < 1 || *per < 0 || *per > *tags):
		fmt.Fprintln(stderr, "memrel export: -users and -tags must be at least 1, -posts and -per at least 0, -per at most -tags")
		return 2
	}
	if err := export(stdout, d, *withSchema, *dataPath, workload{users: *users, posts: *posts, tags: *tags, per: *per}); err != nil {
		fmt.Fprintf(stderr, "memrel export: %v\n", err)
		return 1
	}
	return 0
}

func export(stdout io.Writer, d memrel.Dialect, withSchema bool, dataPath string, w workload) error {
	b, err := openBlog()
	if err != nil {
		return err
	}
	var ds *dataset
	switch {
	case w.users > 0:
		ds = w.dataset()
	default:
		data, source := blogJSON, "the embedded blog dataset"
		if dataPath != "" {
			if data, err = os.ReadFile(dataPath); err != nil {
				return err
			}
			source = dataPath
		}
		if ds, err = parseDataset(source, data); err != nil {
			return err
		}
	}
	if err := b.Load(ds); err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	if withSchema {
		if err := memrel.WriteSQL(out, b.DB.Schema(), d); err != nil {
			return err
		}
	}
	err = b.DB.View(func(tx *memrel.Tx) error { return memrel.WriteRows(out, tx, d) })
	if err != nil {
		return err
	}
	return out.Flush()
}
