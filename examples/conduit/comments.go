package main

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/memrel/memrel"
)

type commentView struct {
	ID        int64       `json:"id"`
	CreatedAt string      `json:"createdAt"`
	UpdatedAt string      `json:"updatedAt"`
	Body      string      `json:"body"`
	Author    profileView `json:"author"`
}

// commentViews builds the views of an article's comments, oldest first,
// with their authors and whether me follows each: one eager load.
func (a *app) commentViews(tx *memrel.Tx, me *User, art Article, only func(Comment) bool) ([]commentView, error) {
	author := memrel.One(a.c.commenter)
	var followed memrel.ManyLoader[Follow, User, int64]
	if me != nil {
		followed = memrel.Many(a.c.followee).Where(func(f Follow) bool { return f.FollowerID == me.ID })
		author = author.With(followed)
	}
	comments := memrel.Many(a.c.commented).With(author)
	if only != nil {
		comments = comments.Where(only)
	}
	res, err := memrel.Eager(tx, []Article{art}, comments)
	if err != nil {
		return nil, err
	}
	out := []commentView{}
	for _, c := range comments.Of(res, art) {
		u, _ := author.Of(res, c)
		v := commentView{ID: c.ID, CreatedAt: timestamp(c.CreatedAt), UpdatedAt: timestamp(c.UpdatedAt), Body: c.Body, Author: profileOf(u, false)}
		if me != nil {
			v.Author.Following = len(followed.Of(res, u)) > 0
		}
		out = append(out, v)
	}
	return out, nil
}

func (a *app) listComments(w http.ResponseWriter, r *http.Request, me *User) {
	var out []commentView
	err := a.db.View(func(tx *memrel.Tx) error {
		art, err := a.bySlug(tx, r.PathValue("slug"))
		if err != nil {
			return err
		}
		out, err = a.commentViews(tx, me, art, nil)
		return err
	})
	respond(w, http.StatusOK, map[string][]commentView{"comments": out}, err)
}

func (a *app) addComment(w http.ResponseWriter, r *http.Request, me *User) {
	in, ok := requestOf[struct{ Body string }](w, r, "comment")
	if !ok {
		return
	}
	if err := required([2]string{"body", in.Body}); err != nil {
		respond(w, 0, nil, err)
		return
	}
	var v commentView
	err := a.write(func(tx *memrel.Tx) error {
		art, err := a.bySlug(tx, r.PathValue("slug"))
		if err != nil {
			return err
		}
		now := a.now()
		// The article's foreign key: were it deleted meanwhile, the insert
		// would fail, never leave a comment on nothing.
		c, err := a.c.comments.Insert(tx, Comment{ArticleID: art.ID, AuthorID: me.ID, Body: in.Body, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			return err
		}
		vs, err := a.commentViews(tx, me, art, func(x Comment) bool { return x.ID == c.ID })
		if err == nil && len(vs) == 1 {
			v = vs[0]
		}
		return err
	})
	respond(w, http.StatusOK, map[string]commentView{"comment": v}, err)
}

func (a *app) deleteComment(w http.ResponseWriter, r *http.Request, me *User) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		respond(w, 0, nil, unprocessable("id: %q is not an integer", r.PathValue("id")))
		return
	}
	err = a.write(func(tx *memrel.Tx) error {
		art, err := a.bySlug(tx, r.PathValue("slug"))
		if err != nil {
			return err
		}
		c, err := a.c.comments.Get(tx, id)
		switch {
		case errors.Is(err, memrel.ErrNotFound) || err == nil && c.ArticleID != art.ID:
			return notFound("comment " + strconv.FormatInt(id, 10))
		case err != nil:
			return err
		case c.AuthorID != me.ID:
			return fail(http.StatusForbidden, "comment %d is not yours", id)
		}
		return a.c.comments.Delete(tx, id)
	})
	respond(w, http.StatusOK, map[string]any{}, err)
}

// listTags serves the tags of at least one article, by name: a tag
// whose last article went stays in the table, unlisted.
func (a *app) listTags(w http.ResponseWriter, r *http.Request) {
	names := []string{}
	err := a.db.View(func(tx *memrel.Tx) error {
		var tags []Tag
		for t := range a.c.byName.All(tx) {
			tags = append(tags, t)
		}
		if err := tx.Err(); err != nil {
			return err
		}
		used := memrel.Count(a.c.tag)
		res, err := memrel.Eager(tx, tags, used)
		if err != nil {
			return err
		}
		for _, t := range tags {
			if used.Of(res, t) > 0 {
				names = append(names, t.Name)
			}
		}
		return nil
	})
	respond(w, http.StatusOK, map[string][]string{"tags": names}, err)
}
