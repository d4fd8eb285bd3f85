package consumer_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/consumer"
)

// TestDefBindsTheMethodOfTheValue: a consumer defined on a type handles with
// the method of the value it is bound to, under the name and topic its
// event gives, and through a part of that value (consumer.Through) just the
// same; a payload that does not decode as its event, or that the event
// refuses, is a permanent error the method never sees.
func TestDefBindsTheMethodOfTheValue(t *testing.T) {
	t.Parallel()
	type part struct{ got *[]string }
	type whole struct{ part part }
	onProduct := func(p part, _ context.Context, e productListed) error {
		*p.got = append(*p.got, e.ID)
		return nil
	}
	var got []string
	w := whole{part: part{got: &got}}
	defs := consumer.Through(func(w whole) part { return w.part }, consumer.Of(onProduct))
	h := defs[0].Bind("shop", w)
	if h.Name != "shop.OnProductListed" || h.Topic != "shop.ProductListed" || h.Service != "shop" ||
		defs[0].Subscription("shop") != (broker.Subscription{Queue: "shop.OnProductListed", Topic: "shop.ProductListed"}) {
		t.Fatalf("bound handler %+v, subscription %+v; want shop.OnProductListed on shop.ProductListed", h, defs[0].Subscription("shop"))
	}
	if err := h.Handle(context.Background(), []byte(`{"id":"p1"}`)); err != nil || !slices.Equal(got, []string{"p1"}) {
		t.Errorf("Handle = %v, method saw %v; want it to see p1", err, got)
	}
	for _, payload := range []string{`{"id":""}`, `not JSON`} {
		if err := h.Handle(context.Background(), []byte(payload)); !consumer.IsPermanent(err) || len(got) != 1 {
			t.Errorf("Handle(%s) = %v, method saw %v; want a permanent error, the method not called", payload, err, got)
		}
	}
}

// productListed is the event of TestDefBindsTheMethodOfTheValue.
type productListed struct {
	ID string `json:"id"`
}

func (productListed) EventName() string { return "shop.ProductListed" }

func (p productListed) Validate() error {
	if p.ID == "" {
		return errors.New("invalid shop.ProductListed payload: id is required")
	}
	return nil
}
