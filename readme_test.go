package memrel_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README quotes runnable examples between <!-- example:Name --> and
// <!-- /example --> markers; this keeps each quote identical to func Name,
// and the seed, Example, first.
func TestREADMEQuotesExamples(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("example*_test.go")
	kit, _ := filepath.Glob("memreltest/example*_test.go")
	sql, _ := filepath.Glob("conformance/example*_test.go") // tests with drivers
	files = append(append(files, kit...), sql...)
	var src strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	quotes := regexp.MustCompile("(?s)<!-- example:(\\w+) -->\n```go\n(.*?)```\n<!-- /example -->").FindAllStringSubmatch(string(readme), -1)
	if len(quotes) < 2 {
		t.Fatalf("README.md quotes %d examples; it should quote the seed and at least one more", len(quotes))
	}
	if quotes[0][1] != "Example" {
		t.Errorf("README.md's first quoted example is %s, not the seed, Example", quotes[0][1])
	}
	for _, q := range quotes {
		name, quoted := q[1], q[2]
		s := src.String()
		start := strings.Index(s, "func "+name+"() {")
		if start < 0 {
			start = strings.Index(s, "func "+name+"(t *testing.T) {") // a test of the kit's, as a user writes one
		}
		if start < 0 {
			t.Errorf("README.md quotes %s, which no example file defines", name)
			continue
		}
		end := strings.Index(s[start:], "\n}\n")
		if body := s[start : start+end+3]; quoted != body {
			t.Errorf("README.md's %s differs from example_test.go; copy it again.\nREADME:\n%s\nsource:\n%s", name, quoted, body)
		}
	}
}

// Every test the README's guarantees table names exists.
func TestREADMEGuaranteesNameRealTests(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	r := string(readme)
	start := strings.Index(r, "## What memrel guarantees")
	end := strings.Index(r[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("README.md has no guarantees section")
	}
	section := r[start : start+1+end]
	files, _ := filepath.Glob("*_test.go")
	more, _ := filepath.Glob("conformance/*_test.go")
	cmdTests, _ := filepath.Glob("cmd/memrel/*_test.go")
	kitTests, _ := filepath.Glob("memreltest/*_test.go")
	more = append(append(more, cmdTests...), kitTests...)
	var src strings.Builder
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	names := regexp.MustCompile("`((?:Test|Fuzz)\\w+)`").FindAllStringSubmatch(section, -1)
	if len(names) < 20 {
		t.Fatalf("the guarantees name %d tests", len(names))
	}
	for _, n := range names {
		if !strings.Contains(src.String(), "func "+n[1]+"(") {
			t.Errorf("README.md's guarantees name %s, which does not exist", n[1])
		}
	}
}

// The README is a front door: it stays short, and what it links to exists.
func TestREADMEIsShort(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(readme), "\n"); n > 520 {
		t.Errorf("README.md has %d lines; keep it under 520 and move detail to DESIGN.md or bench/README.md", n)
	}
	for _, f := range []string{"README.md", "bench/README.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Links outside code: Go's generic calls (NullFrom[int64](1)) look like links.
		text := regexp.MustCompile("(?s)```.*?```").ReplaceAllString(string(b), "")
		for _, m := range regexp.MustCompile(`\]\(([^)#]+)(#[^)]*)?\)`).FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), target)); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, target)
			}
		}
	}
}

// scripts/bench.sh writes its tables between <!-- bench:NAME:start --> and
// <!-- bench:NAME:end -->: every suite's in bench/README.md, the summary in
// README.md. Each pair must be there once, in order, with a table inside.
func TestREADMEBenchMarkers(t *testing.T) {
	for f, tags := range map[string][]string{
		"README.md":       {"summary", "stores", "export"},
		"bench/README.md": {"reads", "foundation", "loading", "peers", "lookup", "levers", "scale"},
	} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, tag := range tags {
			start, end := "<!-- bench:"+tag+":start -->\n", "<!-- bench:"+tag+":end -->\n"
			if strings.Count(s, start) != 1 || strings.Count(s, end) != 1 {
				t.Errorf("%s: want one %q and one %q", f, strings.TrimSpace(start), strings.TrimSpace(end))
				continue
			}
			i, j := strings.Index(s, start), strings.Index(s, end)
			if j < i {
				t.Errorf("%s: bench:%s ends before it starts", f, tag)
				continue
			}
			if body := s[i+len(start) : j]; !strings.HasPrefix(body, "Measured ") || !strings.Contains(body, "|") && !strings.Contains(body, "```") {
				t.Errorf("%s: bench:%s holds no generated table; run REUSE=1 scripts/bench.sh", f, tag)
			}
		}
	}
}
