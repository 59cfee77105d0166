package memrel_test

import (
	"errors"
	"fmt"

	"github.com/memrel/memrel"
)

// A multi-tenant schema: PRIMARY KEY (tenant_id, id) on projects and
// tasks, and FOREIGN KEY (tenant_id, project_id) REFERENCES projects
// (tenant_id, id) ON UPDATE CASCADE, so that a task can only name a
// project of its own tenant.
func ExampleCompositeForeignKey() {
	type Key struct{ TenantID, ID int64 }
	type Project struct {
		Key
		Name string
	}
	type Task struct {
		Key
		ProjectID memrel.Null[int64] // NULL: no project (MATCH SIMPLE)
		Title     string
	}
	s := memrel.NewSchema()
	projects := memrel.NewCompositeTable(s, "projects", func(p *Project) *Key { return &p.Key })
	tasks := memrel.NewCompositeTable(s, "tasks", func(t *Task) *Key { return &t.Key })
	project := memrel.CompositeForeignKey(tasks, "project", memrel.Columns(
		memrel.Col(func(t *Task) *int64 { return &t.TenantID }, func(k *Key) *int64 { return &k.TenantID }),
		memrel.NullCol(func(t *Task) *memrel.Null[int64] { return &t.ProjectID }, func(k *Key) *int64 { return &k.ID })),
		projects, memrel.OnUpdate(memrel.Cascade), memrel.OnDelete(memrel.Cascade))
	db, _ := memrel.Open(s)
	err := db.Update(func(tx *memrel.Tx) error {
		_, _ = projects.Insert(tx, Project{Key: Key{1, 1}, Name: "rocket"})
		_, _ = tasks.Insert(tx, Task{Key: Key{1, 10}, ProjectID: memrel.NullFrom[int64](1), Title: "fuel"})
		// Tenant 2 has no project 1.
		_, err := tasks.Insert(tx, Task{Key: Key{2, 10}, ProjectID: memrel.NullFrom[int64](1)})
		fmt.Println(err)
		return projects.UpdateKey(tx, Key{1, 1}, Project{Key: Key{1, 7}, Name: "rocket"})
	})
	_ = db.View(func(tx *memrel.Tx) error {
		for t := range project.Children(tx, Key{1, 7}) {
			fmt.Println(t.Title, "is in project", t.TenantID, t.ProjectID)
		}
		return err
	})
	// Output:
	// memrel: insert tasks (2, 10): foreign key violation: projects (2, 1) does not exist (tasks.project)
	// fuel is in project 1 7
}

// A foreign key that references a unique key, not the primary key: orders
// name their buyer by email (REFERENCES users (email) ON UPDATE CASCADE),
// and a changed email follows to the orders.
func ExampleForeignKey_uniqueKey() {
	type User struct {
		ID    int64
		Email string
	}
	type Order struct {
		ID    int64
		Buyer string
	}
	s := memrel.NewSchema()
	users := memrel.NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	email := memrel.NewUniqueIndex(users, "email", func(u *User) *string { return &u.Email })
	orders := memrel.NewTable(s, "orders", func(o *Order) *int64 { return &o.ID })
	buyer := memrel.ForeignKey(orders, "buyer", func(o *Order) *string { return &o.Buyer }, email, memrel.OnUpdate(memrel.Cascade))
	db, _ := memrel.Open(s)
	_ = db.Update(func(tx *memrel.Tx) error {
		_, _ = users.Insert(tx, User{Email: "ann@example.com"})
		_, _ = orders.Insert(tx, Order{Buyer: "ann@example.com"})
		_, err := orders.Insert(tx, Order{Buyer: "bob@example.com"})
		fmt.Println(err)
		return users.Update(tx, User{ID: 1, Email: "ann@example.org"})
	})
	_ = db.View(func(tx *memrel.Tx) error {
		o, _ := orders.Get(tx, 1)
		u, _ := buyer.Parent(tx, o)
		fmt.Println(o.Buyer, u.ID)
		return nil
	})
	// Output:
	// memrel: insert orders: foreign key violation: users email "bob@example.com" does not exist (orders.buyer)
	// ann@example.org 1
}

// A composite unique index with a nullable column: UNIQUE (room, slot),
// where a NULL slot (not yet scheduled) never collides with another, as
// in SQL.
func ExampleNewUniqueCompositeIndex() {
	type Slot struct {
		Room string
		Hour int
	}
	type Booking struct {
		ID   int64
		Room string
		Hour memrel.Null[int]
	}
	s := memrel.NewSchema()
	bookings := memrel.NewTable(s, "bookings", func(b *Booking) *int64 { return &b.ID })
	slots := memrel.NewUniqueCompositeIndex(bookings, "slot", memrel.Columns(
		memrel.Col(func(b *Booking) *string { return &b.Room }, func(s *Slot) *string { return &s.Room }),
		memrel.NullCol(func(b *Booking) *memrel.Null[int] { return &b.Hour }, func(s *Slot) *int { return &s.Hour })))
	db, _ := memrel.Open(s)
	_ = db.Update(func(tx *memrel.Tx) error {
		for _, b := range []Booking{{Room: "A"}, {Room: "A"}, {Room: "A", Hour: memrel.NullFrom(9)}, {Room: "A", Hour: memrel.NullFrom(9)}} {
			_, err := bookings.Insert(tx, b)
			fmt.Println(errors.Is(err, memrel.ErrUnique))
		}
		b, err := slots.First(tx, Slot{"A", 9})
		fmt.Println(b.ID, err)
		return nil
	})
	// Output:
	// false
	// false
	// false
	// true
	// 3 <nil>
}

// SQL's "0 = unknown" row: posts whose author is deleted fall back to user
// 0 (ON DELETE SET DEFAULT), which InsertWithKey stores under key 0, where
// Insert would take 0 for "assign the next key".
func ExampleTable_InsertWithKey() {
	type User struct {
		ID   int64
		Name string
	}
	type Post struct {
		ID     int64
		UserID int64
	}
	s := memrel.NewSchema()
	users := memrel.NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	posts := memrel.NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	memrel.ForeignKey(posts, "author", func(p *Post) *int64 { return &p.UserID }, users,
		memrel.OnDelete(memrel.SetDefault), memrel.Default(int64(0)))
	db, _ := memrel.Open(s)
	_ = db.Update(func(tx *memrel.Tx) error {
		unknown, _ := users.InsertWithKey(tx, User{ID: 0, Name: "unknown"})
		ann, _ := users.Insert(tx, User{Name: "ann"})
		post, _ := posts.Insert(tx, Post{UserID: ann.ID})
		fmt.Println(unknown.ID, ann.ID)
		if err := users.Delete(tx, ann.ID); err != nil {
			return err
		}
		post, _ = posts.Get(tx, post.ID)
		fmt.Println(post.UserID)
		return nil
	})
	// Output:
	// 0 1
	// 0
}

// DELETE FROM readings WHERE at BETWEEN ? AND ?, and the UPDATE of the
// same range, as set-based statements on an index range.
func ExampleIndex_DeleteRange() {
	type Reading struct {
		ID    int64
		At    int
		Value int
	}
	s := memrel.NewSchema()
	readings := memrel.NewTable(s, "readings", func(r *Reading) *int64 { return &r.ID })
	at := memrel.NewIndex(readings, "at", func(r *Reading) *int { return &r.At })
	db, _ := memrel.Open(s)
	_ = db.Update(func(tx *memrel.Tx) error {
		for i := range 10 {
			_, _ = readings.Insert(tx, Reading{At: i, Value: i * i})
		}
		n, err := at.DeleteRange(tx, 3, 5)
		fmt.Println(n, err)
		n, err = at.UpdateRange(tx, 8, 100, func(r Reading) Reading { r.Value = -1; return r })
		fmt.Println(n, err)
		for r := range at.All(tx) {
			fmt.Print(r.At, ":", r.Value, " ")
		}
		fmt.Println()
		return nil
	})
	// Output:
	// 3 <nil>
	// 2 <nil>
	// 0:0 1:1 2:4 6:36 7:49 8:-1 9:-1
}
