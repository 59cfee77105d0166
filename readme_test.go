package memrel_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README quotes runnable examples between <!-- example:Name --> and
// <!-- /example --> markers; this keeps each quote identical to func Name.
func TestREADMEQuotesExamples(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("example*_test.go")
	var src strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	quotes := regexp.MustCompile("(?s)<!-- example:(\\w+) -->\n```go\n(.*?)```\n<!-- /example -->").FindAllStringSubmatch(string(readme), -1)
	if len(quotes) < 5 {
		t.Fatalf("README.md quotes %d examples", len(quotes))
	}
	for _, q := range quotes {
		name, quoted := q[1], q[2]
		s := src.String()
		start := strings.Index(s, "func "+name+"() {")
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
	more = append(more, cmdTests...)
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
