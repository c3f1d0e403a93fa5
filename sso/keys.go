package sso

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// MinKeySize is the shortest key a [Keyring] accepts.
const MinKeySize = 32

// Keyring holds the HMAC-SHA256 keys that sign this package's cookies (the
// session and the pending login). The first key signs; every key verifies,
// so that keys can be rotated: put the new key first, keep the old one
// second until the cookies it signed have expired, then drop it. It is safe
// for concurrent use.
type Keyring struct {
	keys []*macKey
}

type macKey struct {
	pool sync.Pool // of *macState
}

type macState struct {
	h      hash.Hash
	sum    [sha256.Size]byte
	prefix [64]byte
}

// NewKeyring returns a keyring of keys (copied), the first of which signs.
// Each key must be at least MinKeySize bytes of secret randomness (for
// example 32 bytes from crypto/rand, kept in the app's secret store).
func NewKeyring(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("sso: NewKeyring: no key")
	}
	k := &Keyring{}
	for i, key := range keys {
		if len(key) < MinKeySize {
			return nil, fmt.Errorf("sso: NewKeyring: key %d is %d bytes, want at least %d", i, len(key), MinKeySize)
		}
		cp := append([]byte(nil), key...)
		mk := &macKey{}
		mk.pool.New = func() any { return &macState{h: hmac.New(sha256.New, cp)} }
		k.keys = append(k.keys, mk)
	}
	return k, nil
}

// sign appends to dst the MAC of purpose and payload under the first key.
// purpose separates the uses of one key (a session MAC never verifies as a
// pending-login MAC).
func (k *Keyring) sign(dst []byte, purpose string, payload []byte) []byte {
	st := k.keys[0].pool.Get().(*macState)
	defer k.keys[0].pool.Put(st)
	return append(dst, st.mac(purpose, payload)...)
}

// verify reports whether mac is the MAC of purpose and payload under any
// key, comparing in constant time.
func (k *Keyring) verify(purpose string, payload, mac []byte) bool {
	if len(mac) != sha256.Size {
		return false
	}
	ok := 0
	for _, mk := range k.keys {
		st := mk.pool.Get().(*macState)
		ok |= subtle.ConstantTimeCompare(st.mac(purpose, payload), mac)
		mk.pool.Put(st)
	}
	return ok == 1
}

func (st *macState) mac(purpose string, payload []byte) []byte {
	st.h.Reset()
	// purpose, then a 0 byte, through the state's own buffer (no
	// allocation); purposes are short constants.
	n := copy(st.prefix[:len(st.prefix)-1], purpose)
	st.prefix[n] = 0
	st.h.Write(st.prefix[:n+1])
	st.h.Write(payload)
	return st.h.Sum(st.sum[:0])
}
