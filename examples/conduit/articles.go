package main

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/memrel/memrel"
)

type articleView struct {
	Slug           string      `json:"slug"`
	Title          string      `json:"title"`
	Description    string      `json:"description"`
	Body           string      `json:"body"`
	TagList        []string    `json:"tagList"`
	CreatedAt      string      `json:"createdAt"`
	UpdatedAt      string      `json:"updatedAt"`
	Favorited      bool        `json:"favorited"`
	FavoritesCount int         `json:"favoritesCount"`
	Author         profileView `json:"author"`
}

// views builds the views of arts as me sees them in one eager load,
// whatever their number: the authors (and whether me follows each), the
// tags, the favorites' counts and whether me is among them, each one
// batch.
func (a *app) views(tx *memrel.Tx, me *User, arts []Article) ([]articleView, error) {
	author := memrel.One(a.c.author)
	tags := a.c.tagsOf.Load()
	count := memrel.Count(a.c.favorited)
	loaders := []memrel.Loader[Article]{tags, count}
	var followed memrel.ManyLoader[Follow, User, int64]
	var mine memrel.ManyLoader[Favorite, Article, int64]
	if me != nil {
		followed = memrel.Many(a.c.followee).Where(func(f Follow) bool { return f.FollowerID == me.ID })
		author = author.With(followed)
		mine = memrel.Many(a.c.favorited).Where(func(f Favorite) bool { return f.UserID == me.ID })
		loaders = append(loaders, mine)
	}
	res, err := memrel.Eager(tx, arts, append(loaders, author)...)
	if err != nil {
		return nil, err
	}
	out := make([]articleView, len(arts))
	for i, art := range arts {
		u, _ := author.Of(res, art)
		names := []string{}
		for _, t := range tags.Of(res, art) {
			names = append(names, t.Name)
		}
		slices.Sort(names)
		v := articleView{Slug: art.Slug, Title: art.Title, Description: art.Description, Body: art.Body, TagList: names,
			CreatedAt: timestamp(art.CreatedAt), UpdatedAt: timestamp(art.UpdatedAt), FavoritesCount: count.Of(res, art),
			Author: profileOf(u, false)}
		if me != nil {
			v.Favorited = len(mine.Of(res, art)) > 0
			v.Author.Following = len(followed.Of(res, u)) > 0
		}
		out[i] = v
	}
	return out, nil
}

func (a *app) view(tx *memrel.Tx, me *User, art Article) (articleView, error) {
	vs, err := a.views(tx, me, []Article{art})
	if err != nil {
		return articleView{}, err
	}
	return vs[0], nil
}

// listArticles serves GET /api/articles: the newest first, filtered by
// tag, author and favorited (a username), paged by limit and offset. Each
// filter reads its own ordered index, only as far as the page: the global
// list the articles' index by date, an author's articles their ordering
// by date, a tag's and a user's favorites the link tables' orderings. A
// second filter narrows the first by a set read in one batch.
func (a *app) listArticles(w http.ResponseWriter, r *http.Request, me *User) {
	limit, offset, err := paging(r)
	if err != nil {
		respond(w, 0, nil, err)
		return
	}
	q := r.URL.Query()
	tag, authorName, favName := q.Get("tag"), q.Get("author"), q.Get("favorited")
	var out struct {
		Articles      []articleView `json:"articles"`
		ArticlesCount int           `json:"articlesCount"`
	}
	err = a.db.View(func(tx *memrel.Tx) error {
		arts, n, err := a.findArticles(tx, tag, authorName, favName, max(limit, 1), offset)
		if limit == 0 { // the count alone
			arts = nil
		}
		if err != nil {
			return err
		}
		out.ArticlesCount = n
		out.Articles, err = a.views(tx, me, arts)
		return err
	})
	respond(w, http.StatusOK, out, err)
}

// findArticles returns the page of articles the filters select, newest
// first, and how many they select in all.
func (a *app) findArticles(tx *memrel.Tx, tag, authorName, favName string, limit, offset int) ([]Article, int, error) {
	// The row each filter names; a name that matches nothing selects
	// nothing.
	var author, fav *User
	var tagRow *Tag
	for _, f := range []struct {
		name string
		find func() error
	}{
		{authorName, func() error { u, err := a.c.byUsername.First(tx, authorName); author = &u; return err }},
		{tag, func() error { t, err := a.c.byName.First(tx, tag); tagRow = &t; return err }},
		{favName, func() error { u, err := a.c.byUsername.First(tx, favName); fav = &u; return err }},
	} {
		if f.name == "" {
			continue
		}
		if err := f.find(); errors.Is(err, memrel.ErrNotFound) {
			return []Article{}, 0, nil
		} else if err != nil {
			return nil, 0, err
		}
	}
	// With several filters, the first of author, tag, favorited pages
	// and the others narrow it, each by a set of article IDs read in one
	// batch.
	var keep []map[int64]bool
	if author != nil && (tagRow != nil || fav != nil) {
		arts, err := a.c.byAuthor.Merge(tx, []int64{author.ID}, memrel.Page[Article]{})
		if err != nil {
			return nil, 0, err
		}
		keep = append(keep, idSet(arts, func(a Article) int64 { return a.ID }))
		author = nil
	}
	if tagRow != nil && fav != nil {
		links, err := a.c.taggedWith.Merge(tx, []int64{tagRow.ID}, memrel.Page[ArticleTag]{})
		if err != nil {
			return nil, 0, err
		}
		keep = append(keep, idSet(links, func(l ArticleTag) int64 { return l.ArticleID }))
		tagRow = nil
	}
	page := memrel.Page[Article]{Backward: true, Offset: offset, Limit: limit}
	switch {
	case author != nil:
		arts, err := a.c.byAuthor.Merge(tx, []int64{author.ID}, page)
		if err != nil {
			return nil, 0, err
		}
		n, err := countOf(tx, a.c.author, *author)
		return arts, n, err
	case tagRow != nil:
		return linked(a, tx, a.c.taggedWith, a.c.tag, *tagRow, tagRow.ID, func(l ArticleTag) int64 { return l.ArticleID }, keep, limit, offset)
	case fav != nil:
		return linked(a, tx, a.c.favoritesOf, a.c.favoriter, *fav, fav.ID, func(f Favorite) int64 { return f.ArticleID }, keep, limit, offset)
	}
	arts, err := a.c.newest.Page(tx, page)
	if err != nil {
		return nil, 0, err
	}
	n, err := a.c.articles.Len(tx)
	return arts, n, err
}

func idSet[T any](rows []T, id func(T) int64) map[int64]bool {
	set := make(map[int64]bool, len(rows))
	for _, r := range rows {
		set[id(r)] = true
	}
	return set
}

// countOf counts parent's children through rel, as one batch.
func countOf[C, P any](tx *memrel.Tx, rel *memrel.Relation[C, P, int64], parent P) (int, error) {
	count := memrel.Count(rel)
	res, err := memrel.Eager(tx, []P{parent}, count)
	if err != nil {
		return 0, err
	}
	return count.Of(res, parent), nil
}

// linked pages the articles of parent's links (a tag's, a user's
// favorites) through their ordering, newest first, narrowed by the sets of
// keep, and reads the articles in one batch.
func linked[L, P any](a *app, tx *memrel.Tx, o *memrel.Ordering[L, P, int64], rel *memrel.Relation[L, P, int64], parent P, pk int64,
	article func(L) int64, keep []map[int64]bool, limit, offset int) ([]Article, int, error) {
	page := memrel.Page[L]{Backward: true, Offset: offset, Limit: limit}
	if len(keep) > 0 {
		page.Where = func(l L) bool {
			for _, set := range keep {
				if !set[article(l)] {
					return false
				}
			}
			return true
		}
	}
	links, err := o.Merge(tx, []int64{pk}, page)
	if err != nil {
		return nil, 0, err
	}
	ids := make([]int64, len(links))
	for i, l := range links {
		ids[i] = article(l)
	}
	arts, err := a.c.articles.GetBatch(tx, ids)
	if err != nil {
		return nil, 0, err
	}
	if len(keep) == 0 {
		n, err := countOf(tx, rel, parent)
		return arts, n, err
	}
	all, err := o.Merge(tx, []int64{pk}, memrel.Page[L]{Where: page.Where})
	return arts, len(all), err
}

// feed serves GET /api/articles/feed: the articles of the users me
// follows, newest first, merged from their orderings by date, reading
// only as far as the page.
func (a *app) feed(w http.ResponseWriter, r *http.Request, me *User) {
	limit, offset, err := paging(r)
	if err != nil {
		respond(w, 0, nil, err)
		return
	}
	var out struct {
		Articles      []articleView `json:"articles"`
		ArticlesCount int           `json:"articlesCount"`
	}
	err = a.db.View(func(tx *memrel.Tx) error {
		count := memrel.Count(a.c.author)
		followees := a.c.following.Load().With(count)
		res, err := memrel.Eager(tx, []User{*me}, followees)
		if err != nil {
			return err
		}
		var ids []int64
		for _, u := range followees.Of(res, *me) {
			ids = append(ids, u.ID)
			out.ArticlesCount += count.Of(res, u)
		}
		arts, err := a.c.byAuthor.Merge(tx, ids, memrel.Page[Article]{Backward: true, Offset: offset, Limit: max(limit, 1)})
		if err != nil {
			return err
		}
		if limit == 0 { // the count alone
			arts = nil
		}
		out.Articles, err = a.views(tx, me, arts)
		return err
	})
	respond(w, http.StatusOK, out, err)
}

// bySlug is the article of slug, or a 404.
func (a *app) bySlug(tx *memrel.Tx, slug string) (Article, error) {
	art, err := a.c.bySlug.First(tx, slug)
	if errors.Is(err, memrel.ErrNotFound) {
		return art, notFound(fmt.Sprintf("article %q", slug))
	}
	return art, err
}

func (a *app) getArticle(w http.ResponseWriter, r *http.Request, me *User) {
	var v articleView
	err := a.db.View(func(tx *memrel.Tx) error {
		art, err := a.bySlug(tx, r.PathValue("slug"))
		if err != nil {
			return err
		}
		v, err = a.view(tx, me, art)
		return err
	})
	respond(w, http.StatusOK, map[string]articleView{"article": v}, err)
}

// maxTags is the most tags an article may have.
const maxTags = 20

func tagsValid(names []string) error {
	distinct := map[string]bool{}
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" {
			distinct[n] = true
		}
		if err := tooLong([2]string{"tag", n}); err != nil {
			return err
		}
	}
	if len(distinct) > maxTags {
		return unprocessable("tagList: at most %d tags", maxTags)
	}
	return nil
}

// slugify makes a slug of a title: lower-case letters and digits, words
// joined by hyphens, at most 100 letters.
func slugify(title string) string {
	var b strings.Builder
	hyphen := false
	n := 0
	for _, r := range strings.ToLower(title) {
		if n++; n > 100 {
			break
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			hyphen = false
			continue
		}
		hyphen = true
	}
	if b.Len() == 0 {
		return "article"
	}
	return b.String()
}

// freeSlug is the slug of title for the article whose key is id (the key
// an insert will assign, for a new one): the title's own if no other
// article has it, else the title's and the key, "title--7", which no
// title's slug can be (slugify never writes two hyphens) and no other
// article's, its key being its own. One read of the index, never a loop.
func (a *app) freeSlug(tx *memrel.Tx, title string, id int64) (string, error) {
	base := slugify(title)
	if base == "feed" { // /api/articles/feed is the feed
		return fmt.Sprintf("%s--%d", base, id), nil
	}
	art, err := a.c.bySlug.First(tx, base)
	switch {
	case errors.Is(err, memrel.ErrNotFound), err == nil && art.ID == id:
		return base, nil
	case err != nil:
		return "", err
	}
	return fmt.Sprintf("%s--%d", base, id), nil
}

// setTags links art to the tags named, creating the tags that are new.
// The tags are found by one scan of the index by name, as far as the last
// name wanted, not a lookup per name: that loop is the N+1 pattern, which
// strict mode refuses.
func (a *app) setTags(tx *memrel.Tx, art Article, names []string) error {
	want := map[string]int64{}
	for _, name := range names {
		if name = strings.TrimSpace(name); name != "" {
			want[name] = 0
		}
	}
	if len(want) > 0 {
		sorted := slices.Sorted(maps.Keys(want))
		for t := range a.c.byName.All(tx) {
			if t.Name > sorted[len(sorted)-1] {
				break
			}
			if _, ok := want[t.Name]; ok {
				want[t.Name] = t.ID
			}
		}
		if err := tx.Err(); err != nil {
			return err
		}
		for _, name := range sorted {
			if want[name] == 0 {
				t, err := a.c.tags.Insert(tx, Tag{Name: name})
				if err != nil {
					return err
				}
				want[name] = t.ID
			}
		}
	}
	return a.c.tagsOf.Replace(tx, art.ID, slices.Collect(maps.Values(want)))
}

func (a *app) createArticle(w http.ResponseWriter, r *http.Request, me *User) {
	in, ok := requestOf[struct {
		Title, Description, Body string
		TagList                  []string `json:"tagList"`
	}](w, r, "article")
	if !ok {
		return
	}
	if err := firstErr(required([2]string{"title", in.Title}, [2]string{"description", in.Description}, [2]string{"body", in.Body}),
		tooLong([2]string{"title", in.Title}), tagsValid(in.TagList)); err != nil {
		respond(w, 0, nil, err)
		return
	}
	var v articleView
	err := a.write(func(tx *memrel.Tx) error {
		seq, err := a.c.articles.Sequence(tx)
		if err != nil {
			return err
		}
		slug, err := a.freeSlug(tx, in.Title, seq+1) // the key Insert assigns
		if err != nil {
			return err
		}
		now := a.now()
		art, err := a.c.articles.Insert(tx, Article{Slug: slug, Title: in.Title, Description: in.Description, Body: in.Body,
			AuthorID: me.ID, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			return err
		}
		if err := a.setTags(tx, art, in.TagList); err != nil {
			return err
		}
		v, err = a.view(tx, me, art)
		return err
	})
	respond(w, http.StatusCreated, map[string]articleView{"article": v}, err)
}

// own is the article of the request's slug, if me wrote it: 404 if there
// is none, 403 if another user wrote it.
func (a *app) own(tx *memrel.Tx, r *http.Request, me *User) (Article, error) {
	art, err := a.bySlug(tx, r.PathValue("slug"))
	if err == nil && art.AuthorID != me.ID {
		err = fail(http.StatusForbidden, "article %q is not yours", art.Slug)
	}
	return art, err
}

func (a *app) updateArticle(w http.ResponseWriter, r *http.Request, me *User) {
	in, ok := requestOf[struct {
		Title, Description, Body *string
		TagList                  *[]string `json:"tagList"`
	}](w, r, "article")
	if !ok {
		return
	}
	if in.Title == nil && in.Description == nil && in.Body == nil && in.TagList == nil {
		respond(w, 0, nil, unprocessable("article: give at least one of title, description, body, tagList"))
		return
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"title", in.Title}, {"description", in.Description}, {"body", in.Body}} {
		if f.v != nil && strings.TrimSpace(*f.v) == "" {
			respond(w, 0, nil, unprocessable("%s can't be blank", f.name))
			return
		}
	}
	var check []error
	if in.Title != nil {
		check = append(check, tooLong([2]string{"title", *in.Title}))
	}
	if in.TagList != nil {
		check = append(check, tagsValid(*in.TagList))
	}
	if err := firstErr(check...); err != nil {
		respond(w, 0, nil, err)
		return
	}
	var v articleView
	err := a.write(func(tx *memrel.Tx) error {
		art, err := a.own(tx, r, me)
		if err != nil {
			return err
		}
		if in.Title != nil && *in.Title != art.Title {
			art.Title = *in.Title
			if art.Slug, err = a.freeSlug(tx, art.Title, art.ID); err != nil {
				return err
			}
		}
		if in.Description != nil {
			art.Description = *in.Description
		}
		if in.Body != nil {
			art.Body = *in.Body
		}
		art.UpdatedAt = a.now()
		if err := a.c.articles.Update(tx, art); err != nil {
			return err
		}
		if in.TagList != nil {
			if err := a.setTags(tx, art, *in.TagList); err != nil {
				return err
			}
		}
		v, err = a.view(tx, me, art)
		return err
	})
	respond(w, http.StatusOK, map[string]articleView{"article": v}, err)
}

func (a *app) deleteArticle(w http.ResponseWriter, r *http.Request, me *User) {
	err := a.write(func(tx *memrel.Tx) error {
		art, err := a.own(tx, r, me)
		if err != nil {
			return err
		}
		// Its tags' links, favorites and comments go with it (CASCADE).
		return a.c.articles.Delete(tx, art.ID)
	})
	respond(w, http.StatusOK, map[string]any{}, err)
}

func (a *app) favorite(w http.ResponseWriter, r *http.Request, me *User) {
	a.setFavorite(w, r, me, true)
}

func (a *app) unfavorite(w http.ResponseWriter, r *http.Request, me *User) {
	a.setFavorite(w, r, me, false)
}

func (a *app) setFavorite(w http.ResponseWriter, r *http.Request, me *User, on bool) {
	var v articleView
	err := a.write(func(tx *memrel.Tx) error {
		art, err := a.bySlug(tx, r.PathValue("slug"))
		if err != nil {
			return err
		}
		key := memrel.Pair[int64, int64]{A: me.ID, B: art.ID}
		has, err := a.c.favorites.Has(tx, key)
		switch {
		case err != nil:
			return err
		case on && !has:
			_, err = a.c.favorites.Insert(tx, Favorite{UserID: me.ID, ArticleID: art.ID})
		case !on && has:
			err = a.c.favorites.Delete(tx, key)
		}
		if err != nil {
			return err
		}
		v, err = a.view(tx, me, art)
		return err
	})
	respond(w, http.StatusOK, map[string]articleView{"article": v}, err)
}
