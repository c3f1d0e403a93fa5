package saml

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/maestrano-go/maestrano/internal/clip"
)

// fuzzIdP is a fixed key from testdata: fuzz seeds are built in the
// coordinator and replayed in worker processes, so a key generated per
// process would make every seed fail the RSA check and hide the logic after it.
var fuzzIdP = sync.OnceValues(func() (*keyPair, error) {
	dir := filepath.Join("testdata", "idp", "fuzz")
	kb, err := os.ReadFile(filepath.Join(dir, "key.pem"))
	if err != nil {
		return nil, err
	}
	cb, err := os.ReadFile(filepath.Join(dir, "cert.pem"))
	if err != nil {
		return nil, err
	}
	kblk, _ := pem.Decode(kb)
	cblk, _ := pem.Decode(cb)
	if kblk == nil || cblk == nil {
		return nil, errors.New("testdata/idp/fuzz: bad PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(kblk.Bytes)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(cblk.Bytes)
	if err != nil {
		return nil, err
	}
	return &keyPair{key: k.(*rsa.PrivateKey), cert: cert, der: cblk.Bytes}, nil
})

func FuzzParseResponse(f *testing.F) {
	kp, err := fuzzIdP()
	if err != nil {
		f.Fatal(err)
	}
	by := signedBy(kp)
	valid := signedResponse(f, by)
	seeds := [][]byte{
		valid,
		signedResponse(f, by, prefixed("saml"), nsOnResponse()),
		signedResponse(f, by, withNameID("usr-1.evil"), replaceRaw(">usr-1.evil<", ">usr-1<!---->.evil<")),
		signedResponse(f, by, afterSign(func(r, a *etree.Element) { r.AddChild(evilCopy(a, false, "_evil")) })),
		signedResponse(f, by, afterSign(func(r, a *etree.Element) {
			evil := evilCopy(a, true, "_evil")
			swap(r, a, evil)
			firstChild(evil, "Signature").CreateElement("ds:Object").AddChild(a)
		})),
		signedResponse(f, by, afterSign(func(_, a *etree.Element) {
			s := firstChild(a, "Signature")
			s.RemoveChild(firstChild(s, "SignatureValue"))
		})),
		signedResponse(f, by, rawXML(func(x []byte) []byte { return append([]byte(`<!DOCTYPE r [<!ENTITY e "x">]>`), x...) })),
		valid[:len(valid)/2],
		[]byte(`<samlp:Response xmlns:samlp="` + NSProtocol + `"><Assertion xmlns="` + NSAssertion + `"/></samlp:Response>`),
		[]byte(`<a><b></a></b>`),
		{},
	}
	for _, s := range seeds {
		f.Add(s)                 // the document itself (base64-encoded by the target)
		f.Add([]byte(encode(s))) // and as a SAMLResponse value (decoded by the target)
	}
	f.Add([]byte(wrap(encode(valid), 60, "\n")))
	f.Add([]byte("not base64!"))

	newSP := func(t *testing.T) *ServiceProvider {
		sp, err := NewServiceProvider(testACS, []*x509.Certificate{kp.cert}, WithClock(fixedClock), WithIDPIssuer(testIdPIssuer))
		if err != nil {
			t.Fatal(err)
		}
		return sp
	}
	// The genuinely signed assertions among the seeds: the only content the
	// target may ever return.
	genuine := map[string]bool{}
	for _, sd := range seeds {
		if a, err := newSP(&testing.T{}).ParseResponse(f.Context(), encode(sd), testRequestID); err == nil {
			genuine[fingerprint(a)] = true
		}
	}
	if len(genuine) != 2 { // the plain and prefixed seeds say the same; the comment seed names usr-1.evil
		f.Fatalf("%d distinct genuine seeds, want 2", len(genuine))
	}

	f.Fuzz(func(t *testing.T, in []byte) {
		for _, enc := range []string{string(in), encode(in)} {
			a, err := newSP(t).ParseResponse(t.Context(), enc, testRequestID)
			if err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) || ve.Reason == "" {
					t.Fatalf("error %v (%T) is not a *ValidationError with a Reason", err, err)
				}
				if a != nil {
					t.Fatalf("assertion returned with error %v", err)
				}
				continue
			}
			if a == nil {
				t.Fatal("nil assertion without error")
			}
			// Only the genuine signed content may ever come out.
			if !genuine[fingerprint(a)] {
				t.Fatalf("accepted content that no seed signed: %+v\ninput %q", a, clip.String(strings.TrimSpace(string(in)), 2000))
			}
		}
	})
}

// fingerprint is everything an Assertion says, as one comparable string.
func fingerprint(a *Assertion) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q %q %q %q %q %s %s %q\n", a.ID, a.Issuer, a.NameID, a.NameIDFormat, a.InResponseTo,
		a.IssueInstant.UTC().Format(time.RFC3339Nano), a.NotOnOrAfter.UTC().Format(time.RFC3339Nano), a.SessionIndex)
	for _, k := range slices.Sorted(maps.Keys(a.Attributes)) {
		fmt.Fprintf(&b, "%q=%q\n", k, a.Attributes[k])
	}
	return b.String()
}
