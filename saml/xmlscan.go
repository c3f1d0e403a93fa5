package saml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/maestrano-go/maestrano/internal/clip"
)

// maxElements bounds the number of elements in one document.
const maxElements = 100_000

// maxAttrsInScope bounds the attributes (namespace declarations included) of
// an element and all its ancestors together. Namespace lookups and c14n
// contexts cost that much per element, so without a bound a root with
// thousands of declarations over thousands of elements costs seconds to
// minutes of CPU before any signature check fails.
const maxAttrsInScope = 128

// XML namespaces with a fixed meaning.
const (
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
)

// parsed is a strictly parsed document and what the parser noticed on the
// way, so that no second walk over the tree is needed.
type parsed struct {
	doc        *etree.Document
	assertions []*etree.Element // saml:Assertion elements, in document order
	signatures []*etree.Element // ds:Signature elements, in document order
	encrypted  bool             // a saml:EncryptedAssertion is present
}

// binding is one namespace declaration in scope.
type binding struct{ prefix, uri string }

// parseStrict reads raw XML in one pass of encoding/xml's tokenizer and
// builds the etree document from the same tokens, refusing on the way: any
// DOCTYPE or other directive, a processing instruction other than the XML
// declaration at the very start, a second root element or text outside the root, a declared
// encoding other than UTF-8, an attribute repeated on an element (by raw
// name or by namespace and local name), a name that encoding/xml would not
// read back the same (an empty or colon-bearing local part, an "xmlns"
// element prefix, a prefix that is not declared), a reserved namespace
// declared wrongly, nesting deeper than maxDepth, more than maxElements
// elements, more than maxAttrsInScope attributes in scope of an element, and
// an ID (ID, Id or id) that appears twice. Attribute values are normalized
// as XML 1.0 says (see normalizeAttrs), which encoding/xml does not do.
//
// These rules are a superset of what github.com/mattermost/xml-roundtrip-
// validator checks token by token (its test suite and a fuzz target in this
// package hold parseStrict to that): what parseStrict accepts survives an
// encoding/xml round trip unchanged. parseStrict never re-serializes.
func parseStrict(data []byte, maxDepth int) (*parsed, error) {
	// A UTF-8 byte order mark is allowed by XML; encoding/xml reads it as text.
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") {
			return r, nil
		}
		return nil, errors.New("only UTF-8 is accepted, not " + charset)
	}
	p := &parsed{doc: etree.NewDocument()}
	elements, roots := 0, 0
	var (
		open    []*etree.Element // the open elements; len(open) is the depth
		inScope []int            // per open element, attributes in its scope
		scope   []binding        // namespace declarations in scope
		marks   []int            // per open element, len(scope) before it
		ids     = map[string]bool{}
		uris    []string // per attribute of the current element, its namespace
	)
	lookup := func(prefix string) (string, bool) {
		switch prefix {
		case "xml":
			return nsXML, true
		case "xmlns":
			return nsXMLNS, true
		}
		for i := len(scope) - 1; i >= 0; i-- {
			if scope[i].prefix == prefix {
				return scope[i].uri, true
			}
		}
		return "", prefix == "" // no default namespace declared: none
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, refuse(ReasonMalformed, "XML does not parse: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(open) == 0 {
				roots++
				if roots > 1 {
					return nil, refuse(ReasonMalformed, "more than one root element")
				}
			}
			elements++
			if len(open) >= maxDepth {
				return nil, refuse(ReasonTooLarge, "elements nested deeper than %d", maxDepth)
			}
			if elements > maxElements {
				return nil, refuse(ReasonTooLarge, "more than %d elements", maxElements)
			}
			n := len(t.Attr)
			if len(inScope) > 0 {
				n += inScope[len(inScope)-1]
			}
			if n > maxAttrsInScope {
				return nil, refuse(ReasonTooLarge, "more than %d attributes in scope of one element", maxAttrsInScope)
			}
			if err := checkName(t.Name, false); err != nil {
				return nil, err
			}
			if err := normalizeAttrs(data[start:dec.InputOffset()], t.Attr); err != nil {
				return nil, err
			}
			// encoding/xml does not enforce "an attribute appears once
			// per element"; a parser that keeps the first of two would
			// read another document than the one verified.
			for i, a := range t.Attr {
				if err := checkName(a.Name, true); err != nil {
					return nil, err
				}
				for _, b := range t.Attr[:i] {
					if a.Name == b.Name {
						return nil, refuse(ReasonMalformed, "attribute %s appears twice on element %s", rawName(a.Name), rawName(t.Name))
					}
				}
			}
			marks = append(marks, len(scope))
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					if err := checkDeclaration(a.Name.Local, a.Value); err != nil {
						return nil, err
					}
					scope = append(scope, binding{a.Name.Local, a.Value})
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					if a.Value == nsXML || a.Value == nsXMLNS {
						return nil, refuse(ReasonMalformed, "the reserved namespace %s cannot be the default namespace", a.Value)
					}
					scope = append(scope, binding{"", a.Value})
				}
			}
			space, ok := lookup(t.Name.Space)
			if !ok {
				return nil, refuse(ReasonMalformed, "element %s uses the undeclared prefix %q", rawName(t.Name), t.Name.Space)
			}
			uris = uris[:0]
			for i, a := range t.Attr {
				u := ""
				if a.Name.Space != "" {
					if u, ok = lookup(a.Name.Space); !ok {
						return nil, refuse(ReasonMalformed, "attribute %s uses the undeclared prefix %q", rawName(a.Name), a.Name.Space)
					}
				}
				// Two attributes may not share a namespace and a name,
				// whatever their prefixes (Namespaces in XML, §6.3).
				if u != nsXMLNS && !(a.Name.Space == "" && a.Name.Local == "xmlns") {
					for j, b := range t.Attr[:i] {
						if uris[j] == u && b.Name.Local == a.Name.Local {
							return nil, refuse(ReasonMalformed, "attribute {%s}%s appears twice on element %s", u, a.Name.Local, rawName(t.Name))
						}
					}
				}
				uris = append(uris, u)
				if a.Name.Space == "" && (a.Name.Local == "ID" || a.Name.Local == "Id" || a.Name.Local == "id") {
					if ids[a.Value] {
						return nil, refuse(ReasonStructure, "ID %q appears more than once", clip.String(a.Value, 100))
					}
					ids[a.Value] = true
				}
			}

			var el *etree.Element
			if len(open) == 0 {
				el = p.doc.CreateElement(t.Name.Local)
			} else {
				el = open[len(open)-1].CreateElement(t.Name.Local)
			}
			el.Space = t.Name.Space
			for _, a := range t.Attr {
				if a.Name.Space == "" {
					el.CreateAttr(a.Name.Local, a.Value)
				} else {
					el.CreateAttr(a.Name.Space+":"+a.Name.Local, a.Value)
				}
			}
			switch {
			case space == NSAssertion && t.Name.Local == "Assertion":
				p.assertions = append(p.assertions, el)
			case space == NSAssertion && t.Name.Local == "EncryptedAssertion":
				p.encrypted = true
			case space == NSDSig && t.Name.Local == "Signature":
				p.signatures = append(p.signatures, el)
			}
			open = append(open, el)
			inScope = append(inScope, n)
		case xml.EndElement:
			// RawToken does not match end tags with start tags.
			if len(open) == 0 || open[len(open)-1].Tag != t.Name.Local || open[len(open)-1].Space != t.Name.Space {
				return nil, refuse(ReasonMalformed, "end tag %s does not close the open element", clip.String(rawName(t.Name), 80))
			}
			open = open[:len(open)-1]
			inScope = inScope[:len(inScope)-1]
			scope = scope[:marks[len(marks)-1]]
			marks = marks[:len(marks)-1]
		case xml.Directive:
			return nil, refuse(ReasonMalformed, "DOCTYPE and other directives are not allowed")
		case xml.ProcInst:
			if t.Target != "xml" || start != 0 {
				return nil, refuse(ReasonMalformed, "processing instruction %q is not allowed", clip.String(t.Target, 40))
			}
		case xml.CharData:
			if len(open) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, refuse(ReasonMalformed, "text outside the root element")
				}
				continue
			}
			open[len(open)-1].CreateText(string(t))
		case xml.Comment:
			if len(open) > 0 {
				open[len(open)-1].CreateComment(string(t))
			}
		}
	}
	if roots == 0 {
		return nil, refuse(ReasonMalformed, "no root element")
	}
	if len(open) > 0 {
		return nil, refuse(ReasonMalformed, "XML ends inside element %s", open[len(open)-1].Tag)
	}
	return p, nil
}

// normalizeAttrs applies XML attribute-value normalization (XML 1.0 §3.3.3)
// to attrs, the attributes of the start tag raw: a literal tab, line feed or
// carriage return (CR LF counting as one) in a value stands for a space;
// the same characters written as character references stay. encoding/xml
// keeps literal tabs and line feeds as they are, so without this a value
// would read, and canonicalize, differently than in libxml2, xmlsec1 and
// every conforming signer.
//
// It also refuses what encoding/xml lets through: attributes not separated
// by whitespace (<a x="1"y="2">), which libxml2 and every other conforming
// parser reject.
func normalizeAttrs(raw []byte, attrs []xml.Attr) error {
	if len(attrs) == 0 {
		return nil
	}
	n := 0
	for i := 0; i < len(raw); i++ {
		q := raw[i]
		if q != '"' && q != '\'' {
			continue
		}
		end := bytes.IndexByte(raw[i+1:], q)
		if end < 0 || n >= len(attrs) {
			return refuse(ReasonMalformed, "start tag attributes do not parse")
		}
		if val := raw[i+1 : i+1+end]; bytes.ContainsAny(val, "\t\n\r") {
			v, err := normalizedValue(val, q)
			if err != nil {
				return err
			}
			attrs[n].Value = v
		}
		n++
		i += end + 1
		if next := i + 1; next < len(raw) {
			switch raw[next] {
			case ' ', '\t', '\n', '\r', '/', '>':
			default:
				return refuse(ReasonMalformed, "attributes are not separated by whitespace")
			}
		}
	}
	if n != len(attrs) {
		return refuse(ReasonMalformed, "start tag attributes do not parse")
	}
	return nil
}

// normalizedValue decodes the raw attribute value val (quoted with q) after
// replacing its literal whitespace with spaces.
func normalizedValue(val []byte, q byte) (string, error) {
	b := make([]byte, 0, len(val)+8)
	b = append(b, "<a v="...)
	b = append(b, q)
	for i := 0; i < len(val); i++ {
		switch c := val[i]; c {
		case '\r':
			if i+1 < len(val) && val[i+1] == '\n' {
				i++
			}
			b = append(b, ' ')
		case '\t', '\n':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	b = append(b, q, '/', '>')
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	tok, err := dec.RawToken()
	se, ok := tok.(xml.StartElement)
	if err != nil || !ok || len(se.Attr) != 1 {
		return "", refuse(ReasonMalformed, "an attribute value does not parse")
	}
	return se.Attr[0].Value, nil
}

// checkName refuses names that encoding/xml would not read back the same
// after writing them, and names that Namespaces in XML forbids.
func checkName(n xml.Name, attr bool) error {
	if n.Local == "" || strings.IndexByte(n.Local, ':') >= 0 || strings.IndexByte(n.Space, ':') >= 0 || !ncNameStart(n.Local) || (n.Space != "" && !ncNameStart(n.Space)) {
		return refuse(ReasonMalformed, "name %q is not a namespace-qualified XML name", clip.String(rawName(n), 80))
	}
	if !attr && (n.Space == "xmlns" || (n.Space == "" && n.Local == "xmlns")) {
		return refuse(ReasonMalformed, "element name %q uses the reserved prefix xmlns", clip.String(rawName(n), 80))
	}
	return nil
}

// ncNameStart reports whether s starts like an NCName: a letter or "_".
// (encoding/xml reads "a:0" as prefix a, local part 0, and cannot write it
// back.)
func ncNameStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '_' || unicode.IsLetter(r)
}

// checkDeclaration refuses xmlns:prefix="uri" declarations that Namespaces
// in XML forbids: undeclaring a prefix, binding xml or xmlns, or binding
// their namespaces to another prefix.
func checkDeclaration(prefix, uri string) error {
	switch {
	case uri == "":
		return refuse(ReasonMalformed, "prefix %q is declared with an empty namespace", clip.String(prefix, 40))
	case prefix == "xmlns":
		return refuse(ReasonMalformed, "the prefix xmlns cannot be declared")
	case prefix == "xml" && uri != nsXML, prefix != "xml" && uri == nsXML:
		return refuse(ReasonMalformed, "the prefix xml and the XML namespace belong together")
	case uri == nsXMLNS:
		return refuse(ReasonMalformed, "the xmlns namespace cannot be bound to a prefix")
	}
	return nil
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// is reports whether el is the element local in namespace ns.
func is(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && el.NamespaceURI() == ns
}

// childrenOf returns el's direct children named local in namespace ns.
func childrenOf(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// oneChild returns the single child local/ns of el, or an error naming it.
func oneChild(el *etree.Element, ns, local string) (*etree.Element, error) {
	cs := childrenOf(el, ns, local)
	switch len(cs) {
	case 1:
		return cs[0], nil
	case 0:
		return nil, refuse(ReasonStructure, "%s has no %s", el.Tag, local)
	default:
		return nil, refuse(ReasonStructure, "%s has %d %s elements, want one", el.Tag, len(cs), local)
	}
}

// optionalChild returns the child local/ns of el or nil; more than one is an error.
func optionalChild(el *etree.Element, ns, local string) (*etree.Element, error) {
	cs := childrenOf(el, ns, local)
	if len(cs) > 1 {
		return nil, refuse(ReasonStructure, "%s has %d %s elements, want at most one", el.Tag, len(cs), local)
	}
	if len(cs) == 0 {
		return nil, nil
	}
	return cs[0], nil
}

// textOf returns all character data directly inside el, concatenated. A
// comment splits the text into several tokens; reading only the first (the
// bug behind CVE-2017-11427 and kin) would truncate the value.
func textOf(el *etree.Element) string {
	if len(el.Child) == 1 {
		if cd, ok := el.Child[0].(*etree.CharData); ok {
			return cd.Data
		}
	}
	var sb strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			sb.WriteString(cd.Data)
		}
	}
	return sb.String()
}

// attr returns the value of el's attribute name without a namespace prefix,
// or "". (etree's SelectAttrValue("ID") also matches x:ID, whatever x is
// bound to: a foreign attribute placed first would shadow the SAML one.)
func attr(el *etree.Element, name string) string {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == name {
			return a.Value
		}
	}
	return ""
}
