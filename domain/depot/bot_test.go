package depot_test

import (
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/internal/domaintest"
)

const botUUID = "01a2b3c4-d5e6-4f70-8899-aabbccddeeff"

func TestParseBotRef(t *testing.T) {
	tests := []struct {
		name, in          string
		wantID, wantExt   string
		wantErr, wantKind error
	}{
		{name: "a UUID is the bot's ID", in: botUUID, wantID: botUUID},
		{name: "in canonical form", in: strings.ToUpper(botUUID), wantID: botUUID},
		{name: "the book's bot", in: "bot-1", wantExt: "bot-1"},
		{name: "matched exactly, case kept", in: "Bot-1", wantExt: "Bot-1"},
		{name: "inner spaces and any script", in: "Robo Kellner №5 🤖", wantExt: "Robo Kellner №5 🤖"},
		{name: "a UUID in another spelling is an external ID", in: "{" + botUUID + "}", wantExt: "{" + botUUID + "}"},
		{name: "at the limit", in: strings.Repeat("ß", depot.MaxBotExternalIDLen), wantExt: strings.Repeat("ß", depot.MaxBotExternalIDLen)},
		{name: "empty", in: "", wantErr: depot.ErrBotIDRequired, wantKind: domain.ErrInvalid},
		{name: "blank", in: " \t", wantErr: depot.ErrBotIDRequired, wantKind: domain.ErrInvalid},
		{name: "too long", in: strings.Repeat("ß", depot.MaxBotExternalIDLen+1), wantErr: depot.ErrBotExternalIDTooLong, wantKind: domain.ErrInvalid},
		{name: "NUL", in: "bot\x001", wantErr: depot.ErrBotExternalIDMalformed, wantKind: domain.ErrInvalid},
		{name: "newline", in: "bot-1\nbot-2", wantErr: depot.ErrBotExternalIDMalformed, wantKind: domain.ErrInvalid},
		{name: "C1 control", in: "bot\u00851", wantErr: depot.ErrBotExternalIDMalformed, wantKind: domain.ErrInvalid},
		{name: "invalid UTF-8", in: "bot-\xff", wantErr: depot.ErrBotExternalIDMalformed, wantKind: domain.ErrInvalid},
		{name: "white space around", in: " bot-1", wantErr: depot.ErrBotExternalIDMalformed, wantKind: domain.ErrInvalid},
		{name: "no-break space around", in: "bot-1\u00a0", wantErr: depot.ErrBotExternalIDMalformed, wantKind: domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := depot.ParseBotRef(tt.in)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if ref.ID() != tt.wantID || ref.ExternalID() != tt.wantExt {
				t.Errorf("ParseBotRef(%q) = ID %q, external ID %q; want %q, %q", tt.in, ref.ID(), ref.ExternalID(), tt.wantID, tt.wantExt)
			}
			if err == nil && ref.String() != tt.wantID+tt.wantExt {
				t.Errorf("String() = %q", ref.String())
			}
		})
	}
}

// TestNewBot covers both ways a bot comes to be: registered under a name
// (NewBot), and registered on first use by the reference a client named it
// by (NewBotFor). Either way it is idle, and found by the reference it
// answers to (Ref).
func TestNewBot(t *testing.T) {
	mustRef := func(s string) depot.BotRef {
		ref, err := depot.ParseBotRef(s)
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	named := func(id, name string) func() (*depot.Bot, error) {
		return func() (*depot.Bot, error) { return depot.NewBot(id, name) }
	}
	firstUse := func(ref depot.BotRef, newID string) func() (*depot.Bot, error) {
		return func() (*depot.Bot, error) { return depot.NewBotFor(ref, newID) }
	}
	long := strings.Repeat("ß", depot.MaxBotNameLen)
	tests := []struct {
		name                      string
		make                      func() (*depot.Bot, error)
		wantID, wantExt, wantName string
		wantErr, wantKind         error
	}{
		{name: "named", make: named(botUUID, "  R2-D2 "), wantID: botUUID, wantName: "R2-D2"},
		{name: "name at limit", make: named(botUUID, long), wantID: botUUID, wantName: long},
		{name: "blank id", make: named("", "R2"), wantErr: depot.ErrBotIDRequired, wantKind: domain.ErrInvalid},
		{name: "blank name", make: named(botUUID, "\t"), wantErr: depot.ErrBotNameRequired, wantKind: domain.ErrInvalid},
		{name: "name too long", make: named(botUUID, long+"ß"), wantErr: depot.ErrBotNameTooLong, wantKind: domain.ErrInvalid},
		{name: "first use of an external ID: a new ID, the external ID kept", make: firstUse(mustRef("bot-1"), botUUID),
			wantID: botUUID, wantExt: "bot-1", wantName: "bot-1"},
		{name: "first use of an ID: the bot's", make: firstUse(mustRef(strings.ToUpper(botUUID)), "b9"), wantID: botUUID, wantName: botUUID},
		{name: "first use of an ID needs no new ID", make: firstUse(mustRef(botUUID), ""), wantID: botUUID, wantName: botUUID},
		{name: "first use of an external ID without a new ID", make: firstUse(mustRef("bot-1"), " "),
			wantErr: depot.ErrBotIDRequired, wantKind: domain.ErrInvalid},
		{name: "first use of no reference", make: firstUse(depot.BotRef{}, "b9"), wantErr: depot.ErrBotIDRequired, wantKind: domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.make()
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if tt.wantErr != nil {
				return
			}
			if b.ID() != tt.wantID || b.ExternalID() != tt.wantExt || b.Name() != tt.wantName ||
				b.Status() != depot.BotIdle || b.ShoppingID() != "" || b.Version() != 1 {
				t.Errorf("bot = {%s %q %q %s %q v%d}", b.ID(), b.ExternalID(), b.Name(), b.Status(), b.ShoppingID(), b.Version())
			}
			wantRef := mustRef(tt.wantID)
			if tt.wantExt != "" {
				wantRef = mustRef(tt.wantExt)
			}
			if b.Ref() != wantRef {
				t.Errorf("Ref() = %v, want %v", b.Ref(), wantRef)
			}
		})
	}
}

// TestTheBooksShoppingTrip is the book's depot sequence on the rules: a bot
// no one registered is assigned the list, completes it without reporting a
// stop, and takes the next order's list.
func TestTheBooksShoppingTrip(t *testing.T) {
	ref, err := depot.ParseBotRef("bot-1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := depot.NewBotFor(ref, "b1")
	if err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{"o1", "o2"} {
		stops, err := depot.Plan([]depot.Line{{StoreID: "s1", ProductID: "p1", Quantity: 1}, {StoreID: "s2", ProductID: "p2", Quantity: 3}}, known)
		if err != nil {
			t.Fatal(err)
		}
		l, err := depot.New("l-"+order, order, stops)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.MakeAvailable(); err != nil {
			t.Fatal(err)
		}
		if err := l.Assign(b); err != nil {
			t.Fatalf("assign %s: %v", l.ID(), err)
		}
		if changed, err := l.Complete(b); err != nil || !changed {
			t.Fatalf("complete %s: changed %t, %v", l.ID(), changed, err)
		}
		if l.Status() != completed || l.BotID() != "b1" || l.Version() != 4 {
			t.Errorf("list %s: %s by %q v%d, want completed by b1 v4", l.ID(), l.Status(), l.BotID(), l.Version())
		}
		for _, s := range l.Stops() {
			if !s.PickedUp() {
				t.Errorf("list %s: stop at %s not picked up", l.ID(), s.Store().ID)
			}
		}
		if b.Status() != depot.BotIdle {
			t.Errorf("bot after list %s is %s, want idle", l.ID(), b.Status())
		}
	}
}
