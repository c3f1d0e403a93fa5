package sandbox

import (
	"testing"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// FuzzXMLText: whatever a value holds, what xmlText and xmlAttr make of it
// serializes and parses back unchanged (so the signature computed over the
// tree holds over the parsed document), and is valid UTF-8.
func FuzzXMLText(f *testing.F) {
	for _, s := range []string{"", "plain", `<b>&"'é漢`, "a\r\nb\rc", "\x00\x01\t\n", "\xff\xfe", "\uFFFE\uFFFF\U0010FFFF", "]]>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text, attr := xmlText(s), xmlAttr(s)
		if !utf8.ValidString(text) || !utf8.ValidString(attr) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		doc := etree.NewDocument()
		el := doc.CreateElement("v")
		el.CreateAttr("a", attr)
		el.SetText(text)
		b, err := doc.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		back := etree.NewDocument()
		if err := back.ReadFromBytes(b); err != nil {
			t.Fatalf("%q does not parse: %v", b, err)
		}
		r := back.Root()
		if r.Text() != text || r.SelectAttrValue("a", "") != attr {
			t.Fatalf("%q: read back text %q attr %q, want %q %q", s, r.Text(), r.SelectAttrValue("a", ""), text, attr)
		}
	})
}
