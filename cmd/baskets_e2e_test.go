package cmd

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
)

// assertBody fails unless out, a decoded JSON body, equals want as JSON.
func assertBody(t *testing.T, out map[string]any, want string) {
	t.Helper()
	var exp any
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	got, _ := json.Marshal(out)
	wantJSON, _ := json.Marshal(exp)
	if string(got) != string(wantJSON) {
		t.Errorf("body = %s\nwant   %s", got, wantJSON)
	}
}

func TestBasketsEndToEnd(t *testing.T) {
	s := startSystem(t, "stores", "customers", "baskets", "payments")
	checkedOut := s.tap(events.BasketCheckedOutName)
	mustDo := func(method, path, body string) map[string]any {
		t.Helper()
		status, out, _ := s.do(method, path, body, nil)
		if status != http.StatusOK {
			t.Fatalf("%s %s = %d %v, want 200", method, path, status, out)
		}
		return out
	}

	storeID := s.mustCreate("/api/stores", `{"name":"Robo Parts","location":"Level 1"}`, nil)
	servo := s.mustCreate("/api/stores/"+storeID+"/products", `{"name":"Servo","description":"d","sku":"S-1","price":9.99}`, nil)
	gear := s.mustCreate("/api/stores/"+storeID+"/products", `{"name":"Gear","description":"d","sku":"G-1","price":0.50}`, nil)
	gone := s.mustCreate("/api/stores/"+storeID+"/products", `{"name":"Gone","description":"d","sku":"X-1","price":1}`, nil)
	mustDo(http.MethodDelete, "/api/stores/products/"+gone, "")
	ada := s.mustCreate("/api/customers", `{"name":"Ada","smsNumber":"+1 555 123 4567"}`, nil)
	bob := s.mustCreate("/api/customers", `{"name":"Bob","smsNumber":"+1 555 765 4321"}`, nil)
	mustDo(http.MethodPut, "/api/customers/"+bob+"/disable", "")

	testkit.Eventually(t, 10*time.Second, "the baskets caches hold the store, its products and the customers", func() bool {
		return s.count(`SELECT count(*) FROM baskets.stores_cache WHERE id = $1`, storeID) == 1 &&
			s.count(`SELECT count(*) FROM baskets.products_cache WHERE id IN ($1, $2) AND NOT removed`, servo, gear) == 2 &&
			s.count(`SELECT count(*) FROM baskets.products_cache WHERE id = $1 AND removed`, gone) == 1 &&
			s.count(`SELECT count(*) FROM baskets.customers_cache WHERE (id = $1 AND enabled) OR (id = $2 AND NOT enabled)`, ada, bob) == 2
	})

	basketID := s.mustCreate("/api/baskets", `{"customerId":"`+ada+`"}`, nil)
	path := "/api/baskets/" + basketID
	item := func(productID string, quantity int) string {
		b, _ := json.Marshal(map[string]any{"productId": productID, "quantity": quantity})
		return string(b)
	}
	mustDo(http.MethodPut, path+"/addItem", item(servo, 2))
	mustDo(http.MethodPut, path+"/addItem", item(gear, 3))
	mustDo(http.MethodPut, path+"/addItem", item(servo, 1))
	mustDo(http.MethodPut, path+"/removeItem", item(gear, 1))
	servoLine := `{"storeId":"` + storeID + `","storeName":"Robo Parts","productId":"` + servo + `","productName":"Servo","price":9.99,"quantity":3}`
	gearLine := `{"storeId":"` + storeID + `","storeName":"Robo Parts","productId":"` + gear + `","productName":"Gear","price":0.50,"quantity":2}`
	assertBody(t, mustDo(http.MethodGet, path, ""),
		`{"basket":{"id":"`+basketID+`","customerId":"`+ada+`","status":"open","items":[`+servoLine+`,`+gearLine+`],"total":30.97}}`)

	paymentID := s.mustCreate("/api/payments", `{"customerId":"`+ada+`","amount":30.97}`, nil)
	testkit.Eventually(t, 10*time.Second, "the baskets cache holds the payment", func() bool {
		return s.count(`SELECT count(*) FROM baskets.payments_cache WHERE id = $1 AND customer_id = $2`, paymentID, ada) == 1
	})

	// Refusals are problems a kiosk can show, never 500s, and change nothing.
	unknown := uuid.NewString()
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		detail                   string
	}{
		{"unknown product", http.MethodPut, path + "/addItem", item(unknown, 1), 422, "product " + unknown + " is not on sale"},
		{"removed product", http.MethodPut, path + "/addItem", item(gone, 1), 422, "product " + gone + " is not on sale"},
		{"disabled customer", http.MethodPost, "/api/baskets", `{"customerId":"` + bob + `"}`, 422, "customer " + bob + " is disabled"},
		{"unknown customer", http.MethodPost, "/api/baskets", `{"customerId":"` + unknown + `"}`, 422, "customer " + unknown + " is not known to baskets"},
		{"remove more than present", http.MethodPut, path + "/removeItem", item(gear, 5), 422, "removing 5 of product " + gear},
		{"payment id not a UUID", http.MethodPut, path + "/checkout", `{"paymentId":"cash"}`, 422, "paymentId must be a UUID"},
		{"unknown basket", http.MethodPut, "/api/baskets/" + unknown + "/checkout", `{"paymentId":"` + paymentID + `"}`, 404, "basket " + unknown},
		{"unknown payment", http.MethodPut, path + "/checkout", `{"paymentId":"` + unknown + `"}`, 422, "payment " + unknown + " is not known to baskets"},
	} {
		status, out, hdr := s.do(tc.method, tc.path, tc.body, nil)
		detail, _ := out["detail"].(string)
		if status != tc.status || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") || !strings.Contains(detail, tc.detail) {
			t.Errorf("%s: %s %s = %d %v, want %d problem+json saying %q", tc.name, tc.method, tc.path, status, out, tc.status, tc.detail)
		}
	}

	assertBody(t, mustDo(http.MethodPut, path+"/checkout", `{"paymentId":"`+paymentID+`"}`), `{}`)
	select {
	case d := <-checkedOut:
		if name, _ := d.Headers[broker.NameKey].(string); name != events.BasketCheckedOutName {
			t.Errorf("header name = %q", name)
		}
		if producer, _ := d.Headers[broker.ProducerKey].(string); producer != "baskets" {
			t.Errorf("header producer = %q", producer)
		}
		var got events.BasketCheckedOut
		if err := json.Unmarshal(d.Body, &got); err != nil {
			t.Fatalf("BasketCheckedOut body %s: %v", d.Body, err)
		}
		want := events.BasketCheckedOut{BasketID: basketID, CustomerID: ada, PaymentID: paymentID, Items: []events.Item{
			{StoreID: storeID, StoreName: "Robo Parts", ProductID: servo, ProductName: "Servo", Price: 999, Quantity: 3},
			{StoreID: storeID, StoreName: "Robo Parts", ProductID: gear, ProductName: "Gear", Price: 50, Quantity: 2},
		}}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("BasketCheckedOut = %s\nwant %s", gotJSON, wantJSON)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no BasketCheckedOut was published")
	}
	assertBody(t, mustDo(http.MethodGet, path, ""),
		`{"basket":{"id":"`+basketID+`","customerId":"`+ada+`","paymentId":"`+paymentID+`","status":"checked_out","items":[`+servoLine+`,`+gearLine+`],"total":30.97}}`)

	// A checked-out basket is final; an empty one cannot be checked out.
	other := s.mustCreate("/api/baskets", `{"customerId":"`+ada+`"}`, nil)
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{http.MethodPut, path + "/addItem", item(servo, 1), 409},
		{http.MethodDelete, path, "", 409},
		{http.MethodPut, path + "/checkout", `{"paymentId":"` + paymentID + `"}`, 409},
		{http.MethodPut, "/api/baskets/" + other + "/checkout", `{"paymentId":"` + paymentID + `"}`, 422},
		{http.MethodDelete, "/api/baskets/" + other, "", 200},
		{http.MethodDelete, "/api/baskets/" + other, "", 409},
	} {
		if status, out, _ := s.do(tc.method, tc.path, tc.body, nil); status != tc.status {
			t.Errorf("%s %s = %d %v, want %d", tc.method, tc.path, status, out, tc.status)
		}
	}
	if n := s.count(`SELECT count(*) FROM baskets.watermill_outbox WHERE payload->>'destination_topic' = $1`, events.BasketCheckedOutName); n != 1 {
		t.Errorf("baskets published %d BasketCheckedOut, want 1", n)
	}
}

// cacheCase is one cache consumer delivered twice and out of order:
// original is delivered twice at once, then newer supersedes it; then
// original comes again, redelivered (same message ID) and re-sent (a new
// ID); then sentinel, on original's queue.
type cacheCase struct {
	name                      string
	original, newer, sentinel events.Event
	handler                   string
	// state counts 1 when the entity ($1) holds newer's values; applied
	// counts 1 when the sentinel's entity ($1) is cached.
	state, applied string
	entity, other  string
}

// catalogCacheCases are the cacheCases of the catalog cache of service.
func catalogCacheCases(service string) []cacheCase {
	id := uuid.NewString
	storeID, otherStore, productID, otherProduct := id(), id(), id(), id()
	return []cacheCase{
		{name: service + " store name",
			original: events.StoreCreated{StoreID: storeID, Name: "Waffles", Location: "L1", Version: 1},
			newer:    events.StoreRebranded{StoreID: storeID, Name: "Crêpes", Version: 2},
			sentinel: events.StoreCreated{StoreID: otherStore, Name: "Other", Location: "L2", Version: 1},
			handler:  service + ".OnStoreCreated",
			state:    `SELECT count(*) FROM ` + service + `.stores_cache WHERE id = $1 AND name = 'Crêpes' AND name_version = 2`,
			applied:  `SELECT count(*) FROM ` + service + `.stores_cache WHERE id = $1`,
			entity:   storeID, other: otherStore},
		{name: service + " product price",
			original: events.ProductAdded{ProductID: productID, StoreID: storeID, Name: "Syrup", Price: 499, Version: 1},
			newer:    events.ProductPriceIncreased{ProductID: productID, StoreID: storeID, Delta: 100, Price: 599, Version: 2},
			sentinel: events.ProductAdded{ProductID: otherProduct, StoreID: storeID, Name: "Other", Price: 100, Version: 1},
			handler:  service + ".OnProductAdded",
			state:    `SELECT count(*) FROM ` + service + `.products_cache WHERE id = $1 AND name = 'Syrup' AND price = 599 AND price_version = 2`,
			applied:  `SELECT count(*) FROM ` + service + `.products_cache WHERE id = $1`,
			entity:   productID, other: otherProduct},
	}
}

func TestCacheConsumersIgnoreRedeliveriesAndStaleEvents(t *testing.T) {
	s := startSystem(t, "baskets", "orders")
	id := uuid.NewString
	customerID, otherCustomer := id(), id()
	orderID := id()
	// Each payment case has a payment and a sentinel payment of its own.
	authorized, confirmed, voided := id(), id(), id()
	otherAuthorized, otherConfirmed, otherVoided := id(), id(), id()

	tests := append(catalogCacheCases("baskets"), catalogCacheCases("orders")...)
	tests = append(tests,
		cacheCase{name: "customer enabled",
			original: events.CustomerRegistered{CustomerID: customerID, Name: "Ada", SmsNumber: "5551234567", Enabled: true, Version: 1},
			newer:    events.CustomerDisabled{CustomerID: customerID, Version: 2},
			sentinel: events.CustomerRegistered{CustomerID: otherCustomer, Name: "Bob", SmsNumber: "5557654321", Enabled: true, Version: 1},
			handler:  "baskets.OnCustomerRegistered",
			state:    `SELECT count(*) FROM baskets.customers_cache WHERE id = $1 AND NOT enabled AND enabled_version = 2`,
			applied:  `SELECT count(*) FROM baskets.customers_cache WHERE id = $1`,
			entity:   customerID, other: otherCustomer},
		cacheCase{name: "payment authorized, then confirmed",
			original: events.PaymentAuthorized{PaymentID: authorized, CustomerID: customerID, Amount: 250},
			newer:    events.PaymentConfirmed{PaymentID: authorized, OrderID: orderID, Amount: 250},
			sentinel: events.PaymentAuthorized{PaymentID: otherAuthorized, CustomerID: customerID, Amount: 100},
			handler:  "baskets.OnPaymentAuthorized",
			state:    `SELECT count(*) FROM baskets.payments_cache WHERE id = $1 AND customer_id IS NOT NULL AND order_id IS NOT NULL AND NOT voided`,
			applied:  `SELECT count(*) FROM baskets.payments_cache WHERE id = $1`,
			entity:   authorized, other: otherAuthorized},
		cacheCase{name: "payment confirmed, then voided",
			original: events.PaymentConfirmed{PaymentID: confirmed, OrderID: orderID, Amount: 250},
			newer:    events.PaymentVoided{PaymentID: confirmed, OrderID: orderID, Reason: "order canceled"},
			sentinel: events.PaymentConfirmed{PaymentID: otherConfirmed, OrderID: id(), Amount: 100},
			handler:  "baskets.OnPaymentConfirmed",
			state:    `SELECT count(*) FROM baskets.payments_cache WHERE id = $1 AND order_id IS NOT NULL AND voided`,
			applied:  `SELECT count(*) FROM baskets.payments_cache WHERE id = $1 AND order_id IS NOT NULL`,
			entity:   confirmed, other: otherConfirmed},
		cacheCase{name: "payment voided, then the authorization arrives late",
			original: events.PaymentVoided{PaymentID: voided, OrderID: orderID, Reason: "order canceled"},
			newer:    events.PaymentAuthorized{PaymentID: voided, CustomerID: customerID, Amount: 250},
			sentinel: events.PaymentVoided{PaymentID: otherVoided, OrderID: orderID, Reason: "order canceled"},
			handler:  "baskets.OnPaymentVoided",
			state:    `SELECT count(*) FROM baskets.payments_cache WHERE id = $1 AND customer_id IS NOT NULL AND order_id IS NOT NULL AND voided`,
			applied:  `SELECT count(*) FROM baskets.payments_cache WHERE id = $1 AND voided`,
			entity:   voided, other: otherVoided},
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := s.in(t)
			msgID := s.publish(tc.original, "")
			s.publish(tc.original, msgID)
			s.publish(tc.newer, "")
			testkit.Eventually(t, 10*time.Second, "the newer event is applied", func() bool { return s.count(tc.state, tc.entity) == 1 })

			s.publish(tc.original, msgID)        // a redelivery: the inbox drops it
			resent := s.publish(tc.original, "") // a re-send: the guard ignores it
			sentinel := s.publish(tc.sentinel, "")
			testkit.Eventually(t, 10*time.Second, "the sentinel is applied", func() bool { return s.count(tc.applied, tc.other) == 1 })
			// Several consumers take from one queue at once, so the re-send
			// may still be in flight when the sentinel is applied: wait until
			// the handler has committed all three distinct messages (other
			// cases feed the same handlers, so count this case's own).
			service := strings.SplitN(tc.handler, ".", 2)[0]
			testkit.Eventually(t, 10*time.Second, tc.handler+" handled the original, the re-send and the sentinel", func() bool {
				return s.count(`SELECT count(*) FROM `+service+`.inbox WHERE handler = $1 AND message_id = ANY($2)`,
					tc.handler, []string{msgID, resent, sentinel}) == 3
			})
			if s.count(tc.state, tc.entity) != 1 {
				t.Errorf("an old copy of %s overwrote the newer state", tc.original.EventName())
			}
			if n := s.count(`SELECT count(*) FROM `+service+`.inbox WHERE handler = $1 AND message_id = $2`, tc.handler, msgID); n != 1 {
				t.Errorf("inbox holds message %s %d times, want once", msgID, n)
			}
		})
	}
}

func TestCacheConsumersWaitForEarlierEvents(t *testing.T) {
	// Retries bounded by time only, so the test controls when the earlier
	// event arrives without racing a retry count.
	s := startSystemWith(t, func(c *config.Config) {
		c.Retry.MaxRetries, c.Retry.MaxElapsedTime = 1000, 3*time.Second
	}, "baskets", "orders")

	t.Run("ProductRebranded before ProductAdded is retried, then applied", func(t *testing.T) {
		s := s.in(t)
		// Both services keep a catalog cache with the same consumers; each
		// gets its own copy of every event.
		services := []string{"baskets", "orders"}
		productID, storeID := uuid.NewString(), uuid.NewString()
		rebrandID := s.publish(events.ProductRebranded{ProductID: productID, StoreID: storeID, Name: "Golden syrup", Description: "cane", Version: 2}, "")
		for _, svc := range services {
			// The consumer holds the message (nothing left ready) and, the
			// product missing, fails and retries it without applying anything.
			testkit.Eventually(t, 10*time.Second, "the consumer took ProductRebranded", func() bool {
				return s.ready(svc+".OnProductRebranded") == 0
			})
			if n := s.count(`SELECT count(*) FROM `+svc+`.products_cache WHERE id = $1`, productID); n != 0 {
				t.Fatalf("ProductRebranded cached the product on its own in %s", svc)
			}
		}
		s.publish(events.ProductAdded{ProductID: productID, StoreID: storeID, Name: "Syrup", Price: 499, Version: 1}, "")
		for _, svc := range services {
			testkit.Eventually(t, 10*time.Second, "the retried rebrand lands after ProductAdded in "+svc, func() bool {
				return s.count(`SELECT count(*) FROM `+svc+`.products_cache
					WHERE id = $1 AND name = 'Golden syrup' AND name_version = 2 AND price = 499`, productID) == 1
			})
			if n := s.count(`SELECT count(*) FROM `+svc+`.inbox WHERE message_id = $1`, rebrandID); n != 1 {
				t.Errorf("%s inbox holds the rebrand %d times, want once", svc, n)
			}
			if n := s.ready(svc + ".poison"); n != 0 {
				t.Errorf("%s.poison holds %d messages, want none", svc, n)
			}
		}
	})

	t.Run("CustomerDisabled for a customer who never registers is poisoned with the reason", func(t *testing.T) {
		customerID := uuid.NewString()
		msgID := s.publish(events.CustomerDisabled{CustomerID: customerID, Version: 2}, "")
		d := s.poisoned("baskets", 20*time.Second)
		reason, _ := d.Headers[broker.ReasonPoisonedKey].(string)
		handler, _ := d.Headers[broker.HandlerPoisonedKey].(string)
		if d.MessageId != msgID || handler != "baskets.OnCustomerDisabled" ||
			!strings.Contains(reason, "customer "+customerID+" is not in the baskets customer cache yet") {
			t.Errorf("poisoned message %s from %q because %q; want %s from baskets.OnCustomerDisabled saying the customer is not cached",
				d.MessageId, handler, reason, msgID)
		}
		if n := s.count(`SELECT count(*) FROM baskets.customers_cache WHERE id = $1`, customerID); n != 0 {
			t.Errorf("the poisoned event cached the customer")
		}
	})
}

// TestCheckoutRefusesAPaymentTheSagaWouldRefuse is issue 9's "checkout
// accepts what the saga later refuses": baskets keeps a copy of the
// payments it heard of and answers at once for a payment it does not know,
// one another customer authorized, and one another basket or order used.
func TestCheckoutRefusesAPaymentTheSagaWouldRefuse(t *testing.T) {
	s := startSystem(t)
	storeID := s.openStore("Robo Parts")
	gear := s.mustCreate("/api/stores/"+storeID+"/products", `{"name":"Gear","description":"d","sku":"G-1","price":2.50}`, nil)
	ada := s.mustCreate("/api/customers", `{"name":"Ada","smsNumber":"+1 555 123 4567"}`, nil)
	bob := s.mustCreate("/api/customers", `{"name":"Bob","smsNumber":"+1 555 765 4321"}`, nil)
	// The helpers below take the system of the subtest that calls them, so
	// that they fail that subtest.
	pay := func(s *system, customerID string) string {
		return s.mustCreate("/api/payments", `{"customerId":"`+customerID+`","amount":2.50}`, nil)
	}
	// untilKnown repeats a request while baskets answers that something it
	// names has not reached its caches yet.
	untilKnown := func(s *system, method, path, body string) (int, map[string]any) {
		s.t.Helper()
		var (
			status int
			out    map[string]any
		)
		testkit.Eventually(s.t, 10*time.Second, "baskets knows what "+path+" names", func() bool {
			status, out, _ = s.do(method, path, body, nil)
			detail, _ := out["detail"].(string)
			return status != http.StatusUnprocessableEntity ||
				!strings.Contains(detail, "not known to baskets") && !strings.Contains(detail, "not on sale")
		})
		return status, out
	}
	// basket starts a basket of customerID holding one gear.
	basket := func(s *system, customerID string) string {
		s.t.Helper()
		status, out := untilKnown(s, http.MethodPost, "/api/baskets", `{"customerId":"`+customerID+`"}`)
		id, _ := out["id"].(string)
		if status != http.StatusCreated {
			s.t.Fatalf("start basket = %d %v", status, out)
		}
		if status, out := untilKnown(s, http.MethodPut, "/api/baskets/"+id+"/addItem", `{"productId":"`+gear+`","quantity":1}`); status != http.StatusOK {
			s.t.Fatalf("add item = %d %v", status, out)
		}
		return id
	}
	checkout := func(s *system, basketID, paymentID string) (int, string) {
		s.t.Helper()
		status, out := untilKnown(s, http.MethodPut, "/api/baskets/"+basketID+"/checkout", `{"paymentId":"`+paymentID+`"}`)
		detail, _ := out["detail"].(string)
		return status, detail
	}
	assertRefused := func(s *system, basketID string, status int, detail string, want int, says ...string) {
		s.t.Helper()
		if status != want {
			s.t.Errorf("checkout = %d %q, want %d", status, detail, want)
		}
		for _, w := range says {
			if !strings.Contains(detail, w) {
				s.t.Errorf("checkout detail = %q, want it to say %q", detail, w)
			}
		}
		if b := s.getEntity("/api/baskets/"+basketID, "basket"); b["status"] != "open" {
			s.t.Errorf("basket after a refused checkout = %v, want still open", b)
		}
	}

	t.Run("an unknown payment", func(t *testing.T) {
		s := s.in(t)
		b, unknown := basket(s, ada), uuid.NewString()
		status, out, _ := s.do(http.MethodPut, "/api/baskets/"+b+"/checkout", `{"paymentId":"`+unknown+`"}`, nil)
		detail, _ := out["detail"].(string)
		assertRefused(s, b, status, detail, http.StatusUnprocessableEntity, "payment "+unknown+" is not known to baskets")
	})

	t.Run("another customer's payment", func(t *testing.T) {
		s := s.in(t)
		b, bobs := basket(s, ada), pay(s, bob)
		status, detail := checkout(s, b, bobs)
		assertRefused(s, b, status, detail, http.StatusUnprocessableEntity, "payment "+bobs, "another customer")
	})

	t.Run("a payment for a customer who does not exist", func(t *testing.T) {
		s := s.in(t)
		b, nobodys := basket(s, ada), pay(s, uuid.NewString())
		status, detail := checkout(s, b, nobodys)
		assertRefused(s, b, status, detail, http.StatusUnprocessableEntity, "payment "+nobodys, "another customer")
	})

	t.Run("a payment another basket used", func(t *testing.T) {
		s := s.in(t)
		first, second, p := basket(s, ada), basket(s, ada), pay(s, ada)
		if status, detail := checkout(s, first, p); status != http.StatusOK {
			t.Fatalf("first checkout = %d %q", status, detail)
		}
		status, detail := checkout(s, second, p)
		assertRefused(s, second, status, detail, http.StatusConflict, "payment "+p, "already")
	})

	t.Run("a payment an order placed through /api/ordering used", func(t *testing.T) {
		s := s.in(t)
		p := pay(s, ada)
		status, out := s.postOrder(ada, p, map[string]any{"storeId": storeID, "productId": gear, "quantity": 1})
		if status != http.StatusCreated {
			t.Fatalf("POST /api/ordering = %d %v", status, out)
		}
		orderID, _ := out["id"].(string)
		s.awaitOrderStatus(orderID, "approved")
		testkit.Eventually(t, 10*time.Second, "baskets heard the payment was confirmed", func() bool {
			return s.count("SELECT count(*) FROM baskets.payments_cache WHERE id = $1 AND order_id = $2", p, orderID) == 1
		})
		b := basket(s, ada)
		status, detail := checkout(s, b, p)
		assertRefused(s, b, status, detail, http.StatusConflict, "payment "+p, "order "+orderID)
	})

	t.Run("two baskets racing for one payment: one wins", func(t *testing.T) {
		s := s.in(t)
		first, second, p := basket(s, ada), basket(s, ada), pay(s, ada)
		// An empty basket's checkout names the payment first: once it is
		// known, the answer is the empty basket's 422.
		probe := s.mustCreate("/api/baskets", `{"customerId":"`+ada+`"}`, nil)
		if status, detail := checkout(s, probe, p); status != http.StatusUnprocessableEntity || !strings.Contains(detail, "empty") {
			t.Fatalf("checkout of an empty basket = %d %q", status, detail)
		}
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i, b := range []string{first, second} {
			wg.Go(func() { statuses[i] = rawPut(s.base+"/api/baskets/"+b+"/checkout", `{"paymentId":"`+p+`"}`) })
		}
		wg.Wait()
		if !(statuses[0] == http.StatusOK && statuses[1] == http.StatusConflict || statuses[0] == http.StatusConflict && statuses[1] == http.StatusOK) {
			t.Errorf("racing checkouts = %v, want one 200 and one 409", statuses)
		}
	})

	n := s.count(`SELECT count(*) FROM baskets.watermill_outbox WHERE payload->>'destination_topic' = $1`, events.BasketCheckedOutName)
	if n != 2 {
		t.Errorf("baskets published %d BasketCheckedOut, want 2 (one per accepted checkout)", n)
	}
}

// rawPut sends a JSON PUT and returns its status, 0 when it could not be
// sent; it never touches a *testing.T, so goroutines may call it.
func rawPut(url, body string) int {
	req, err := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
