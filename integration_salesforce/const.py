"""Salesforce constants: API version, login hosts, the sObjects the connector reads."""

DEFAULT_API_VERSION = "v62.0"
LOGIN_URLS = [
    ("https://login.salesforce.com", "Production (login.salesforce.com)"),
    ("https://test.salesforce.com", "Sandbox (test.salesforce.com)"),
]
AUTH_FLOWS = [("jwt", "JWT bearer (certificate)"), ("client_credentials", "Client credentials")]
COMMIT_RULES = [("is_won", "Opportunity is won (IsWon)"), ("stage", "Opportunity reaches a stage")]
ORDER_ACTIONS = [("confirm", "Confirmed order (through the confirmation gate)"), ("quotation", "Quotation")]

# Event types are the sObject API names of the notifications and pulled records.
ACCOUNT, CONTACT, OPPORTUNITY, QUOTE = "Account", "Contact", "Opportunity", "SBQQ__Quote__c"

ACCOUNT_FIELDS = (
    "Id, Name, MasterRecordId, IsDeleted, Phone, Website, BillingStreet, BillingCity, BillingState, "
    "BillingPostalCode, BillingCountry, ShippingStreet, ShippingCity, ShippingState, ShippingPostalCode, "
    "ShippingCountry, SystemModstamp, LastModifiedById"
)
CONTACT_FIELDS = (
    "Id, AccountId, MasterRecordId, IsDeleted, FirstName, LastName, Email, Phone, MobilePhone, Title, "
    "SystemModstamp, LastModifiedById"
)
OPPORTUNITY_FIELDS = (
    "Id, Name, AccountId, StageName, IsWon, IsClosed, Amount, CloseDate, SystemModstamp, LastModifiedById"
)
OPPORTUNITY_LINE_QUERY = (
    "(SELECT Id, Name, Quantity, UnitPrice, TotalPrice, Discount, Description, SortOrder, "
    "PricebookEntry.Product2.ProductCode, PricebookEntry.Product2.Name FROM OpportunityLineItems)"
)
QUOTE_FIELDS = (
    "Id, Name, SBQQ__Primary__c, SBQQ__Status__c, SBQQ__Type__c, SBQQ__Opportunity2__c, SBQQ__Account__c, "
    "SBQQ__NetAmount__c, SBQQ__StartDate__c, SBQQ__EndDate__c, SBQQ__SubscriptionTerm__c, "
    "SBQQ__MasterContract__c, SBQQ__OriginalQuote__c, SBQQ__ExpirationDate__c, SystemModstamp, "
    "LastModifiedById"
)
# A primary quote in one of these statuses (or past its expiration date) ends its quotation.
QUOTE_ENDED_STATUSES = ("Rejected", "Denied", "Expired")
QUOTE_LINE_QUERY = (
    "(SELECT Id, Name, SBQQ__Number__c, SBQQ__Product__c, SBQQ__Product__r.ProductCode, "
    "SBQQ__Product__r.Name, SBQQ__Quantity__c, SBQQ__PriorQuantity__c, SBQQ__ListPrice__c, "
    "SBQQ__NetPrice__c, SBQQ__NetTotal__c, SBQQ__Discount__c, SBQQ__RequiredBy__c, SBQQ__Bundle__c, "
    "SBQQ__SubscriptionPricing__c, SBQQ__SubscriptionTerm__c, SBQQ__StartDate__c, SBQQ__EndDate__c, "
    "SBQQ__UpgradedSubscription__c FROM SBQQ__LineItems__r)"
)
WRITEBACK_OPERATION = "opportunity.status"
