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
