//! Deterministic generator of a realistic organization: user `i` is a pure function of (seed, i).

use serde_json::{json, Map, Value};

const GIVEN: &[&str] = &[
    "Adele",
    "Alex",
    "Allan",
    "Diego",
    "Emily",
    "Grady",
    "Henrietta",
    "Isaiah",
    "Johanna",
    "Joni",
    "Lee",
    "Lidia",
    "Lynne",
    "Megan",
    "Miriam",
    "Nestor",
    "Patti",
    "Pradeep",
    "Sofia",
    "Wei",
    "Yuki",
    "Amara",
    "Bjorn",
    "Carmen",
    "Dmitri",
    "Elif",
    "Fatima",
    "Gustavo",
    "Hana",
    "Ingrid",
    "Jamal",
    "Kenji",
    "Leila",
    "Mateo",
    "Nadia",
    "Olga",
    "Priya",
    "Quentin",
    "Rosa",
    "Samuel",
    "Tamar",
    "Uma",
    "Viktor",
    "Wanjiru",
    "Xavier",
    "Yara",
    "Zoltan",
    "Aisha",
    "Bruno",
    "Chloe",
    "Dario",
    "Esther",
    "Farid",
    "Greta",
    "Hugo",
    "Irene",
    "Jonas",
    "Kavya",
    "Luca",
    "Maya",
];
const SURNAMES: &[&str] = &[
    "Vance",
    "Wilber",
    "Deyoung",
    "Siciliani",
    "Braun",
    "Archie",
    "Gonzalez",
    "Langer",
    "Lauer",
    "Sherman",
    "Gu",
    "Holloway",
    "Robbins",
    "Bowen",
    "Graham",
    "Wilke",
    "Fernandez",
    "Gupta",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Dubois",
    "Haddad",
    "Ivanova",
    "Johansson",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
    "Oliveira",
    "Papadopoulos",
    "Quinn",
    "Ramirez",
    "Silva",
    "Takahashi",
    "Usman",
    "Varga",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Abbott",
    "Becker",
    "Castillo",
    "Dimitrov",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hoffmann",
    "Ito",
    "Jensen",
    "Kim",
    "Lopez",
    "Meyer",
    "Nguyen",
    "O'Brien",
    "Park",
];
/// (city, country, usage location, phone prefix, building)
const OFFICES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "Seattle",
        "United States",
        "US",
        "+1 206 555",
        "Building 18",
    ),
    (
        "Redmond",
        "United States",
        "US",
        "+1 425 555",
        "Building 40",
    ),
    (
        "London",
        "United Kingdom",
        "GB",
        "+44 20 7946",
        "Thames House",
    ),
    ("Berlin", "Germany", "DE", "+49 30 901820", "Spreeturm"),
    ("Paris", "France", "FR", "+33 1 70 36", "La Defense 2"),
    ("Tokyo", "Japan", "JP", "+81 3 4578", "Shinagawa Tower"),
    ("Sydney", "Australia", "AU", "+61 2 9374", "Harbour Point"),
    ("Toronto", "Canada", "CA", "+1 416 555", "King West"),
    ("Bangalore", "India", "IN", "+91 80 4567", "Tech Park B"),
    ("São Paulo", "Brazil", "BR", "+55 11 3456", "Paulista 1000"),
];

/// The cities of the generated tenant's offices.
pub fn cities() -> impl Iterator<Item = &'static str> {
    OFFICES.iter().map(|office| office.0)
}

/// The departments generated users work in.
pub const DEPARTMENTS: &[&str] = &[
    "Finance",
    "Engineering",
    "Sales",
    "Marketing",
    "Human Resources",
    "Legal",
    "Operations",
    "IT",
    "Customer Support",
    "Research & Development",
];
const TITLES: &[&str] = &[
    "Analyst",
    "Specialist",
    "Engineer",
    "Consultant",
    "Associate",
    "Coordinator",
    "Manager",
    "Senior Manager",
    "Director",
    "Lead",
];
const LANGS: &[&str] = &[
    "en-US", "en-GB", "de-DE", "fr-FR", "ja-JP", "pt-BR", "es-ES",
];
const GUEST_DOMAINS: &[&str] = &["fabrikam.example", "northwind.example", "adatum.example"];

/// Indices of the generated tenant's administrator accounts.
pub const ADMIN_INDICES: &[usize] = &[1, 2];

const MASK48: u64 = (1 << 48) - 1;
const MULT: u64 = 0x5DEE_CE66_D1A5;

pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Deterministic user generator.
#[derive(Clone, Debug)]
pub struct Generator {
    seed: u64,
    pub count: usize,
    pub domain: String,
    pub extension_name: String,
    k1: u64,
    k2: u64,
    mult_inv: u64,
}

impl Generator {
    pub fn new(seed: u64, count: usize, domain: &str, extension_name: &str) -> Self {
        let mut inv = MULT;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(MULT.wrapping_mul(inv)));
        }
        Generator {
            seed,
            count,
            domain: domain.to_owned(),
            extension_name: extension_name.to_owned(),
            k1: mix(seed ^ 0xA1) & MASK48,
            k2: mix(seed ^ 0xB2) & MASK48,
            mult_inv: inv & MASK48,
        }
    }

    fn h(&self, i: usize, salt: u64) -> u64 {
        mix(mix(self.seed ^ salt.wrapping_mul(0x1000_0000_01B3)) ^ i as u64)
    }

    /// The object id of user `i`.
    pub fn id_of(&self, i: usize) -> String {
        let a = self.h(i, 1);
        let b = self.h(i, 2);
        let tail = (((i as u64) ^ self.k1).wrapping_mul(MULT) & MASK48) ^ self.k2;
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b & 0x3fff),
            tail
        )
    }

    /// The index of a generated id, if `id` is one.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        let tail = u64::from_str_radix(id.get(24..36)?, 16).ok()?;
        let i = (((tail ^ self.k2).wrapping_mul(self.mult_inv) & MASK48) ^ self.k1) as usize;
        (i < self.count && self.id_of(i) == id.to_ascii_lowercase()).then_some(i)
    }

    /// The index of a generated user principal name, if `upn` is one.
    pub fn index_of_upn(&self, upn: &str) -> Option<usize> {
        let local = upn.split('@').next()?;
        let local = local.split('_').next()?;
        let digits: String = local
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let i: usize = digits.parse().ok()?;
        let user = (i < self.count).then(|| self.user(i))?;
        (user["userPrincipalName"]
            .as_str()?
            .eq_ignore_ascii_case(upn))
        .then_some(i)
    }

    pub fn is_admin(&self, i: usize) -> bool {
        ADMIN_INDICES.contains(&i)
    }

    pub fn manager_index(&self, i: usize) -> Option<usize> {
        (i > 0).then(|| (i - 1) / 8)
    }

    /// The full stored representation of user `i` (all properties; `manager` as an id or null).
    pub fn user(&self, i: usize) -> Map<String, Value> {
        self.user_with(i, None)
    }

    /// User `i` with only the `wanted` properties (plus `id`); None = all of them.
    pub fn user_with(&self, i: usize, wanted: Option<&[String]>) -> Map<String, Value> {
        let want = |k: &str| k == "id" || wanted.is_none_or(|w| w.iter().any(|p| p == k));
        let r = |salt: u64| self.h(i, 100 + salt);
        let pick = |list: &[&'static str], salt: u64| list[(r(salt) % list.len() as u64) as usize];
        let given = pick(GIVEN, 1);
        let surname = pick(SURNAMES, 2);
        let office = OFFICES[(r(3) % OFFICES.len() as u64) as usize];
        let admin = self.is_admin(i);
        let guest = !admin && i % 23 == 17;
        let (department, title) = if admin {
            (
                "IT",
                if i == ADMIN_INDICES[0] {
                    "Global Administrator"
                } else {
                    "IT Administrator"
                },
            )
        } else if i == 0 {
            ("Executive", "Chief Executive Officer")
        } else if i % 50 == 7 {
            ("Finance", "Senior Manager")
        } else {
            (pick(DEPARTMENTS, 4), pick(TITLES, 5))
        };
        let local = format!("{}.{}", given, surname)
            .to_lowercase()
            .replace('\'', "");
        let (upn, mail, user_type, company) = if guest {
            let gd = pick(GUEST_DOMAINS, 6);
            (
                format!("{local}{i}_{gd}#EXT#@{}", self.domain),
                format!("{local}@{gd}"),
                "Guest",
                Value::Null,
            )
        } else {
            let upn = format!("{local}{i}@{}", self.domain);
            (upn.clone(), upn, "Member", json!("Contoso Ltd"))
        };
        let enabled = admin || i % 37 != 5;
        let mobile = || {
            if r(7) % 3 == 0 {
                Value::Null
            } else {
                json!(format!("+1 555 01{:02} {:04}", r(8) % 100, i % 10_000))
            }
        };
        let phones = || {
            if guest || r(9) % 5 == 0 {
                json!([])
            } else {
                json!([format!("{} {:04}", office.3, r(10) % 10_000)])
            }
        };
        let on_prem = !guest && i.is_multiple_of(4);
        let ext = || {
            let mut ext = Map::new();
            for n in 1..=15 {
                ext.insert(format!("extensionAttribute{n}"), Value::Null);
            }
            if !guest {
                ext.insert(
                    "extensionAttribute1".into(),
                    json!(format!("CC-{:04}", r(11) % 2000)),
                );
                ext.insert(
                    "extensionAttribute2".into(),
                    json!(format!("Badge {:06}", i)),
                );
                if on_prem {
                    ext.insert("extensionAttribute15".into(), json!("ADSync"));
                }
            }
            ext
        };
        let created = || {
            chrono::DateTime::from_timestamp(1_577_836_800 + (r(12) % 150_000_000) as i64, 0)
                .unwrap_or_default()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        let manager = || match self.manager_index(i) {
            Some(m) => json!(self.id_of(m)),
            None => Value::Null,
        };
        let mut u = Map::new();
        macro_rules! put {
            ($k:expr, $v:expr $(,)?) => {
                if want($k) {
                    u.insert($k.to_string(), $v);
                }
            };
        }
        put!("id", json!(self.id_of(i)));
        put!("accountEnabled", json!(enabled));
        put!("businessPhones", phones());
        put!("city", json!(office.0));
        put!("companyName", company);
        put!("country", json!(office.1));
        put!("createdDateTime", json!(created()));
        put!("department", json!(department));
        put!("displayName", json!(format!("{given} {surname}")));
        put!(
            "employeeId",
            if guest {
                Value::Null
            } else {
                json!(format!("E{:07}", 1000 + i))
            },
        );
        put!(
            "employeeType",
            if guest {
                Value::Null
            } else {
                json!("Employee")
            },
        );
        put!("givenName", json!(given));
        put!("jobTitle", json!(title));
        put!("mail", json!(mail));
        put!("mailNickname", json!(format!("{local}{i}")));
        put!("mobilePhone", mobile());
        put!(
            "officeLocation",
            json!(format!("{} {}/{}", office.0, office.4, 1 + r(13) % 30)),
        );
        put!("onPremisesExtensionAttributes", Value::Object(ext()));
        put!(
            "onPremisesSyncEnabled",
            if on_prem { json!(true) } else { Value::Null },
        );
        put!("preferredLanguage", json!(pick(LANGS, 14)));
        put!("surname", json!(surname));
        put!("usageLocation", json!(office.2));
        put!("userPrincipalName", json!(upn));
        put!("userType", json!(user_type));
        put!(
            &self.extension_name,
            if guest {
                Value::Null
            } else {
                json!(format!("JG-{}", 1 + r(15) % 12))
            },
        );
        put!("manager", manager());
        u
    }
}
