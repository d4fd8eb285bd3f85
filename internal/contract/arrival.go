package contract

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/mallbots/mallbots/domain"
)

// write is one event as a consumer writes it to a cache, about store s (and
// product p).
type write struct {
	event string
	to    func(s, p string) error
}

// arrivalOrders returns orders to deliver n events in: as they happened,
// backwards, and a dozen shuffles (the same on every run).
func arrivalOrders(n int) [][]int {
	inOrder := make([]int, n)
	backwards := make([]int, n)
	for i := range n {
		inOrder[i], backwards[i] = i, n-1-i
	}
	orders := [][]int{inOrder, backwards}
	r := rand.New(rand.NewPCG(1, 2))
	for range 12 {
		orders = append(orders, r.Perm(n))
	}
	return orders
}

// deliver writes every event twice, in order (a permutation of their
// indices), and again those that were not found, as the consumer's retries
// do, until none is left.
func deliver(t *testing.T, evs []write, order []int, storeID, productID string) {
	t.Helper()
	queue := append(append([]int(nil), order...), order...)
	for tries := 0; len(queue) > 0; tries++ {
		if tries > 10*len(evs) {
			t.Fatalf("%s: events still not found after %d deliveries", describeOrder(evs, order), tries)
		}
		i := queue[0]
		queue = queue[1:]
		err := evs[i].to(storeID, productID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			queue = append(queue, i)
		case err != nil:
			t.Fatalf("%s: %v", evs[i].event, err)
		}
	}
}

// assertConverges delivers writes in each of arrivalOrders, about a fresh
// store (or customer, or payment) s and product p every time, and fails t
// unless state then finds what the cache holds (got) as it should (want).
func assertConverges(t *testing.T, writes []write, state func(s, p string) (got, want any, err error)) {
	t.Helper()
	for _, order := range arrivalOrders(len(writes)) {
		s, p := newID(), newID()
		deliver(t, writes, order, s, p)
		got, want, err := state(s, p)
		must(t, "read the cache", err)
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("after %s: %+v, want %+v", describeOrder(writes, order), got, want)
		}
	}
}

func describeOrder(evs []write, order []int) string {
	names := make([]string, len(order))
	for i, j := range order {
		names[i] = evs[j].event
	}
	return fmt.Sprint(names)
}
