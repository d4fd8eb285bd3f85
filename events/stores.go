package events

// Wire names of the events the stores service publishes.
const (
	StoreCreatedName               = "stores.StoreCreated"
	StoreRebrandedName             = "stores.StoreRebranded"
	StoreParticipationEnabledName  = "stores.StoreParticipationEnabled"
	StoreParticipationDisabledName = "stores.StoreParticipationDisabled"
	ProductAddedName               = "stores.ProductAdded"
	ProductRebrandedName           = "stores.ProductRebranded"
	ProductPriceIncreasedName      = "stores.ProductPriceIncreased"
	ProductPriceDecreasedName      = "stores.ProductPriceDecreased"
	ProductRemovedName             = "stores.ProductRemoved"
)

// StoreCreated: staff opened a store in the mall.
type StoreCreated struct {
	StoreID  string `json:"storeId"`
	Name     string `json:"name"`
	Location string `json:"location"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

// StoreRebranded: the store's name changed.
type StoreRebranded struct {
	StoreID string `json:"storeId"`
	Name    string `json:"name"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

// StoreParticipationEnabled: the store now takes part in bot shopping.
type StoreParticipationEnabled struct {
	StoreID string `json:"storeId"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

// StoreParticipationDisabled: the store no longer takes part in bot shopping.
type StoreParticipationDisabled struct {
	StoreID string `json:"storeId"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

// ProductAdded: a product joined a store's catalog. Price is in cents.
type ProductAdded struct {
	ProductID   string `json:"productId"`
	StoreID     string `json:"storeId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	SKU         string `json:"sku"`
	Price       int64  `json:"price"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

// ProductRebranded: the product's name and description changed.
type ProductRebranded struct {
	ProductID   string `json:"productId"`
	StoreID     string `json:"storeId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

// ProductPriceIncreased: the price went up by Delta cents to Price cents.
// Consumers keep Price (the new absolute price), so a replay converges.
type ProductPriceIncreased struct {
	ProductID string `json:"productId"`
	StoreID   string `json:"storeId"`
	Delta     int64  `json:"delta"`
	Price     int64  `json:"price"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

// ProductPriceDecreased: the price went down by Delta cents to Price cents.
type ProductPriceDecreased struct {
	ProductID string `json:"productId"`
	StoreID   string `json:"storeId"`
	Delta     int64  `json:"delta"`
	Price     int64  `json:"price"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

// ProductRemoved: the product left the store's catalog.
type ProductRemoved struct {
	ProductID string `json:"productId"`
	StoreID   string `json:"storeId"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

func (StoreCreated) EventName() string               { return StoreCreatedName }
func (StoreRebranded) EventName() string             { return StoreRebrandedName }
func (StoreParticipationEnabled) EventName() string  { return StoreParticipationEnabledName }
func (StoreParticipationDisabled) EventName() string { return StoreParticipationDisabledName }
func (ProductAdded) EventName() string               { return ProductAddedName }
func (ProductRebranded) EventName() string           { return ProductRebrandedName }
func (ProductPriceIncreased) EventName() string      { return ProductPriceIncreasedName }
func (ProductPriceDecreased) EventName() string      { return ProductPriceDecreasedName }
func (ProductRemoved) EventName() string             { return ProductRemovedName }

// Validate reports what StoreCreated is missing (see Payload).
func (e StoreCreated) Validate() error {
	var c check
	c.id("storeId", e.StoreID)
	c.text("name", e.Name)
	c.text("location", e.Location)
	c.version(e.Version)
	return c.err(e)
}

// Validate reports what StoreRebranded is missing (see Payload).
func (e StoreRebranded) Validate() error {
	var c check
	c.id("storeId", e.StoreID)
	c.text("name", e.Name)
	c.version(e.Version)
	return c.err(e)
}

// Validate reports what StoreParticipationEnabled is missing (see Payload).
func (e StoreParticipationEnabled) Validate() error {
	var c check
	c.id("storeId", e.StoreID)
	c.version(e.Version)
	return c.err(e)
}

// Validate reports what StoreParticipationDisabled is missing (see Payload).
func (e StoreParticipationDisabled) Validate() error {
	var c check
	c.id("storeId", e.StoreID)
	c.version(e.Version)
	return c.err(e)
}

// Validate reports what ProductAdded is missing (see Payload); description
// and SKU may be empty, the price is at least a cent.
func (e ProductAdded) Validate() error {
	var c check
	c.id("productId", e.ProductID)
	c.id("storeId", e.StoreID)
	c.text("name", e.Name)
	c.optionalText("description", e.Description)
	c.optionalText("sku", e.SKU)
	c.atLeast("price", e.Price, 1)
	c.version(e.Version)
	return c.err(e)
}

// Validate reports what ProductRebranded is missing (see Payload).
func (e ProductRebranded) Validate() error {
	var c check
	c.id("productId", e.ProductID)
	c.id("storeId", e.StoreID)
	c.text("name", e.Name)
	c.optionalText("description", e.Description)
	c.version(e.Version)
	return c.err(e)
}

// Validate reports what ProductPriceIncreased is missing (see Payload).
func (e ProductPriceIncreased) Validate() error {
	var c check
	c.id("productId", e.ProductID)
	c.id("storeId", e.StoreID)
	c.atLeast("delta", e.Delta, 1)
	c.atLeast("price", e.Price, 1)
	c.version(e.Version)
	return c.err(e)
}

// Validate reports what ProductPriceDecreased is missing (see Payload).
func (e ProductPriceDecreased) Validate() error {
	var c check
	c.id("productId", e.ProductID)
	c.id("storeId", e.StoreID)
	c.atLeast("delta", e.Delta, 1)
	c.atLeast("price", e.Price, 1)
	c.version(e.Version)
	return c.err(e)
}

// Validate reports what ProductRemoved is missing (see Payload).
func (e ProductRemoved) Validate() error {
	var c check
	c.id("productId", e.ProductID)
	c.id("storeId", e.StoreID)
	c.version(e.Version)
	return c.err(e)
}
