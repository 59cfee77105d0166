package bench

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	_ "github.com/mattn/go-sqlite3"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	_ "modernc.org/sqlite"
)

// --- SQLite in memory, through database/sql ---

type sqlEngine struct {
	driver string
	db     *sql.DB
	stmts  map[string]*sql.Stmt
}

var schemaSQL = []string{
	"PRAGMA foreign_keys=ON",
	"CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE)",
	"CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, title TEXT NOT NULL)",
	"CREATE INDEX posts_user ON posts(user_id)",
	"CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
	// Keyed by the pair, like memrel's, so the post side needs no index.
	"CREATE TABLE post_tags (post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE, tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE, PRIMARY KEY (post_id, tag_id)) WITHOUT ROWID",
	"CREATE INDEX post_tags_tag ON post_tags(tag_id)",
}

var queries = map[string]string{
	"user":      "INSERT INTO users (id, name, email) VALUES (?, ?, ?)",
	"post":      "INSERT INTO posts (id, user_id, title) VALUES (?, ?, ?)",
	"tag":       "INSERT INTO tags (id, name) VALUES (?, ?)",
	"link":      "INSERT INTO post_tags (post_id, tag_id) VALUES (?, ?)",
	"users":     "SELECT id FROM users ORDER BY id",
	"posts":     "SELECT id, user_id, title FROM posts WHERE user_id = ? ORDER BY id",
	"allPosts":  "SELECT id, user_id, title FROM posts ORDER BY id",
	"author":    "SELECT id, name, email FROM users WHERE id = ?",
	"eager":     "SELECT u.id, p.id, p.title FROM users u JOIN posts p ON p.user_id = u.id ORDER BY u.id, p.id",
	"postTags":  "SELECT pt.post_id, t.id, t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id ORDER BY pt.post_id, t.id",
	"delete":    "DELETE FROM users WHERE id = ?",
	"orphan":    "INSERT INTO posts (user_id, title) VALUES (-1, 'orphan')",
	"forkWrite": "INSERT INTO posts (user_id, title) VALUES (1, 'fork')",
}

func (e *sqlEngine) load(w *workload) error {
	db, err := sql.Open(e.driver, ":memory:")
	if err != nil {
		return err
	}
	// One connection: an in-memory database lives and dies with it.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	e.db = db
	for _, s := range schemaSQL {
		if _, err := db.Exec(s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	e.stmts = map[string]*sql.Stmt{}
	for name, q := range queries {
		if e.stmts[name], err = db.Prepare(q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st := func(name string) *sql.Stmt { return tx.Stmt(e.stmts[name]) }
	for _, u := range w.users {
		if _, err := st("user").Exec(u.ID, u.Name, u.Email); err != nil {
			return err
		}
	}
	for _, t := range w.tags {
		if _, err := st("tag").Exec(t.ID, t.Name); err != nil {
			return err
		}
	}
	for _, p := range w.posts {
		if _, err := st("post").Exec(p.ID, p.UserID, p.Title); err != nil {
			return err
		}
	}
	for _, pt := range w.postTags {
		if _, err := st("link").Exec(pt.PostID, pt.TagID); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (e *sqlEngine) lazy() (count, sum int64, err error) {
	var users []int64
	rows, err := e.stmts["users"].Query()
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, 0, err
		}
		users = append(users, id)
	}
	rows.Close()
	for _, u := range users {
		rows, err := e.stmts["posts"].Query(u)
		if err != nil {
			return 0, 0, err
		}
		for rows.Next() {
			var p Post
			if err := rows.Scan(&p.ID, &p.UserID, &p.Title); err != nil {
				return 0, 0, err
			}
			count++
			sum += p.ID * u
		}
		rows.Close()
	}
	return
}

func (e *sqlEngine) eager() (count, sum int64, err error) {
	rows, err := e.stmts["eager"].Query()
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var u, p int64
		var title string
		if err := rows.Scan(&u, &p, &title); err != nil {
			return 0, 0, err
		}
		count++
		sum += p * u
	}
	return count, sum, rows.Err()
}

func (e *sqlEngine) reverse() (count, sum int64, err error) {
	var posts []Post
	rows, err := e.stmts["allPosts"].Query()
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() {
		var p Post
		if err := rows.Scan(&p.ID, &p.UserID, &p.Title); err != nil {
			return 0, 0, err
		}
		posts = append(posts, p)
	}
	rows.Close()
	for _, p := range posts {
		var u User
		if err := e.stmts["author"].QueryRow(p.UserID).Scan(&u.ID, &u.Name, &u.Email); err != nil {
			return 0, 0, err
		}
		count++
		sum += p.ID * u.ID
	}
	return
}

func (e *sqlEngine) postTags() (count, sum int64, err error) {
	rows, err := e.stmts["postTags"].Query()
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var p int64
		var t Tag
		if err := rows.Scan(&p, &t.ID, &t.Name); err != nil {
			return 0, 0, err
		}
		count++
		sum += p * t.ID
	}
	return count, sum, rows.Err()
}

// deleteUser runs the delete in autocommit mode: SQLite wraps the statement
// and its cascades in a transaction of its own, which measured 15-25%
// faster than an explicit BEGIN ... COMMIT through database/sql.
func (e *sqlEngine) deleteUser(id int64) error {
	res, err := e.stmts["delete"].Exec(id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("no user %d", id)
	}
	return nil
}

func (e *sqlEngine) reject() error {
	if _, err := e.stmts["orphan"].Exec(); err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
			return errRejected
		}
		return err
	}
	return nil
}

// fork runs the write in a transaction and rolls it back: the usual
// per-test isolation with a SQL database.
func (e *sqlEngine) fork() error {
	tx, err := e.db.Begin()
	if err != nil {
		return err
	}
	if _, err := tx.Stmt(e.stmts["forkWrite"]).Exec(); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Rollback()
}

func (e *sqlEngine) close() {
	if e.db != nil {
		e.db.Close()
	}
}

// queryPlan returns SQLite's plan for a query, to check it uses indexes.
func (e *sqlEngine) queryPlan(q string, args ...any) (string, error) {
	rows, err := e.db.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return "", err
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; "), rows.Err()
}

// --- GORM on SQLite (mattn), with Preload for eager loading ---
//
// The schema is GORM's own, from AutoMigrate: note that it indexes only the
// primary key (post, tag) of the join table, not the tag side, so a
// cascade removes one index entry fewer per link than the SQL engines do
// (and a tag's posts would be a table scan).

type GUser struct {
	ID    int64 `gorm:"primaryKey"`
	Name  string
	Email string  `gorm:"uniqueIndex"`
	Posts []GPost `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
}

type GPost struct {
	ID     int64 `gorm:"primaryKey"`
	UserID int64 `gorm:"index;not null"`
	Title  string
	Tags   []GTag `gorm:"many2many:g_post_tags;constraint:OnDelete:CASCADE"`
}

type GTag struct {
	ID   int64 `gorm:"primaryKey"`
	Name string
}

type gormEngine struct{ db *gorm.DB }

func (e *gormEngine) load(w *workload) error {
	db, err := gorm.Open(sqlite.Open("file::memory:?_foreign_keys=on"), &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true, PrepareStmt: true})
	if err != nil {
		return err
	}
	raw, err := db.DB()
	if err != nil {
		return err
	}
	raw.SetMaxOpenConns(1)
	raw.SetMaxIdleConns(1)
	raw.SetConnMaxLifetime(0)
	e.db = db
	if err := db.AutoMigrate(&GUser{}, &GTag{}, &GPost{}); err != nil {
		return err
	}
	users := make([]GUser, len(w.users))
	for i, u := range w.users {
		users[i] = GUser{ID: u.ID, Name: u.Name, Email: u.Email}
	}
	tags := make([]GTag, len(w.tags))
	for i, t := range w.tags {
		tags[i] = GTag{ID: t.ID, Name: t.Name}
	}
	posts := make([]GPost, len(w.posts))
	for i, p := range w.posts {
		posts[i] = GPost{ID: p.ID, UserID: p.UserID, Title: p.Title}
	}
	links := make([]map[string]any, len(w.postTags))
	for i, pt := range w.postTags {
		links[i] = map[string]any{"g_post_id": pt.PostID, "g_tag_id": pt.TagID}
	}
	return db.Transaction(func(tx *gorm.DB) error {
		for _, step := range []func() error{
			func() error { return tx.CreateInBatches(users, 500).Error },
			func() error { return tx.CreateInBatches(tags, 500).Error },
			func() error { return tx.Omit("Tags").CreateInBatches(posts, 500).Error },
			func() error { return tx.Table("g_post_tags").CreateInBatches(links, 500).Error },
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
}

func (e *gormEngine) lazy() (count, sum int64, err error) {
	var users []GUser
	if err := e.db.Order("id").Find(&users).Error; err != nil {
		return 0, 0, err
	}
	for _, u := range users {
		var posts []GPost
		if err := e.db.Where("user_id = ?", u.ID).Order("id").Find(&posts).Error; err != nil {
			return 0, 0, err
		}
		for _, p := range posts {
			count++
			sum += p.ID * u.ID
		}
	}
	return
}

func (e *gormEngine) eager() (count, sum int64, err error) {
	var users []GUser
	if err := e.db.Preload("Posts").Order("id").Find(&users).Error; err != nil {
		return 0, 0, err
	}
	for _, u := range users {
		for _, p := range u.Posts {
			count++
			sum += p.ID * u.ID
		}
	}
	return
}

func (e *gormEngine) reverse() (count, sum int64, err error) {
	var posts []GPost
	if err := e.db.Order("id").Find(&posts).Error; err != nil {
		return 0, 0, err
	}
	for _, p := range posts {
		var u GUser
		if err := e.db.First(&u, p.UserID).Error; err != nil {
			return 0, 0, err
		}
		count++
		sum += p.ID * u.ID
	}
	return
}

func (e *gormEngine) postTags() (count, sum int64, err error) {
	var posts []GPost
	if err := e.db.Preload("Tags").Order("id").Find(&posts).Error; err != nil {
		return 0, 0, err
	}
	for _, p := range posts {
		for _, t := range p.Tags {
			count++
			sum += p.ID * t.ID
		}
	}
	return
}

func (e *gormEngine) deleteUser(id int64) error {
	res := e.db.Delete(&GUser{}, id)
	if res.Error == nil && res.RowsAffected != 1 {
		return fmt.Errorf("no user %d", id)
	}
	return res.Error
}

func (e *gormEngine) reject() error {
	err := e.db.Omit("Tags").Create(&GPost{UserID: -1, Title: "orphan"}).Error
	if err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
		return errRejected
	}
	if err == nil {
		return errors.New("accepted")
	}
	return err
}

func (e *gormEngine) fork() error {
	tx := e.db.Begin()
	if err := tx.Omit("Tags").Create(&GPost{UserID: 1, Title: "fork"}).Error; err != nil {
		tx.Rollback()
		return err
	}
	return tx.Rollback().Error
}

func (e *gormEngine) close() {
	if e.db != nil {
		if raw, err := e.db.DB(); err == nil {
			raw.Close()
		}
	}
}
