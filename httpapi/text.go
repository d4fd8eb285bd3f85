package httpapi

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MaxTextLen is the most characters (Unicode code points) any string in a
// request body may hold. The domain's own limits are lower for most fields
// (a store name is at most 100); this one bounds every string at the edge,
// whatever field it is in.
const MaxTextLen = 1000

// The API's text rule (DESIGN §11), decided here once for every request
// body Decode reads: a body is valid UTF-8 (else 400), and every string in
// it, at any depth, is at most MaxTextLen characters and holds no control
// character (U+0000–U+001F, U+007F–U+009F) other than tab, line feed and
// carriage return (else 422 naming the field). PostgreSQL cannot store NUL
// in text, logs and terminals misread the other controls, and no field of
// the API needs them.

// invalidUTF8 returns a 400 problem when data is not valid UTF-8, naming the
// offset of the first bad byte; nil otherwise. encoding/json would silently
// turn such bytes into U+FFFD, storing something the client never sent.
func invalidUTF8(data []byte) *Problem {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return NewProblem(http.StatusBadRequest,
				fmt.Sprintf("request body must be UTF-8; byte 0x%02x at offset %d is not", data[i], i))
		}
		i += size
	}
	return nil
}

// textProblem says why s breaks the text rule, "" when it does not.
func textProblem(s string) string {
	n := 0
	for _, r := range s {
		n++
		if isForbiddenControl(r) {
			return fmt.Sprintf("must not contain control characters; character %d is %U", n, r)
		}
	}
	if n > MaxTextLen {
		return fmt.Sprintf("must be at most %d characters, got %d", MaxTextLen, n)
	}
	return ""
}

func isForbiddenControl(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r':
		return false
	case r < 0x20, 0x7f <= r && r <= 0x9f:
		return true
	}
	return false
}

// checkStrings walks the decoded value v and returns a 422 problem for the
// first string, map key included, that breaks the text rule, naming its
// JSON path; nil when every string is fine.
func checkStrings(v reflect.Value, path string) *Problem {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkStrings(v.Elem(), path)
	case reflect.String:
		if why := textProblem(v.String()); why != "" {
			field := path
			if field == "" {
				field = "(body)"
			}
			p := NewProblem(http.StatusUnprocessableEntity, fmt.Sprintf("field %q %s", field, why))
			p.Errors = []FieldError{{Field: field, Detail: why}}
			return p
		}
	case reflect.Struct:
		fields := jsonFields(v.Type())
		names := make([]string, 0, len(fields))
		for name := range fields {
			names = append(names, name)
		}
		slices.Sort(names) // report the same field every time
		for _, name := range names {
			f, err := v.FieldByIndexErr(fields[name].index)
			if err != nil {
				continue // inside a nil embedded pointer: nothing decoded there
			}
			if p := checkStrings(f, joinPath(path, name)); p != nil {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // []byte is base64 in JSON, not text
		}
		for i := range v.Len() {
			if p := checkStrings(v.Index(i), path+"["+strconv.Itoa(i)+"]"); p != nil {
				return p
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			key := iter.Key()
			if key.Kind() == reflect.String {
				if p := checkStrings(key, joinPath(path, "(key)")); p != nil {
					return p
				}
			}
			if p := checkStrings(iter.Value(), joinPath(path, fmt.Sprint(key.Interface()))); p != nil {
				return p
			}
		}
	}
	return nil
}
