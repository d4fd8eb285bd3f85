package depot_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/internal/testkit"
)

// env is the depot service over fakes, served the way cmd serves it: the
// service's routes on the httpapi.Mux.
type env struct {
	*world
	api http.Handler
}

func newEnv(t *testing.T) *env {
	t.Helper()
	w := newWorld()
	mux := httpapi.NewMux()
	w.h.Routes(mux)
	return &env{world: w, api: mux}
}

const missingID = "11111111-2222-4333-8444-555555555555"

// seededListJSON is the list seed makes, in status with bot botID and stops
// picked up as given.
func seededListJSON(status, bot string, picked bool) string {
	p := "false"
	if picked {
		p = "true"
	}
	return `{"id":"` + listID + `","orderId":"` + orderID + `","status":"` + status + `","botId":"` + bot + `","stops":[` +
		`{"storeId":"` + storeA + `","storeName":"Waffles","storeLocation":"Level 1","pickedUp":` + p + `,` +
		`"items":[{"productId":"` + productX + `","productName":"Syrup","quantity":2}]},` +
		`{"storeId":"` + storeB + `","storeName":"Bolts","storeLocation":"Level 2","pickedUp":` + p + `,` +
		`"items":[{"productId":"` + productY + `","productName":"Bolt","quantity":10}]}]}`
}

func TestGetShoppingList(t *testing.T) {
	e := newEnv(t)
	e.seed(depot.StatusAssigned, false)
	testkit.AssertJSON(t, testkit.Request(t, e.api, "GET", "/api/depot/shopping/"+listID, ""), 200, `{"shoppingList":`+seededListJSON("assigned", botID, false)+`}`)
	testkit.AssertJSON(t, testkit.Request(t, e.api, "GET", "/api/depot/shopping/"+strings.ToUpper(listID), ""), 200, `{"shoppingList":`+seededListJSON("assigned", botID, false)+`}`)
	testkit.AssertProblem(t, testkit.Request(t, e.api, "GET", "/api/depot/shopping/"+missingID, ""), 404, "shopping list "+missingID)
	testkit.AssertProblem(t, testkit.Request(t, e.api, "GET", "/api/depot/shopping/list-1", ""), 400, "must be a UUID")
}

func TestListShoppingLists(t *testing.T) {
	e := newEnv(t)
	e.seed(depot.StatusAvailable, false)
	for _, tc := range []struct {
		query  string
		status int
		want   string
	}{
		{"", 200, `{"shoppingLists":[` + seededListJSON("available", "", false) + `]}`},
		{"?status=available", 200, `{"shoppingLists":[` + seededListJSON("available", "", false) + `]}`},
		{"?status=available&limit=1", 200, `{"shoppingLists":[` + seededListJSON("available", "", false) + `]}`},
		{"?status=pending", 200, `{"shoppingLists":[]}`},
		{"?status=open", 400, "query parameter status must be one of"},
		{"?limit=0", 400, "query parameter limit must be a whole number from 1 to 500"},
		{"?limit=501", 400, "query parameter limit"},
		{"?limit=ten", 400, "query parameter limit"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := testkit.Request(t, e.api, "GET", "/api/depot/shopping"+tc.query, "")
			if tc.status != 200 {
				testkit.AssertProblem(t, r, tc.status, tc.want)
				return
			}
			testkit.AssertJSON(t, r, 200, tc.want)
		})
	}
}

// step is one request of a scenario.
type step struct {
	method, path, body string
	status             int
	detail             string // part of the problem's detail
}

func TestShoppingListCommands(t *testing.T) {
	list := "/api/depot/shopping/" + listID
	assigned := events.ShoppingListAssigned{ShoppingID: listID, OrderID: orderID, BotID: bot2ID}
	completed := events.ShoppingListCompleted{ShoppingID: listID, OrderID: orderID}
	canceled := events.ShoppingListCanceled{ShoppingID: listID, OrderID: orderID}
	cases := []struct {
		name       string
		from       depot.Status
		picked     bool
		bot2       depot.BotStatus // bot2's status (idle by default)
		steps      []step
		want       []events.Event
		wantStatus depot.Status
		wantBot    depot.BotStatus // bot botID's status afterwards, when it matters
	}{
		{name: "assign an available list", from: depot.StatusAvailable,
			steps: []step{{"PUT", list + "/assign", `{"botId":"` + bot2ID + `"}`, 200, ""}},
			want:  []events.Event{assigned}, wantStatus: depot.StatusAssigned},
		{name: "assign a pending list", from: depot.StatusPending,
			steps:      []step{{"PUT", list + "/assign", `{"botId":"` + bot2ID + `"}`, 409, "shopping list is not available"}},
			wantStatus: depot.StatusPending},
		{name: "assign to a busy bot", from: depot.StatusAvailable, bot2: depot.BotBusy,
			steps:      []step{{"PUT", list + "/assign", `{"botId":"` + bot2ID + `"}`, 409, "bot is busy"}},
			wantStatus: depot.StatusAvailable},
		{name: "assign to a bot no one registered", from: depot.StatusAvailable,
			steps: []step{{"PUT", list + "/assign", `{"botId":"` + missingID + `"}`, 200, ""}},
			want:  []events.Event{events.ShoppingListAssigned{ShoppingID: listID, OrderID: orderID, BotID: missingID}}, wantStatus: depot.StatusAssigned},
		{name: "assign a pending list to a bot no one registered", from: depot.StatusPending,
			steps: []step{
				{"PUT", list + "/assign", `{"botId":"bot-1"}`, 409, "shopping list is not available"},
				{"GET", "/api/depot/bots/bot-1", "", 404, "bot bot-1"}, // a refused assignment registers no bot
			},
			wantStatus: depot.StatusPending},
		{name: "assign to a blank bot", from: depot.StatusAvailable,
			steps:      []step{{"PUT", list + "/assign", `{"botId":" "}`, 422, "bot id is required"}},
			wantStatus: depot.StatusAvailable},
		{name: "assign to a malformed external ID (control characters are refused at the edge already)", from: depot.StatusAvailable,
			steps:      []step{{"PUT", list + "/assign", `{"botId":"bot-1 "}`, 422, "bot external id is malformed"}},
			wantStatus: depot.StatusAvailable},
		{name: "assign to a too long external ID", from: depot.StatusAvailable,
			steps:      []step{{"PUT", list + "/assign", `{"botId":"` + strings.Repeat("b", depot.MaxBotExternalIDLen+1) + `"}`, 422, "bot external id is too long"}},
			wantStatus: depot.StatusAvailable},
		{name: "assign an unknown list", from: depot.StatusAvailable,
			steps:      []step{{"PUT", "/api/depot/shopping/" + missingID + "/assign", `{"botId":"` + bot2ID + `"}`, 404, "shopping list"}},
			wantStatus: depot.StatusAvailable},
		{name: "assign without a body", from: depot.StatusAvailable,
			steps:      []step{{"PUT", list + "/assign", ``, 400, "must not be empty"}},
			wantStatus: depot.StatusAvailable},
		{name: "assign with an unknown field", from: depot.StatusAvailable,
			steps:      []step{{"PUT", list + "/assign", `{"botId":"` + bot2ID + `","robot":1}`, 400, "robot"}},
			wantStatus: depot.StatusAvailable},
		{name: "pick up every stop, twice, then complete, twice", from: depot.StatusAssigned,
			steps: []step{
				{"PUT", list + "/stops/" + storeA + "/pickup", "", 200, ""},
				{"PUT", list + "/stops/" + storeA + "/pickup", "", 200, ""},
				{"PUT", list + "/stops/" + strings.ToUpper(storeB) + "/pickup", "", 200, ""},
				{"PUT", list + "/complete", "", 200, ""},
				{"PUT", list + "/complete", "", 200, ""},
				{"PUT", list + "/stops/" + storeA + "/pickup", "", 409, "not assigned"},
			},
			want: []events.Event{completed}, wantStatus: depot.StatusCompleted, wantBot: depot.BotIdle},
		{name: "complete with a stop left picks it up", from: depot.StatusAssigned,
			steps: []step{
				{"PUT", list + "/stops/" + storeA + "/pickup", "", 200, ""},
				{"PUT", list + "/complete", "", 200, ""},
			},
			want: []events.Event{completed}, wantStatus: depot.StatusCompleted, wantBot: depot.BotIdle},
		{name: "complete an available list", from: depot.StatusAvailable,
			steps:      []step{{"PUT", list + "/complete", "", 409, "not assigned"}},
			wantStatus: depot.StatusAvailable},
		{name: "complete a canceled list", from: depot.StatusCanceled,
			steps:      []step{{"PUT", list + "/complete", "", 409, "not assigned"}},
			wantStatus: depot.StatusCanceled},
		{name: "pick up at a store with no stop", from: depot.StatusAssigned,
			steps:      []step{{"PUT", list + "/stops/" + storeNew + "/pickup", "", 404, "no stop at that store"}},
			wantStatus: depot.StatusAssigned},
		{name: "pick up before a bot has the list", from: depot.StatusAvailable,
			steps:      []step{{"PUT", list + "/stops/" + storeA + "/pickup", "", 409, "not assigned"}},
			wantStatus: depot.StatusAvailable},
		{name: "pick up at a malformed store", from: depot.StatusAssigned,
			steps:      []step{{"PUT", list + "/stops/waffles/pickup", "", 400, "storeId must be a UUID"}},
			wantStatus: depot.StatusAssigned},
		{name: "cancel a pending list, twice", from: depot.StatusPending,
			steps: []step{{"POST", list, "", 200, ""}, {"POST", list, "", 200, ""}},
			want:  []events.Event{canceled}, wantStatus: depot.StatusCanceled},
		{name: "cancel an assigned list frees the bot", from: depot.StatusAssigned,
			steps: []step{{"POST", list, "", 200, ""}},
			want:  []events.Event{canceled}, wantStatus: depot.StatusCanceled, wantBot: depot.BotIdle},
		{name: "cancel a completed list", from: depot.StatusCompleted, picked: true,
			steps:      []step{{"POST", list, "", 409, "shopping list is completed"}},
			wantStatus: depot.StatusCompleted},
		{name: "cancel an unknown list", from: depot.StatusPending,
			steps:      []step{{"POST", "/api/depot/shopping/" + missingID, "", 404, "shopping list"}},
			wantStatus: depot.StatusPending},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.seed(tc.from, tc.picked)
			bot2 := depot.RehydrateBot(bot2ID, "", "C3", depot.BotIdle, "", 1)
			if tc.bot2 == depot.BotBusy {
				bot2 = depot.RehydrateBot(bot2ID, "", "C3", depot.BotBusy, missingID, 2)
			}
			e.repo.put(nil, bot2)
			for i, s := range tc.steps {
				r := testkit.Request(t, e.api, s.method, s.path, s.body)
				if r.Code != s.status {
					t.Fatalf("step %d %s %s = %d %s, want %d", i, s.method, s.path, r.Code, r.Body, s.status)
				}
				testkit.AssertCommand(t, r, s.status, s.detail)
			}
			assertEvents(t, e.repo.published(), tc.want)
			if l := e.repo.list(listID); l.Status() != tc.wantStatus {
				t.Errorf("list is %s, want %s", l.Status(), tc.wantStatus)
			}
			if tc.wantBot != (depot.BotStatus{}) {
				if b := e.repo.bot(botID); b.Status() != tc.wantBot {
					t.Errorf("bot %s is %s, want %s", botID, b.Status(), tc.wantBot)
				}
			}
		})
	}
}

func TestBots(t *testing.T) {
	e := newEnv(t)
	testkit.AssertJSON(t, testkit.Request(t, e.api, "GET", "/api/depot/bots", ""), 200, `{"bots":[]}`)
	r := testkit.Request(t, e.api, "POST", "/api/depot/bots", `{"name":" R2-D2 "}`)
	const id = "00000000-0000-4000-8000-000000000001"
	testkit.AssertJSON(t, r, 201, `{"id":"`+id+`"}`)
	testkit.AssertProblem(t, testkit.Request(t, e.api, "POST", "/api/depot/bots", `{"name":"  "}`), 422, "bot name is required")
	testkit.AssertProblem(t, testkit.Request(t, e.api, "POST", "/api/depot/bots", `{"name":"C3","model":"protocol"}`), 400, "model")

	bot := `{"id":"` + id + `","externalId":"","name":"R2-D2","status":"idle","shoppingId":""}`
	testkit.AssertJSON(t, testkit.Request(t, e.api, "GET", "/api/depot/bots/"+id, ""), 200, `{"bot":`+bot+`}`)
	testkit.AssertJSON(t, testkit.Request(t, e.api, "GET", "/api/depot/bots/"+strings.ToUpper(id), ""), 200, `{"bot":`+bot+`}`)
	testkit.AssertJSON(t, testkit.Request(t, e.api, "GET", "/api/depot/bots", ""), 200, `{"bots":[`+bot+`]}`)
	testkit.AssertProblem(t, testkit.Request(t, e.api, "GET", "/api/depot/bots/"+missingID, ""), 404, "bot "+missingID)
	// Any other text is an external ID: a bot's name is not one.
	testkit.AssertProblem(t, testkit.Request(t, e.api, "GET", "/api/depot/bots/R2-D2", ""), 404, "bot R2-D2")
	testkit.AssertProblem(t, testkit.Request(t, e.api, "GET", "/api/depot/bots/r2%00", ""), 400, "path parameter id must be a bot's ID (a UUID) or external ID")
	if got := e.repo.published(); len(got) != 0 {
		t.Errorf("registering a bot published %+v, want nothing", got)
	}
}

func TestClaimShoppingList(t *testing.T) {
	e := newEnv(t)
	claim := "/api/depot/bots/" + bot2ID + "/claim"
	e.repo.put(nil, depot.RehydrateBot(bot2ID, "", "C3", depot.BotIdle, "", 1))
	testkit.AssertProblem(t, testkit.Request(t, e.api, "POST", claim, ""), 404, "no shopping list is available")

	e.seed(depot.StatusAvailable, false)
	r := testkit.Request(t, e.api, "POST", claim, "")
	testkit.AssertJSON(t, r, 200, `{"shoppingList":`+seededListJSON("assigned", bot2ID, false)+`}`)
	assertEvents(t, e.repo.published(), []events.Event{events.ShoppingListAssigned{ShoppingID: listID, OrderID: orderID, BotID: bot2ID}})
	testkit.AssertJSON(t, testkit.Request(t, e.api, "GET", "/api/depot/bots/"+bot2ID, ""), 200,
		`{"bot":{"id":"`+bot2ID+`","externalId":"","name":"C3","status":"busy","shoppingId":"`+listID+`"}}`)

	testkit.AssertProblem(t, testkit.Request(t, e.api, "POST", claim, ""), 409, "bot is busy")
	testkit.AssertProblem(t, testkit.Request(t, e.api, "POST", "/api/depot/bots/"+missingID+"/claim", ""), 404, "bot "+missingID)
	testkit.AssertProblem(t, testkit.Request(t, e.api, "POST", "/api/depot/bots/c3/claim", ""), 404, "bot c3")
	testkit.AssertProblem(t, testkit.Request(t, e.api, "POST", "/api/depot/bots/%20c3/claim", ""), 400, "path parameter id must be a bot's ID")
	if n := len(e.repo.published()); n != 1 {
		t.Errorf("%d events after refused claims, want 1", n)
	}
}

// TestTheBooksDepotSequence is the book's client at the depot: it assigns
// the list to "bot-1", which no one registered, and completes it without
// reporting a stop; then gives bot-1 the next order's list. The bot is
// registered once, under an ID of ours, and found by either.
func TestTheBooksDepotSequence(t *testing.T) {
	e := newEnv(t)
	e.seed(depot.StatusAvailable, false)
	list := "/api/depot/shopping/" + listID
	const registered = "00000000-0000-4000-8000-000000000001" // the first ID sequentialIDs makes
	for i, s := range []step{
		{"PUT", list + "/assign", `{"botId":"bot-1"}`, 200, ""},
		{"PUT", list + "/complete", `{}`, 200, ""},
	} {
		if r := testkit.Request(t, e.api, s.method, s.path, s.body); r.Code != s.status {
			t.Fatalf("step %d %s %s = %d %s, want %d", i, s.method, s.path, r.Code, r.Body, s.status)
		}
	}
	testkit.AssertJSON(t, testkit.Request(t, e.api, "GET", list, ""), 200, `{"shoppingList":`+seededListJSON("completed", registered, true)+`}`)
	bot := `{"id":"` + registered + `","externalId":"bot-1","name":"bot-1","status":"idle","shoppingId":""}`
	testkit.AssertJSON(t, testkit.Request(t, e.api, "GET", "/api/depot/bots/bot-1", ""), 200, `{"bot":`+bot+`}`)
	testkit.AssertJSON(t, testkit.Request(t, e.api, "GET", "/api/depot/bots/"+registered, ""), 200, `{"bot":`+bot+`}`)
	testkit.AssertProblem(t, testkit.Request(t, e.api, "GET", "/api/depot/bots/Bot-1", ""), 404, "bot Bot-1")

	// The next order: bot-1 is the bot registered before, not a new one.
	next := "00000000-0000-4000-d000-000000000002"
	e.repo.put(depot.Rehydrate(next, order2ID, depot.StatusAvailable, "", e.repo.list(listID).Stops(), 2))
	testkit.AssertCommand(t, testkit.Request(t, e.api, "PUT", "/api/depot/shopping/"+next+"/assign", `{"botId":"bot-1"}`), 200, "")
	testkit.AssertJSON(t, testkit.Request(t, e.api, "GET", "/api/depot/bots", ""), 200, `{"bots":[`+
		`{"id":"`+botID+`","externalId":"","name":"R2","status":"idle","shoppingId":""},`+
		`{"id":"`+registered+`","externalId":"bot-1","name":"bot-1","status":"busy","shoppingId":"`+next+`"}]}`)
	assertEvents(t, e.repo.published(), []events.Event{
		events.ShoppingListAssigned{ShoppingID: listID, OrderID: orderID, BotID: registered},
		events.ShoppingListCompleted{ShoppingID: listID, OrderID: orderID},
		events.ShoppingListAssigned{ShoppingID: next, OrderID: order2ID, BotID: registered},
	})
}

func TestUnknownRoutesAreProblems(t *testing.T) {
	e := newEnv(t)
	testkit.AssertProblem(t, testkit.Request(t, e.api, "DELETE", "/api/depot/shopping/"+listID, ""), 405, "not allowed")
	testkit.AssertProblem(t, testkit.Request(t, e.api, "GET", "/api/depot/robots", ""), 404, "no route")
}
