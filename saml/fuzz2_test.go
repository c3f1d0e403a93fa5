package saml

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	validator "github.com/mattermost/xml-roundtrip-validator"
)

// parseStrict claims to refuse everything xml-roundtrip-validator refuses
// (it replaced that second full parse): hold it to that.
func FuzzParseStrictCoversRoundTrip(f *testing.F) {
	kp, err := fuzzIdP()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signedResponse(f, signedBy(kp)))
	for _, s := range []string{
		`<a:b:c xmlns:a="urn:a"/>`, `<a xmlns:b:c="urn:x"/>`, `<a b:c:d="1" xmlns:b="urn:b"/>`, `<:a/>`, `<a:/>`,
		`<xmlns:a/>`, `<a xmlns:="urn:x"/>`, `<a><!DOCTYPE x></a>`, `<a><?pi x?></a>`, `<a x="1" x="2"/>`,
		`<a xmlns:p="urn:p" xmlns:q="urn:p" p:x="1" q:x="2"/>`, `<a>&#0;</a>`, `<a>` + "\xff" + `</a>`, `<a><!-- -- --></a>`,
		`<a xml:lang="en"/>`, `<a xmlns:xml="urn:other"/>`, `<p:a/>`, `<a><b></a></b>`, `<a></b>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if _, err := parseStrict(in, DefaultMaxDepth); err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not a *ValidationError", err)
			}
			return
		}
		if err := validator.Validate(bytes.NewReader(in)); err != nil {
			t.Fatalf("parseStrict accepts what xml-roundtrip-validator refuses (%v):\n%q", err, in)
		}
	})
}

// The HTTP-Redirect decoder: bounded output, an error and never a panic.
func FuzzDecodeRedirect(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "redirect", "*", "*.txt"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(bytes.TrimSpace(b)))
	}
	enc, err := EncodeRedirect([]byte(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1"/>`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add("")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := DecodeRedirect(s)
		if err == nil && len(out) > maxInflated {
			t.Fatalf("%d bytes out, limit %d", len(out), maxInflated)
		}
		if err != nil && out != nil {
			t.Fatal("output with an error")
		}
	})
}

// Certificates and fingerprints: errors, never panics; what parses, round-trips.
func FuzzParseCertificate(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "cert", "*", "*"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("AB:CD"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if certs, err := ParseCertificates(in); err == nil {
			if len(certs) == 0 {
				t.Fatal("no certificate and no error")
			}
			for _, c := range certs {
				if !FingerprintSHA256(c).Matches(c.Raw) || !FingerprintSHA1(c).Matches(c.Raw) {
					t.Fatal("fingerprint does not match its certificate")
				}
			}
		}
		if fp, err := ParseFingerprint(string(in)); err == nil {
			back, err := ParseFingerprint(fp.String())
			if err != nil || !bytes.Equal(back, fp) {
				t.Fatalf("fingerprint %s does not round-trip: %v", fp, err)
			}
		}
	})
}
