package connec_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/maestrano-go/maestrano/connec"
)

// invoicePage is a list answer of 100 copies of the invoice fixture.
func invoicePage(b *testing.B) []byte {
	one, err := os.ReadFile("testdata/records/invoices.json")
	if err != nil {
		b.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(one, &doc); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"invoices":[`)
	for i := range 100 {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(doc["invoices"])
	}
	buf.WriteString(`],"pagination":{"skip":0,"top":100,"total":1000}}`)
	return buf.Bytes()
}

// BenchmarkDecodeInvoicePage measures decoding one page into typed records
// (which keep unknown members in Extra) with json.Unmarshal and with the
// decoder of List and All (record by record), against raw JSON records.
func BenchmarkDecodeInvoicePage(b *testing.B) {
	page := invoicePage(b)
	b.Run("typed", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			var v struct{ Invoices []connec.Invoice }
			if err := json.Unmarshal(page, &v); err != nil || len(v.Invoices) != 100 {
				b.Fatal(err)
			}
		}
	})
	b.Run("page decoder", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			if good, bad, err := connec.DecodeTypedPage[connec.Invoice](page, "invoices"); err != nil || good != 100 || bad != 0 {
				b.Fatal(good, bad, err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			var v struct{ Invoices []connec.Raw }
			if err := json.Unmarshal(page, &v); err != nil || len(v.Invoices) != 100 {
				b.Fatal(err)
			}
		}
	})
}
