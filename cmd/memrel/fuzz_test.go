package main

import (
	"bytes"
	"testing"
)

// Any bytes given as a dataset: no panic; a dataset that is rejected
// (bad JSON, or rows that break a constraint) loads nothing; one that is
// accepted leaves a sound store, and the demo runs on it.
func FuzzDataset(f *testing.F) {
	f.Add(blogJSON)
	f.Add([]byte(`{"users":[{"id":1,"name":"a","email":"a"}],"posts":[{"id":1,"title":"t","user_id":1}]}`))
	f.Add([]byte(`{"posts":[{"id":1,"title":"t","user_id":5}]}`))
	f.Add([]byte(`{"users":[{"id":1,"email":"x"},{"id":2,"email":"x"}]}`))
	f.Add([]byte(`{"tags":[{"id":0,"name":""}],"post_tags":[{"post_id":1,"tag_id":1}]}`))
	// Regressions: the demo's missing user was user 99, and its post took
	// the next key of a sequence that a post at the largest int64 ends.
	f.Add([]byte(`{"users":[{"id":99,"name":"n","email":"n"}]}`))
	f.Add([]byte(`{"users":[{"id":9223372036854775807,"email":"a"},{"id":1,"email":"b"}]}`))
	f.Add([]byte(`{"users":[{"id":1}],"posts":[{"id":9223372036854775807,"user_id":1}]}`))
	f.Add([]byte(`{"users":[{"id":9223372036854775807}],"posts":[{"id":9223372036854775807,"user_id":9223372036854775807}],"tags":[{"id":9223372036854775807}],"post_tags":[{"post_id":9223372036854775807,"tag_id":9223372036854775807}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parseDataset("fuzz", data)
		if err != nil {
			return
		}
		b, err := openBlog()
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Load(d); err != nil {
			if n, _ := counts(b); n != [2]int{} {
				t.Fatalf("a rejected dataset left rows: %v", n)
			}
			return
		}
		if err := b.DB.Verify(); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := runDemo(data, "fuzz", &out); err != nil {
			t.Fatalf("demo on an accepted dataset: %v", err)
		}
	})
}
