package saml

// The threat corpus: testdata/corpus/<class>/<scenario>/ holds a response
// genuinely signed by the fixed keys in testdata/corpus/idp (response.xml,
// or samlresponse.txt when the form value itself is the point) and
// expect.json: the verdict, the reason, every value a valid response
// yields, and the context it is judged in (clock, skew, audience, ACS URL,
// request ID, trust anchors). TestCorpus judges every scenario directory
// with a real ServiceProvider; TestCorpusUpToDate rebuilds the corpus in
// memory and compares it with the files (the generator is deterministic:
// fixed keys, IDs and times; RSA PKCS#1 v1.5 and RFC 6979 ECDSA).
//
//	go test ./saml -run 'TestCorpus' -update   # rewrite testdata/corpus

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const corpusDir = "testdata/corpus"

// expectation is one scenario's expect.json.
type expectation struct {
	Description string `json:"description"`
	Valid       bool   `json:"valid"`
	// Reason is the ValidationError.Reason of an invalid response.
	Reason string `json:"reason,omitempty"`
	// The values of a valid response.
	NameID       string              `json:"name_id,omitempty"`
	Issuer       string              `json:"issuer,omitempty"`
	AssertionID  string              `json:"assertion_id,omitempty"`
	InResponseTo string              `json:"in_response_to,omitempty"`
	SessionIndex string              `json:"session_index,omitempty"`
	NotOnOrAfter string              `json:"not_on_or_after,omitempty"`
	Attributes   map[string][]string `json:"attributes,omitempty"`
	// The context.
	Now       string `json:"now"`
	Skew      string `json:"skew"`
	Audience  string `json:"audience"`
	ACSURL    string `json:"acs_url"`
	IDPIssuer string `json:"idp_issuer"`
	// RequestID is the outstanding AuthnRequest; "" parses without one.
	RequestID   string `json:"request_id,omitempty"`
	Unsolicited bool   `json:"unsolicited,omitempty"`
	// Certificates are files under testdata/corpus/idp.
	Certificates     []string `json:"certificates,omitempty"`
	Fingerprints     []string `json:"fingerprints,omitempty"`
	SignatureMethods []string `json:"signature_methods,omitempty"`
	MaxResponseSize  int      `json:"max_response_size,omitempty"`
	// Submissions > 1 posts the same response that many times to one
	// service provider; the earlier ones must be valid, the verdict is the
	// last one's (replay).
	Submissions int `json:"submissions,omitempty"`
}

// corpusKeys are the fixed keys of testdata/corpus/idp.
type corpusKeys struct {
	rsa, attacker *keyPair
	ec            *signer
}

var loadCorpusKeys = sync.OnceValues(func() (*corpusKeys, error) {
	read := func(name string) (crypto.Signer, *x509.Certificate, []byte, error) {
		kb, err := os.ReadFile(filepath.Join(corpusDir, "idp", name+"-key.pem"))
		if err != nil {
			return nil, nil, nil, err
		}
		cb, err := os.ReadFile(filepath.Join(corpusDir, "idp", name+"-cert.pem"))
		if err != nil {
			return nil, nil, nil, err
		}
		kblk, _ := pem.Decode(kb)
		cblk, _ := pem.Decode(cb)
		if kblk == nil || cblk == nil {
			return nil, nil, nil, errors.New(name + ": bad PEM")
		}
		k, err := x509.ParsePKCS8PrivateKey(kblk.Bytes)
		if err != nil {
			return nil, nil, nil, err
		}
		c, err := x509.ParseCertificate(cblk.Bytes)
		if err != nil {
			return nil, nil, nil, err
		}
		return k.(crypto.Signer), c, cblk.Bytes, nil
	}
	ks := &corpusKeys{}
	for _, n := range []string{"rsa", "attacker"} {
		k, c, der, err := read(n)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New(n + ": not an RSA key")
		}
		kp := &keyPair{key: rk, cert: c, der: der}
		if n == "rsa" {
			ks.rsa = kp
		} else {
			ks.attacker = kp
		}
	}
	k, c, der, err := read("ec")
	if err != nil {
		return nil, err
	}
	ks.ec = &signer{key: deterministic{k}, cert: c, der: der}
	return ks, nil
})

func corpusKeysFor(tb testing.TB) *corpusKeys {
	tb.Helper()
	k, err := loadCorpusKeys()
	if err != nil {
		tb.Fatalf("testdata/corpus/idp: %v", err)
	}
	return k
}

// deterministic signs without randomness: ECDSA then follows RFC 6979.
type deterministic struct{ crypto.Signer }

func (d deterministic) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return d.Signer.Sign(nil, digest, opts)
}

// scenario is one corpus entry as the generator knows it.
type scenario struct {
	path   string // class/name
	desc   string
	xml    func() []byte // response.xml
	form   func() string // samlresponse.txt, instead of xml
	valid  bool
	reason Reason
	set    func(*expectation) // adjusts the defaults (context or values)
}

// defaultExpectation is the context every scenario starts from and, for a
// valid one, the values of the test IdP's default response.
func defaultExpectation(s scenario) expectation {
	e := expectation{
		Description:  s.desc,
		Valid:        s.valid,
		Reason:       string(s.reason),
		Now:          testNow.Format(time.RFC3339),
		Skew:         DefaultClockSkew.String(),
		Audience:     testAudience,
		ACSURL:       testACS,
		IDPIssuer:    testIdPIssuer,
		RequestID:    testRequestID,
		Certificates: []string{"rsa-cert.pem"},
	}
	if s.valid {
		e.NameID = testNameID
		e.Issuer = testIdPIssuer + "?SAMLRequest=fZJNT8MwDIbv"
		e.AssertionID = testAssertionID
		e.InResponseTo = testRequestID
		e.SessionIndex = testAssertionID
		e.NotOnOrAfter = testNow.Add(3 * time.Minute).Format(time.RFC3339)
		e.Attributes = attrMap(maestranoAttributes())
	}
	if s.set != nil {
		s.set(&e)
	}
	return e
}

func attrMap(as []attribute) map[string][]string {
	m := map[string][]string{}
	for _, a := range as {
		m[a.name] = append(m[a.name], a.values...)
	}
	return m
}

// corpusFiles renders a scenario: its file name and bytes, and expect.json.
func corpusFiles(tb testing.TB, s scenario) (name string, body, expect []byte) {
	tb.Helper()
	if s.form != nil {
		name, body = "samlresponse.txt", []byte(s.form())
	} else {
		name, body = "response.xml", s.xml()
	}
	e := defaultExpectation(s)
	expect, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return name, body, append(expect, '\n')
}

// TestCorpus judges every scenario directory under testdata/corpus.
func TestCorpus(t *testing.T) {
	if *updateGolden {
		writeCorpus(t)
	}
	dirs, err := filepath.Glob(filepath.Join(corpusDir, "*", "*", "expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 100 {
		t.Fatalf("%d corpus scenarios, want the whole corpus (run with -update)", len(dirs))
	}
	for _, p := range dirs {
		dir := filepath.Dir(p)
		rel, _ := filepath.Rel(corpusDir, dir)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			t.Parallel()
			judge(t, dir)
		})
	}
}

// judge runs one scenario directory through a ServiceProvider.
func judge(t *testing.T, dir string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectation
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("expect.json: %v", err)
	}
	var form string
	if b, err := os.ReadFile(filepath.Join(dir, "response.xml")); err == nil {
		form = encode(b)
	} else if b, err := os.ReadFile(filepath.Join(dir, "samlresponse.txt")); err == nil {
		form = string(b)
	} else {
		t.Fatal("neither response.xml nor samlresponse.txt")
	}
	now, err := time.Parse(time.RFC3339, e.Now)
	if err != nil {
		t.Fatalf("now: %v", err)
	}
	skew, err := time.ParseDuration(e.Skew)
	if err != nil {
		t.Fatalf("skew: %v", err)
	}
	opts := []Option{WithClock(func() time.Time { return now }), WithClockSkew(skew), WithAudiences(e.Audience), WithIDPIssuer(e.IDPIssuer)}
	var certs []*x509.Certificate
	for _, name := range e.Certificates {
		b, err := os.ReadFile(filepath.Join(corpusDir, "idp", name))
		if err != nil {
			t.Fatal(err)
		}
		cs, err := ParseCertificates(b)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, cs...)
	}
	for _, f := range e.Fingerprints {
		fp, err := ParseFingerprint(f)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, WithFingerprints(fp))
	}
	if len(e.SignatureMethods) > 0 {
		opts = append(opts, WithSignatureMethods(e.SignatureMethods...))
	}
	if e.MaxResponseSize > 0 {
		opts = append(opts, WithMaxResponseSize(e.MaxResponseSize))
	}
	if e.Unsolicited {
		opts = append(opts, WithUnsolicitedResponses())
	}
	sp, err := NewServiceProvider(e.ACSURL, certs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	if e.RequestID != "" {
		ids = []string{e.RequestID}
	}
	for i := 1; i < e.Submissions; i++ {
		if _, err := sp.ParseResponse(context.Background(), form, ids...); err != nil {
			t.Fatalf("submission %d: %v", i, err)
		}
	}
	a, err := sp.ParseResponse(context.Background(), form, ids...)
	if !e.Valid {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("got %v (assertion %+v), want a *ValidationError with reason %q", err, a, e.Reason)
		}
		if string(ve.Reason) != e.Reason || a != nil {
			t.Errorf("reason %q (%v), want %q", ve.Reason, err, e.Reason)
		}
		if ve.Detail == "" {
			t.Error("no detail for the developer")
		}
		t.Logf("refused as expected: %v", err)
		return
	}
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	got := expectation{
		NameID: a.NameID, Issuer: a.Issuer, AssertionID: a.ID, InResponseTo: a.InResponseTo,
		SessionIndex: a.SessionIndex, NotOnOrAfter: a.NotOnOrAfter.UTC().Format(time.RFC3339), Attributes: a.Attributes,
	}
	want := expectation{
		NameID: e.NameID, Issuer: e.Issuer, AssertionID: e.AssertionID, InResponseTo: e.InResponseTo,
		SessionIndex: e.SessionIndex, NotOnOrAfter: e.NotOnOrAfter, Attributes: e.Attributes,
	}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("values:\n got %s\nwant %s", g, w)
	}
	if a.NameIDFormat != NameIDFormatPersistent {
		t.Errorf("NameID Format %q", a.NameIDFormat)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeCorpus replaces testdata/corpus/<class>/ with the generator's output
// and rewrites the README's table of contents.
func writeCorpus(t *testing.T) {
	t.Helper()
	scs := corpusScenarios(t)
	old, _ := filepath.Glob(filepath.Join(corpusDir, "*"))
	for _, d := range old {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && filepath.Base(d) != "idp" {
			if err := os.RemoveAll(d); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, s := range scs {
		dir := filepath.Join(corpusDir, filepath.FromSlash(s.path))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		name, body, expect := corpusFiles(t, s)
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "expect.json"), expect, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(corpusDir, "README.md"), corpusReadme(scs), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCorpusUpToDate rebuilds the corpus in memory: the files on disk are
// exactly the generator's output (so the generator is deterministic and
// nobody edited a response by hand without its expectation).
func TestCorpusUpToDate(t *testing.T) {
	t.Parallel()
	scs := corpusScenarios(t)
	seen := map[string]bool{}
	for _, s := range scs {
		if seen[s.path] {
			t.Fatalf("scenario %s twice", s.path)
		}
		seen[s.path] = true
		name, body, expect := corpusFiles(t, s)
		dir := filepath.Join(corpusDir, filepath.FromSlash(s.path))
		for f, want := range map[string][]byte{name: body, "expect.json": expect} {
			got, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s/%s differs from the generator's output (%v); run go test ./saml -run TestCorpus -update", s.path, f, err)
			}
		}
		// The generator is deterministic: a second rendering is identical.
		if _, body2, _ := corpusFiles(t, s); !bytes.Equal(body, body2) {
			t.Errorf("%s: two renderings differ", s.path)
		}
	}
	onDisk, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*", "expect.json"))
	for _, p := range onDisk {
		rel, _ := filepath.Rel(corpusDir, filepath.Dir(p))
		if !seen[filepath.ToSlash(rel)] {
			t.Errorf("%s is on disk but not generated", rel)
		}
	}
	readme, err := os.ReadFile(filepath.Join(corpusDir, "README.md"))
	if err != nil || !bytes.Equal(readme, corpusReadme(scs)) {
		t.Errorf("README.md is not the generator's (%v)", err)
	}
}

func corpusReadme(scs []scenario) []byte {
	var b bytes.Buffer
	b.WriteString(`# SAML response corpus

Generated by ` + "`go test ./saml -run TestCorpus -update`" + ` (corpus_test.go); do not edit by hand.
Each ` + "`<class>/<scenario>/`" + ` holds ` + "`response.xml`" + ` (a response genuinely signed by a key in ` + "`idp/`" + `,
then changed as the scenario says) or ` + "`samlresponse.txt`" + ` (the SAMLResponse form value verbatim),
and ` + "`expect.json`" + `: ` + "`valid`" + `, ` + "`reason`" + ` (the ValidationError.Reason), the values a valid
response yields (` + "`name_id`" + `, ` + "`attributes`" + `, ...) and the context it is judged in (` + "`now`" + `,
` + "`skew`" + `, ` + "`audience`" + `, ` + "`acs_url`" + `, ` + "`idp_issuer`" + `, ` + "`request_id`" + `, trusted ` + "`certificates`" + ` or ` + "`fingerprints`" + `, ...).
TestCorpus judges every directory with a ServiceProvider; TestCorpusUpToDate checks that the
files are the generator's output.

` + "`idp/`" + ` holds test-only keys (RSA-2048 ` + "`rsa`" + `, P-256 ` + "`ec`" + `, and ` + "`attacker`" + `), valid
2025-01-01 to 2036-01-01. Never trust them anywhere else.

`)
	byClass := map[string][]scenario{}
	for _, s := range scs {
		c, _, _ := strings.Cut(s.path, "/")
		byClass[c] = append(byClass[c], s)
	}
	for _, c := range slices.Sorted(maps.Keys(byClass)) {
		fmt.Fprintf(&b, "## %s\n\n| scenario | verdict | what |\n|---|---|---|\n", c)
		for _, s := range byClass[c] {
			_, n, _ := strings.Cut(s.path, "/")
			v := "valid"
			if !s.valid {
				v = string(s.reason)
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", n, v, strings.ReplaceAll(s.desc, "|", "\\|"))
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}
