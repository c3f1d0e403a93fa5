package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Key pair parameters.
const (
	keyBits      = 2048
	certValidity = 10 * 365 * 24 * time.Hour
	certSubject  = "Maestrano Sandbox IdP"
)

// loadOrCreateKeyPair loads idp.key and idp.crt from dir. A missing key is
// generated (with a new certificate); a missing or mismatching certificate is
// re-issued for the existing key, valid from now for ten years.
func loadOrCreateKeyPair(dir string, now time.Time, log *slog.Logger) (*rsa.PrivateKey, *x509.Certificate, error) {
	keyPath, certPath := filepath.Join(dir, keyFile), filepath.Join(dir, certFile)
	key, err := readKey(keyPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		key, err = rsa.GenerateKey(rand.Reader, keyBits)
		if err != nil {
			return nil, nil, fmt.Errorf("sandbox: generate IdP key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, fmt.Errorf("sandbox: encode IdP key: %w", err)
		}
		if err := writeFileAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, nil, fmt.Errorf("sandbox: write IdP key: %w", err)
		}
		// A certificate left over from another key is useless.
		if err := os.Remove(certPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("sandbox: remove stale IdP certificate: %w", err)
		}
	case err != nil:
		return nil, nil, err
	}

	cert, err := readCert(certPath)
	if err == nil && !key.PublicKey.Equal(cert.PublicKey) {
		log.Warn("sandbox: IdP certificate does not match the key; issuing a new one", slog.String("path", certPath))
		err = fs.ErrNotExist
	}
	if errors.Is(err, fs.ErrNotExist) {
		cert, err = newCertificate(key, now)
		if err != nil {
			return nil, nil, err
		}
		if err := writeFileAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
			return nil, nil, fmt.Errorf("sandbox: write IdP certificate: %w", err)
		}
	} else if err != nil {
		return nil, nil, err
	}
	return key, cert, nil
}

func readKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err // may be fs.ErrNotExist
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("sandbox: %s: no PEM PRIVATE KEY block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %s: parse key: %w", path, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("sandbox: %s: not an RSA key", path)
	}
	return rk, nil
}

func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("sandbox: %s: no PEM CERTIFICATE block", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %s: parse certificate: %w", path, err)
	}
	return c, nil
}

// newCertificate issues a self-signed certificate for key, valid from a
// minute before now for ten years.
func newCertificate(key *rsa.PrivateKey, now time.Time) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("sandbox: certificate serial: %w", err)
	}
	now = now.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: certSubject, Organization: []string{"Maestrano sandbox"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("sandbox: create certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// writeFileAtomic writes data to a temporary file in the same directory,
// syncs it and renames it over path.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(perm); err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
