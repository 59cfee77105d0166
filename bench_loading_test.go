package memrel_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	memdb "github.com/hashicorp/go-memdb"
	"github.com/memrel/memrel"
)

// The loading benchmarks: each strategy per post (or per post-tag pair)
// visited, on 1,000 users x 10 posts with 100 tags and 3 tags per post, and
// on 100,000 users x 10 posts for scale; beside them, raw go-memdb and
// hand-written Go maps (the floor), in the same run:
//
//	go test -run '^$' -bench Loading -count 6 | tee loading.txt
//	benchstat -col /engine loading.txt
//
// Every case checks its result (count and checksum) once before timing.

// mapsBlog is the floor: the same data in plain maps, with the children of
// each parent kept in slices in key order.
type mapsBlog struct {
	users       []memrel.User
	posts       map[int64]memrel.Post
	postsByUser map[int64][]int64
	tags        map[int64]memrel.Tag
	tagsByPost  map[int64][]int64
}

func newMapsBlog(tb testing.TB, b *memrel.Blog) *mapsBlog {
	m := &mapsBlog{posts: map[int64]memrel.Post{}, postsByUser: map[int64][]int64{}, tags: map[int64]memrel.Tag{}, tagsByPost: map[int64][]int64{}}
	err := b.DB.View(func(tx *memrel.Tx) error {
		for u := range b.Users.All(tx) {
			m.users = append(m.users, u)
		}
		for p := range b.Posts.All(tx) {
			m.posts[p.ID] = p
			m.postsByUser[p.UserID] = append(m.postsByUser[p.UserID], p.ID)
		}
		for t := range b.Tags.All(tx) {
			m.tags[t.ID] = t
		}
		for _, pt := range b.Links(tx) {
			m.tagsByPost[pt.PostID] = append(m.tagsByPost[pt.PostID], pt.TagID)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// rawLoadBlog mirrors the posts in raw go-memdb, indexed by author.
func newRawLoadBlog(tb testing.TB, b *memrel.Blog) *memdb.MemDB {
	schema := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		"users": {Name: "users", Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: intIndex[memrel.User]{func(u *memrel.User) int64 { return u.ID }}},
		}},
		"posts": {Name: "posts", Indexes: map[string]*memdb.IndexSchema{
			"id":   {Name: "id", Unique: true, Indexer: intIndex[memrel.Post]{func(p *memrel.Post) int64 { return p.ID }}},
			"user": {Name: "user", Indexer: intIndex[memrel.Post]{func(p *memrel.Post) int64 { return p.UserID }}},
		}},
	}}
	db, err := memdb.NewMemDB(schema)
	if err != nil {
		tb.Fatal(err)
	}
	txn := db.Txn(true)
	_ = b.DB.View(func(tx *memrel.Tx) error {
		for u := range b.Users.All(tx) {
			if err := txn.Insert("users", &u); err != nil {
				tb.Fatal(err)
			}
		}
		for p := range b.Posts.All(tx) {
			if err := txn.Insert("posts", &p); err != nil {
				tb.Fatal(err)
			}
		}
		return nil
	})
	txn.Commit()
	return db
}

// loadCase is one measured way of visiting items; it returns how many it
// visited and a checksum of what it saw.
type loadCase struct {
	name  string // "op=.../engine=..."
	unit  string
	visit func(b *testing.B) (count, sum int64)
}

// afterWrite makes c commit write to db, untimed, before each visit
// (strategy "X-after-write"): every eager load is then the first of its
// snapshot, and rebuilds the join index the write made stale.
func afterWrite(c loadCase, db *memrel.DB, write func(tx *memrel.Tx) error) loadCase {
	c.name = strings.Replace(c.name, "/engine=", "-after-write/engine=", 1)
	visit := c.visit
	c.visit = func(b *testing.B) (int64, int64) {
		b.StopTimer()
		if err := db.Update(write); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		return visit(b)
	}
	return c
}

// touchPost rewrites post 1 unchanged: its table's indexes get new roots.
func touchPost(bl *memrel.Blog) func(tx *memrel.Tx) error {
	return func(tx *memrel.Tx) error {
		p, err := bl.Posts.Get(tx, 1)
		if err != nil {
			return err
		}
		return bl.Posts.Update(tx, p)
	}
}

// relink unlinks post 1 from its first tag and links them again.
func relink(bl *memrel.Blog) func(tx *memrel.Tx) error {
	return func(tx *memrel.Tx) error {
		for t := range bl.Tagging.Rights(tx, 1) {
			if _, err := bl.Tagging.Unlink(tx, 1, t.ID); err != nil {
				return err
			}
			_, err := bl.Tagging.Link(tx, 1, t.ID)
			return err
		}
		return nil
	}
}

// cold makes c run on db without join indexes (strategy "X-cold"): every
// eager load walks the relation's index again, as the first load of a
// snapshot does.
func cold(c loadCase, db **memrel.DB) loadCase {
	c.name = strings.Replace(c.name, "/engine=", "-cold/engine=", 1)
	visit := c.visit
	var fork, of *memrel.DB // a fork that keeps none, made once per store
	c.visit = func(b *testing.B) (int64, int64) {
		kept := *db
		if of != kept {
			fork, of = kept.Fork(memrel.KeepJoinIndexes(false)), kept
		}
		*db = fork
		defer func() { *db = kept }()
		return visit(b)
	}
	return c
}

func BenchmarkLoading(b *testing.B) {
	for _, size := range []struct{ users, tags, tagsPer int }{{1000, 100, 3}, {100_000, 100, 0}} {
		bl := memrel.NewBlog(b, memrel.DefaultRules()).Fill(b, size.users, 10, size.tags, size.tagsPer)
		m := newMapsBlog(b, bl)
		raw := newRawLoadBlog(b, bl)
		posts := int64(size.users * 10)

		// Expected results, from the maps.
		var postSum, pairSum, pairs int64
		for _, u := range m.users {
			for _, p := range m.postsByUser[u.ID] {
				postSum += p * u.ID
			}
		}
		for p, ts := range m.tagsByPost {
			for _, t := range ts {
				pairSum += p * t
				pairs++
			}
		}

		view := func(b *testing.B, fn func(tx *memrel.Tx) (int64, int64)) (count, sum int64) {
			err := bl.DB.View(func(tx *memrel.Tx) error { count, sum = fn(tx); return nil })
			if err != nil {
				b.Fatal(err)
			}
			return
		}
		sumPosts := func(users []memrel.User, postsOf func(memrel.User) []memrel.Post) (count, sum int64) {
			for _, u := range users {
				for _, p := range postsOf(u) {
					count++
					sum += p.ID * u.ID
				}
			}
			return
		}
		// A batch seeks once per user, or, with a join index that a merge
		// join has built, searches it.
		batch := loadCase{"op=children/strategy=batch/engine=memrel", "post", func(b *testing.B) (int64, int64) {
			return view(b, func(tx *memrel.Tx) (int64, int64) {
				posts := memrel.Many(bl.Author)
				res, err := memrel.Eager(tx, m.users, posts)
				if err != nil {
					b.Fatal(err)
				}
				return sumPosts(m.users, memrel.BindOf(res, posts.Of))
			})
		}}
		merge := loadCase{"op=children/strategy=merge/engine=memrel", "post", func(b *testing.B) (int64, int64) {
			return view(b, func(tx *memrel.Tx) (int64, int64) {
				posts := memrel.Many(bl.Author)
				users, res, err := memrel.EagerAll(tx, bl.Users, posts)
				if err != nil {
					b.Fatal(err)
				}
				return sumPosts(users, memrel.BindOf(res, posts.Of))
			})
		}}
		// A stream yields each user with its run's Result: no slice of
		// all users, no copy of the whole result.
		stream := loadCase{"op=children/strategy=stream/engine=memrel", "post", func(b *testing.B) (int64, int64) {
			return view(b, func(tx *memrel.Tx) (count, sum int64) {
				posts := memrel.Many(bl.Author)
				for u, res := range memrel.EagerStream(tx, bl.Users, posts) {
					for _, p := range posts.Of(res, u) {
						count++
						sum += p.ID * u.ID
					}
				}
				if err := tx.Err(); err != nil {
					b.Fatal(err)
				}
				return
			})
		}}
		cases := []loadCase{
			{"op=children/strategy=lazy/engine=memrel", "post", func(b *testing.B) (int64, int64) {
				return view(b, func(tx *memrel.Tx) (count, sum int64) {
					for _, u := range m.users {
						for p := range bl.Author.Children(tx, u.ID) {
							count++
							sum += p.ID * u.ID
						}
					}
					return
				})
			}},
			{"op=children/strategy=lazy/engine=memdb", "post", func(b *testing.B) (count, sum int64) {
				txn := raw.Txn(false)
				for _, u := range m.users {
					it, err := txn.Get("posts", "user", u.ID)
					if err != nil {
						b.Fatal(err)
					}
					for o := it.Next(); o != nil; o = it.Next() {
						p := *o.(*memrel.Post)
						count++
						sum += p.ID * u.ID
					}
				}
				return
			}},
			// In this order: batch reads the join index merge leaves,
			// and the cold cases drop it (every -count repeats them all).
			cold(batch, &bl.DB),
			merge,
			batch,
			afterWrite(merge, bl.DB, touchPost(bl)),
			cold(merge, &bl.DB),
			stream,
			afterWrite(stream, bl.DB, touchPost(bl)),
			// go-memdb's merge join: the users and the posts' index read
			// side by side, each post copied out as memrel's are.
			{"op=children/strategy=merge/engine=memdb", "post", func(b *testing.B) (count, sum int64) {
				txn := raw.Txn(false)
				us, err := txn.Get("users", "id")
				if err != nil {
					b.Fatal(err)
				}
				ps, err := txn.Get("posts", "user")
				if err != nil {
					b.Fatal(err)
				}
				o := ps.Next()
				for uo := us.Next(); uo != nil; uo = us.Next() {
					u := *uo.(*memrel.User)
					for ; o != nil && o.(*memrel.Post).UserID < u.ID; o = ps.Next() {
					}
					for ; o != nil && o.(*memrel.Post).UserID == u.ID; o = ps.Next() {
						p := *o.(*memrel.Post)
						count++
						sum += p.ID * u.ID
					}
				}
				return
			}},
			{"op=children/strategy=merge/engine=maps", "post", func(b *testing.B) (int64, int64) {
				ws := make([]memrel.Loaded[memrel.User, []memrel.Post], len(m.users))
				for i, u := range m.users {
					ids := m.postsByUser[u.ID]
					ps := make([]memrel.Post, len(ids))
					for j, id := range ids {
						ps[j] = m.posts[id]
					}
					ws[i] = memrel.Loaded[memrel.User, []memrel.Post]{Row: u, Loaded: ps}
				}
				var count, sum int64
				for _, w := range ws {
					for _, p := range w.Loaded {
						count++
						sum += p.ID * w.Row.ID
					}
				}
				return count, sum
			}},
			{"op=parent/strategy=lazy/engine=memrel", "post", func(b *testing.B) (int64, int64) {
				return view(b, func(tx *memrel.Tx) (count, sum int64) {
					for p := range bl.Posts.All(tx) {
						u, err := bl.Author.Parent(tx, p)
						if err != nil {
							b.Fatal(err)
						}
						count++
						sum += p.ID * u.ID
					}
					return
				})
			}},
			{"op=parent/strategy=lazy/engine=memdb", "post", func(b *testing.B) (count, sum int64) {
				txn := raw.Txn(false)
				it, _ := txn.Get("posts", "id")
				for o := it.Next(); o != nil; o = it.Next() {
					p := *o.(*memrel.Post)
					uo, err := txn.First("users", "id", p.UserID)
					if err != nil || uo == nil {
						b.Fatal(err)
					}
					count++
					sum += p.ID * uo.(*memrel.User).ID
				}
				return
			}},
			{"op=parent/strategy=eager/engine=memrel", "post", func(b *testing.B) (int64, int64) {
				return view(b, func(tx *memrel.Tx) (count, sum int64) {
					author := memrel.One(bl.Author)
					posts, res, err := memrel.EagerAll(tx, bl.Posts, author)
					if err != nil {
						b.Fatal(err)
					}
					for _, p := range posts {
						u, ok := author.Of(res, p)
						if !ok {
							b.Fatalf("post %d: no author loaded", p.ID)
						}
						count++
						sum += p.ID * u.ID
					}
					return
				})
			}},
		}
		if size.tagsPer > 0 {
			tagPosts := loadCase{"op=tag-posts/strategy=merge/engine=memrel", "pair", func(b *testing.B) (int64, int64) {
				return view(b, func(tx *memrel.Tx) (count, sum int64) {
					posts := bl.Tagging.LoadLefts()
					tags, res, err := memrel.EagerAll(tx, bl.Tags, posts)
					if err != nil {
						b.Fatal(err)
					}
					for _, t := range tags {
						for _, p := range posts.Of(res, t) {
							count++
							sum += p.ID * t.ID
						}
					}
					return
				})
			}}
			cases = append(cases,
				loadCase{"op=nested/strategy=merge/engine=memrel", "pair", func(b *testing.B) (int64, int64) {
					return view(b, func(tx *memrel.Tx) (count, sum int64) {
						l := newNestedLoad(bl)
						users, res, err := memrel.EagerAll(tx, bl.Users, l.posts)
						if err != nil {
							b.Fatal(err)
						}
						for _, u := range users {
							for _, p := range l.posts.Of(res, u) {
								for _, pt := range l.tagged.Of(res, p) {
									t, ok := l.tag.Of(res, pt)
									if !ok {
										b.Fatalf("post_tags %d: no tag loaded", pt.ID)
									}
									count++
									sum += p.ID * t.ID
								}
							}
						}
						return
					})
				}},
				m2mLazy("engine=memrel", bl, view),
				m2mMerge("engine=memrel", bl, view),
				afterWrite(m2mMerge("engine=memrel", bl, view), bl.DB, relink(bl)),
				cold(m2mMerge("engine=memrel", bl, view), &bl.DB),
				loadCase{"op=post-tags/strategy=merge/engine=maps", "pair", func(b *testing.B) (count, sum int64) {
					ws := make([]memrel.Loaded[memrel.Post, []memrel.Tag], 0, len(m.posts))
					for p := range int64(len(m.posts)) {
						ids := m.tagsByPost[p+1]
						ts := make([]memrel.Tag, len(ids))
						for i, t := range ids {
							ts[i] = m.tags[t]
						}
						ws = append(ws, memrel.Loaded[memrel.Post, []memrel.Tag]{Row: m.posts[p+1], Loaded: ts})
					}
					for _, w := range ws {
						for _, t := range w.Loaded {
							count++
							sum += w.Row.ID * t.ID
						}
					}
					return
				}},
				loadCase{"op=tag-posts/strategy=lazy/engine=memrel", "pair", func(b *testing.B) (int64, int64) {
					return view(b, func(tx *memrel.Tx) (count, sum int64) {
						for t := range bl.Tags.All(tx) {
							for p := range bl.Tagging.Lefts(tx, t.ID) {
								count++
								sum += p.ID * t.ID
							}
						}
						return
					})
				}},
				tagPosts,
				cold(tagPosts, &bl.DB),
			)
		}
		if size.tagsPer > 0 {
			// The same many-to-many through an association table keyed by
			// (post, tag): the post side reads the primary key.
			r := memrel.DefaultRules()
			r.PairTags = true
			bp := memrel.NewBlog(b, r).Fill(b, size.users, 10, size.tags, size.tagsPer)
			pview := func(b *testing.B, fn func(tx *memrel.Tx) (int64, int64)) (count, sum int64) {
				if err := bp.DB.View(func(tx *memrel.Tx) error { count, sum = fn(tx); return nil }); err != nil {
					b.Fatal(err)
				}
				return
			}
			cases = append(cases, m2mLazy("engine=memrel-pair", bp, pview), m2mMerge("engine=memrel-pair", bp, pview),
				cold(m2mMerge("engine=memrel-pair", bp, pview), &bp.DB))
		}
		runtime.GC() // so that the first case does not pay for the setup's garbage
		for _, c := range cases {
			b.Run(fmt.Sprintf("users=%d/%s", size.users, c.name), func(b *testing.B) {
				want, wantSum := posts, postSum
				if c.unit == "pair" {
					want, wantSum = pairs, pairSum
				}
				if got, sum := c.visit(b); got != want || sum != wantSum {
					b.Fatalf("visited %d with checksum %d, want %d and %d", got, sum, want, wantSum)
				}
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					c.visit(b)
					n++
				}
				perItem(b, n, int(want), c.unit)
			})
		}
	}
}

type viewFunc = func(b *testing.B, fn func(tx *memrel.Tx) (int64, int64)) (int64, int64)

// m2mLazy visits every post's tags lazily, through the association.
func m2mLazy(engine string, bl *memrel.Blog, view viewFunc) loadCase {
	return loadCase{"op=post-tags/strategy=lazy/" + engine, "pair", func(b *testing.B) (int64, int64) {
		return view(b, func(tx *memrel.Tx) (count, sum int64) {
			for p := range bl.Posts.All(tx) {
				for t := range bl.Tagging.Rights(tx, p.ID) {
					count++
					sum += p.ID * t.ID
				}
			}
			return
		})
	}}
}

// m2mMerge loads every post's tags eagerly, by merge join.
func m2mMerge(engine string, bl *memrel.Blog, view viewFunc) loadCase {
	return loadCase{"op=post-tags/strategy=merge/" + engine, "pair", func(b *testing.B) (int64, int64) {
		return view(b, func(tx *memrel.Tx) (count, sum int64) {
			tags := bl.Tagging.LoadRights()
			posts, res, err := memrel.EagerAll(tx, bl.Posts, tags)
			if err != nil {
				b.Fatal(err)
			}
			for _, p := range posts {
				for _, t := range tags.Of(res, p) {
					count++
					sum += p.ID * t.ID
				}
			}
			return
		})
	}}
}
