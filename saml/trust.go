package saml

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/maestrano-go/maestrano/internal/clip"
)

// Fingerprint is a pinned IdP certificate: the SHA-1 (as the Maestrano
// platform publishes it) or SHA-256 digest of the certificate's DER bytes.
type Fingerprint []byte

// ParseFingerprint reads a certificate fingerprint written in hex, with or
// without colons (or spaces), in either case: 40 hex digits for SHA-1, 64
// for SHA-256.
func ParseFingerprint(s string) (Fingerprint, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ':', ' ', '\t', '\r', '\n', '-':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	b, err := hex.DecodeString(clean)
	if err != nil {
		return nil, fmt.Errorf("saml: fingerprint %q is not hex", clip.String(s, 100))
	}
	switch len(b) {
	case sha1.Size, sha256.Size:
		return Fingerprint(b), nil
	}
	return nil, fmt.Errorf("saml: fingerprint has %d bytes, want 20 (SHA-1) or 32 (SHA-256)", len(b))
}

// String returns the fingerprint as upper-case hex pairs joined by colons.
func (f Fingerprint) String() string {
	var sb strings.Builder
	for i, c := range f {
		if i > 0 {
			sb.WriteByte(':')
		}
		fmt.Fprintf(&sb, "%02X", c)
	}
	return sb.String()
}

// Matches reports, in constant time for a given length, whether f is the
// SHA-1 or SHA-256 fingerprint of the DER certificate der.
func (f Fingerprint) Matches(der []byte) bool {
	switch len(f) {
	case sha1.Size:
		sum := sha1.Sum(der)
		return subtle.ConstantTimeCompare(f, sum[:]) == 1
	case sha256.Size:
		sum := sha256.Sum256(der)
		return subtle.ConstantTimeCompare(f, sum[:]) == 1
	}
	return false
}

// FingerprintSHA1 returns the SHA-1 fingerprint of cert.
func FingerprintSHA1(cert *x509.Certificate) Fingerprint {
	sum := sha1.Sum(cert.Raw)
	return sum[:]
}

// FingerprintSHA256 returns the SHA-256 fingerprint of cert.
func FingerprintSHA256(cert *x509.Certificate) Fingerprint { return sha256Fingerprint(cert.Raw) }

// sha256Fingerprint returns the SHA-256 fingerprint of the DER certificate der.
func sha256Fingerprint(der []byte) Fingerprint {
	sum := sha256.Sum256(der)
	return sum[:]
}

// maxCertificateSize bounds one encoded certificate (PEM or base64).
const maxCertificateSize = 64 << 10

// ParseCertificates reads X.509 certificates from PEM (one or more
// CERTIFICATE blocks, any line endings) or from the bare base64 of one DER
// certificate, as IdP metadata and the Maestrano platform publish it (with
// or without line breaks). Raw DER is accepted too.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	if len(data) > maxCertificateSize {
		return nil, fmt.Errorf("saml: certificate data is %d bytes, limit %d", len(data), maxCertificateSize)
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("saml: no certificate")
	}
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		var certs []*x509.Certificate
		rest := bytes.ReplaceAll(trimmed, []byte("\r\n"), []byte("\n"))
		for {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				break
			}
			if blk.Type != "CERTIFICATE" {
				return nil, fmt.Errorf("saml: PEM block %q is not a CERTIFICATE", clip.String(blk.Type, 40))
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("saml: certificate %d: %w", len(certs)+1, err)
			}
			certs = append(certs, c)
		}
		if len(certs) == 0 || len(bytes.TrimSpace(rest)) > 0 {
			return nil, errors.New("saml: PEM data is not a sequence of CERTIFICATE blocks")
		}
		return certs, nil
	}
	if trimmed[0] == 0x30 { // DER SEQUENCE
		if c, err := x509.ParseCertificate(trimmed); err == nil {
			return []*x509.Certificate{c}, nil
		}
	}
	der, err := decodeBase64Spaced(string(trimmed))
	if err != nil {
		return nil, errors.New("saml: certificate is neither PEM nor base64 DER")
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("saml: certificate: %w", err)
	}
	return []*x509.Certificate{c}, nil
}

// decodeBase64Spaced decodes standard base64 that may contain spaces, tabs
// and line breaks.
func decodeBase64Spaced(s string) ([]byte, error) {
	if strings.ContainsAny(s, " \t\r\n") {
		s = strings.Map(func(r rune) rune {
			switch r {
			case ' ', '\t', '\r', '\n':
				return -1
			}
			return r
		}, s)
	}
	return base64.StdEncoding.DecodeString(s)
}
