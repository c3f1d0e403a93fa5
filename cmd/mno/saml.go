package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/maestrano-go/maestrano/saml"
)

// exitError ends mno with status code; err, if set, is printed to stderr.
type exitError struct {
	code int
	err  error
}

// Error returns the message of the underlying error.
func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// Unwrap returns the underlying error.
func (e *exitError) Unwrap() error { return e.err }

// usageFailure is exit status 2 with a message.
func usageFailure(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

const samlUsage = `usage: mno saml <command> [flags] [FILE|-]

commands:
  verify    verify a SAMLResponse (base64 or XML): exit 0 valid, 1 invalid, 2 usage or I/O error
  decode    pretty-print a SAML message (base64, deflated, URL-encoded or XML)

examples:
  mno saml verify --cert .mno/idp.crt response.b64
  mno saml decode 'http://127.0.0.1:7000/api/v1/auth/saml?SAMLRequest=...'

Run "mno saml verify --help" or "mno saml decode --help" for the flags.
`

// maxInput bounds what mno saml reads.
const maxInput = 4 << 20

func (m *Main) runSAML(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, samlUsage)
		return &exitError{code: 2}
	}
	switch args[0] {
	case "verify":
		return m.samlVerify(ctx, args[1:])
	case "decode":
		return m.samlDecode(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(m.Stdout, samlUsage)
		return nil
	}
	fmt.Fprint(m.Stderr, samlUsage)
	return usageFailure("saml: unknown command %q", args[0])
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (f *multiFlag) String() string     { return strings.Join(*f, ",") }
func (f *multiFlag) Set(v string) error { *f = append(*f, v); return nil }

// verifyResult is the --json output of mno saml verify.
type verifyResult struct {
	Valid       bool                `json:"valid"`
	Error       string              `json:"error"`
	Issuer      string              `json:"issuer"`
	NameID      string              `json:"name_id"`
	AssertionID string              `json:"assertion_id"`
	Attributes  map[string][]string `json:"attributes"`
}

func (m *Main) samlVerify(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("mno saml verify", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var certs, fps multiFlag
	fs.Var(&certs, "cert", "IdP certificate file: PEM, or bare base64 DER (repeatable, for rotation)")
	fs.Var(&fps, "fingerprint", "SHA-1 or SHA-256 fingerprint of the IdP certificate, hex, colons and case ignored (repeatable); without --cert the KeyInfo certificate is used only if it matches")
	nowFlag := fs.String("now", "", "evaluate times at this RFC 3339 instant (default: now)")
	skew := fs.Duration("skew", saml.DefaultClockSkew, "tolerated clock difference")
	audience := fs.String("audience", "", "expected Audience (checked only if given)")
	destination := fs.String("destination", "", "expected ACS URL, for Destination and Recipient (checked only if given)")
	requestID := fs.String("request-id", "", "expected InResponseTo (checked only if given)")
	issuer := fs.String("issuer", "", "expected Issuer, query ignored (checked only if given)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	fs.Usage = func() {} // --help prints on stdout below; a mistake gets one line on stderr
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(m.Stdout, "usage: mno saml verify [flags] [FILE|-]\n\nThe signature and the time window are always checked; other checks only when their flag is given.\nExit status: 0 valid, 1 invalid, 2 usage or I/O error.\n\nflags:\n")
			fs.SetOutput(m.Stdout)
			fs.PrintDefaults()
			fmt.Fprint(m.Stdout, `
examples:
  # the SAMLResponse posted to your consume path, checked against the sandbox's IdP certificate
  mno saml verify --cert .mno/idp.crt --audience demo-app response.b64
  # from stdin, by fingerprint (mno config show prints sso.x509_fingerprint), as JSON
  pbpaste | mno saml verify --fingerprint 5d:41:bb:... --json -
`)
			return nil
		}
		return usageFailure("saml verify: see mno saml verify --help")
	}
	if fs.NArg() > 1 {
		return usageFailure("saml verify: more than one input (%q)", fs.Arg(1))
	}
	cfg := saml.VerifyConfig{Skew: *skew, Audience: *audience, Destination: *destination, RequestID: *requestID, Issuer: *issuer}
	if *skew < 0 {
		return usageFailure("saml verify: --skew must not be negative")
	}
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usageFailure("saml verify: --now %q is not RFC 3339 (e.g. 2026-03-01T12:00:00Z)", *nowFlag)
		}
		cfg.Now = t
	}
	for _, p := range certs {
		b, err := readBounded(p, nil)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		cs, err := saml.ParseCertificates(b)
		if err != nil {
			return usageFailure("saml verify: --cert %s: %v", p, err)
		}
		cfg.Certificates = append(cfg.Certificates, cs...)
	}
	for _, s := range fps {
		f, err := saml.ParseFingerprint(s)
		if err != nil {
			return usageFailure("saml verify: --fingerprint: %v", err)
		}
		cfg.Fingerprints = append(cfg.Fingerprints, f)
	}
	if len(cfg.Certificates) == 0 && len(cfg.Fingerprints) == 0 {
		return usageFailure("saml verify: give the IdP certificate (--cert) or its fingerprint (--fingerprint)")
	}
	in, err := readBounded(fs.Arg(0), m.stdin())
	if err != nil {
		return &exitError{code: 2, err: err}
	}

	res := verifyResult{Attributes: map[string][]string{}}
	a, err := verifyInput(in, cfg)
	if err != nil {
		res.Error = err.Error()
	} else {
		res.Valid, res.Issuer, res.NameID, res.AssertionID = true, a.Issuer, a.NameID, a.ID
		for k, v := range a.Attributes {
			res.Attributes[k] = v
		}
	}
	if *asJSON {
		if err := m.printJSON(res); err != nil {
			return &exitError{code: 2, err: err}
		}
	} else {
		printResult(m.Stdout, res)
	}
	if !res.Valid {
		return &exitError{code: 1}
	}
	return nil
}

// verifyInput accepts raw XML, base64 (whitespace allowed) or a form body
// "SAMLResponse=...".
func verifyInput(in []byte, cfg saml.VerifyConfig) (*saml.Assertion, error) {
	s := strings.TrimSpace(strings.TrimPrefix(string(in), "\xEF\xBB\xBF"))
	if strings.HasPrefix(s, "SAMLResponse=") {
		v, err := url.QueryUnescape(strings.TrimPrefix(s, "SAMLResponse="))
		if err != nil {
			return nil, fmt.Errorf("SAMLResponse form value: %w", err)
		}
		s = v
	}
	var x []byte
	if strings.HasPrefix(s, "<") {
		x = []byte(s)
	} else {
		var err error
		if x, err = saml.DecodeResponse(s, saml.DefaultMaxResponseSize); err != nil {
			return nil, err
		}
	}
	return saml.VerifyResponse(x, cfg)
}

func printResult(w io.Writer, r verifyResult) {
	if !r.Valid {
		fmt.Fprintln(w, "invalid:", r.Error)
		return
	}
	fmt.Fprintln(w, "valid")
	fmt.Fprintln(w, "issuer:      ", r.Issuer)
	fmt.Fprintln(w, "name_id:     ", r.NameID)
	fmt.Fprintln(w, "assertion_id:", r.AssertionID)
	if len(r.Attributes) > 0 {
		fmt.Fprintln(w, "attributes:")
		names := make([]string, 0, len(r.Attributes))
		for k := range r.Attributes {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			fmt.Fprintf(w, "  %s: %s\n", k, strings.Join(r.Attributes[k], ", "))
		}
	}
}

func (m *Main) samlDecode(args []string) error {
	fs := flag.NewFlagSet("mno saml decode", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(m.Stdout, `usage: mno saml decode [FILE|-]

Pretty-prints a SAML message: XML, base64 (POST binding), base64 of DEFLATE (Redirect binding),
a URL or query string carrying SAMLRequest or SAMLResponse. Nothing is verified.

examples:
  # the AuthnRequest of a login redirect
  mno saml decode 'http://127.0.0.1:7000/api/v1/auth/saml?SAMLRequest=fZJP...'
  # a SAMLResponse saved from the browser's network tab
  mno saml decode response.b64
`)
			return nil
		}
		return usageFailure("saml decode: see mno saml decode --help")
	}
	if fs.NArg() > 1 {
		return usageFailure("saml decode: more than one input (%q)", fs.Arg(1))
	}
	in, err := readBounded(fs.Arg(0), m.stdin())
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	x, err := decodeMessage(in)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("saml decode: %w", err)}
	}
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(x); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("saml decode: not XML: %w", err)}
	}
	doc.Indent(2)
	if _, err := doc.WriteTo(m.Stdout); err != nil {
		return &exitError{code: 2, err: err}
	}
	return nil
}

// decodeMessage finds the XML in any of the usual wrappings.
func decodeMessage(in []byte) ([]byte, error) {
	s := strings.TrimSpace(strings.TrimPrefix(string(in), "\xEF\xBB\xBF"))
	if strings.HasPrefix(s, "<") {
		return []byte(s), nil
	}
	if strings.Contains(s, "SAMLRequest=") || strings.Contains(s, "SAMLResponse=") {
		q := s
		if i := strings.IndexByte(s, '?'); i >= 0 {
			q = s[i+1:]
		}
		vals, err := url.ParseQuery(q)
		if err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
		s = vals.Get("SAMLRequest")
		if s == "" {
			s = vals.Get("SAMLResponse")
		}
	}
	if strings.Contains(s, "%") {
		if v, err := url.QueryUnescape(s); err == nil {
			s = v
		}
	}
	raw, err := saml.DecodeResponse(s, maxInput)
	if err != nil {
		return nil, errors.New("neither XML nor base64")
	}
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '<' {
		return t, nil
	}
	x, err := saml.DecodeRedirect(s)
	if err != nil {
		return nil, errors.New("base64, but neither XML nor DEFLATE-compressed XML")
	}
	return x, nil
}

// readBounded reads the file at path ("" or "-": stdin), at most maxInput bytes.
func readBounded(path string, stdin io.Reader) ([]byte, error) {
	var r io.Reader
	name := path
	if path == "" || path == "-" {
		if stdin == nil {
			return nil, errors.New("no input")
		}
		r, name = stdin, "stdin"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxInput)
	}
	return b, nil
}

func (m *Main) stdin() io.Reader {
	if m.Stdin != nil {
		return m.Stdin
	}
	return os.Stdin
}
