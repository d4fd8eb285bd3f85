package events

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/mallbots/mallbots/domain"
)

// ErrInvalidPayload is the error every Validate returns, matched with
// errors.Is; its text names the event and lists the problems.
var ErrInvalidPayload = errors.New("invalid payload")

// validate checks e field by field against the rule in each field's check
// tag, naming fields as their JSON tags do:
//
//	check:"id"           a UUID (domain.ParseID), required
//	check:"id,optional"  a UUID when not empty
//	check:"text"         required: more than blanks
//	check:"min=N"        an integer of at least N
//	check:"nonempty"     a slice with at least one element
//
// Nested structs (an Item) and slices of them are checked the same way,
// and no string, tagged or not, may hold a NUL byte, which no PostgreSQL
// text column can store: left in, it would fail the handler's transaction
// on every retry.
func validate(e Event) error {
	var c check
	c.fields("", reflect.ValueOf(e))
	if len(c.problems) == 0 {
		return nil
	}
	return invalidPayload{name: e.EventName(), problems: c.problems}
}

// invalidPayload reads "invalid <event> payload: <problem>; <problem>".
type invalidPayload struct {
	name     string
	problems []string
}

func (e invalidPayload) Error() string {
	return "invalid " + e.name + " payload: " + strings.Join(e.problems, "; ")
}

func (e invalidPayload) Is(target error) bool { return target == ErrInvalidPayload }

// check collects the problems of one payload.
type check struct {
	problems []string
}

func (c *check) add(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// fields checks every field of struct v, their names after prefix.
func (c *check) fields(prefix string, v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := prefix + strings.Split(f.Tag.Get("json"), ",")[0]
		rule := f.Tag.Get("check")
		switch fv := v.Field(i); fv.Kind() {
		case reflect.String:
			c.text(name, fv.String(), rule)
		case reflect.Int, reflect.Int64:
			c.number(name, fv.Int(), rule)
		case reflect.Struct:
			c.fields(name+".", fv)
		case reflect.Slice:
			if rule == "nonempty" && fv.Len() == 0 {
				c.add("%s is empty", name)
			}
			for j := range fv.Len() {
				c.fields(fmt.Sprintf("%s[%d].", name, j), fv.Index(j))
			}
		}
	}
}

func (c *check) text(name, v, rule string) {
	switch {
	case (rule == "id" || rule == "text") && strings.TrimSpace(v) == "":
		c.add("%s is required", name)
		return
	case strings.HasPrefix(rule, "id") && v != "":
		if _, ok := domain.ParseID(v); !ok {
			c.add("%s %s is not a UUID", name, quote(v))
			return
		}
	}
	if strings.ContainsRune(v, 0) {
		c.add("%s holds a NUL byte", name)
	}
}

func (c *check) number(name string, v int64, rule string) {
	if rest, ok := strings.CutPrefix(rule, "min="); ok {
		if least, err := strconv.ParseInt(rest, 10, 64); err == nil && v < least {
			c.add("%s is %d, less than %d", name, v, least)
		}
	}
}

// quote shows an untrusted value in an error, cut to a readable length.
func quote(v string) string {
	if r := []rune(v); len(r) > 40 {
		v = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", v)
}
