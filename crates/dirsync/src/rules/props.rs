//! The user properties a rule can name, as Entra spells them, and where each lives in Graph's user JSON.

use serde::Serialize;

/// The type of a rule property; it decides which operators and values are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PropertyType {
    String,
    Boolean,
    /// Ordered: the only type `-le`/`-ge` accept (Entra documents them for `employeeHireDate` only).
    DateTime,
    /// Multi-valued strings, queried with `-any`/`-all` and `_`.
    StringCollection,
    /// `assignedPlans`: objects queried with `-any`/`-all` and `assignedPlan.<sub-property>`.
    AssignedPlanCollection,
}

/// Where a property's value sits in a Graph user object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphPath {
    /// A top-level key.
    Key(&'static str),
    /// The first element of a top-level array (`telephoneNumber` is `businessPhones[0]`).
    First(&'static str),
    /// A key of a nested object (`onPremisesExtensionAttributes.extensionAttributeN`).
    Nested(&'static str, &'static str),
    /// The first `SIP:` entry of `proxyAddresses`, without the prefix (`sipProxyAddress`).
    SipProxy,
}

/// One supported property, for autocomplete and errors.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PropertySpec {
    /// As written in rules after `user.` (matched case-insensitively).
    pub name: &'static str,
    /// The Graph `$select` name that carries it.
    pub graph_select: &'static str,
    #[serde(rename = "type")]
    pub ty: PropertyType,
    #[serde(skip)]
    pub path: GraphPath,
}

const fn p(name: &'static str, ty: PropertyType, path: GraphPath) -> PropertySpec {
    let graph_select = match path {
        GraphPath::Key(k) | GraphPath::First(k) | GraphPath::Nested(k, _) => k,
        GraphPath::SipProxy => "proxyAddresses",
    };
    PropertySpec {
        name,
        graph_select,
        ty,
        path,
    }
}

use GraphPath::{First, Key, Nested};
use PropertyType::{AssignedPlanCollection, Boolean, DateTime, StringCollection};
const S: PropertyType = PropertyType::String;
const EXT: &str = "onPremisesExtensionAttributes";

static PROPERTIES: &[PropertySpec] = &[
    p("accountEnabled", Boolean, Key("accountEnabled")),
    p("dirSyncEnabled", Boolean, Key("onPremisesSyncEnabled")),
    p("city", S, Key("city")),
    p("companyName", S, Key("companyName")),
    p("country", S, Key("country")),
    p("department", S, Key("department")),
    p("displayName", S, Key("displayName")),
    p("employeeId", S, Key("employeeId")),
    p("employeeHireDate", DateTime, Key("employeeHireDate")),
    p("employeeType", S, Key("employeeType")),
    p("facsimileTelephoneNumber", S, Key("faxNumber")),
    p("givenName", S, Key("givenName")),
    p("jobTitle", S, Key("jobTitle")),
    p("mail", S, Key("mail")),
    p("mailNickname", S, Key("mailNickname")),
    p("mobile", S, Key("mobilePhone")),
    p("mobilePhone", S, Key("mobilePhone")),
    p("objectId", S, Key("id")),
    p("id", S, Key("id")),
    p(
        "onPremisesDistinguishedName",
        S,
        Key("onPremisesDistinguishedName"),
    ),
    p(
        "onPremisesSamAccountName",
        S,
        Key("onPremisesSamAccountName"),
    ),
    p(
        "onPremisesSecurityIdentifier",
        S,
        Key("onPremisesSecurityIdentifier"),
    ),
    p(
        "onPremisesUserPrincipalName",
        S,
        Key("onPremisesUserPrincipalName"),
    ),
    p("passwordPolicies", S, Key("passwordPolicies")),
    p("physicalDeliveryOfficeName", S, Key("officeLocation")),
    p("officeLocation", S, Key("officeLocation")),
    p("postalCode", S, Key("postalCode")),
    p("preferredLanguage", S, Key("preferredLanguage")),
    p("sipProxyAddress", S, GraphPath::SipProxy),
    p("state", S, Key("state")),
    p("streetAddress", S, Key("streetAddress")),
    p("surname", S, Key("surname")),
    p("telephoneNumber", S, First("businessPhones")),
    p("usageLocation", S, Key("usageLocation")),
    p("userPrincipalName", S, Key("userPrincipalName")),
    p("userType", S, Key("userType")),
    p("otherMails", StringCollection, Key("otherMails")),
    p("proxyAddresses", StringCollection, Key("proxyAddresses")),
    p("businessPhones", StringCollection, Key("businessPhones")),
    p(
        "assignedPlans",
        AssignedPlanCollection,
        Key("assignedPlans"),
    ),
    p("extensionAttribute1", S, Nested(EXT, "extensionAttribute1")),
    p("extensionAttribute2", S, Nested(EXT, "extensionAttribute2")),
    p("extensionAttribute3", S, Nested(EXT, "extensionAttribute3")),
    p("extensionAttribute4", S, Nested(EXT, "extensionAttribute4")),
    p("extensionAttribute5", S, Nested(EXT, "extensionAttribute5")),
    p("extensionAttribute6", S, Nested(EXT, "extensionAttribute6")),
    p("extensionAttribute7", S, Nested(EXT, "extensionAttribute7")),
    p("extensionAttribute8", S, Nested(EXT, "extensionAttribute8")),
    p("extensionAttribute9", S, Nested(EXT, "extensionAttribute9")),
    p(
        "extensionAttribute10",
        S,
        Nested(EXT, "extensionAttribute10"),
    ),
    p(
        "extensionAttribute11",
        S,
        Nested(EXT, "extensionAttribute11"),
    ),
    p(
        "extensionAttribute12",
        S,
        Nested(EXT, "extensionAttribute12"),
    ),
    p(
        "extensionAttribute13",
        S,
        Nested(EXT, "extensionAttribute13"),
    ),
    p(
        "extensionAttribute14",
        S,
        Nested(EXT, "extensionAttribute14"),
    ),
    p(
        "extensionAttribute15",
        S,
        Nested(EXT, "extensionAttribute15"),
    ),
];

/// Sub-properties of an `assignedPlan` item (Graph's `assignedPlan` resource).
pub(crate) static ASSIGNED_PLAN_FIELDS: &[&str] = &[
    "assignedDateTime",
    "capabilityStatus",
    "service",
    "servicePlanId",
];

/// Every property a rule can name after `user.`, except `extension_<appId>_<name>` whose names
/// depend on the tenant. `memberOf` is deliberately absent: it needs group membership, which a
/// user object doesn't carry.
pub fn supported_properties() -> &'static [PropertySpec] {
    PROPERTIES
}

pub(crate) fn lookup(name: &str) -> Option<&'static PropertySpec> {
    PROPERTIES
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// The closest supported name, for "did you mean" in errors (a small edit distance over lowercase).
pub(crate) fn suggest(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    PROPERTIES
        .iter()
        .map(|p| (distance(&name, &p.name.to_ascii_lowercase()), p.name))
        .filter(|&(d, _)| d <= 2.max(name.len() / 4))
        .min_by_key(|&(d, _)| d)
        .map(|(_, n)| n)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
