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
	StoreID  string `json:"storeId" check:"id"`
	Name     string `json:"name" check:"text"`
	Location string `json:"location" check:"text"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
}

// StoreRebranded: the store's name changed.
type StoreRebranded struct {
	StoreID string `json:"storeId" check:"id"`
	Name    string `json:"name" check:"text"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
}

// StoreParticipationEnabled: the store now takes part in bot shopping.
type StoreParticipationEnabled struct {
	StoreID string `json:"storeId" check:"id"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
}

// StoreParticipationDisabled: the store no longer takes part in bot shopping.
type StoreParticipationDisabled struct {
	StoreID string `json:"storeId" check:"id"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
}

// ProductAdded: a product joined a store's catalog. Price is in cents.
type ProductAdded struct {
	ProductID   string `json:"productId" check:"id"`
	StoreID     string `json:"storeId" check:"id"`
	Name        string `json:"name" check:"text"`
	Description string `json:"description"`
	SKU         string `json:"sku"`
	Price       int64  `json:"price" check:"min=1"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
}

// ProductRebranded: the product's name and description changed.
type ProductRebranded struct {
	ProductID   string `json:"productId" check:"id"`
	StoreID     string `json:"storeId" check:"id"`
	Name        string `json:"name" check:"text"`
	Description string `json:"description"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
}

// ProductPriceIncreased: the price went up by Delta cents to Price cents.
// Consumers keep Price (the new absolute price), so a replay converges.
type ProductPriceIncreased struct {
	ProductID string `json:"productId" check:"id"`
	StoreID   string `json:"storeId" check:"id"`
	Delta     int64  `json:"delta" check:"min=1"`
	Price     int64  `json:"price" check:"min=1"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
}

// ProductPriceDecreased: the price went down by Delta cents to Price cents.
type ProductPriceDecreased struct {
	ProductID string `json:"productId" check:"id"`
	StoreID   string `json:"storeId" check:"id"`
	Delta     int64  `json:"delta" check:"min=1"`
	Price     int64  `json:"price" check:"min=1"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
}

// ProductRemoved: the product left the store's catalog.
type ProductRemoved struct {
	ProductID string `json:"productId" check:"id"`
	StoreID   string `json:"storeId" check:"id"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
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

// Validate checks each payload against its fields' check tags (see Payload).
func (e StoreCreated) Validate() error               { return validate(e) }
func (e StoreRebranded) Validate() error             { return validate(e) }
func (e StoreParticipationEnabled) Validate() error  { return validate(e) }
func (e StoreParticipationDisabled) Validate() error { return validate(e) }
func (e ProductAdded) Validate() error               { return validate(e) }
func (e ProductRebranded) Validate() error           { return validate(e) }
func (e ProductPriceIncreased) Validate() error      { return validate(e) }
func (e ProductPriceDecreased) Validate() error      { return validate(e) }
func (e ProductRemoved) Validate() error             { return validate(e) }
