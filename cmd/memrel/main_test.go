package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func TestDemo(t *testing.T) {
	code, out, errOut := runCmd(t, "demo")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	golden(t, "demo.golden", out)
}

func TestDemoWithData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.json")
	data := `{"users":[{"id":5,"name":"Zoe","email":"z"}],"posts":[{"id":1,"title":"T","user_id":5}],"tags":[],"post_tags":[]}`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCmd(t, "demo", "-data", path)
	if code != 0 || !strings.Contains(out, `Zoe: "T"`) || !strings.Contains(out, "posts 1 -> 0") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte(`{"users":[{"id":1,"nme":"typo"}]}`), 0o644)
	dangling := filepath.Join(t.TempDir(), "dangling.json")
	_ = os.WriteFile(dangling, []byte(`{"posts":[{"id":1,"title":"T","user_id":5}]}`), 0o644)
	cases := []struct {
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{nil, 2, "", "usage: memrel"},
		{[]string{"-h"}, 0, "", "usage: memrel"},
		{[]string{"help"}, 0, "usage: memrel", ""},
		{[]string{"-nope"}, 2, "", "flag provided but not defined"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"demo", "-h"}, 0, "", "usage: memrel demo"},
		{[]string{"demo", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"demo", "-data", "/does/not/exist.json"}, 1, "", "no such file"},
		{[]string{"demo", "-data", bad}, 1, "", `unknown field "nme"`},
		{[]string{"demo", "-data", dangling}, 1, "", "foreign key violation: users 5 does not exist"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errOut := runCmd(t, c.args...)
			if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errOut, c.stderr) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, c.code, out, errOut)
			}
		})
	}
}

// Regression (found by FuzzDataset): a dataset user with ID 0 is assigned
// ID 1 on insert; the demo's cascade must delete the stored user, not 0.
func TestDemoWithZeroUserID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zero.json")
	if err := os.WriteFile(path, []byte(`{"users":[{}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "demo", "-data", path); code != 0 || !strings.Contains(out, "posts 0 -> 0") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestBench(t *testing.T) {
	code, out, errOut := runCmd(t, "bench", "-users", "5", "-posts", "2", "-tags", "3", "-per", "2", "-time", "1ms", "-json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var results []benchResult
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	wantItems := map[string]int{"lazy user -> posts (N+1)": 10, "eager users with posts": 10, "eager users with posts, first load": 10,
		"many-to-many post -> tags, lazy (N+1)": 20, "many-to-many post -> tags, eager": 20, "many-to-many post -> tags, eager, first load": 20,
		"cascade delete user (own transaction)": 5}
	if len(results) != 11 {
		t.Fatalf("%d results", len(results))
	}
	for _, r := range results {
		if r.NsPerItem <= 0 || r.Items <= 0 {
			t.Errorf("%+v", r)
		}
		if n, ok := wantItems[r.Op]; ok && r.Items != n {
			t.Errorf("%s: %d items, want %d", r.Op, r.Items, n)
		}
	}
	if !strings.Contains(errOut, "memrel bench: 11/11") {
		t.Errorf("no progress on stderr: %q", errOut)
	}
	code, out, _ = runCmd(t, "bench", "-users", "2", "-posts", "1", "-tags", "1", "-per", "1", "-time", "1ms")
	if code != 0 || !strings.Contains(out, "rejected FK violation") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"bench", "-users", "0"}, {"bench", "-per", "9", "-tags", "3"}, {"bench", "x"}, {"bench", "-nope"}} {
		if code, _, _ := runCmd(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// writeData writes a dataset file in a fresh directory and returns its path.
func writeData(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Regression: the demo's post by a missing user named user 99, so a
// dataset with a user 99 failed; a post keyed at the largest int64 left
// the post sequence nothing to assign.
func TestDemoMissingUserFromData(t *testing.T) {
	cases := []struct {
		name, data string
		want       string // substring of stdout
	}{
		{"no users", `{}`, "insert posts 1: foreign key violation: users 1 does not exist"},
		{"user 99", `{"users":[{"id":99,"name":"N","email":"n"}]}`, "users 100 does not exist"},
		{"user 99 among others", `{"users":[{"id":1,"email":"a"},{"id":99,"email":"b"},{"id":3,"email":"c"}]}`, "users 100 does not exist"},
		{"user at max int64", `{"users":[{"id":9223372036854775807,"name":"N","email":"n"}]}`, "users 1 does not exist"},
		{"users 1, 2 and max int64", `{"users":[{"id":1,"email":"a"},{"id":9223372036854775807,"email":"b"},{"id":2,"email":"c"}]}`, "users 3 does not exist"},
		{"negative user", `{"users":[{"id":-5,"name":"N","email":"n"}]}`, "users 1 does not exist"},
		{"post at max int64", `{"users":[{"id":1,"email":"a"}],"posts":[{"id":9223372036854775807,"title":"t","user_id":1}]}`, "insert posts 1: foreign key violation: users 2 does not exist"},
		{"posts 1 and max int64", `{"users":[{"id":1,"email":"a"}],"posts":[{"id":1,"user_id":1},{"id":9223372036854775807,"user_id":1}]}`, "insert posts 2: foreign key violation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, "demo", "-data", writeData(t, c.data))
			if code != 0 || errOut != "" || !strings.Contains(out, c.want) || !strings.Contains(out, "Verify:") {
				t.Errorf("exit %d, want 0 and %q\nstdout: %s\nstderr: %s", code, c.want, out, errOut)
			}
		})
	}
}

// Regression: -data decoded the first JSON value and ignored the rest, and
// its errors named neither the file nor the place.
func TestDemoDataErrors(t *testing.T) {
	cases := []struct {
		name, data string
		code       int
		want       string // substring of stderr, after the file's name
	}{
		{"trailing garbage", `{"users":[]} x`, 1, ":1:14: data after the dataset's JSON object"},
		{"two objects", "{}\n{}", 1, ":2:1: data after the dataset's JSON object"},
		{"an array after", "{} []", 1, ":1:4: data after"},
		{"syntax error", "{\n  \"users\": [x]\n}", 1, ":2:13: invalid character 'x' looking for beginning of value"},
		{"wrong type", `{"users":[{"id":"a"}]}`, 1, ":1:19: json: cannot unmarshal string"},
		{"id out of range", "{\"users\":[\n{\"id\":99999999999999999999}]}", 1, ":2:26: json: cannot unmarshal number 99999999999999999999"},
		{"not an object", `[]`, 1, ":1:1: json: cannot unmarshal array"},
		{"null", "\n null", 1, ":2:2: the dataset is not a JSON object"},
		{"empty", "", 1, ": no JSON value"},
		{"white space only", " \n\t", 1, ": no JSON value"},
		{"truncated", `{"users":[`, 1, ":1:11: unexpected end of JSON input"},
		{"unknown field", `{"users":[],"nope":1}`, 1, `: json: unknown field "nope"`},
		{"trailing white space", "{}\r\n\t \n", 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeData(t, c.data)
			code, out, errOut := runCmd(t, "demo", "-data", path)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, out, errOut)
			}
			if c.code == 0 {
				if errOut != "" || !strings.Contains(out, "Verify:") {
					t.Errorf("stdout: %s\nstderr: %s", out, errOut)
				}
				return
			}
			if want := "memrel demo: " + path + c.want; !strings.HasPrefix(errOut, want) || out != "" {
				t.Errorf("stderr %q, want it to begin %q; stdout %q", errOut, want, out)
			}
		})
	}
}

func TestSchema(t *testing.T) {
	for _, c := range []struct {
		args   []string
		golden string
	}{
		{[]string{"schema"}, "schema.postgres.golden"},
		{[]string{"schema", "-dialect", "sqlite"}, "schema.sqlite.golden"},
		{[]string{"schema", "-format", "mermaid"}, "schema.mermaid.golden"},
	} {
		code, out, errOut := runCmd(t, c.args...)
		if code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", c.args, code, errOut)
		}
		golden(t, c.golden, out)
	}
	for _, args := range [][]string{{"schema", "-format", "xml"}, {"schema", "-dialect", "oracle"}, {"schema", "extra"}} {
		if code, _, errOut := runCmd(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", args, code, errOut)
		}
	}
}

func TestExport(t *testing.T) {
	for _, c := range []struct {
		args   []string
		golden string
	}{
		{[]string{"export"}, "export.postgres.golden"},
		{[]string{"export", "-dialect", "sqlite"}, "export.sqlite.golden"},
	} {
		code, out, errOut := runCmd(t, c.args...)
		if code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", c.args, code, errOut)
		}
		golden(t, c.golden, out)
	}
	// -schema: the DDL, then the rows; -users: a generated blog.
	code, out, errOut := runCmd(t, "export", "-schema", "-users", "3", "-posts", "2", "-tags", "2", "-per", "1")
	_, ddl, _ := runCmd(t, "schema")
	if code != 0 || errOut != "" || !strings.HasPrefix(out, ddl+"BEGIN;\n") {
		t.Errorf("export -schema: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
	if rows := strings.Count(out, "\n("); rows != 3+6+2+6 {
		t.Errorf("export -users 3 -posts 2 -tags 2 -per 1: %d rows, want 17:\n%s", rows, out)
	}
	for _, args := range [][]string{{"export", "-dialect", "oracle"}, {"export", "-users", "2", "-data", "x.json"}, {"export", "-users", "-1"}, {"export", "-users", "2", "-per", "9", "-tags", "2"}, {"export", "extra"}} {
		if code, _, errOut := runCmd(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", args, code, errOut)
		}
	}
	if code, _, errOut := runCmd(t, "export", "-data", filepath.Join(t.TempDir(), "missing.json")); code != 1 || !strings.Contains(errOut, "missing.json") {
		t.Errorf("export -data missing.json: exit %d, stderr %q", code, errOut)
	}
	path := writeData(t, `{"users": [{"id": 1, "name": "Ann", "email": "a@x"}], "posts": [{"id": 1, "title": "x", "user_id": 2}]}`)
	if code, _, errOut := runCmd(t, "export", "-data", path); code != 1 || !strings.Contains(errOut, "foreign key") {
		t.Errorf("export of a post without its user: exit %d, stderr %q", code, errOut)
	}
}
