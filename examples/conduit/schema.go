// Command conduit is the RealWorld ("Conduit") backend on memrel: every
// endpoint of the RealWorld API, its data in one memrel store, kept in a
// file across restarts.
//
//	go run . [-addr 127.0.0.1:8080] [-data conduit.json] [-empty]
package main

import (
	"time"

	"github.com/memrel/memrel"
)

// The rows. Keys are assigned by each table's sequence; times are UTC.
type (
	User struct {
		ID           int64
		Email        string
		Username     string
		PasswordHash string
		Bio          string
		Image        string
	}
	// Follow: FollowerID follows FolloweeID.
	Follow struct {
		FollowerID, FolloweeID int64
	}
	Article struct {
		ID          int64
		Slug        string
		Title       string
		Description string
		Body        string
		AuthorID    int64
		CreatedAt   time.Time
		UpdatedAt   time.Time
	}
	Tag struct {
		ID   int64
		Name string
	}
	ArticleTag struct {
		ArticleID, TagID int64
	}
	Favorite struct {
		UserID, ArticleID int64
	}
	Comment struct {
		ID        int64
		ArticleID int64
		AuthorID  int64
		Body      string
		CreatedAt time.Time
		UpdatedAt time.Time
	}
)

// schema is the tables, indexes and relations of Conduit, declared once
// and shared by every store of it (the server's, each test's fork).
type schema struct {
	s *memrel.Schema

	users      *memrel.Table[User, int64]
	byEmail    *memrel.Index[User, int64, string]
	byUsername *memrel.Index[User, int64, string]

	follows  *memrel.Table[Follow, memrel.Pair[int64, int64]]
	follower *memrel.Relation[Follow, User, int64] // follows.follower
	followee *memrel.Relation[Follow, User, int64] // follows.followee
	// following is users.following: the users a user follows.
	following *memrel.Through[Follow, User, User, int64, int64]

	articles *memrel.Table[Article, int64]
	bySlug   *memrel.Index[Article, int64, string]
	newest   *memrel.Index[Article, int64, time.Time] // the global list, newest first
	author   *memrel.Relation[Article, User, int64]
	byAuthor *memrel.Ordering[Article, User, int64] // an author's articles by date: the feed

	tags        *memrel.Table[Tag, int64]
	byName      *memrel.Index[Tag, int64, string]
	articleTags *memrel.Table[ArticleTag, memrel.Pair[int64, int64]]
	tagged      *memrel.Relation[ArticleTag, Article, int64] // article_tags.article
	tag         *memrel.Relation[ArticleTag, Tag, int64]     // article_tags.tag
	tagsOf      *memrel.Through[ArticleTag, Article, Tag, int64, int64]
	taggedWith  *memrel.Ordering[ArticleTag, Tag, int64] // a tag's articles, newest last

	favorites   *memrel.Table[Favorite, memrel.Pair[int64, int64]]
	favoriter   *memrel.Relation[Favorite, User, int64]    // favorites.user
	favorited   *memrel.Relation[Favorite, Article, int64] // favorites.article
	favoritesOf *memrel.Ordering[Favorite, User, int64]    // a user's favorites, newest last

	comments  *memrel.Table[Comment, int64]
	commented *memrel.Relation[Comment, Article, int64] // comments.article
	commenter *memrel.Relation[Comment, User, int64]    // comments.author
}

// newSchema declares Conduit's schema. Every relation cascades: deleting
// a user deletes their follows both ways, their articles (and so those
// articles' tags, favorites and comments), their favorites and their
// comments; deleting an article deletes its links, favorites and
// comments. A comment on a missing article, a favorite of a missing user,
// cannot be stored.
func newSchema() *schema {
	s := memrel.NewSchema()
	c := &schema{s: s}
	cascade := []memrel.Rule{memrel.OnDelete(memrel.Cascade), memrel.OnUpdate(memrel.Cascade)}

	c.users = memrel.NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	c.byEmail = memrel.NewUniqueIndex(c.users, "email", func(u *User) *string { return &u.Email })
	c.byUsername = memrel.NewUniqueIndex(c.users, "username", func(u *User) *string { return &u.Username })

	followerID := func(f *Follow) *int64 { return &f.FollowerID }
	followeeID := func(f *Follow) *int64 { return &f.FolloweeID }
	c.follows = memrel.NewPairTable(s, "follows", followerID, followeeID)
	c.follower = memrel.ForeignKey(c.follows, "follower", followerID, c.users, cascade...)
	c.followee = memrel.ForeignKey(c.follows, "followee", followeeID, c.users, cascade...)
	c.following = memrel.NewThrough(c.follower, "following", c.followee)

	c.articles = memrel.NewTable(s, "articles", func(a *Article) *int64 { return &a.ID })
	c.bySlug = memrel.NewUniqueIndex(c.articles, "slug", func(a *Article) *string { return &a.Slug })
	c.newest = memrel.NewIndex(c.articles, "created", func(a *Article) *time.Time { return &a.CreatedAt })
	c.author = memrel.ForeignKey(c.articles, "author", func(a *Article) *int64 { return &a.AuthorID }, c.users, cascade...)
	c.byAuthor = memrel.OrderChildren(c.author, "by_date", func(a *Article) *time.Time { return &a.CreatedAt })

	c.tags = memrel.NewTable(s, "tags", func(t *Tag) *int64 { return &t.ID })
	c.byName = memrel.NewUniqueIndex(c.tags, "name", func(t *Tag) *string { return &t.Name })
	articleID := func(at *ArticleTag) *int64 { return &at.ArticleID }
	tagID := func(at *ArticleTag) *int64 { return &at.TagID }
	c.articleTags = memrel.NewPairTable(s, "article_tags", articleID, tagID)
	c.tagged = memrel.ForeignKey(c.articleTags, "article", articleID, c.articles, cascade...)
	c.tag = memrel.ForeignKey(c.articleTags, "tag", tagID, c.tags, cascade...)
	c.tagsOf = memrel.NewThrough(c.tagged, "tags", c.tag)
	c.taggedWith = memrel.OrderChildren(c.tag, "by_article", articleID)

	favUser := func(f *Favorite) *int64 { return &f.UserID }
	favArticle := func(f *Favorite) *int64 { return &f.ArticleID }
	c.favorites = memrel.NewPairTable(s, "favorites", favUser, favArticle)
	c.favoriter = memrel.ForeignKey(c.favorites, "user", favUser, c.users, cascade...)
	c.favorited = memrel.ForeignKey(c.favorites, "article", favArticle, c.articles, cascade...)
	c.favoritesOf = memrel.OrderChildren(c.favoriter, "by_article", favArticle)

	c.comments = memrel.NewTable(s, "comments", func(c *Comment) *int64 { return &c.ID })
	c.commented = memrel.ForeignKey(c.comments, "article", func(c *Comment) *int64 { return &c.ArticleID }, c.articles, cascade...)
	c.commenter = memrel.ForeignKey(c.comments, "author", func(c *Comment) *int64 { return &c.AuthorID }, c.users, cascade...)
	return c
}
