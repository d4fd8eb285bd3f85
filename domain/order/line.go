package order

import (
	"fmt"
	"strings"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/catalog"
)

// Line is one line of an order as a client asks for it over HTTP: Quantity
// units of product ProductID of store StoreID. The names and the price are
// what the client showed its customer, each optional: a blank name or a
// nil Price was not sent. A client never sets what the order charges; the
// catalog does (Item).
type Line struct {
	StoreID     string
	ProductID   string
	Quantity    int
	StoreName   string
	ProductName string
	// Price is the unit price in cents the client showed, nil when it sent
	// none.
	Price *int64
}

// Item returns line n (1-based) as an order item named and priced as the
// catalog's product p is now; p is the product the line names, which the
// caller looked up by ProductID. The line's store must be p's, and p's store
// must be known (ErrStoreUnknown). A name or price the line carries must be
// the catalog's (names compared without surrounding spaces), so a kiosk
// showing a stale price learns of it instead of charging it: anything else
// is ErrNotAsInCatalog. Both are kind domain.ErrInvalid. The quantity is
// New's to check.
func (l Line) Item(n int, p catalog.Product) (Item, error) {
	storeID, ok := domain.ParseID(l.StoreID)
	switch {
	case !ok:
		return Item{}, fmt.Errorf("%w %d: store id is not a UUID: %.40q", ErrInvalidItem, n, l.StoreID)
	case storeID != p.StoreID:
		return Item{}, fmt.Errorf("%w: item %d: product %s is sold by store %s, not by store %s", ErrNotAsInCatalog, n, p.ID, p.StoreID, storeID)
	case p.StoreName == "":
		return Item{}, fmt.Errorf("%w: item %d: store %s of product %s is not known to orders yet", ErrStoreUnknown, n, p.StoreID, p.ID)
	}
	if name := strings.TrimSpace(l.StoreName); name != "" && name != p.StoreName {
		return Item{}, fmt.Errorf("%w: item %d: store %s is called %q, not %.80q", ErrNotAsInCatalog, n, p.StoreID, p.StoreName, name)
	}
	if name := strings.TrimSpace(l.ProductName); name != "" && name != p.Name {
		return Item{}, fmt.Errorf("%w: item %d: product %s is called %q, not %.80q", ErrNotAsInCatalog, n, p.ID, p.Name, name)
	}
	if l.Price != nil && *l.Price != p.Price {
		return Item{}, fmt.Errorf("%w: item %d: product %s costs %s, not %s", ErrNotAsInCatalog, n, p.ID,
			domain.FormatCents(p.Price), domain.FormatCents(*l.Price))
	}
	return Item{StoreID: p.StoreID, StoreName: p.StoreName, ProductID: p.ID, ProductName: p.Name, Price: p.Price, Quantity: l.Quantity}, nil
}
