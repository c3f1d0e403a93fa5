package sandbox

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

const (
	msgInvalidPassword = "invalid password or non existing user"
	// simulatedBadPassword is the plaintext with which a client simulates a
	// wrong password, as on the original sandbox.
	simulatedBadPassword = "invalid_password"
)

func (s *Sandbox) handleListGroups(r *http.Request, app store.App, p params) (accountResult, error) {
	groups, err := s.store.AppGroups(r.Context(), app.UID)
	if err != nil {
		return accountResult{}, err
	}
	return listResult(mapAll(groups, accountGroup), p)
}

// appGroupByID returns the group if the app uses it (ok false otherwise).
func (s *Sandbox) appGroupByID(ctx context.Context, appUID, id string) (g store.Group, ok bool, err error) {
	ok, err = s.appGroup(ctx, appUID, id)
	if err != nil || !ok {
		return store.Group{}, false, err
	}
	g, err = s.store.Group(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Group{}, false, nil
	}
	return g, err == nil, err
}

func (s *Sandbox) handleShowGroup(r *http.Request, app store.App, _ params) (accountResult, error) {
	g, ok, err := s.appGroupByID(r.Context(), app.UID, r.PathValue("id"))
	if err != nil {
		return accountResult{}, err
	}
	if !ok {
		return accountFail(http.StatusOK, "id", msgDoesNotExist), nil
	}
	return accountOK(accountGroup(g)), nil
}

func (s *Sandbox) handleListUsers(r *http.Request, app store.App, p params) (accountResult, error) {
	gid, ok, err := s.scopedGroup(r.Context(), app, p)
	if err != nil || !ok {
		return accountOK([]AccountUser{}), err
	}
	users, err := s.store.AppUsers(r.Context(), app.UID, gid)
	if err != nil {
		return accountResult{}, err
	}
	return listResult(mapAll(users, accountUser), p, "group_id")
}

// appUser returns the user with uid (or, with byEmail, email) if they are a
// member of a group that uses the app.
func (s *Sandbox) appUser(r *http.Request, app store.App, key string, byEmail bool) (store.User, bool, error) {
	if key == "" || len(key) > 254 {
		return store.User{}, false, nil
	}
	users, err := s.store.AppUsers(r.Context(), app.UID, "")
	if err != nil {
		return store.User{}, false, err
	}
	for _, u := range users {
		if (!byEmail && u.UID == key) || (byEmail && strings.EqualFold(u.Email, key)) {
			return u, true, nil
		}
	}
	return store.User{}, false, nil
}

func (s *Sandbox) handleShowUser(r *http.Request, app store.App, _ params) (accountResult, error) {
	u, ok, err := s.appUser(r, app, r.PathValue("id"), false)
	if err != nil {
		return accountResult{}, err
	}
	if !ok {
		return accountFail(http.StatusOK, "id", msgDoesNotExist), nil
	}
	return accountOK(accountUser(u)), nil
}

// handleAuthenticateUser serves POST /api/v1/account/users/authenticate: id
// or email, and password = base64(iv) + "--" + base64(AES-256-CBC ciphertext,
// PKCS#7) keyed with the first 32 bytes of the app's API key. A wrong
// password, an undecryptable one, the plaintext "invalid_password" or an
// unknown user answer 200 with success false. A user seeded with a password
// must present exactly it; one without accepts any other plaintext, as the
// original sandbox did.
func (s *Sandbox) handleAuthenticateUser(r *http.Request, app store.App, p params) (accountResult, error) {
	var u store.User
	var found bool
	var err error
	if id, ok := p.get("id"); ok && id != "" {
		u, found, err = s.appUser(r, app, id, false)
	} else if email, ok := p.get("email"); ok {
		u, found, err = s.appUser(r, app, email, true)
	}
	if err != nil {
		return accountResult{}, err
	}
	enc, _ := p.get("password")
	plain, decrypted := decryptPassword(enc, app.APIKey)
	valid := decrypted && plain != simulatedBadPassword
	if u.Password != "" {
		valid = valid && secretEqual(plain, u.Password)
	}
	if !found || !valid {
		s.log.DebugContext(r.Context(), "sandbox: users/authenticate refused", "app", app.UID)
		return accountFail(http.StatusOK, "password", msgInvalidPassword), nil
	}
	return accountOK(accountUser(u)), nil
}

// decryptPassword decrypts "base64(iv)--base64(ciphertext)" (AES-256-CBC,
// PKCS#7 padding) with the first 32 bytes of apiKey.
func decryptPassword(enc, apiKey string) (string, bool) {
	if len(enc) > 4096 || len(apiKey) < 32 {
		return "", false
	}
	iv64, ct64, ok := strings.Cut(enc, "--")
	if !ok {
		return "", false
	}
	// Ruby's Base64.encode64 breaks lines; strict decoding after removing them.
	clean := strings.NewReplacer("\n", "", "\r", "")
	iv, err1 := base64.StdEncoding.DecodeString(clean.Replace(iv64))
	ct, err2 := base64.StdEncoding.DecodeString(clean.Replace(ct64))
	if err1 != nil || err2 != nil || len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return "", false
	}
	block, err := aes.NewCipher([]byte(apiKey[:32]))
	if err != nil {
		return "", false
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ct)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize {
		return "", false
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return "", false
		}
	}
	return string(out[:len(out)-pad]), true
}

// appResellers returns the resellers of the groups that use the app.
func (s *Sandbox) appResellers(r *http.Request, app store.App) ([]store.Reseller, error) {
	groups, err := s.store.AppGroups(r.Context(), app.UID)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, g := range groups {
		used[g.ResellerUID] = true
	}
	all, err := s.store.Resellers(r.Context())
	if err != nil {
		return nil, err
	}
	var out []store.Reseller
	for _, rs := range all {
		if used[rs.UID] {
			out = append(out, rs)
		}
	}
	return out, nil
}

func (s *Sandbox) handleListResellers(r *http.Request, app store.App, p params) (accountResult, error) {
	rs, err := s.appResellers(r, app)
	if err != nil {
		return accountResult{}, err
	}
	return listResult(mapAll(rs, accountReseller), p)
}

func (s *Sandbox) appReseller(r *http.Request, app store.App, id string) (store.Reseller, bool, error) {
	rs, err := s.appResellers(r, app)
	if err != nil {
		return store.Reseller{}, false, err
	}
	for _, x := range rs {
		if x.UID == id {
			return x, true, nil
		}
	}
	return store.Reseller{}, false, nil
}

func (s *Sandbox) handleShowReseller(r *http.Request, app store.App, _ params) (accountResult, error) {
	rs, ok, err := s.appReseller(r, app, r.PathValue("id"))
	if err != nil {
		return accountResult{}, err
	}
	if !ok {
		return accountFail(http.StatusOK, "id", msgDoesNotExist), nil
	}
	return accountOK(accountReseller(rs)), nil
}

// handleResellerGroups serves GET .../resellers/{id}/groups: the app's
// groups sold by that reseller (the original sandbox returned all of the
// app's groups whatever the reseller).
func (s *Sandbox) handleResellerGroups(r *http.Request, app store.App, p params) (accountResult, error) {
	id := r.PathValue("id")
	if _, ok, err := s.appReseller(r, app, id); err != nil || !ok {
		if err != nil {
			return accountResult{}, err
		}
		return accountFail(http.StatusOK, "id", msgDoesNotExist), nil
	}
	groups, err := s.store.AppGroups(r.Context(), app.UID)
	if err != nil {
		return accountResult{}, err
	}
	var mine []store.Group
	for _, g := range groups {
		if g.ResellerUID == id {
			mine = append(mine, g)
		}
	}
	return listResult(mapAll(mine, accountGroup), p)
}
