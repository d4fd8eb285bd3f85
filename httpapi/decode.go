package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/mallbots/mallbots/domain"
)

// MaxBodyBytes is the largest request body Decode reads (1 MiB).
const MaxBodyBytes = 1 << 20

// Decode reads r's body, a single JSON value of at most MaxBodyBytes, into
// dst (a non-nil pointer), rejecting unknown fields. Its errors are:
//
//   - 415 *Problem: a Content-Type other than application/json (parameters
//     such as charset are ignored; a missing Content-Type is accepted);
//   - 413 *Problem: a body larger than MaxBodyBytes, or than the limit
//     LimitBody put on the request;
//   - 400 *Problem: a body that could not be read (cut off, too slow), an
//     empty body, a body that is not UTF-8 (naming the offset), malformed
//     JSON (with the byte offset), a field of the wrong type (naming the
//     field and the expected type), an unknown field, data after the JSON
//     value;
//   - 422 *Problem: a Money field that is not valid money (more than two
//     decimal places, too large), or a string anywhere in the body that
//     breaks the API's text rule (a control character such as NUL, more
//     than MaxTextLen characters; see text.go), naming the field in Detail
//     and Errors;
//   - when dst has a Validate() error method, its error, unchanged (wrap
//     domain.ErrInvalid so WriteError answers 422);
//   - a plain error for programming mistakes (dst not a pointer), a 500.
//
// w is needed only so http.MaxBytesReader can close the connection of an
// oversized request.
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return NewProblem(http.StatusUnsupportedMediaType,
				fmt.Sprintf("Content-Type must be application/json, got %s", quoteInput(ct)))
		}
	}
	var data []byte
	if r.Body != nil {
		var err error
		data, err = io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err != nil {
			return bodyReadError(err)
		}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return NewProblem(http.StatusBadRequest, "request body must not be empty")
	}
	if p := invalidUTF8(data); p != nil {
		return p
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, data, dst)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return NewProblem(http.StatusBadRequest,
			fmt.Sprintf("request body must hold a single JSON value; found more data after byte offset %d", end))
	}
	if p := checkStrings(reflect.ValueOf(dst), ""); p != nil {
		return p
	}
	if v, ok := dst.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

// bodyReadError is the problem for a request body that could not be read:
// 413 naming the limit it exceeded (LimitBody's or MaxBodyBytes), 400
// otherwise (the client stopped sending, or sent it too slowly).
func bodyReadError(err error) *Problem {
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return NewProblem(http.StatusRequestEntityTooLarge, "request body must not exceed "+formatBytes(mbe.Limit))
	}
	return NewProblem(http.StatusBadRequest, "request body could not be read")
}

func decodeError(err error, data []byte, dst any) error {
	if me, ok := errors.AsType[*MoneyError](err); ok {
		// encoding/json returns an Unmarshaler's error as is, without the
		// field it was decoding, so find the field ourselves.
		field := badMoneyPath(data, dst)
		if field == "" {
			return NewProblem(http.StatusUnprocessableEntity, me.Error())
		}
		p := NewProblem(http.StatusUnprocessableEntity, fmt.Sprintf("field %q: %s", field, me.Error()))
		p.Errors = []FieldError{{Field: field, Detail: me.Error()}}
		return p
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return NewProblem(http.StatusBadRequest,
			fmt.Sprintf("request body contains malformed JSON at byte offset %d: %s", se.Offset, se.Error()))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return NewProblem(http.StatusBadRequest, "request body contains malformed JSON: it ends in the middle of a value")
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		want := describeType(te.Type)
		if te.Field == "" {
			return NewProblem(http.StatusBadRequest, fmt.Sprintf("request body must be %s, got %s", want, te.Value))
		}
		detail := fmt.Sprintf("field %q must be %s, got %s", te.Field, want, te.Value)
		p := NewProblem(http.StatusBadRequest, detail)
		p.Errors = []FieldError{{Field: te.Field, Detail: fmt.Sprintf("must be %s, got %s", want, te.Value)}}
		return p
	}
	if _, ok := errors.AsType[*json.InvalidUnmarshalError](err); ok {
		return fmt.Errorf("httpapi.Decode: %w", err)
	}
	// encoding/json has no type for this one; its text is its contract.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return NewProblem(http.StatusBadRequest, "unknown field "+name)
	}
	if errors.Is(err, domain.ErrInvalid) { // from some other type's UnmarshalJSON
		return NewProblem(http.StatusUnprocessableEntity, err.Error())
	}
	return NewProblem(http.StatusBadRequest, "request body is invalid: "+strings.TrimPrefix(err.Error(), "json: "))
}

// describeType names a Go type the way a JSON client thinks of it.
func describeType(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	if t == moneyType {
		return "a decimal number such as 9.99"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return "a " + t.String()
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// quoteInput quotes client input for a detail, cut short so a problem never
// echoes a huge value back.
func quoteInput(s string) string {
	const max = 100
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}

// badMoneyPath returns the JSON path (e.g. "items[1].price") of the first
// Money value in data that ParseMoney rejects, walking data in document
// order (the order encoding/json decodes in) guided by dst's type, with
// encoding/json's field rules (json tags, embedded structs, case-insensitive
// keys). It returns "" when it cannot tell, e.g. when the Money sits inside a
// type with its own UnmarshalJSON.
func badMoneyPath(data []byte, dst any) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep numbers as the client wrote them
	path, _ := findBadMoney(dec, reflect.TypeOf(dst), "")
	return path
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// findBadMoney consumes one JSON value from dec, which dst type t receives,
// and reports the path of the first invalid Money in it. An error means
// data could not be walked; the caller gives up.
func findBadMoney(dec *json.Decoder, t reflect.Type, path string) (string, error) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	if t == moneyType {
		if n, ok := tok.(json.Number); ok {
			if _, err := ParseMoney(n.String()); err != nil {
				return path, nil
			}
		}
		return "", skipRest(dec, tok)
	}
	if t == nil || reflect.PointerTo(t).Implements(unmarshalerType) {
		return "", skipRest(dec, tok)
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]jsonField
		switch t.Kind() {
		case reflect.Struct:
			fields = jsonFields(t)
		case reflect.Map:
		default:
			return "", skipRest(dec, tok)
		}
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return "", err
			}
			key, _ := keyTok.(string)
			var elem reflect.Type
			if t.Kind() == reflect.Map {
				elem = t.Elem()
			} else if f, ok := lookupField(fields, key); ok {
				elem, key = f.typ, f.name
			}
			if p, err := findBadMoney(dec, elem, joinPath(path, key)); p != "" || err != nil {
				return p, err
			}
		}
		_, err := dec.Token() // '}'
		return "", err
	case json.Delim('['):
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return "", skipRest(dec, tok)
		}
		for i := 0; dec.More(); i++ {
			if p, err := findBadMoney(dec, t.Elem(), path+"["+strconv.Itoa(i)+"]"); p != "" || err != nil {
				return p, err
			}
		}
		_, err := dec.Token() // ']'
		return "", err
	}
	return "", nil
}

// skipRest consumes the rest of a value whose first token was tok.
func skipRest(dec *json.Decoder, tok json.Token) error {
	if tok != json.Delim('{') && tok != json.Delim('[') {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

type jsonField struct {
	name   string
	typ    reflect.Type
	index  []int // for reflect.Value.FieldByIndexErr
	depth  int
	tagged bool
}

// jsonFields lists t's fields by JSON name, resolving embedded structs the
// way encoding/json does: the shallowest field wins, a tagged one breaks a
// tie, and a remaining tie hides the name.
func jsonFields(t reflect.Type) map[string]jsonField {
	byName := map[string][]jsonField{}
	var walk func(t reflect.Type, index []int, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, index []int, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			sf := t.Field(i)
			ft := sf.Type
			if sf.Anonymous {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if !sf.IsExported() && ft.Kind() != reflect.Struct {
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			at := append(slices.Clip(index), i)
			if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
				walk(ft, at, seen)
				continue
			}
			f := jsonField{name: name, typ: sf.Type, index: at, depth: len(index), tagged: name != ""}
			if f.name == "" {
				f.name = sf.Name
			}
			byName[f.name] = append(byName[f.name], f)
		}
	}
	walk(t, nil, map[reflect.Type]bool{})

	fields := make(map[string]jsonField, len(byName))
	for name, fs := range byName {
		var best []jsonField
		for _, f := range fs {
			switch {
			case len(best) == 0 || f.depth < best[0].depth:
				best = []jsonField{f}
			case f.depth == best[0].depth:
				best = append(best, f)
			}
		}
		if len(best) > 1 {
			var tagged []jsonField
			for _, f := range best {
				if f.tagged {
					tagged = append(tagged, f)
				}
			}
			best = tagged
		}
		if len(best) == 1 {
			fields[name] = best[0]
		}
	}
	return fields
}

// lookupField matches key exactly first, then case-insensitively, as
// encoding/json does.
func lookupField(fields map[string]jsonField, key string) (jsonField, bool) {
	if f, ok := fields[key]; ok {
		return f, true
	}
	for name, f := range fields {
		if strings.EqualFold(name, key) {
			return f, true
		}
	}
	return jsonField{}, false
}
