package httpapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mallbots/mallbots/httpapi"
)

// fuzzRequest has every shape a request body of the API has: strings,
// money, integers, nested arrays of objects, a map and free-form JSON.
type fuzzRequest struct {
	Name   string                   `json:"name"`
	Price  httpapi.Money            `json:"price"`
	Total  *httpapi.Money           `json:"total"`
	Count  int                      `json:"count"`
	Items  []lineItem               `json:"items"`
	Tags   []string                 `json:"tags"`
	Prices map[string]httpapi.Money `json:"prices"`
	Extra  any                      `json:"extra"`
	Audit
}

// FuzzDecode: Decode never panics, fails only with a 4xx problem, and what
// it accepts holds only text the API allows (DESIGN §11): valid UTF-8, no
// NUL or other control character but tab, CR and LF, at most MaxTextLen
// characters per string.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Servo","price":9.99,"count":2,"items":[{"productId":"p1","quantity":2,"price":0.29}],"prices":{"eu":1.1},"note":"hi"}`,
		`{"name":"ab\u0000cd"}`, `{"name":"a\u001bb"}`, "{\"name\":\"ab\xff\xfe\"}", `{"tags":["ok","\u0085"]}`,
		`{"extra":{"k":[1,"\u0000",{"x":null}]}}`, `{"prices":{"\u0000":1}}`, `{"price":9.999}`, `{"price":1e400}`,
		`{"price":"9.99"}`, `{"count":1e20}`, `{"total":null}`, `{"name":"\ud800"}`, `{"name":"a\tb\r\nc"}`,
		`{`, `[]`, `null`, ``, `{}{}`, `{"unknown":1}`, `{"Name":"case"}`, strings.Repeat("[", 100),
		`{"name":"` + strings.Repeat("x", httpapi.MaxTextLen+1) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		var req fuzzRequest
		err := httpapi.Decode(httptest.NewRecorder(), r, &req)
		if err != nil {
			var p *httpapi.Problem
			if !errors.As(err, &p) || p.Status < 400 || p.Status > 499 {
				t.Fatalf("Decode(%q) failed with %v, not a 4xx problem", body, err)
			}
			return
		}
		checkDecodedText(t, reflect.ValueOf(req), "")
	})
}

// checkDecodedText fails t for any string in v that breaks the text rule.
func checkDecodedText(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkDecodedText(t, v.Elem(), path)
		}
	case reflect.String:
		s := v.String()
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > httpapi.MaxTextLen {
			t.Fatalf("%s = %q was accepted: not UTF-8 or too long", path, s)
		}
		for _, c := range s {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (0x7f <= c && c <= 0x9f) {
				t.Fatalf("%s = %q was accepted with control character %U", path, s, c)
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			checkDecodedText(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		for i := range v.Len() {
			checkDecodedText(t, v.Index(i), path+"[]")
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			checkDecodedText(t, k, path+"{key}")
			checkDecodedText(t, v.MapIndex(k), path+"{}")
		}
	}
}

// FuzzParseMoney: ParseMoney never panics, accepts only amounts within
// MaxMoney, and what it accepts round-trips exactly through String,
// ParseMoney and JSON.
func FuzzParseMoney(f *testing.F) {
	for _, seed := range []string{
		"0", "9.99", "-0.05", "1.10", "1.100", "0.29", "1e2", "1.5E-1", "100000000000", "100000000000.00",
		"100000000000.01", "-100000000000", "9.999", "1e-3", "1e999999999999", "0e999999999999", "-0", "00", "01",
		".5", "5.", "1e", "1e+", "+1", "--1", "0x10", "NaN", "Infinity", "1_000", " 1", "1 ", "", "-", "١",
		"9223372036854775807", "-9223372036854775808", "0.000000000000000000000000000001e30",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := httpapi.ParseMoney(s)
		if err != nil {
			var me *httpapi.MoneyError
			if !errors.As(err, &me) || me.Amount != s {
				t.Fatalf("ParseMoney(%q) error %v is not a MoneyError quoting the input", s, err)
			}
			return
		}
		if m > httpapi.MaxMoney || m < -httpapi.MaxMoney {
			t.Fatalf("ParseMoney(%q) = %d, beyond MaxMoney", s, m)
		}
		again, err := httpapi.ParseMoney(m.String())
		if err != nil || again != m {
			t.Fatalf("ParseMoney(%q) = %d, but its String %q parses as %d, %v", s, m, m.String(), again, err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back httpapi.Money
		if err := json.Unmarshal(b, &back); err != nil || back != m {
			t.Fatalf("Money %d marshals as %s, which unmarshals as %d, %v", m, b, back, err)
		}
		// A JSON number the decoder accepts means the same amount as it does
		// to any JSON reader, to the cent.
		var f64 float64
		if json.Unmarshal([]byte(s), &f64) == nil {
			if diff := f64*100 - float64(m); diff > 0.5 || diff < -0.5 {
				t.Fatalf("ParseMoney(%q) = %d cents, but the number is %g", s, m, f64)
			}
		}
	})
}
