package memrel_test

import (
	"fmt"
	"time"

	"github.com/memrel/memrel"
)

// A feed, as a social application reads it: users follow users (one
// association, its two directions named), posts are ordered by time, and a
// page of the newest posts of the people a user follows is merged from
// their ordered posts, each with its author, then the next page resumes
// after the last post shown.
func ExampleNewThrough() {
	type Member struct {
		ID   int64
		Name string
	}
	type Follow struct {
		Follower, Followee int64
		Since              time.Time
	}
	type Message struct {
		ID       int64
		MemberID int64
		At       time.Time
		Text     string
	}
	s := memrel.NewSchema()
	members := memrel.NewTable(s, "members", func(m *Member) *int64 { return &m.ID })
	follows := memrel.NewPairTable(s, "follows",
		func(f *Follow) *int64 { return &f.Follower }, func(f *Follow) *int64 { return &f.Followee })
	messages := memrel.NewTable(s, "messages", func(m *Message) *int64 { return &m.ID })
	cascade := memrel.OnDelete(memrel.Cascade)
	follower := memrel.ForeignKey(follows, "follower", func(f *Follow) *int64 { return &f.Follower }, members, cascade)
	followee := memrel.ForeignKey(follows, "followee", func(f *Follow) *int64 { return &f.Followee }, members, cascade)
	following := memrel.NewThrough(follower, "following", followee) // members.following
	followers := memrel.NewThrough(followee, "followers", follower) // members.followers
	author := memrel.ForeignKey(messages, "author", func(m *Message) *int64 { return &m.MemberID }, members, cascade)
	byTime := memrel.OrderChildren(author, "by_time", func(m *Message) *time.Time { return &m.At })
	db, err := memrel.Open(s)
	if err != nil {
		panic(err)
	}

	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	err = db.Update(func(tx *memrel.Tx) error {
		for _, name := range []string{"ann", "bob", "cy"} {
			if _, err := members.Insert(tx, Member{Name: name}); err != nil {
				return err
			}
		}
		// ann follows bob and cy, with the time she did.
		for _, f := range []Follow{{1, 2, t0}, {1, 3, t0.Add(time.Hour)}} {
			if _, err := following.LinkRow(tx, f); err != nil {
				return err
			}
		}
		for i, m := range []Message{{MemberID: 2, Text: "hello"}, {MemberID: 3, Text: "hi"}, {MemberID: 1, Text: "mine"},
			{MemberID: 2, Text: "lunch"}, {MemberID: 3, Text: "tea"}} {
			m.At = t0.Add(time.Duration(i) * time.Minute)
			if _, err := messages.Insert(tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		panic(err)
	}

	_ = db.View(func(tx *memrel.Tx) error {
		var followed []int64
		for m := range following.List(tx, 1) {
			followed = append(followed, m.ID)
		}
		n, _ := followers.Count(tx, 2)
		fmt.Println("ann follows", followed, "and bob has", n, "follower")
		by := memrel.One(author)
		page := memrel.Page[Message]{Backward: true, Limit: 2}
		for {
			feed, err := byTime.Merge(tx, followed, page)
			if err != nil || len(feed) == 0 {
				return err
			}
			res, err := memrel.Eager(tx, feed, by)
			if err != nil {
				return err
			}
			for _, m := range feed {
				a, _ := by.Of(res, m)
				fmt.Println(m.At.Format("15:04"), a.Name+":", m.Text)
			}
			page.After = &feed[len(feed)-1] // the cursor of the next page
		}
	})
	// Output:
	// ann follows [2 3] and bob has 1 follower
	// 09:04 cy: tea
	// 09:03 bob: lunch
	// 09:01 cy: hi
	// 09:00 bob: hello
}
