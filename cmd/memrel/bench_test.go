package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"go/build"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// tinyBench is a workload small enough to measure in milliseconds.
var tinyBench = []string{"bench", "-users", "5", "-posts", "2", "-tags", "3", "-per", "2", "-time", "1ms"}

func benchArgs(more ...string) []string { return append(slices.Clip(tinyBench), more...) }

// Regression: with no posts, or no tags per post, the per-item figures
// divided by zero: the table printed +Inf and -json failed silently.
func TestBenchNoItems(t *testing.T) {
	empty := map[string]string{"post": "-posts", "pair": "-per"}
	for _, flagName := range []string{"-posts", "-per"} {
		for _, format := range []string{"", "-json", "-gobench"} {
			args := benchArgs(flagName, "0")
			if format != "" {
				args = append(args, format)
			}
			t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
				code, out, errOut := runCmd(t, args...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				if strings.Contains(out, "Inf") || strings.Contains(out, "NaN") {
					t.Errorf("infinite or undefined figures:\n%s", out)
				}
				switch format {
				case "-json":
					var results []benchResult
					if err := json.Unmarshal([]byte(out), &results); err != nil {
						t.Fatalf("not JSON: %v\n%s", err, out)
					}
					for _, r := range results {
						none := flagName == "-posts" && (r.Unit == "post" || r.Unit == "pair") || empty[r.Unit] == flagName
						if none != (r.Items == 0) || r.Runs < 1 || r.NsPerRun <= 0 {
							t.Errorf("%+v", r)
						}
						if none && (r.NsPerItem != 0 || r.AllocsPerItem != 0 || r.BytesPerItem != 0) {
							t.Errorf("per-item figures with no items: %+v", r)
						}
					}
				case "-gobench":
					if strings.Contains(out, "ns/pair") || flagName == "-posts" && strings.Contains(out, "ns/post") {
						t.Errorf("per-item metrics with no items:\n%s", out)
					}
				default:
					rows := 0
					for line := range strings.Lines(out) {
						if f := strings.Fields(line); len(f) > 4 && empty[f[len(f)-4]] != "" {
							rows++
							if none := flagName == "-posts" || f[len(f)-4] == "pair"; none != slices.Equal(f[len(f)-3:], []string{"-", "-", "-"}) {
								t.Errorf("want - for no items and only then: %q", line)
							}
						}
					}
					if rows != 7 {
						t.Errorf("%d post and pair rows, want 7:\n%s", rows, out)
					}
				}
			})
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// Every failure says why on stderr: usage errors exit 2, runtime ones 1.
func TestErrorsHaveMessages(t *testing.T) {
	cases := []struct {
		args   []string
		fail   bool // stdout fails
		code   int
		stderr string // substring
	}{
		{benchArgs("-json"), true, 1, "memrel bench: writing the results: disk full"},
		{benchArgs("-gobench"), true, 1, "memrel bench: writing the results: disk full"},
		{benchArgs(), true, 1, "memrel bench: writing the results: disk full"},
		{[]string{"demo"}, true, 1, "memrel demo: writing the output: disk full"},
		{benchArgs("-json", "-gobench"), false, 2, "-json and -gobench cannot be combined"},
		{[]string{"bench", "-users", "0"}, false, 2, "-users and -tags must be at least 1"},
		{[]string{"bench", "-time", "0s"}, false, 2, "-time positive"},
		{[]string{"bench", "-per", "9", "-tags", "3"}, false, 2, "-per at most -tags"},
		{[]string{"bench", "x"}, false, 2, `unexpected argument "x"`},
		{[]string{"bench", "-nope"}, false, 2, "flag provided but not defined: -nope"},
		{[]string{"bench", "-users", "many"}, false, 2, `invalid value "many" for flag -users`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			var w io.Writer = &stdout
			if c.fail {
				w = failingWriter{}
			}
			if code := run(c.args, w, &stderr); code != c.code || !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("exit %d (want %d), stderr:\n%s", code, c.code, stderr.String())
			}
		})
	}
}

// -gobench prints what benchstat reads: configuration lines and one
// result line per operation in go test -bench's format.
func TestBenchGoFormat(t *testing.T) {
	code, out, errOut := runCmd(t, benchArgs("-gobench")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	config := map[string]string{}
	var names []string
	for line := range strings.Lines(out) {
		line = strings.TrimSuffix(line, "\n")
		if !strings.HasPrefix(line, "Benchmark") {
			k, v, ok := strings.Cut(line, ": ")
			if !ok || k == "" || strings.ContainsFunc(k, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsUpper(r) }) {
				t.Errorf("neither a configuration nor a result line: %q", line)
			}
			config[k] = v
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 {
			t.Errorf("%d fields: %q", len(f), line)
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if name == "" || !unicode.IsUpper(rune(name[0])) {
			t.Errorf("bad name: %q", line)
		}
		names = append(names, f[0])
		if n, err := strconv.Atoi(f[1]); err != nil || n < 1 {
			t.Errorf("bad iterations: %q", line)
		}
		units := map[string]float64{}
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				t.Errorf("bad value %q: %q", f[i], line)
			}
			units[f[i+1]] = v
		}
		for _, u := range []string{"ns/op", "B/op", "allocs/op"} {
			if _, ok := units[u]; !ok {
				t.Errorf("no %s: %q", u, line)
			}
		}
		if len(units) != 4 || units["ns/op"] <= 0 {
			t.Errorf("want ns/op > 0 and one per-item metric: %q", line)
		}
	}
	if len(names) != 11 || len(slices.Compact(slices.Sorted(slices.Values(names)))) != 11 {
		t.Errorf("want 11 distinct benchmarks, got %q", names)
	}
	for k, v := range map[string]string{"users": "5", "posts": "2", "tags": "3", "per": "2", "pkg": benchPkg} {
		if config[k] != v {
			t.Errorf("configuration %s: %q, want %q", k, config[k], v)
		}
	}
	if !strings.Contains(out, "ns/post") || !strings.Contains(out, "ns/pair") || !strings.Contains(out, "ns/row") {
		t.Errorf("no per-item metrics:\n%s", out)
	}
}

// Regression: bench measured with the testing package, setting its
// global test.benchtime flag and linking testing into the command.
func TestBenchWithoutTesting(t *testing.T) {
	benchtime := flag.Lookup("test.benchtime")
	if benchtime == nil {
		t.Fatal("no test.benchtime flag in a test binary")
	}
	before := benchtime.Value.String()
	if code, _, errOut := runCmd(t, benchArgs("-time", "3ms")...); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if after := benchtime.Value.String(); after != before {
		t.Errorf("bench changed test.benchtime from %s to %s", before, after)
	}
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(pkg.Imports, "testing") {
		t.Errorf("the command imports testing: %q", pkg.Imports)
	}
	for _, args := range [][]string{{"-h"}, {"bench", "-h"}, {"demo", "-h"}} {
		if code, out, errOut := runCmd(t, args...); code != 0 || strings.Contains(out+errOut, "test.") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	if _, _, errOut := runCmd(t, "bench", "-h"); !strings.Contains(errOut, "-gobench") || !strings.Contains(errOut, "handles no items") {
		t.Errorf("bench -h does not document -gobench and empty operations:\n%s", errOut)
	}
}
