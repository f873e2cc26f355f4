//! Tenant data: the deterministic generator, the change overlay and the tenant file format.

pub mod file;
pub mod generator;
pub mod store;

/// Properties returned by users/delta and /users when there is no `$select`.
pub const DEFAULT_PROPS: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

/// Every user property the emulator knows (besides the directory extension attribute).
pub const KNOWN_PROPS: &[&str] = &[
    "id",
    "accountEnabled",
    "businessPhones",
    "city",
    "companyName",
    "country",
    "createdDateTime",
    "department",
    "displayName",
    "employeeId",
    "employeeType",
    "givenName",
    "jobTitle",
    "mail",
    "mailNickname",
    "mobilePhone",
    "officeLocation",
    "onPremisesExtensionAttributes",
    "onPremisesSyncEnabled",
    "postalCode",
    "preferredLanguage",
    "state",
    "streetAddress",
    "surname",
    "usageLocation",
    "userPrincipalName",
    "userType",
    "manager",
];

/// Properties stored outside the directory: selecting them gives 501 NotImplemented.
pub const NOT_IMPLEMENTED_PROPS: &[&str] = &[
    "skills",
    "aboutMe",
    "birthday",
    "hireDate",
    "interests",
    "mySite",
    "pastProjects",
    "preferredName",
    "responsibilities",
    "schools",
];
