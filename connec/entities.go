package connec

import "encoding/json"

// Collection names (the URL segment and the JSON envelope key).
const (
	CollectionOrganizations = "organizations"
	CollectionPeople        = "people"
	CollectionItems         = "items"
	CollectionInvoices      = "invoices"
	CollectionPayments      = "payments"
	CollectionAccounts      = "accounts"
	CollectionTaxCodes      = "tax_codes"
	// CollectionCompany is the one singular resource (GET and PUT, no id).
	CollectionCompany = "company"
)

// Entity holds the members every Connec! record has. It is embedded in the
// typed records. Numbers are json.Number so amounts keep their exact
// decimal text; pointer fields (*bool) tell "absent" from false, which
// matters because an update is a partial (merging) write. With Go 1.26,
// new(true) makes such a pointer.
type Entity struct {
	// ID is the record's id (a string, or an id array in external-ids mode).
	ID ID `json:"id,omitzero"`
	// Code is the human-readable code Connec! assigns, e.g. "PE12".
	Code string `json:"code,omitempty"`
	// Status is e.g. "ACTIVE" or "ARCHIVED" (invoices: "DRAFT", "AUTHORISED", "PAID", "VOIDED").
	Status    string `json:"status,omitempty"`
	CreatedAt Time   `json:"created_at,omitzero"`
	UpdatedAt Time   `json:"updated_at,omitzero"`
	// GroupID is the group ("cld-...") the record belongs to.
	GroupID string `json:"group_id,omitempty"`
	// ChannelID is the channel ("org-...") in external-ids mode.
	ChannelID string `json:"channel_id,omitempty"`
	// ResourceType names the collection in external-ids mode.
	ResourceType string `json:"resource_type,omitempty"`
}

// Address is a postal address.
type Address struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	// Country is an ISO 3166 alpha-2 code with the default
	// Connec-Country-Format header.
	Country string `json:"country,omitempty"`
	Extra   Extra  `json:"-"`
}

// Addresses are the addresses of an organization or person.
type Addresses struct {
	Billing   *Address `json:"billing,omitempty"`
	Billing2  *Address `json:"billing2,omitempty"`
	Shipping  *Address `json:"shipping,omitempty"`
	Shipping2 *Address `json:"shipping2,omitempty"`
	Extra     Extra    `json:"-"`
}

// Email holds e-mail addresses.
type Email struct {
	Address  string `json:"address,omitempty"`
	Address2 string `json:"address2,omitempty"`
	Extra    Extra  `json:"-"`
}

// Phone holds phone numbers.
type Phone struct {
	Landline  string `json:"landline,omitempty"`
	Landline2 string `json:"landline2,omitempty"`
	Mobile    string `json:"mobile,omitempty"`
	Mobile2   string `json:"mobile2,omitempty"`
	Fax       string `json:"fax,omitempty"`
	Extra     Extra  `json:"-"`
}

// Website holds web addresses.
type Website struct {
	URL   string `json:"url,omitempty"`
	URL2  string `json:"url2,omitempty"`
	Extra Extra  `json:"-"`
}

// Money is an amount or a price.
type Money struct {
	NetAmount   json.Number `json:"net_amount,omitempty"`
	TaxAmount   json.Number `json:"tax_amount,omitempty"`
	TotalAmount json.Number `json:"total_amount,omitempty"`
	// TaxRate is a percentage, e.g. 10 for 10 %.
	TaxRate  json.Number `json:"tax_rate,omitempty"`
	Currency string      `json:"currency,omitempty"`
	Extra    Extra       `json:"-"`
}

// Note is a note attached to a record.
type Note struct {
	ID          ID     `json:"id,omitzero"`
	Description string `json:"description,omitempty"`
	Tag         string `json:"tag,omitempty"`
	Extra       Extra  `json:"-"`
}

// Organization is a customer, supplier or lead company (collection "organizations").
type Organization struct {
	Entity
	Name              string      `json:"name,omitempty"`
	Description       string      `json:"description,omitempty"`
	Industry          string      `json:"industry,omitempty"`
	NumberOfEmployees json.Number `json:"number_of_employees,omitempty"`
	IsCustomer        *bool       `json:"is_customer,omitempty"`
	IsSupplier        *bool       `json:"is_supplier,omitempty"`
	IsLead            *bool       `json:"is_lead,omitempty"`
	Address           *Addresses  `json:"address,omitempty"`
	Email             *Email      `json:"email,omitempty"`
	Phone             *Phone      `json:"phone,omitempty"`
	Website           *Website    `json:"website,omitempty"`
	Notes             []Note      `json:"notes,omitempty"`
	Extra             Extra       `json:"-"`
}

// Person is a contact (collection "people").
type Person struct {
	Entity
	Title              string     `json:"title,omitempty"`
	FirstName          string     `json:"first_name,omitempty"`
	LastName           string     `json:"last_name,omitempty"`
	JobTitle           string     `json:"job_title,omitempty"`
	BirthDate          Time       `json:"birth_date,omitzero"`
	OrganizationID     ID         `json:"organization_id,omitzero"`
	Description        string     `json:"description,omitempty"`
	IsCustomer         *bool      `json:"is_customer,omitempty"`
	IsSupplier         *bool      `json:"is_supplier,omitempty"`
	IsLead             *bool      `json:"is_lead,omitempty"`
	LeadSource         string     `json:"lead_source,omitempty"`
	LeadStatus         string     `json:"lead_status,omitempty"`
	LeadConversionDate Time       `json:"lead_conversion_date,omitzero"`
	AddressWork        *Addresses `json:"address_work,omitempty"`
	AddressHome        *Addresses `json:"address_home,omitempty"`
	Email              *Email     `json:"email,omitempty"`
	PhoneWork          *Phone     `json:"phone_work,omitempty"`
	PhoneHome          *Phone     `json:"phone_home,omitempty"`
	Notes              []Note     `json:"notes,omitempty"`
	Extra              Extra      `json:"-"`
}

// Item is a product or service (collection "items").
type Item struct {
	Entity
	Name              string      `json:"name,omitempty"`
	Description       string      `json:"description,omitempty"`
	Reference         string      `json:"reference,omitempty"`
	Type              string      `json:"type,omitempty"`
	SalePrice         *Money      `json:"sale_price,omitempty"`
	PurchasePrice     *Money      `json:"purchase_price,omitempty"`
	QuantityAvailable json.Number `json:"quantity_available,omitempty"`
	IsInventoried     *bool       `json:"is_inventoried,omitempty"`
	Weight            json.Number `json:"weight,omitempty"`
	WeightUnit        string      `json:"weight_unit,omitempty"`
	SaleTaxCodeID     ID          `json:"sale_tax_code_id,omitzero"`
	PurchaseTaxCodeID ID          `json:"purchase_tax_code_id,omitzero"`
	Extra             Extra       `json:"-"`
}

// InvoiceLine is one line of an invoice.
type InvoiceLine struct {
	ID               ID          `json:"id,omitzero"`
	LineNumber       json.Number `json:"line_number,omitempty"`
	ItemID           ID          `json:"item_id,omitzero"`
	TaxCodeID        ID          `json:"tax_code_id,omitzero"`
	AccountID        ID          `json:"account_id,omitzero"`
	Description      string      `json:"description,omitempty"`
	Quantity         json.Number `json:"quantity,omitempty"`
	UnitPrice        *Money      `json:"unit_price,omitempty"`
	TotalPrice       *Money      `json:"total_price,omitempty"`
	ReductionPercent json.Number `json:"reduction_percent,omitempty"`
	IsTaxInclusive   *bool       `json:"is_tax_inclusive,omitempty"`
	Status           string      `json:"status,omitempty"`
	Extra            Extra       `json:"-"`
}

// Invoice is a customer or supplier invoice (collection "invoices").
type Invoice struct {
	Entity
	// Type is "CUSTOMER" or "SUPPLIER".
	Type              string        `json:"type,omitempty"`
	Title             string        `json:"title,omitempty"`
	TransactionNumber string        `json:"transaction_number,omitempty"`
	TransactionDate   Time          `json:"transaction_date,omitzero"`
	DueDate           Time          `json:"due_date,omitzero"`
	PublicNote        string        `json:"public_note,omitempty"`
	PrivateNote       string        `json:"private_note,omitempty"`
	PersonID          ID            `json:"person_id,omitzero"`
	OrganizationID    ID            `json:"organization_id,omitzero"`
	BillingAddress    *Address      `json:"billing_address,omitempty"`
	ShippingAddress   *Address      `json:"shipping_address,omitempty"`
	Lines             []InvoiceLine `json:"lines,omitempty"`
	Amount            *Money        `json:"amount,omitempty"`
	Balance           json.Number   `json:"balance,omitempty"`
	Deposit           json.Number   `json:"deposit,omitempty"`
	DiscountAmount    json.Number   `json:"discount_amount,omitempty"`
	DiscountPercent   json.Number   `json:"discount_percent,omitempty"`
	// TaxCalculation is e.g. "EXCLUSIVE" or "INCLUSIVE".
	TaxCalculation string `json:"tax_calculation,omitempty"`
	Extra          Extra  `json:"-"`
}

// LinkedTransaction ties a payment line to what it pays.
type LinkedTransaction struct {
	ID ID `json:"id,omitzero"`
	// Class is the linked record's kind, e.g. "Invoice".
	Class         string      `json:"class,omitempty"`
	AppliedAmount json.Number `json:"applied_amount,omitempty"`
	Extra         Extra       `json:"-"`
}

// PaymentLine is one line of a payment.
type PaymentLine struct {
	ID                 ID                  `json:"id,omitzero"`
	Amount             json.Number         `json:"amount,omitempty"`
	LinkedTransactions []LinkedTransaction `json:"linked_transactions,omitempty"`
	Extra              Extra               `json:"-"`
}

// Payment is a customer or supplier payment (collection "payments").
type Payment struct {
	Entity
	// Type is "CUSTOMER" or "SUPPLIER".
	Type              string        `json:"type,omitempty"`
	Title             string        `json:"title,omitempty"`
	TransactionNumber string        `json:"transaction_number,omitempty"`
	TransactionDate   Time          `json:"transaction_date,omitzero"`
	PersonID          ID            `json:"person_id,omitzero"`
	OrganizationID    ID            `json:"organization_id,omitzero"`
	AccountID         ID            `json:"account_id,omitzero"`
	DepositAccountID  ID            `json:"deposit_account_id,omitzero"`
	PaymentMethodID   ID            `json:"payment_method_id,omitzero"`
	Amount            *Money        `json:"amount,omitempty"`
	PublicNote        string        `json:"public_note,omitempty"`
	PrivateNote       string        `json:"private_note,omitempty"`
	PaymentLines      []PaymentLine `json:"payment_lines,omitempty"`
	Extra             Extra         `json:"-"`
}

// Account is a ledger account of the chart of accounts (collection "accounts").
type Account struct {
	Entity
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// Classification is e.g. "ASSET", "LIABILITY", "EQUITY", "REVENUE", "EXPENSE".
	Classification  string      `json:"classification,omitempty"`
	Type            string      `json:"type,omitempty"`
	SubType         string      `json:"sub_type,omitempty"`
	ReferenceNumber string      `json:"reference_number,omitempty"`
	Currency        string      `json:"currency,omitempty"`
	CurrentBalance  json.Number `json:"current_balance,omitempty"`
	ParentAccountID ID          `json:"parent_account_id,omitzero"`
	TaxCodeID       ID          `json:"tax_code_id,omitzero"`
	Extra           Extra       `json:"-"`
}

// Tax is one component tax of a tax code.
type Tax struct {
	Name string `json:"name,omitempty"`
	// Rate is a percentage.
	Rate       json.Number `json:"rate,omitempty"`
	TaxRateID  ID          `json:"tax_rate_id,omitzero"`
	IsCompound *bool       `json:"is_compound,omitempty"`
	Extra      Extra       `json:"-"`
}

// TaxCode is a tax code (collection "tax_codes").
type TaxCode struct {
	Entity
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	TaxType     string `json:"tax_type,omitempty"`
	// SaleTaxRate and PurchaseTaxRate are the overall percentages.
	SaleTaxRate     json.Number `json:"sale_tax_rate,omitempty"`
	PurchaseTaxRate json.Number `json:"purchase_tax_rate,omitempty"`
	SaleTaxes       []Tax       `json:"sale_taxes,omitempty"`
	PurchaseTaxes   []Tax       `json:"purchase_taxes,omitempty"`
	Extra           Extra       `json:"-"`
}

// Company is the group's own company (the singular resource "company").
type Company struct {
	Entity
	Name     string     `json:"name,omitempty"`
	Timezone string     `json:"timezone,omitempty"`
	Currency string     `json:"currency,omitempty"`
	Email    *Email     `json:"email,omitempty"`
	Website  *Website   `json:"website,omitempty"`
	Phone    *Phone     `json:"phone,omitempty"`
	Address  *Addresses `json:"address,omitempty"`
	Extra    Extra      `json:"-"`
}
