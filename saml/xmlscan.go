package saml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/beevik/etree"
	validator "github.com/mattermost/xml-roundtrip-validator"
)

// maxElements bounds the number of elements in one document.
const maxElements = 100_000

// maxAttrsInScope bounds the attributes (namespace declarations included) of
// an element and all its ancestors together. Namespace lookups (etree) and
// c14n contexts (goxmldsig) cost that much per element, so without a bound a
// root with thousands of declarations over thousands of elements costs
// seconds to minutes of CPU before any signature check fails.
const maxAttrsInScope = 128

// parseStrict checks raw XML before any tree is built: one root element,
// no DOCTYPE or other directive, no processing instruction except the XML
// declaration, nesting at most maxDepth, at most maxElements elements, and a
// document that survives an encoding/xml round trip unchanged. Then it
// builds the etree document.
func parseStrict(data []byte, maxDepth int) (*etree.Document, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") {
			return r, nil
		}
		return nil, errors.New("only UTF-8 is accepted, not " + charset)
	}
	elements, roots := 0, 0
	// inScope holds, per open element, the attributes in its scope; its
	// length is the nesting depth.
	var inScope []int
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, refuse(ReasonMalformed, "XML does not parse: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			// encoding/xml does not enforce "an attribute appears once
			// per element"; a parser that keeps the first of two would
			// read another document than the one verified.
			for i, a := range t.Attr {
				for _, b := range t.Attr[:i] {
					if a.Name == b.Name {
						return nil, refuse(ReasonMalformed, "attribute %s appears twice on element %s", rawName(a.Name), rawName(t.Name))
					}
				}
			}
			if len(inScope) == 0 {
				roots++
				if roots > 1 {
					return nil, refuse(ReasonMalformed, "more than one root element")
				}
			}
			elements++
			if len(inScope) >= maxDepth {
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
			inScope = append(inScope, n)
		case xml.EndElement:
			if len(inScope) > 0 {
				inScope = inScope[:len(inScope)-1]
			}
		case xml.Directive:
			return nil, refuse(ReasonMalformed, "DOCTYPE and other directives are not allowed")
		case xml.ProcInst:
			if t.Target != "xml" || elements > 0 {
				return nil, refuse(ReasonMalformed, "processing instruction %q is not allowed", t.Target)
			}
		case xml.CharData:
			if len(inScope) == 0 && len(bytes.TrimSpace(t)) > 0 {
				return nil, refuse(ReasonMalformed, "text outside the root element")
			}
		}
	}
	if roots == 0 {
		return nil, refuse(ReasonMalformed, "no root element")
	}
	if err := validator.Validate(bytes.NewReader(data)); err != nil {
		return nil, &ValidationError{Reason: ReasonMalformed, Detail: "XML does not survive a round trip (possible parser-confusion attack)", Err: err}
	}
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, refuse(ReasonMalformed, "XML does not parse: %v", err)
	}
	return doc, nil
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
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
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
	var sb strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			sb.WriteString(cd.Data)
		}
	}
	return sb.String()
}

// walk calls f for el and every descendant, in document order.
func walk(el *etree.Element, f func(*etree.Element) error) error {
	if err := f(el); err != nil {
		return err
	}
	for _, c := range el.ChildElements() {
		if err := walk(c, f); err != nil {
			return err
		}
	}
	return nil
}
