package memrel_test

import (
	"os"
	"strings"
	"testing"
)

// The README quotes Example; this keeps the quote and the code the same.
func TestREADMEQuotesExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	start := strings.Index(s, "func Example() {")
	end := strings.Index(s[start:], "\n}\n")
	if start < 0 || end < 0 {
		t.Fatal("no func Example in example_test.go")
	}
	example := s[start : start+end+3]
	r := string(readme)
	a, b := strings.Index(r, "<!-- example:start -->\n```go\n"), strings.Index(r, "```\n<!-- example:end -->")
	if a < 0 || b < 0 {
		t.Fatal("README.md has no example markers")
	}
	quoted := r[a+len("<!-- example:start -->\n```go\n") : b]
	if quoted != example {
		t.Errorf("README.md's example differs from func Example in example_test.go; copy it again.\nREADME:\n%s\nexample_test.go:\n%s", quoted, example)
	}
}
