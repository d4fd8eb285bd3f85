package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
)

const (
	onRebranded = "baskets.OnProductRebranded"
	onIncreased = "baskets.OnProductPriceIncreased"
	poisonQueue = "baskets.poison"
)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// squeeze turns the gaps between table columns (two spaces or more) into
// exactly two spaces, so expectations need not know the column widths.
func squeeze(s string) string { return columnGap.ReplaceAllString(s, "  ") }

var columnGap = regexp.MustCompile(`  +`)

// productName is the cached name of product id, "" when it is not cached.
func (s *system) productName(id string) string {
	names := s.rows("SELECT name FROM baskets.products_cache WHERE id = $1", id)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// addProduct publishes ProductAdded for id (version 1) and waits until the
// baskets cache has it: the fault of the events that overtook it is fixed.
func (s *system) addProduct(id, store, name string) {
	s.t.Helper()
	s.publish(events.ProductAdded{ProductID: id, StoreID: store, Name: name, Price: 1000, Version: 1})
	testkit.Eventually(s.t, 10*time.Second, "product "+id+" is cached", func() bool { return s.productName(id) == name })
}

// TestReplayPoisonedMessagesAfterTheFaultIsFixed: events that overtook the
// ProductAdded they depend on are poisoned, three messages of two handlers.
// A dry run lists exactly them and changes nothing; once the products are
// known, replaying one handler's messages applies them once, only to that
// handler, and leaves the other handler's message in place; replaying the
// same IDs again changes nothing (they are gone, and a copy is dropped by
// the inbox); a message replayed while its fault persists comes back with
// its replay count.
func TestReplayPoisonedMessagesAfterTheFaultIsFixed(t *testing.T) {
	t.Parallel()
	s := startServe(t, "baskets")
	tap := s.tap(events.ProductRebrandedName)
	poisonTap := s.tap(poisonQueue)
	store, p1, p2, p3 := newID(), newID(), newID(), newID()

	r1 := s.publish(events.ProductRebranded{ProductID: p1, StoreID: store, Name: "Servo v2", Version: 2})
	r2 := s.publish(events.ProductRebranded{ProductID: p2, StoreID: store, Name: "Gear v2", Version: 2})
	x3 := s.publish(events.ProductPriceIncreased{ProductID: p3, StoreID: store, Delta: 500, Price: 1500, Version: 2})
	s.awaitQueue(poisonQueue, 3)

	// The dry run lists exactly the three, with their handlers, and changes nothing.
	out := s.must("replay", "--dry-run")
	if ids := tableIDs(out); len(ids) != 3 || !slices.Contains(ids, r1) || !slices.Contains(ids, r2) || !slices.Contains(ids, x3) {
		t.Fatalf("dry run lists %v, want exactly %s %s %s", ids, r1, r2, x3)
	}
	for _, want := range []string{r1 + "  baskets  " + onRebranded + "  " + events.ProductRebrandedName, x3 + "  baskets  " + onIncreased,
		"not found: product " + p1, "nothing changed"} {
		if !strings.Contains(squeeze(out), want) {
			t.Errorf("dry run output lacks %q", want)
		}
	}
	if n := s.queueLength(poisonQueue); n != 3 {
		t.Fatalf("after the dry run the poison queue holds %d messages, want 3", n)
	}
	list := s.must("replay", "list")
	for _, want := range []string{"baskets.poison  3", onRebranded + "  2", onIncreased + "  1", "product <id> is not in the baskets catalog cache yet"} {
		if !strings.Contains(squeeze(list), want) {
			t.Errorf("replay list lacks %q:\n%s", want, list)
		}
	}

	// More than one message, no --yes, stdin not a terminal: refused.
	refused := s.mallbots("replay", "--handler="+onRebranded)
	if refused.code != 2 || !strings.Contains(refused.stderr, "stdin is not a terminal") || !strings.Contains(refused.stderr, "--yes") {
		t.Errorf("replay without --yes = exit %d, %q; want 2 and the advice to pass --yes", refused.code, refused.stderr)
	}

	// The fault is fixed for the rebranded products; replay their handler's messages.
	s.addProduct(p1, store, "Servo")
	s.addProduct(p2, store, "Gear")
	out = s.must("replay", "--handler="+onRebranded, "--yes")
	if !strings.Contains(out, "re-delivered 2 of 2 message(s), 0 failed") {
		t.Errorf("replay output lacks the count:\n%s", out)
	}
	testkit.Eventually(t, 10*time.Second, "the replayed renames are applied", func() bool {
		return s.productName(p1) == "Servo v2" && s.productName(p2) == "Gear v2"
	})
	for _, id := range []string{r1, r2} {
		if n := s.count("SELECT count(*) FROM baskets.inbox WHERE handler = $1 AND message_id = $2", onRebranded, id); n != 1 {
			t.Errorf("inbox rows of %s = %d, want 1", id, n)
		}
	}
	// The handler has processed the replays, so a copy sent through the
	// topic's exchange would be in the tap by now: it holds the originals only.
	if n := s.queueLength(tap); n != 2 {
		t.Errorf("another consumer of %s received %d messages, want only the 2 originals", events.ProductRebrandedName, n)
	}
	remaining := tableIDs(s.must("replay", "--dry-run"))
	if len(remaining) != 1 || remaining[0] != x3 {
		t.Fatalf("poison queue keeps %v, want only %s", remaining, x3)
	}

	// The same IDs again: they are no longer poisoned.
	out = s.must("replay", "--id="+r1, "--id="+r2, "--yes")
	if !strings.Contains(out, "no poisoned messages match") {
		t.Errorf("replaying the same IDs again: %s", out)
	}
	// A second poisoned copy of them (as a kill between the confirm and the
	// removal leaves, or a redelivery of the event that also failed) is
	// dropped by the inbox: the handler does not run, even though the cache
	// would now accept the rename again.
	var copies []amqp.Delivery
	ch := s.channel()
	for {
		d, ok, err := ch.Get(poisonTap, true)
		if err != nil || !ok {
			break
		}
		if id, _ := d.Headers["message_id"].(string); id == r1 || id == r2 {
			copies = append(copies, d)
		}
	}
	ch.Close()
	if len(copies) != 2 {
		t.Fatalf("the tap on %s caught %d copies of the poisoned renames, want 2", poisonQueue, len(copies))
	}
	for _, d := range copies {
		s.send(poisonQueue, amqp.Publishing{Headers: d.Headers, MessageId: d.MessageId, ContentType: d.ContentType, DeliveryMode: amqp.Persistent, Body: d.Body})
	}
	s.awaitQueue(poisonQueue, 3)
	if _, err := s.db.Pool.Exec(context.Background(), "UPDATE baskets.products_cache SET name = 'tampered', name_version = 1 WHERE id IN ($1, $2)", p1, p2); err != nil {
		t.Fatal(err)
	}
	out = s.must("replay", "--id="+r1, "--id="+r2, "--yes")
	if !strings.Contains(out, "re-delivered 2 of 2") {
		t.Errorf("replaying the copies: %s", out)
	}
	// The handler takes its queue in order: once a sentinel sent after the
	// copies is applied, the copies were handled (and not poisoned).
	sentinel := newID()
	s.addProduct(sentinel, store, "Sentinel")
	s.publish(events.ProductRebranded{ProductID: sentinel, StoreID: store, Name: "Sentinel v2", Version: 2})
	testkit.Eventually(t, 10*time.Second, "the sentinel is applied", func() bool { return s.productName(sentinel) == "Sentinel v2" })
	if n := s.queueLength(poisonQueue); n != 1 {
		t.Errorf("poison queue holds %d messages, want only %s", n, x3)
	}
	if a, b := s.productName(p1), s.productName(p2); a != "tampered" || b != "tampered" {
		t.Errorf("after replaying processed messages again the names are %q, %q: the handler ran twice", a, b)
	}

	// The other handler's message, replayed while its product is still
	// unknown, fails again and returns with its replay count.
	out = s.must("replay", "--handler="+onIncreased)
	if !strings.Contains(out, "re-delivered 1 of 1") {
		t.Errorf("replay of %s: %s", onIncreased, out)
	}
	testkit.Eventually(t, 20*time.Second, "the message is poisoned again with replay count 1", func() bool {
		out := s.mallbots("replay", "--dry-run").stdout
		return strings.HasSuffix(strings.TrimSpace(lineOf(out, x3)), " 1")
	})
	show := s.must("replay", "show", x3)
	for _, want := range []string{"replay_count", "replayed_at", "first_poisoned_at", "replay count  1", `"price": 1500`} {
		if !strings.Contains(show, want) {
			t.Errorf("replay show lacks %q:\n%s", want, show)
		}
	}
	// Fixed at last.
	s.addProduct(p3, store, "Wheel")
	s.must("replay", "--id="+x3)
	testkit.Eventually(t, 10*time.Second, "the price is applied", func() bool {
		return s.count("SELECT price FROM baskets.products_cache WHERE id = $1", p3) == 1500
	})
	s.awaitQueue(poisonQueue, 0)

	history := s.must("replay", "history")
	for _, want := range []string{"replay  by e2e-operator", "--handler=" + onRebranded, r1 + "  " + onRebranded + "  redelivered"} {
		if !strings.Contains(history, want) {
			t.Errorf("replay history lacks %q:\n%s", want, history)
		}
	}
}

// lineOf returns the line of out that contains s.
func lineOf(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// TestReplayFromLogRebuildsAReadModel empties the baskets caches and their
// inbox rows, re-delivers the stores events from the stores event log, and
// gets the very same caches back.
func TestReplayFromLogRebuildsAReadModel(t *testing.T) {
	t.Parallel()
	// An event that overtakes the ProductAdded it needs is retried until
	// that lands, however busy the machine: none may be poisoned here.
	s := startServe(t, "stores,baskets", "MALLBOTS_RETRY_MAX_RETRIES=100", "MALLBOTS_RETRY_MAX_ELAPSED=30s")
	store := s.do("POST", "/api/stores", `{"name":"Robo Parts","location":"Level 1"}`)["id"].(string)
	s.do("PUT", "/api/stores/"+store+"/rebrand", `{"name":"Robo Parts & Co"}`)
	var products []string
	for i, price := range []string{"9.99", "19.50", "3.25"} {
		products = append(products, s.do("POST", "/api/stores/"+store+"/products",
			fmt.Sprintf(`{"name":"Part %d","description":"d","sku":"P-%d","price":%s}`, i, i, price))["id"].(string))
	}
	s.do("PUT", "/api/stores/products/"+products[0]+"/rebrand", `{"name":"Servo XL","description":"bigger"}`)
	s.do("PUT", "/api/stores/products/"+products[1]+"/increasePrice", `{"price":0.50}`)
	s.do("DELETE", "/api/stores/products/"+products[2], "")

	snapshot := func() []string {
		return append(
			s.rows("SELECT format('%s %s %s', id, name, name_version) FROM baskets.stores_cache ORDER BY id"),
			s.rows(`SELECT format('%s %s %s %s %s %s %s %s', id, store_id, name, name_version, price, price_version, removed::text, removed_version)
				FROM baskets.products_cache ORDER BY id`)...)
	}
	want := []string{
		store + " Robo Parts & Co 2",
		products[0] + " " + store + " Servo XL 2 999 1 false 0",
		products[1] + " " + store + " Part 1 1 2000 2 false 0",
		products[2] + " " + store + " Part 2 1 325 1 true 2",
	}
	slices.Sort(want[1:])
	var before []string
	defer func() {
		if t.Failed() {
			t.Logf("caches last seen:\n%s\nwant:\n%s", strings.Join(before, "\n"), strings.Join(want, "\n"))
		}
	}()
	testkit.Eventually(t, 20*time.Second, "the baskets caches reflect every stores event", func() bool {
		before = snapshot()
		return len(before) == 4 && before[0] == want[0] && slices.Equal(sorted(before[1:]), want[1:])
	})

	_, err := s.db.Pool.Exec(context.Background(), `BEGIN;
		TRUNCATE baskets.stores_cache, baskets.products_cache;
		DELETE FROM baskets.inbox WHERE handler LIKE 'baskets.OnStore%' OR handler LIKE 'baskets.OnProduct%';
		COMMIT`)
	if err != nil {
		t.Fatalf("empty the read model: %v", err)
	}
	if got := snapshot(); len(got) != 0 {
		t.Fatalf("caches not empty: %v", got)
	}

	// Products first, so the events about them find them; every handler
	// gets its own topic's events only.
	for _, step := range []struct {
		handler, topic string
		n              int
	}{
		{"baskets.OnStoreCreated", events.StoreCreatedName, 1},
		{"baskets.OnStoreRebranded", events.StoreRebrandedName, 1},
		{"baskets.OnProductAdded", events.ProductAddedName, 3},
		{"baskets.OnProductRebranded", events.ProductRebrandedName, 1},
		{"baskets.OnProductPriceIncreased", events.ProductPriceIncreasedName, 1},
		{"baskets.OnProductRemoved", events.ProductRemovedName, 1},
	} {
		dry := s.must("replay", "from-log", "--topic="+step.topic, "--handler="+step.handler, "--dry-run")
		if !strings.Contains(dry, fmt.Sprintf("would re-deliver %d event(s) of %s", step.n, step.topic)) {
			t.Errorf("dry run for %s: %s", step.handler, dry)
		}
		out := s.must("replay", "from-log", "--topic="+step.topic, "--handler="+step.handler, "--since=1h", "--yes")
		if !strings.Contains(out, fmt.Sprintf("re-delivered %d of %d event(s) of %s to %s", step.n, step.n, step.topic, step.handler)) {
			t.Errorf("from-log for %s: %s", step.handler, out)
		}
		if step.handler == "baskets.OnProductAdded" {
			testkit.Eventually(t, 10*time.Second, "the products are back", func() bool {
				return s.count("SELECT count(*) FROM baskets.products_cache") == 3
			})
		}
	}
	testkit.Eventually(t, 20*time.Second, "the rebuilt caches equal the originals", func() bool {
		return slices.Equal(snapshot(), before)
	})
	if n := s.queueLength(poisonQueue); n != 0 {
		t.Errorf("the rebuild poisoned %d messages", n)
	}
	history := s.must("replay", "history", "--limit=1")
	if !strings.Contains(history, "from-log  by e2e-operator") || !strings.Contains(history, "to handler: baskets.OnProductRemoved") {
		t.Errorf("replay history: %s", history)
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestReplayListsShowsAndDiscardsAnUndecodableMessage: a payload that can
// never be decoded is listed, shown byte for byte, and discarded with its
// full record in the audit trail.
func TestReplayListsShowsAndDiscardsAnUndecodableMessage(t *testing.T) {
	t.Parallel()
	s := startServe(t, "baskets")
	body := []byte("\xff\xfe{\"productId\": \x00")
	id := s.publishRaw(events.ProductRebrandedName, body)
	s.awaitQueue(poisonQueue, 1)

	list := s.must("replay", "list", "--service=baskets")
	if !strings.Contains(list, "decode stores.ProductRebranded payload") || !strings.Contains(squeeze(list), onRebranded+"  1") {
		t.Errorf("replay list: %s", list)
	}
	show := s.must("replay", "show", id)
	for _, want := range []string{`"\xff\xfe{\"productId\": \x00"`, "not JSON", "payload (17 bytes)", "reason_poisoned", "correlation_id", "corr-" + id} {
		if !strings.Contains(show, want) {
			t.Errorf("replay show lacks %q:\n%s", want, show)
		}
	}
	if ids := tableIDs(s.must("replay", "discard", "--id="+id, "--dry-run")); len(ids) != 1 || ids[0] != id || s.queueLength(poisonQueue) != 1 {
		t.Fatalf("discard dry run lists %v and leaves %d messages", ids, s.queueLength(poisonQueue))
	}
	out := s.must("replay", "discard", "--id="+id)
	if !strings.Contains(out, "discarded 1 of 1") {
		t.Errorf("discard: %s", out)
	}
	if n := s.queueLength(poisonQueue); n != 0 {
		t.Errorf("poison queue holds %d messages after the discard", n)
	}
	var payload []byte
	var reason, actor string
	err := s.db.Pool.QueryRow(context.Background(), `SELECT m.payload, m.headers->>'reason_poisoned', r.actor
		FROM replay.messages m JOIN replay.runs r ON r.id = m.run_id
		WHERE m.message_id = $1 AND m.outcome = 'discarded' AND r.action = 'discard'`, id).Scan(&payload, &reason, &actor)
	if err != nil {
		t.Fatalf("the discarded message is not in the audit trail: %v", err)
	}
	if string(payload) != string(body) || !strings.Contains(reason, "decode") || actor != "e2e-operator" {
		t.Errorf("audited %q (%s) by %s, want the exact payload %q", payload, reason, actor, body)
	}
	if h := s.must("replay", "history"); !strings.Contains(h, id+"  "+onRebranded+"  discarded") {
		t.Errorf("replay history: %s", h)
	}
}

// TestReplayKilledHalfWayLosesNothing kills the binary (SIGKILL) while it
// replays at 2 messages a second: each message is then re-delivered, or
// still poisoned, or both; none is lost, and a second run finishes the job.
func TestReplayKilledHalfWayLosesNothing(t *testing.T) {
	t.Parallel()
	s := startServe(t, "baskets")
	store := newID()
	products := make([]string, 8)
	msgs := map[string]string{} // message → product
	for i := range products {
		products[i] = newID()
		msgs[s.publish(events.ProductRebranded{ProductID: products[i], StoreID: store, Name: "renamed", Version: 2})] = products[i]
	}
	s.awaitQueue(poisonQueue, len(products))
	for _, p := range products {
		s.addProduct(p, store, "original")
	}

	replay := exec.Command(binary, "replay", "--handler="+onRebranded, "--rate=2", "--yes")
	replay.Env = s.environ()
	stdout, err := replay.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := replay.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) > 1 && f[0] == "re-delivered" && uuidLike.MatchString(f[1]) {
				first <- f[1]
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case id := <-first:
		t.Logf("first message %s re-delivered; killing the replay", id)
	case <-time.After(60 * time.Second):
		t.Fatal("the replay re-delivered nothing within 60s")
	}
	if err := replay.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = replay.Wait()

	applied := func() map[string]bool {
		out := map[string]bool{}
		for m, p := range msgs {
			if s.productName(p) == "renamed" {
				out[m] = true
			}
		}
		return out
	}
	// The broker requeues what the dead replay held; the handler applies
	// what it had re-delivered.
	var poisoned []string
	testkit.Eventually(t, 20*time.Second, "every message is applied or back in the poison queue", func() bool {
		poisoned = tableIDs(s.mallbots("replay", "--dry-run").stdout)
		done := applied()
		for m := range msgs {
			if !done[m] && !slices.Contains(poisoned, m) {
				return false
			}
		}
		return true
	})
	done := applied()
	t.Logf("after the kill: %d applied, %d still poisoned", len(done), len(poisoned))
	if len(done) == 0 || len(poisoned) == 0 {
		t.Errorf("applied %d and still poisoned %d: the kill did not land half-way", len(done), len(poisoned))
	}
	if h := s.must("replay", "history"); !strings.Contains(h, "running, or interrupted") {
		t.Errorf("replay history does not show the interrupted run:\n%s", h)
	}

	// Running it again finishes the job; whatever was both re-delivered and
	// still poisoned is dropped by the inbox.
	s.must("replay", "--handler="+onRebranded, "--yes")
	testkit.Eventually(t, 20*time.Second, "every message is applied", func() bool { return len(applied()) == len(msgs) })
	s.awaitQueue(poisonQueue, 0)
	for m := range msgs {
		if n := s.count("SELECT count(*) FROM baskets.inbox WHERE handler = $1 AND message_id = $2", onRebranded, m); n != 1 {
			t.Errorf("inbox rows of %s = %d, want 1", m, n)
		}
	}
}

// TestReplayUsageAndConnectionErrors: bad command lines exit 2 with a
// clear message, an unreachable broker exits 1 within the connect timeout;
// an old mode flag still runs its verb, saying so. (Each verb's help is
// checked in cmd's TestReplayHelp.)
func TestReplayUsageAndConnectionErrors(t *testing.T) {
	t.Parallel()
	env := (&system{env: []string{"MALLBOTS_AMQP_URL=amqp://guest:guest@127.0.0.1:1/", "MALLBOTS_CONNECT_TIMEOUT=1s"}}).environ()
	for _, tc := range []struct {
		args     []string
		wantCode int
		wantErr  string
	}{
		{[]string{"replay", "--service=nope"}, 2, "unknown service nope; valid services are: stores, customers, baskets"},
		{[]string{"replay", "--handler=baskets.OnNope"}, 2, "unknown handler baskets.OnNope; valid handlers are: baskets.OnCustomerDisabled"},
		{[]string{"replay", "--service=stores", "--handler=" + onRebranded}, 2, "belongs to service baskets, which --service leaves out"},
		{[]string{"replay", "--topic=stores.Nope"}, 2, "no handler consumes topic stores.Nope"},
		{[]string{"replay", "--since=yesterday"}, 2, `--since: "yesterday" is not a time`},
		{[]string{"replay", "--since=1h", "--until=2h"}, 2, "--until"},
		{[]string{"replay", "--limit=-1"}, 2, "--limit -1 must not be negative"},
		{[]string{"replay", "--rate=-2"}, 2, "--rate -2 must not be negative"},
		{[]string{"replay", "--error="}, 2, "--error needs some text"},
		{[]string{"replay", "list", "--error="}, 2, "--error needs some text"},
		{[]string{"replay", "list", "--yes"}, 2, "unknown flag: --yes"},
		{[]string{"replay", "list", "--limit=3"}, 2, "unknown flag: --limit"},
		{[]string{"replay", "discard"}, 2, "replay discard needs a selection"},
		{[]string{"replay", "discard", "--handler=baskets.OnNope"}, 2, "unknown handler baskets.OnNope"},
		{[]string{"replay", "from-log", "--topic=stores.ProductAdded"}, 2, "replay from-log needs exactly one --handler"},
		{[]string{"replay", "from-log", "--handler=baskets.OnProductAdded", "--topic=stores.StoreCreated"}, 2, "consumes stores.ProductAdded only"},
		{[]string{"replay", "from-log", "--handler=baskets.OnProductAdded", "--id=x"}, 2, "unknown flag: --id"},
		{[]string{"replay", "history", "--id=x"}, 2, "unknown flag: --id"},
		{[]string{"replay", "history", "--limit=-1"}, 2, "--limit -1 must not be negative"},
		{[]string{"replay", "show"}, 2, "replay show takes one message UUID"},
		{[]string{"replay", "show", "x", "--handler=" + onRebranded}, 2, "unknown flag: --handler"},
		{[]string{"replay", "--list", "--discard"}, 2, "give one"},
		{[]string{"replay", "surplus"}, 2, "unknown command"},
		{[]string{"replay", "list"}, 1, "connect to RabbitMQ at amqp://guest:xxxxx@127.0.0.1:1/: gave up"},
		{[]string{"replay", "--list"}, 1, "replay --list is deprecated and goes away in the next release; use: mallbots replay list"},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			r := run(t, env, tc.args...)
			if r.code != tc.wantCode || !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tc.wantCode, tc.wantErr)
			}
			if strings.Contains(r.stderr, "guest:guest") {
				t.Errorf("stderr leaks the password: %s", r.stderr)
			}
		})
	}
}
