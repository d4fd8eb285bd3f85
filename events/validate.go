package events

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mallbots/mallbots/domain"
)

// ErrInvalidPayload is the error every Validate returns, matched with
// errors.Is; its text names the event and lists the problems.
var ErrInvalidPayload = errors.New("invalid payload")

// invalidPayload reads "invalid <event> payload: <problem>; <problem>".
type invalidPayload struct {
	name     string
	problems []string
}

func (e invalidPayload) Error() string {
	return "invalid " + e.name + " payload: " + strings.Join(e.problems, "; ")
}

func (e invalidPayload) Is(target error) bool { return target == ErrInvalidPayload }

// check collects the problems of one payload; the Validate methods use it so
// every event words its problems alike.
type check struct {
	problems []string
}

func (c *check) add(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// id requires field to be a UUID.
func (c *check) id(field, v string) {
	if v == "" {
		c.add("%s is required", field)
		return
	}
	c.optionalID(field, v)
}

// optionalID requires field, when set, to be a UUID.
func (c *check) optionalID(field, v string) {
	if _, ok := domain.ParseID(v); v != "" && !ok {
		c.add("%s %s is not a UUID", field, quote(v))
	}
}

// text requires field to hold something besides spaces, and no NUL byte.
func (c *check) text(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.add("%s is required", field)
		return
	}
	c.optionalText(field, v)
}

// optionalText refuses a NUL byte, which no PostgreSQL text column can
// store: left in, it would fail the handler's transaction on every retry.
func (c *check) optionalText(field, v string) {
	if strings.ContainsRune(v, 0) {
		c.add("%s holds a NUL byte", field)
	}
}

// atLeast requires field to be min or more.
func (c *check) atLeast(field string, v, min int64) {
	if v < min {
		c.add("%s is %d, less than %d", field, v, min)
	}
}

// version requires an aggregate version: the first is 1.
func (c *check) version(v int64) { c.atLeast("version", v, 1) }

// items requires at least one item, each of them valid.
func (c *check) items(field string, items []Item) {
	if len(items) == 0 {
		c.add("%s is empty", field)
	}
	for i, it := range items {
		c.item(fmt.Sprintf("%s[%d].", field, i), it)
	}
}

// item checks one Item, its fields named after prefix ("items[0].").
func (c *check) item(prefix string, it Item) {
	c.id(prefix+"storeId", it.StoreID)
	c.optionalText(prefix+"storeName", it.StoreName)
	c.id(prefix+"productId", it.ProductID)
	c.optionalText(prefix+"productName", it.ProductName)
	c.atLeast(prefix+"price", it.Price, 0)
	c.atLeast(prefix+"quantity", int64(it.Quantity), 1)
}

// err returns the problems of e's payload as one ErrInvalidPayload, or nil
// when there are none.
func (c *check) err(e Event) error {
	if len(c.problems) == 0 {
		return nil
	}
	return invalidPayload{name: e.EventName(), problems: c.problems}
}

// quote shows an untrusted value in an error, cut to a readable length.
func quote(v string) string {
	if r := []rune(v); len(r) > 40 {
		v = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", v)
}
