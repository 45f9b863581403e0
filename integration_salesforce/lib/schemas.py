"""Typed facts of the Salesforce records the connector reads (pydantic v2).

The same models read a REST/SOQL record (JSON, typed values) and the `sObject` of an
Outbound Message (text values): pydantic's lax mode turns "true", "1200.00" and
"2026-01-01" into bool, Decimal and date. Field names are business words; the aliases are
the Salesforce API names. Unknown fields are ignored."""

from datetime import UTC, date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SalesforceRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    id: str = Field(alias="Id", min_length=15, max_length=18)
    system_modstamp: datetime | None = Field(None, alias="SystemModstamp")
    last_modified_date: datetime | None = Field(None, alias="LastModifiedDate")
    last_modified_by_id: str | None = Field(None, alias="LastModifiedById")
    is_deleted: bool = Field(False, alias="IsDeleted")

    @field_validator("system_modstamp", "last_modified_date")
    @classmethod
    def _naive_utc(cls, value):
        # Odoo stores naive UTC datetimes.
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    @property
    def version(self):
        """What orders two states of one record: SystemModstamp, else LastModifiedDate."""
        return self.system_modstamp or self.last_modified_date


def _child_records(value):
    """A child relationship comes as a query result `{totalSize, done, records}` or null."""
    if value is None:
        return []
    if isinstance(value, dict):
        return value.get("records") or []
    return value


class Address(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    street: str | None = None
    city: str | None = None
    state: str | None = None
    state_code: str | None = None
    postal_code: str | None = None
    country: str | None = None
    country_code: str | None = None

    def is_empty(self):
        return not any((self.street, self.city, self.postal_code, self.country, self.country_code))


class Account(SalesforceRecord):
    name: str = Field(alias="Name", min_length=1)
    master_record_id: str | None = Field(None, alias="MasterRecordId")
    phone: str | None = Field(None, alias="Phone")
    website: str | None = Field(None, alias="Website")
    billing_street: str | None = Field(None, alias="BillingStreet")
    billing_city: str | None = Field(None, alias="BillingCity")
    billing_state: str | None = Field(None, alias="BillingState")
    billing_state_code: str | None = Field(None, alias="BillingStateCode")
    billing_postal_code: str | None = Field(None, alias="BillingPostalCode")
    billing_country: str | None = Field(None, alias="BillingCountry")
    billing_country_code: str | None = Field(None, alias="BillingCountryCode")
    shipping_street: str | None = Field(None, alias="ShippingStreet")
    shipping_city: str | None = Field(None, alias="ShippingCity")
    shipping_state: str | None = Field(None, alias="ShippingState")
    shipping_state_code: str | None = Field(None, alias="ShippingStateCode")
    shipping_postal_code: str | None = Field(None, alias="ShippingPostalCode")
    shipping_country: str | None = Field(None, alias="ShippingCountry")
    shipping_country_code: str | None = Field(None, alias="ShippingCountryCode")

    def billing_address(self):
        return Address(
            street=self.billing_street,
            city=self.billing_city,
            state=self.billing_state,
            state_code=self.billing_state_code,
            postal_code=self.billing_postal_code,
            country=self.billing_country,
            country_code=self.billing_country_code,
        )

    def shipping_address(self):
        return Address(
            street=self.shipping_street,
            city=self.shipping_city,
            state=self.shipping_state,
            state_code=self.shipping_state_code,
            postal_code=self.shipping_postal_code,
            country=self.shipping_country,
            country_code=self.shipping_country_code,
        )


class Contact(SalesforceRecord):
    account_id: str | None = Field(None, alias="AccountId")
    master_record_id: str | None = Field(None, alias="MasterRecordId")
    first_name: str | None = Field(None, alias="FirstName")
    last_name: str = Field(alias="LastName", min_length=1)
    email: str | None = Field(None, alias="Email")
    phone: str | None = Field(None, alias="Phone")
    mobile: str | None = Field(None, alias="MobilePhone")
    title: str | None = Field(None, alias="Title")

    @property
    def full_name(self):
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Product(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
    id: str | None = Field(None, alias="Id")
    name: str | None = Field(None, alias="Name")
    product_code: str | None = Field(None, alias="ProductCode")


class PricebookEntry(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
    id: str | None = Field(None, alias="Id")
    product: Product | None = Field(None, alias="Product2")


class OpportunityLineItem(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
    id: str = Field(alias="Id")
    name: str | None = Field(None, alias="Name")
    quantity: Decimal = Field(alias="Quantity")
    unit_price: Decimal = Field(alias="UnitPrice")
    total_price: Decimal | None = Field(None, alias="TotalPrice")
    discount: Decimal | None = Field(None, alias="Discount")  # percent
    description: str | None = Field(None, alias="Description")
    pricebook_entry: PricebookEntry | None = Field(None, alias="PricebookEntry")
    sort_order: int | None = Field(None, alias="SortOrder")

    @property
    def product_code(self):
        entry = self.pricebook_entry
        return entry.product.product_code if entry and entry.product else None


class Opportunity(SalesforceRecord):
    name: str | None = Field(None, alias="Name")
    account_id: str | None = Field(None, alias="AccountId")
    stage_name: str | None = Field(None, alias="StageName")
    is_won: bool = Field(False, alias="IsWon")
    is_closed: bool = Field(False, alias="IsClosed")
    amount: Decimal | None = Field(None, alias="Amount")
    currency_code: str | None = Field(None, alias="CurrencyIsoCode")
    close_date: date | None = Field(None, alias="CloseDate")
    loss_reason: str | None = Field(None, alias="Loss_Reason__c")
    description: str | None = Field(None, alias="Description")
    primary_quote_id: str | None = Field(None, alias="SBQQ__PrimaryQuote__c")
    renewed_contract_id: str | None = Field(None, alias="SBQQ__RenewedContract__c")
    amended_contract_id: str | None = Field(None, alias="SBQQ__AmendedContract__c")
    line_items: list[OpportunityLineItem] = Field(default_factory=list, alias="OpportunityLineItems")

    _unwrap_lines = field_validator("line_items", mode="before")(_child_records)

    @property
    def is_lost(self):
        return self.is_closed and not self.is_won


class QuoteLine(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
    id: str = Field(alias="Id")
    name: str | None = Field(None, alias="Name")
    number: int | None = Field(None, alias="SBQQ__Number__c")
    product_id: str | None = Field(None, alias="SBQQ__Product__c")
    product: Product | None = Field(None, alias="SBQQ__Product__r")
    product_code_field: str | None = Field(None, alias="SBQQ__ProductCode__c")
    product_name: str | None = Field(None, alias="SBQQ__ProductName__c")
    quantity: Decimal = Field(alias="SBQQ__Quantity__c")
    prior_quantity: Decimal | None = Field(None, alias="SBQQ__PriorQuantity__c")
    list_price: Decimal | None = Field(None, alias="SBQQ__ListPrice__c")
    net_price: Decimal | None = Field(None, alias="SBQQ__NetPrice__c")
    net_total: Decimal = Field(alias="SBQQ__NetTotal__c")
    discount: Decimal | None = Field(None, alias="SBQQ__Discount__c")  # percent
    required_by: str | None = Field(None, alias="SBQQ__RequiredBy__c")  # the bundle parent line
    is_bundle: bool = Field(False, alias="SBQQ__Bundle__c")
    subscription_pricing: str | None = Field(None, alias="SBQQ__SubscriptionPricing__c")
    subscription_term: Decimal | None = Field(None, alias="SBQQ__SubscriptionTerm__c")
    start_date: date | None = Field(None, alias="SBQQ__StartDate__c")
    end_date: date | None = Field(None, alias="SBQQ__EndDate__c")
    upgraded_subscription_id: str | None = Field(None, alias="SBQQ__UpgradedSubscription__c")

    @property
    def product_code(self):
        if self.product and self.product.product_code:
            return self.product.product_code
        return self.product_code_field

    @property
    def label(self):
        return (self.product and self.product.name) or self.product_name or self.name or self.product_code

    @property
    def is_subscription(self):
        return bool(self.subscription_pricing)


class Quote(SalesforceRecord):
    name: str | None = Field(None, alias="Name")
    is_primary: bool = Field(False, alias="SBQQ__Primary__c")
    status: str | None = Field(None, alias="SBQQ__Status__c")
    quote_type: str = Field("Quote", alias="SBQQ__Type__c")  # Quote / Renewal / Amendment
    opportunity_id: str | None = Field(None, alias="SBQQ__Opportunity2__c")
    account_id: str | None = Field(None, alias="SBQQ__Account__c")
    net_amount: Decimal | None = Field(None, alias="SBQQ__NetAmount__c")
    currency_code: str | None = Field(None, alias="CurrencyIsoCode")
    start_date: date | None = Field(None, alias="SBQQ__StartDate__c")
    end_date: date | None = Field(None, alias="SBQQ__EndDate__c")
    expiration_date: date | None = Field(None, alias="SBQQ__ExpirationDate__c")
    subscription_term: Decimal | None = Field(None, alias="SBQQ__SubscriptionTerm__c")
    master_contract_id: str | None = Field(None, alias="SBQQ__MasterContract__c")
    original_quote_id: str | None = Field(None, alias="SBQQ__OriginalQuote__c")
    lines: list[QuoteLine] = Field(default_factory=list, alias="SBQQ__LineItems__r")

    _unwrap_lines = field_validator("lines", mode="before")(_child_records)

    @property
    def is_amendment(self):
        return self.quote_type == "Amendment"

    @property
    def is_renewal(self):
        return self.quote_type == "Renewal"


class Contract(SalesforceRecord):
    """A CPQ contract: the order it came from is the one an amendment changes."""

    opportunity_id: str | None = Field(None, alias="SBQQ__Opportunity__c")
    quote_id: str | None = Field(None, alias="SBQQ__Quote__c")
    contract_number: str | None = Field(None, alias="ContractNumber")


class ApiError(BaseModel):
    """One item of a REST error body `[{message, errorCode, fields}]`."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    message: str = ""
    error_code: str = Field("", alias="errorCode")
    fields: list[str] = Field(default_factory=list)


class SaveResult(BaseModel):
    """One record's result of an sObject Collections call."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    id: str | None = None
    success: bool
    errors: list[ApiError] = Field(default_factory=list)

    @property
    def error_text(self):
        return "; ".join(f"{e.error_code}: {e.message}" for e in self.errors)


class QueryPage(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    total_size: int = Field(0, alias="totalSize")
    done: bool = True
    next_records_url: str | None = Field(None, alias="nextRecordsUrl")
    records: list[dict] = Field(default_factory=list)


SOBJECT_FACTS = {
    "Account": Account,
    "Contact": Contact,
    "Opportunity": Opportunity,
    "SBQQ__Quote__c": Quote,
}


class ChangeEventHeader(BaseModel):
    """The header of a Change Data Capture event (Pub/Sub API, decoded)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    entity_name: str = Field(alias="entityName")
    record_ids: list[str] = Field(default_factory=list, alias="recordIds")
    change_type: str = Field(alias="changeType")  # CREATE / UPDATE / DELETE / UNDELETE / GAP_*
    changed_fields: list[str] = Field(default_factory=list, alias="changedFields")
    nulled_fields: list[str] = Field(default_factory=list, alias="nulledFields")
    change_origin: str = Field("", alias="changeOrigin")
    commit_timestamp: int | None = Field(None, alias="commitTimestamp")  # milliseconds
    commit_user: str | None = Field(None, alias="commitUser")

    @property
    def is_gap(self):
        """GAP_* events carry no values: the records must be read again."""
        return self.change_type.startswith("GAP_")

    def touches_only(self, fields):
        """True when every changed field (compound fields by their root, `BillingAddress.City`)
        is in `fields` or is a system field."""
        system = {"LastModifiedDate", "SystemModstamp", "LastModifiedById"}
        roots = {name.split(".", 1)[0] for name in self.changed_fields + self.nulled_fields}
        return roots <= system | set(fields)
