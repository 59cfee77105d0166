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
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parseDataset(data)
		if err != nil {
			return
		}
		b, err := openBlog()
		if err != nil {
			t.Fatal(err)
		}
		if err := b.load(d); err != nil {
			if n, _ := counts(b); n != [2]int{} {
				t.Fatalf("a rejected dataset left rows: %v", n)
			}
			return
		}
		if err := b.db.Verify(); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := runDemo(data, "fuzz", &out); err != nil {
			t.Fatalf("demo on an accepted dataset: %v", err)
		}
	})
}
