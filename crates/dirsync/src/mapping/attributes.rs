//! The Microsoft Graph user properties offered as mapping sources, and the rules for names the
//! admin types (directory extension attributes).

/// The JSON type of a Graph user property, shown next to its name in the attribute picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AttributeType {
    String,
    StringCollection,
    Boolean,
    DateTime,
}

/// One selectable user property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AttributeSpec {
    /// The name used in a mapping row. Nested properties use a dot:
    /// `onPremisesExtensionAttributes.extensionAttribute3`.
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: AttributeType,
    pub description: &'static str,
}

const fn attr(name: &'static str, kind: AttributeType, description: &'static str) -> AttributeSpec {
    AttributeSpec {
        name,
        kind,
        description,
    }
}

use AttributeType::{Boolean, DateTime, String as Str, StringCollection};

static KNOWN: &[AttributeSpec] = &[
    attr("displayName", Str, "Name shown in the address book"),
    attr("givenName", Str, "First name"),
    attr("surname", Str, "Last name"),
    attr("userPrincipalName", Str, "Sign-in name (UPN)"),
    attr("mail", Str, "Primary SMTP address"),
    attr("mailNickname", Str, "Mail alias"),
    attr("otherMails", StringCollection, "Additional email addresses"),
    attr(
        "proxyAddresses",
        StringCollection,
        "All email addresses (smtp:/SMTP:)",
    ),
    attr(
        "mobilePhone",
        Str,
        "Mobile phone; when empty, the first business phone is used",
    ),
    attr(
        "businessPhones",
        StringCollection,
        "Business phone (only one can be set)",
    ),
    attr("faxNumber", Str, "Fax number"),
    attr("jobTitle", Str, "Job title"),
    attr("department", Str, "Department"),
    attr("companyName", Str, "Company name"),
    attr("officeLocation", Str, "Office location"),
    attr(
        "employeeId",
        Str,
        "Employee identifier (up to 16 characters)",
    ),
    attr(
        "employeeType",
        Str,
        "Employee type, e.g. Employee, Contractor",
    ),
    attr("employeeHireDate", DateTime, "Hire date"),
    attr("streetAddress", Str, "Street address"),
    attr("city", Str, "City"),
    attr("state", Str, "State or province"),
    attr("postalCode", Str, "Postal code"),
    attr("country", Str, "Country or region (free text)"),
    attr(
        "usageLocation",
        Str,
        "Two-letter usage location (licensing)",
    ),
    attr("preferredLanguage", Str, "Preferred language, e.g. en-US"),
    attr("accountEnabled", Boolean, "Whether the account can sign in"),
    attr("userType", Str, "Member or Guest"),
    attr("ageGroup", Str, "Age group: null, Minor, NotAdult, Adult"),
    attr("createdDateTime", DateTime, "When the account was created"),
    attr(
        "onPremisesSyncEnabled",
        Boolean,
        "Synchronized from on-premises Active Directory",
    ),
    attr(
        "onPremisesSamAccountName",
        Str,
        "On-premises sAMAccountName",
    ),
    attr("onPremisesUserPrincipalName", Str, "On-premises UPN"),
    attr("onPremisesDomainName", Str, "On-premises domain (FQDN)"),
    attr(
        "onPremisesImmutableId",
        Str,
        "On-premises immutable id (sourceAnchor)",
    ),
    attr(
        "onPremisesDistinguishedName",
        Str,
        "On-premises distinguished name",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute1",
        Str,
        "Exchange custom attribute 1",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute2",
        Str,
        "Exchange custom attribute 2",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute3",
        Str,
        "Exchange custom attribute 3",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute4",
        Str,
        "Exchange custom attribute 4",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute5",
        Str,
        "Exchange custom attribute 5",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute6",
        Str,
        "Exchange custom attribute 6",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute7",
        Str,
        "Exchange custom attribute 7",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute8",
        Str,
        "Exchange custom attribute 8",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute9",
        Str,
        "Exchange custom attribute 9",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute10",
        Str,
        "Exchange custom attribute 10",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute11",
        Str,
        "Exchange custom attribute 11",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute12",
        Str,
        "Exchange custom attribute 12",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute13",
        Str,
        "Exchange custom attribute 13",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute14",
        Str,
        "Exchange custom attribute 14",
    ),
    attr(
        "onPremisesExtensionAttributes.extensionAttribute15",
        Str,
        "Exchange custom attribute 15",
    ),
    attr("id", Str, "Azure AD object id (immutable)"),
];

/// The Graph user properties offered in the attribute picker. Directory extension attributes
/// (`extension_<appId>_<name>`) are typed by name and accepted when well formed.
pub fn known_attributes() -> &'static [AttributeSpec] {
    KNOWN
}

/// Whether `name` can be a mapping source: a known property (case-insensitive, as Graph is), or
/// a directory extension attribute `extension_<32 hex digits>_<name>`.
pub fn canonical_source(name: &str) -> Option<String> {
    if let Some(spec) = KNOWN.iter().find(|a| a.name.eq_ignore_ascii_case(name)) {
        return Some(spec.name.to_string());
    }
    is_directory_extension(name).then(|| name.to_string())
}

/// `extension_{appId without hyphens}_{name}`: 32 hex digits, then a name of letters, digits and `_`.
pub fn is_directory_extension(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("extension_") else {
        return false;
    };
    let Some((app, prop)) = rest.split_at_checked(32) else {
        return false;
    };
    let Some(prop) = prop.strip_prefix('_') else {
        return false;
    };
    app.chars().all(|c| c.is_ascii_hexdigit())
        && !prop.is_empty()
        && prop.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The top-level Graph property to `$select` for a mapping source
/// (`onPremisesExtensionAttributes.extensionAttribute3` → `onPremisesExtensionAttributes`).
pub fn select_name(source: &str) -> &str {
    source.split('.').next().unwrap_or(source)
}
