//! The compiled rule tree and its evaluation. The hot path (`Node::eval`) doesn't allocate: string
//! constants are folded to lowercase at parse time and compared with case-insensitive routines that
//! only fall back to allocating for non-ASCII values on the `-endsWith`/`-contains` paths.

use chrono::{DateTime, Months, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use regex::Regex;
use serde_json::{Map, Value};

use super::props::GraphPath;

#[derive(Clone, Debug)]
pub(crate) enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Cmp(Box<Cmp>),
    Quant(Box<Quant>),
}

/// `subject op value`, compiled. Negated operators (`-ne`, `-notContains`, ...) are the positive
/// test with `negate`, so a missing value fails `-contains` and passes `-notContains`.
#[derive(Clone, Debug)]
pub(crate) struct Cmp {
    pub subject: Subject,
    /// Index into [`Ctx::slots`] once bound into a [`super::RuleSet`]; `None` reads the JSON directly.
    pub slot: Option<u16>,
    pub test: Test,
    pub negate: bool,
    pub span: (usize, usize),
}

/// `user.<collection> -any|-all (body)`.
#[derive(Clone, Debug)]
pub(crate) struct Quant {
    pub path: GraphPath,
    pub slot: Option<u16>,
    pub all: bool,
    pub body: Node,
    pub span: (usize, usize),
}

#[derive(Clone, Debug)]
pub(crate) enum Subject {
    Path(GraphPath),
    /// `user.extension_<appId>_<name>`: a top-level key whose type only the tenant knows.
    Extension(Box<str>),
    /// `_`: the current item of a string collection.
    Item,
    /// `assignedPlan.<field>`: a key of the current item.
    ItemKey(&'static str),
}

/// A lowercase constant, with a flag so ASCII values take the byte-compare path.
#[derive(Clone, Debug)]
pub(crate) struct Folded {
    lower: Box<str>,
    ascii: bool,
}

impl Folded {
    pub fn new(s: &str) -> Self {
        Folded {
            lower: s.to_lowercase().into(),
            ascii: s.is_ascii(),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Test {
    /// Missing, JSON null, or an empty collection.
    IsNull,
    Eq(Folded),
    StartsWith(Folded),
    EndsWith(Folded),
    Contains(Folded),
    Match(Regex),
    In(Vec<Folded>),
    Bool(bool),
    Date(DateCmp, DateValue),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateCmp {
    Eq,
    Le,
    Ge,
}

#[derive(Clone, Debug)]
pub(crate) enum DateValue {
    At(DateTime<Utc>),
    /// `system.now [-plus|-minus <ISO 8601 duration>]`, resolved at evaluation time.
    Now {
        months: i32,
        delta: TimeDelta,
    },
}

impl DateValue {
    fn resolve(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match *self {
            DateValue::At(t) => Some(t),
            DateValue::Now { months: 0, delta } => now.checked_add_signed(delta),
            DateValue::Now { months, delta } => {
                let t = if months >= 0 {
                    now.checked_add_months(Months::new(months.unsigned_abs()))?
                } else {
                    now.checked_sub_months(Months::new(months.unsigned_abs()))?
                };
                t.checked_add_signed(delta)
            }
        }
    }
}

/// Graph dates are RFC 3339; rule literals may also be a bare date or a date-time without zone (UTC).
pub(crate) fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    if let Some(t) = parse_graph_date(s) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Graph's own form, `YYYY-MM-DDTHH:MM:SSZ`, without chrono's general parser: date rules run per
/// user, and this form is nearly all of them.
fn parse_graph_date(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
    Some(
        date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?
            .and_utc(),
    )
}

/// A user's value, borrowed from the JSON.
#[derive(Clone, Copy)]
pub(crate) enum Val<'a> {
    Missing,
    Str(&'a str),
    Bool(bool),
    Num(&'a serde_json::Number),
    Arr(&'a [Value]),
    Obj(&'a Map<String, Value>),
}

impl<'a> Val<'a> {
    fn of(v: Option<&'a Value>) -> Self {
        match v {
            None | Some(Value::Null) => Val::Missing,
            Some(Value::String(s)) => Val::Str(s),
            Some(Value::Bool(b)) => Val::Bool(*b),
            Some(Value::Number(n)) => Val::Num(n),
            Some(Value::Array(a)) => Val::Arr(a),
            Some(Value::Object(o)) => Val::Obj(o),
        }
    }

    /// For explanations: the value as a person would read it.
    pub fn display(self) -> Option<String> {
        match self {
            Val::Missing => None,
            Val::Str(s) => Some(s.to_owned()),
            Val::Bool(b) => Some(b.to_string()),
            Val::Num(n) => Some(n.to_string()),
            Val::Arr(a) => Some(Value::Array(a.to_vec()).to_string()),
            Val::Obj(o) => Some(Value::Object(o.clone()).to_string()),
        }
    }
}

pub(crate) struct Ctx<'a> {
    pub user: &'a Value,
    pub item: Option<&'a Value>,
    pub now: DateTime<Utc>,
    /// Top-level values fetched once per user and shared by every rule of a [`super::RuleSet`].
    pub slots: &'a [Option<&'a Value>],
}

impl<'a> Ctx<'a> {
    fn top(&self, slot: Option<u16>, key: &str) -> Option<&'a Value> {
        match slot {
            Some(i) => self.slots[usize::from(i)],
            None => self.user.get(key),
        }
    }
}

/// The top-level Graph key a path starts from.
pub(crate) fn top_key(path: GraphPath) -> &'static str {
    match path {
        GraphPath::Key(k) | GraphPath::First(k) | GraphPath::Nested(k, _) => k,
        GraphPath::SipProxy => "proxyAddresses",
    }
}

/// From the top-level value to the property's value.
pub(crate) fn descend(top: Option<&Value>, path: GraphPath) -> Val<'_> {
    match path {
        GraphPath::Key(_) => Val::of(top),
        GraphPath::First(_) => Val::of(top.and_then(|v| v.get(0))),
        GraphPath::Nested(_, k) => Val::of(top.and_then(|v| v.get(k))),
        GraphPath::SipProxy => match top {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .find(|s| s.len() >= 4 && s.as_bytes()[..4].eq_ignore_ascii_case(b"sip:"))
                .map_or(Val::Missing, |s| Val::Str(&s[4..])),
            _ => Val::Missing,
        },
    }
}

/// `extension_<appId>_<name>`: rule names are case-insensitive; Graph returns the name as the app
/// registered it, so an exact miss falls back to a case-insensitive scan.
pub(crate) fn extension_value<'a>(user: &'a Value, name: &str) -> Option<&'a Value> {
    let obj = user.as_object()?;
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

impl Subject {
    pub(crate) fn resolve<'a>(&self, ctx: &Ctx<'a>, slot: Option<u16>) -> Val<'a> {
        match self {
            Subject::Path(p) => descend(ctx.top(slot, top_key(*p)), *p),
            Subject::Extension(name) => Val::of(match slot {
                Some(i) => ctx.slots[usize::from(i)],
                None => extension_value(ctx.user, name),
            }),
            Subject::Item => Val::of(ctx.item),
            Subject::ItemKey(k) => Val::of(ctx.item.and_then(|i| i.get(*k))),
        }
    }
}

impl Node {
    pub(crate) fn eval(&self, ctx: &Ctx<'_>) -> bool {
        match self {
            Node::And(xs) => xs.iter().all(|x| x.eval(ctx)),
            Node::Or(xs) => xs.iter().any(|x| x.eval(ctx)),
            Node::Not(x) => !x.eval(ctx),
            Node::Cmp(c) => c.eval(ctx),
            Node::Quant(q) => q.eval(ctx),
        }
    }
}

impl Quant {
    pub(crate) fn collection<'a>(&self, ctx: &Ctx<'a>) -> Val<'a> {
        descend(ctx.top(self.slot, top_key(self.path)), self.path)
    }

    pub(crate) fn eval(&self, ctx: &Ctx<'_>) -> bool {
        let items: &[Value] = match self.collection(ctx) {
            Val::Arr(a) => a,
            // A single value is a one-item collection; missing is empty.
            Val::Missing => &[],
            _ => return false,
        };
        let test = |item: &Value| {
            self.body.eval(&Ctx {
                user: ctx.user,
                item: Some(item),
                now: ctx.now,
                slots: ctx.slots,
            })
        };
        if self.all {
            items.iter().all(test)
        } else {
            items.iter().any(test)
        }
    }
}

impl Cmp {
    pub(crate) fn eval(&self, ctx: &Ctx<'_>) -> bool {
        self.test
            .eval(self.subject.resolve(ctx, self.slot), ctx.now)
            != self.negate
    }
}

impl Test {
    pub(crate) fn eval(&self, v: Val<'_>, now: DateTime<Utc>) -> bool {
        match self {
            Test::IsNull => match v {
                Val::Missing => true,
                Val::Arr(a) => a.is_empty(),
                _ => false,
            },
            Test::Bool(want) => match v {
                Val::Bool(b) => b == *want,
                Val::Str(s) => s.eq_ignore_ascii_case(if *want { "true" } else { "false" }),
                _ => false,
            },
            Test::Date(cmp, value) => {
                let (Val::Str(s), Some(rhs)) = (v, value.resolve(now)) else {
                    return false;
                };
                let Some(lhs) = parse_date(s) else {
                    return false;
                };
                match cmp {
                    DateCmp::Eq => lhs == rhs,
                    DateCmp::Le => lhs <= rhs,
                    DateCmp::Ge => lhs >= rhs,
                }
            }
            _ => with_str(v, |s| self.string_test(s)),
        }
    }

    fn string_test(&self, s: &str) -> bool {
        match self {
            Test::Eq(f) => eq_ci(s, f),
            Test::StartsWith(f) => starts_with_ci(s, f),
            Test::EndsWith(f) => ends_with_ci(s, f),
            Test::Contains(f) => contains_ci(s, f),
            Test::Match(re) => re.is_match(s),
            Test::In(list) => list.iter().any(|f| eq_ci(s, f)),
            Test::IsNull | Test::Bool(_) | Test::Date(..) => false,
        }
    }
}

/// Runs `f` on the value as text: strings as they are, booleans and numbers (extension
/// attributes) as Graph would print them, formatted on the stack. Collections and missing values
/// don't match a string test.
fn with_str(v: Val<'_>, f: impl FnOnce(&str) -> bool) -> bool {
    match v {
        Val::Str(s) => f(s),
        Val::Bool(b) => f(if b { "true" } else { "false" }),
        Val::Num(n) => {
            let mut buf = StackBuf::default();
            use std::fmt::Write;
            if write!(buf, "{n}").is_err() {
                return false;
            }
            f(buf.as_str())
        }
        Val::Missing | Val::Arr(_) | Val::Obj(_) => false,
    }
}

#[derive(Default)]
struct StackBuf {
    buf: [u8; 32],
    len: usize,
}

impl StackBuf {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Lowercased chars of `s`, lazily.
fn fold(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

// With an ASCII constant, comparing bytes is exact and never splits a char: ASCII bytes don't occur
// inside multi-byte UTF-8 sequences. (Unicode chars that lowercase to ASCII, like the Kelvin sign,
// are deliberately not equal to their ASCII look-alikes.)

pub(crate) fn eq_ci(s: &str, f: &Folded) -> bool {
    if f.ascii {
        s.as_bytes().eq_ignore_ascii_case(f.lower.as_bytes())
    } else {
        fold(s).eq(f.lower.chars())
    }
}

pub(crate) fn starts_with_ci(s: &str, f: &Folded) -> bool {
    let n = f.lower.len();
    if f.ascii {
        s.len() >= n && s.as_bytes()[..n].eq_ignore_ascii_case(f.lower.as_bytes())
    } else {
        let mut it = fold(s);
        f.lower.chars().all(|c| it.next() == Some(c))
    }
}

pub(crate) fn ends_with_ci(s: &str, f: &Folded) -> bool {
    let n = f.lower.len();
    if f.ascii {
        s.len() >= n && s.as_bytes()[s.len() - n..].eq_ignore_ascii_case(f.lower.as_bytes())
    } else {
        // Lowercasing can change lengths, so a suffix can't be compared char-by-char from the end.
        s.to_lowercase().ends_with(&*f.lower)
    }
}

pub(crate) fn contains_ci(s: &str, f: &Folded) -> bool {
    let needle = f.lower.as_bytes();
    if f.ascii {
        let Some((&first, _)) = needle.split_first() else {
            return true;
        };
        let upper = first.to_ascii_uppercase();
        let hay = s.as_bytes();
        hay.len() >= needle.len()
            && (0..=hay.len() - needle.len()).any(|i| {
                (hay[i] == first || hay[i] == upper)
                    && hay[i..i + needle.len()].eq_ignore_ascii_case(needle)
            })
    } else {
        s.to_lowercase().contains(&*f.lower)
    }
}
