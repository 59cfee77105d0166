package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"
	"github.com/memrel/memrel"
	"golang.org/x/crypto/bcrypt"
)

// tokenLife is how long a token is valid.
const tokenLife = 30 * 24 * time.Hour

// token signs a JWT (HS256) whose subject is the user's ID.
func (a *app) token(u User) (string, error) {
	now := a.now()
	return jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject:   strconv.FormatInt(u.ID, 10),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(tokenLife)),
	}).SignedString(a.secret)
}

func (a *app) verifyToken(s string) (int64, error) {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(s, &claims, func(*jwt.Token) (any, error) { return a.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired())
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(claims.Subject, 10, 64)
}

// update is a field of a partial update: set if the request has it,
// null included (as "").
type update struct {
	set bool
	s   string
}

func (o *update) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		return nil
	}
	return json.Unmarshal(b, &o.s)
}

type userView struct {
	Email    string `json:"email"`
	Token    string `json:"token"`
	Username string `json:"username"`
	Bio      string `json:"bio"`
	Image    string `json:"image"`
}

func (a *app) userResponse(u User) (any, error) {
	tok, err := a.token(u)
	return map[string]userView{"user": {Email: u.Email, Token: tok, Username: u.Username, Bio: u.Bio, Image: u.Image}}, err
}

type profileView struct {
	Username  string `json:"username"`
	Bio       string `json:"bio"`
	Image     string `json:"image"`
	Following bool   `json:"following"`
}

func profileOf(u User, following bool) profileView {
	return profileView{Username: u.Username, Bio: u.Bio, Image: u.Image, Following: following}
}

// normalEmail is an e-mail as stored and looked up: trimmed, lower case,
// so that " Jake@example.com" is jake's.
func normalEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validate checks an e-mail and a username, where given: an e-mail has one
// @ with text on both sides; a username, which is a path segment of
// /profiles, has no space, slash, question mark, hash or percent sign;
// neither is longer than maxText.
func validate(email, username *string) error {
	if email != nil {
		at := strings.IndexByte(*email, '@')
		if at <= 0 || at == len(*email)-1 || strings.Count(*email, "@") != 1 || strings.ContainsAny(*email, " \t") {
			return unprocessable("email is invalid")
		}
		if err := tooLong([2]string{"email", *email}); err != nil {
			return err
		}
	}
	if username != nil {
		u := *username
		if strings.ContainsFunc(u, unicode.IsSpace) || strings.ContainsAny(u, "/?#%\\") || u == "." || u == ".." {
			return unprocessable("username may not have spaces or any of / ? # %% \\, nor be . or ..")
		}
		if err := tooLong([2]string{"username", *username}); err != nil {
			return err
		}
	}
	return nil
}

// required names the fields that are missing, in the spec's words.
func required(fields ...[2]string) error {
	var missing []string
	for _, f := range fields {
		if strings.TrimSpace(f[1]) == "" {
			missing = append(missing, f[0]+" can't be blank")
		}
	}
	if len(missing) > 0 {
		return &httpError{status: http.StatusUnprocessableEntity, msgs: missing}
	}
	return nil
}

func (a *app) register(w http.ResponseWriter, r *http.Request) {
	in, ok := requestOf[struct{ Username, Email, Password string }](w, r, "user")
	if !ok {
		return
	}
	in.Email = normalEmail(in.Email)
	in.Username = strings.TrimSpace(in.Username)
	if err := firstErr(required([2]string{"username", in.Username}, [2]string{"email", in.Email}, [2]string{"password", in.Password}),
		validate(&in.Email, &in.Username)); err != nil {
		respond(w, 0, nil, err)
		return
	}
	hash, err := a.hash(in.Password)
	if err != nil {
		respond(w, 0, nil, err)
		return
	}
	var u User
	err = a.write(func(tx *memrel.Tx) error {
		u, err = a.c.users.Insert(tx, User{Email: in.Email, Username: in.Username, PasswordHash: hash})
		return err
	})
	if err != nil {
		respond(w, 0, nil, err)
		return
	}
	v, err := a.userResponse(u)
	respond(w, http.StatusCreated, v, err)
}

func (a *app) hash(password string) (string, error) {
	if len(password) > 72 {
		return "", unprocessable("password is longer than 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), a.bcryptCost)
	return string(h), err
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	in, ok := requestOf[struct{ Email, Password string }](w, r, "user")
	if !ok {
		return
	}
	if err := required([2]string{"email", in.Email}, [2]string{"password", in.Password}); err != nil {
		respond(w, 0, nil, err)
		return
	}
	var u User
	err := a.db.View(func(tx *memrel.Tx) error {
		var err error
		u, err = a.c.byEmail.First(tx, normalEmail(in.Email))
		return err
	})
	if err == nil && bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(in.Password)) != nil {
		err = memrel.ErrNotFound
	}
	if errors.Is(err, memrel.ErrNotFound) {
		err = fail(http.StatusUnauthorized, "email or password is invalid")
	}
	if err != nil {
		respond(w, 0, nil, err)
		return
	}
	v, err := a.userResponse(u)
	respond(w, http.StatusOK, v, err)
}

func (a *app) currentUser(w http.ResponseWriter, r *http.Request, me *User) {
	v, err := a.userResponse(*me)
	respond(w, http.StatusOK, v, err)
}

func (a *app) updateUser(w http.ResponseWriter, r *http.Request, me *User) {
	in, ok := requestOf[struct{ Email, Username, Password, Bio, Image update }](w, r, "user")
	if !ok {
		return
	}
	if !in.Email.set && !in.Username.set && !in.Password.set && !in.Bio.set && !in.Image.set {
		respond(w, 0, nil, unprocessable("user: give at least one of email, username, password, bio, image"))
		return
	}
	for _, f := range []struct {
		name string
		v    *update
	}{{"email", &in.Email}, {"username", &in.Username}, {"password", &in.Password}} {
		if f.v.set && strings.TrimSpace(f.v.s) == "" { // null too
			respond(w, 0, nil, unprocessable("%s can't be blank", f.name))
			return
		}
	}
	in.Email.s, in.Username.s = normalEmail(in.Email.s), strings.TrimSpace(in.Username.s)
	var email, username *string
	if in.Email.set {
		email = &in.Email.s
	}
	if in.Username.set {
		username = &in.Username.s
	}
	if err := validate(email, username); err != nil {
		respond(w, 0, nil, err)
		return
	}
	hash := ""
	if in.Password.set {
		var err error
		if hash, err = a.hash(in.Password.s); err != nil {
			respond(w, 0, nil, err)
			return
		}
	}
	var u User
	err := a.write(func(tx *memrel.Tx) error {
		var err error
		if u, err = a.c.users.Get(tx, me.ID); err != nil {
			return err
		}
		for _, f := range []struct {
			dst *string
			v   update
		}{{&u.Email, in.Email}, {&u.Username, in.Username}, {&u.Bio, in.Bio}, {&u.Image, in.Image}} {
			if f.v.set {
				*f.dst = f.v.s // a null bio or image clears it
			}
		}
		if hash != "" {
			u.PasswordHash = hash
		}
		return a.c.users.Update(tx, u)
	})
	if err != nil {
		respond(w, 0, nil, err)
		return
	}
	v, err := a.userResponse(u)
	respond(w, http.StatusOK, v, err)
}

// byName is the user called username, or a 404.
func (a *app) byName(tx *memrel.Tx, username string) (User, error) {
	u, err := a.c.byUsername.First(tx, username)
	if errors.Is(err, memrel.ErrNotFound) {
		return u, notFound(fmt.Sprintf("profile %q", username))
	}
	return u, err
}

func (a *app) follows(tx *memrel.Tx, me *User, u User) (bool, error) {
	if me == nil {
		return false, nil
	}
	return a.c.follows.Has(tx, memrel.Pair[int64, int64]{A: me.ID, B: u.ID})
}

func (a *app) profile(w http.ResponseWriter, r *http.Request, me *User) {
	var v profileView
	err := a.db.View(func(tx *memrel.Tx) error {
		u, err := a.byName(tx, r.PathValue("username"))
		if err != nil {
			return err
		}
		following, err := a.follows(tx, me, u)
		v = profileOf(u, following)
		return err
	})
	respond(w, http.StatusOK, map[string]profileView{"profile": v}, err)
}

func (a *app) follow(w http.ResponseWriter, r *http.Request, me *User) { a.setFollow(w, r, me, true) }

func (a *app) unfollow(w http.ResponseWriter, r *http.Request, me *User) {
	a.setFollow(w, r, me, false)
}

// setFollow makes me follow the profile, or not; doing it twice is
// doing it once.
func (a *app) setFollow(w http.ResponseWriter, r *http.Request, me *User, on bool) {
	var v profileView
	err := a.write(func(tx *memrel.Tx) error {
		u, err := a.byName(tx, r.PathValue("username"))
		if err != nil {
			return err
		}
		if u.ID == me.ID {
			return unprocessable("username: you cannot follow yourself")
		}
		key := memrel.Pair[int64, int64]{A: me.ID, B: u.ID}
		has, err := a.c.follows.Has(tx, key)
		switch {
		case err != nil:
			return err
		case on && !has:
			_, err = a.c.follows.Insert(tx, Follow{FollowerID: me.ID, FolloweeID: u.ID})
		case !on && has:
			err = a.c.follows.Delete(tx, key)
		}
		v = profileOf(u, on)
		return err
	})
	respond(w, http.StatusOK, map[string]profileView{"profile": v}, err)
}
