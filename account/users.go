package account

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/maestrano-go/maestrano"
)

// List returns the users of the app's groups (GET account/users); with
// opts.GroupID, the members of one group.
func (s *UsersService) List(ctx context.Context, opts *ListOptions) ([]User, error) {
	return list[User](ctx, s.c, "account/users", true, opts)
}

// Get returns one user (GET account/users/{id}).
func (s *UsersService) Get(ctx context.Context, id string) (*User, error) {
	return get[User](ctx, s.c, "account/users", id)
}

// AuthenticateRequest names a user, by UserID or by Email (exactly one),
// and the password to check.
type AuthenticateRequest struct {
	UserID   string
	Email    string
	Password maestrano.Secret
}

// maxPasswordBytes bounds a password before it is encrypted.
const maxPasswordBytes = 1024

// Authenticate checks a user's platform password
// (POST account/users/authenticate) and returns the user. A wrong password
// or an unknown user is an error matching [ErrInvalidPassword].
//
// The password never travels in clear: it is sent as
// base64(iv) + "--" + base64(AES-256-CBC(password)), keyed with the first
// 32 bytes of the app's api.key, as the platform expects.
func (s *UsersService) Authenticate(ctx context.Context, req AuthenticateRequest) (*User, error) {
	const op = "POST account/users/authenticate"
	p := map[string][]string{}
	body := map[string]string{}
	switch {
	case req.UserID != "" && req.Email != "":
		p["id"] = []string{"give UserID or Email, not both"}
	case req.UserID != "":
		if err := checkID(req.UserID); err != nil {
			p["id"] = []string{err.Error()}
		}
		body["id"] = req.UserID
	case req.Email != "":
		if len(req.Email) > 320 || !strings.Contains(req.Email, "@") {
			p["email"] = []string{"is not an email address"}
		}
		body["email"] = req.Email
	default:
		p["id"] = []string{"give UserID or Email"}
	}
	switch {
	case req.Password == "":
		p["password"] = []string{"can't be blank"}
	case len(req.Password) > maxPasswordBytes:
		p["password"] = []string{"is longer than 1024 bytes"}
	}
	if len(p) > 0 {
		return nil, &APIError{Op: op, Kind: KindValidation, Errors: p}
	}
	enc, err := encryptPassword(s.c.apiKey, req.Password)
	if err != nil {
		return nil, fmt.Errorf("account: %s: %w", op, err)
	}
	body["password"] = enc
	var u User
	// Checking a password changes nothing, so it may be retried.
	err = s.c.call(ctx, call{method: http.MethodPost, path: "account/users/authenticate", body: body, idempotent: true}, &u)
	var ae *APIError
	if errors.As(err, &ae) && ae.Kind == KindValidation && len(ae.Errors["password"]) > 0 {
		ae.Kind = KindInvalidPassword
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// encryptPassword encrypts password with AES-256-CBC and PKCS#7 padding
// under the first 32 bytes of key, with a random IV.
func encryptPassword(key maestrano.Secret, password maestrano.Secret) (string, error) {
	k := []byte(key.Reveal())
	if len(k) < 32 {
		return "", errors.New("api.key is shorter than the 32 bytes the password encryption needs")
	}
	block, err := aes.NewCipher(k[:32])
	if err != nil {
		return "", err
	}
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	pt := []byte(password.Reveal())
	pad := aes.BlockSize - len(pt)%aes.BlockSize
	for range pad {
		pt = append(pt, byte(pad))
	}
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, pt)
	return base64.StdEncoding.EncodeToString(iv) + "--" + base64.StdEncoding.EncodeToString(ct), nil
}
