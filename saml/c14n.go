package saml

import (
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// Canonicalization algorithms (XML-DSig CanonicalizationMethod and
// Transform identifiers) that a signature may use.
const (
	C14N10Exclusive             = "http://www.w3.org/2001/10/xml-exc-c14n#"
	C14N10ExclusiveWithComments = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
	C14N10Inclusive             = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	C14N10InclusiveWithComments = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"

	nsExcC14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
)

// c14n is one canonicalization: Canonical XML 1.0 or Exclusive XML
// Canonicalization 1.0, with or without comments.
type c14n struct {
	exclusive bool
	comments  bool
	// inclusive is the exclusive c14n InclusiveNamespaces PrefixList
	// ("" stands for #default).
	inclusive []string
}

func c14nFor(alg string) (c14n, bool) {
	switch alg {
	case C14N10Exclusive:
		return c14n{exclusive: true}, true
	case C14N10ExclusiveWithComments:
		return c14n{exclusive: true, comments: true}, true
	case C14N10Inclusive:
		return c14n{}, true
	case C14N10InclusiveWithComments:
		return c14n{comments: true}, true
	}
	return c14n{}, false
}

// canonicalizer serializes an etree subtree in canonical form in one pass
// over the tree, without copying it. The namespace context of the apex is
// taken from its ancestors in the same tree. It is not safe for concurrent
// use; each verification makes its own.
type canonicalizer struct {
	c14n
	out      []byte
	scope    []binding // namespace declarations in scope (input)
	rendered []binding // namespace declarations rendered by output ancestors
	attrs    []sortAttr
	decls    []binding
}

type sortAttr struct {
	uri string
	a   *etree.Attr
}

// canonicalize appends the canonical form of el, without the subtree skip
// (the enveloped signature; nil for none), to dst.
func (m c14n) canonicalize(dst []byte, el, skip *etree.Element) []byte {
	c := &canonicalizer{c14n: m, out: dst}
	// The apex's ancestors, outermost first, give the namespaces in scope.
	var anc []*etree.Element
	for p := el.Parent(); p != nil; p = p.Parent() {
		anc = append(anc, p)
	}
	var inherited []*etree.Attr // inclusive c14n: xml:* attributes of ancestors
	for i := len(anc) - 1; i >= 0; i-- {
		for j := range anc[i].Attr {
			a := &anc[i].Attr[j]
			if d, ok := declaration(a); ok {
				c.scope = append(c.scope, d)
			} else if a.Space == "xml" && !m.exclusive {
				inherited = slices.DeleteFunc(inherited, func(b *etree.Attr) bool { return b.Key == a.Key })
				inherited = append(inherited, a)
			}
		}
	}
	c.element(el, skip, true, inherited)
	return c.out
}

// declaration returns the namespace declaration a makes, if it is one.
func declaration(a *etree.Attr) (binding, bool) {
	switch {
	case a.Space == "xmlns":
		return binding{a.Key, a.Value}, true
	case a.Space == "" && a.Key == "xmlns":
		return binding{"", a.Value}, true
	}
	return binding{}, false
}

func find(bs []binding, prefix string) (string, bool) {
	for i := len(bs) - 1; i >= 0; i-- {
		if bs[i].prefix == prefix {
			return bs[i].uri, true
		}
	}
	return "", false
}

func (c *canonicalizer) resolve(prefix string) string {
	if prefix == "xml" {
		return nsXML
	}
	u, _ := find(c.scope, prefix)
	return u
}

func (c *canonicalizer) element(el, skip *etree.Element, apex bool, inherited []*etree.Attr) {
	scopeMark, renderedMark := len(c.scope), len(c.rendered)
	for i := range el.Attr {
		if d, ok := declaration(&el.Attr[i]); ok {
			c.scope = append(c.scope, d)
		}
	}

	// Namespace declarations to render.
	c.decls = c.decls[:0]
	render := func(prefix, uri string) {
		if prefix == "xml" {
			return
		}
		for _, d := range c.decls {
			if d.prefix == prefix {
				return
			}
		}
		prev, seen := find(c.rendered, prefix)
		if prefix == "" && uri == "" {
			// xmlns="" only to undo a default an output ancestor rendered.
			if seen && prev != "" {
				c.decls = append(c.decls, binding{"", ""})
			}
			return
		}
		if !seen || prev != uri {
			c.decls = append(c.decls, binding{prefix, uri})
		}
	}
	switch {
	case c.exclusive:
		render(el.Space, c.resolve(el.Space))
		for i := range el.Attr {
			a := &el.Attr[i]
			if _, ok := declaration(a); !ok && a.Space != "" {
				render(a.Space, c.resolve(a.Space))
			}
		}
		for _, p := range c.inclusive {
			if u, ok := find(c.scope, p); ok {
				render(p, u)
			}
		}
	case apex:
		// Every namespace in scope, nearest declaration first.
		for i := len(c.scope) - 1; i >= 0; i-- {
			render(c.scope[i].prefix, c.resolve(c.scope[i].prefix))
		}
	default:
		for i := range el.Attr {
			if d, ok := declaration(&el.Attr[i]); ok {
				render(d.prefix, d.uri)
			}
		}
	}
	slices.SortFunc(c.decls, func(a, b binding) int { return strings.Compare(a.prefix, b.prefix) })
	c.rendered = append(c.rendered, c.decls...)

	c.out = append(c.out, '<')
	c.out = appendQName(c.out, el.Space, el.Tag)
	for _, d := range c.decls {
		if d.prefix == "" {
			c.out = append(c.out, ` xmlns="`...)
		} else {
			c.out = append(c.out, " xmlns:"...)
			c.out = append(c.out, d.prefix...)
			c.out = append(c.out, `="`...)
		}
		c.out = appendAttrValue(c.out, d.uri)
		c.out = append(c.out, '"')
	}

	// Attributes, by namespace URI then local name.
	c.attrs = c.attrs[:0]
	for i := range el.Attr {
		a := &el.Attr[i]
		if _, ok := declaration(a); ok {
			continue
		}
		uri := ""
		if a.Space != "" {
			uri = c.resolve(a.Space)
		}
		c.attrs = append(c.attrs, sortAttr{uri, a})
	}
	for _, a := range inherited {
		if !slices.ContainsFunc(c.attrs, func(s sortAttr) bool { return s.uri == nsXML && s.a.Key == a.Key }) {
			c.attrs = append(c.attrs, sortAttr{nsXML, a})
		}
	}
	if len(c.attrs) > 1 {
		slices.SortFunc(c.attrs, func(a, b sortAttr) int {
			if n := strings.Compare(a.uri, b.uri); n != 0 {
				return n
			}
			return strings.Compare(a.a.Key, b.a.Key)
		})
	}
	for _, s := range c.attrs {
		c.out = append(c.out, ' ')
		c.out = appendQName(c.out, s.a.Space, s.a.Key)
		c.out = append(c.out, `="`...)
		c.out = appendAttrValue(c.out, s.a.Value)
		c.out = append(c.out, '"')
	}
	c.out = append(c.out, '>')

	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			if t != skip {
				c.element(t, skip, false, nil)
			}
		case *etree.CharData:
			c.out = appendText(c.out, t.Data)
		case *etree.Comment:
			if c.comments {
				c.out = append(c.out, "<!--"...)
				c.out = append(c.out, t.Data...)
				c.out = append(c.out, "-->"...)
			}
		case *etree.ProcInst:
			c.out = append(c.out, "<?"...)
			c.out = append(c.out, t.Target...)
			if t.Inst != "" {
				c.out = append(c.out, ' ')
				c.out = append(c.out, t.Inst...)
			}
			c.out = append(c.out, "?>"...)
		}
	}
	c.out = append(c.out, "</"...)
	c.out = appendQName(c.out, el.Space, el.Tag)
	c.out = append(c.out, '>')
	c.scope = c.scope[:scopeMark]
	c.rendered = c.rendered[:renderedMark]
}

func appendQName(b []byte, space, local string) []byte {
	if space != "" {
		b = append(b, space...)
		b = append(b, ':')
	}
	return append(b, local...)
}

// textEscapes and attrEscapes are what C14N replaces in text and in
// attribute values (C14N 1.0 §2.3), by byte; read only.
var (
	textEscapes = [256]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '\r': "&#xD;"}
	attrEscapes = [256]string{'&': "&amp;", '<': "&lt;", '"': "&quot;", '\t': "&#x9;", '\n': "&#xA;", '\r': "&#xD;"}
)

func appendText(b []byte, s string) []byte { return appendEscaped(b, s, &textEscapes) }

func appendAttrValue(b []byte, s string) []byte { return appendEscaped(b, s, &attrEscapes) }

// appendEscaped appends s with each byte that has an escape in esc
// replaced by it (all are ASCII, so UTF-8 sequences pass through whole).
func appendEscaped(b []byte, s string, esc *[256]string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		e := esc[s[i]]
		if e == "" {
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, e...)
		start = i + 1
	}
	return append(b, s[start:]...)
}
