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
