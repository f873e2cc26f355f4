//! Recursive-descent parser. Precedence, loosest first: `-or`, `-and`, `-not`, comparisons; `-any`/
//! `-all` take a parenthesised body, so their place in Entra's table never needs a rule of its own.

use chrono::TimeDelta;
use regex::RegexBuilder;

use super::error::{RuleError, RuleErrorKind as K};
use super::eval::{parse_date, Cmp, DateCmp, DateValue, Folded, Node, Quant, Subject, Test};
use super::lexer::{Tok, Token};
use super::props::{self, PropertyType, ASSIGNED_PLAN_FIELDS};

/// What a `-any`/`-all` body may refer to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Top,
    /// `_` is a string item.
    Strings,
    /// `assignedPlan.<field>`.
    Plans,
}

/// The type of the thing on the left of an operator.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Typed(PropertyType),
    /// `extension_<appId>_<name>`: String, Boolean, Integer or DateTime depending on the tenant.
    Extension,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Typed(PropertyType::String) => "String",
            Kind::Typed(PropertyType::Boolean) => "Boolean",
            Kind::Typed(PropertyType::DateTime) => "DateTime",
            Kind::Typed(PropertyType::StringCollection) => "StringCollection",
            Kind::Typed(PropertyType::AssignedPlanCollection) => "AssignedPlanCollection",
            Kind::Extension => "extension",
        }
    }
    fn stringish(self) -> bool {
        matches!(self, Kind::Typed(PropertyType::String) | Kind::Extension)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    StartsWith,
    NotStartsWith,
    EndsWith,
    NotEndsWith,
    Contains,
    NotContains,
    Match,
    NotMatch,
    In,
    NotIn,
    Le,
    Ge,
    Any,
    All,
}

const OPERATORS: &str = "-eq, -ne, -startsWith, -notStartsWith, -endsWith, -notEndsWith, -contains, -notContains, -match, -notMatch, -in, -notIn, -le, -ge, -any or -all";

fn op_of(word: &str) -> Option<Op> {
    let w = strip_hyphen(word).to_ascii_lowercase();
    Some(match w.as_str() {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "startswith" => Op::StartsWith,
        "notstartswith" => Op::NotStartsWith,
        "endswith" => Op::EndsWith,
        "notendswith" => Op::NotEndsWith,
        "contains" => Op::Contains,
        "notcontains" => Op::NotContains,
        "match" => Op::Match,
        "notmatch" => Op::NotMatch,
        "in" => Op::In,
        "notin" => Op::NotIn,
        "le" => Op::Le,
        "ge" => Op::Ge,
        "any" => Op::Any,
        "all" => Op::All,
        _ => return None,
    })
}

/// Operators may be written with or without the hyphen; Microsoft's own pages often show an en dash.
fn strip_hyphen(w: &str) -> &str {
    w.strip_prefix('-')
        .or_else(|| w.strip_prefix('–'))
        .unwrap_or(w)
}

/// A literal on the right of an operator.
enum Lit {
    Str(String),
    Num(String),
    Bool(bool),
    Null,
    List(Vec<String>),
    Now { months: i32, delta: TimeDelta },
}

pub(crate) struct Parsed {
    pub root: Node,
    pub selects: Vec<String>,
    pub uses_now: bool,
}

pub(crate) struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    selects: Vec<String>,
    uses_now: bool,
}

impl<'a> Parser<'a> {
    pub fn run(toks: &'a [Token]) -> Result<Parsed, RuleError> {
        let mut p = Parser {
            toks,
            i: 0,
            selects: Vec::new(),
            uses_now: false,
        };
        let root = p.or(Scope::Top)?;
        let t = p.peek();
        match t.tok {
            Tok::Eof => {}
            Tok::RParen => {
                return Err(
                    err(K::Syntax, t.start, "Query compilation error: unmatched ')'")
                        .expected("-and, -or or the end of the rule"),
                )
            }
            _ => return Err(missing_logical(t)),
        }
        p.selects.sort();
        p.selects.dedup();
        Ok(Parsed {
            root,
            selects: p.selects,
            uses_now: p.uses_now,
        })
    }

    fn peek(&self) -> &'a Token {
        &self.toks[self.i]
    }

    fn next(&mut self) -> &'a Token {
        let t = &self.toks[self.i];
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }

    /// Is the next token the logical keyword `kw` (with or without hyphen)?
    fn at_keyword(&self, kw: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(w) if strip_hyphen(w).eq_ignore_ascii_case(kw))
    }

    fn or(&mut self, scope: Scope) -> Result<Node, RuleError> {
        let mut xs = vec![self.and(scope)?];
        while self.at_keyword("or") {
            self.next();
            xs.push(self.and(scope)?);
        }
        Ok(if xs.len() == 1 {
            xs.pop().expect("one element")
        } else {
            Node::Or(xs)
        })
    }

    fn and(&mut self, scope: Scope) -> Result<Node, RuleError> {
        let mut xs = vec![self.not(scope)?];
        loop {
            if self.at_keyword("and") {
                self.next();
                xs.push(self.not(scope)?);
            } else if self.at_keyword("or") || matches!(self.peek().tok, Tok::RParen | Tok::Eof) {
                break;
            } else {
                return Err(missing_logical(self.peek()));
            }
        }
        Ok(if xs.len() == 1 {
            xs.pop().expect("one element")
        } else {
            Node::And(xs)
        })
    }

    fn not(&mut self, scope: Scope) -> Result<Node, RuleError> {
        if self.at_keyword("not") {
            self.next();
            return Ok(Node::Not(Box::new(self.not(scope)?)));
        }
        self.primary(scope)
    }

    fn primary(&mut self, scope: Scope) -> Result<Node, RuleError> {
        let t = self.next();
        match &t.tok {
            Tok::LParen => {
                let inner = self.or(scope)?;
                self.close_paren(t.start)?;
                Ok(inner)
            }
            Tok::Word(w) => self.comparison(scope, t, w),
            Tok::Eof => Err(err(
                K::Syntax,
                t.start,
                "Query compilation error: unexpected end of rule",
            )
            .expected("an expression such as user.department -eq \"Sales\"")),
            _ => Err(err(
                K::Syntax,
                t.start,
                "Query compilation error: expected an expression",
            )
            .expected("a property such as user.department, '(' or -not")),
        }
    }

    fn close_paren(&mut self, open: usize) -> Result<(), RuleError> {
        let t = self.peek();
        if t.tok == Tok::RParen {
            self.next();
            Ok(())
        } else {
            Err(err(
                K::Syntax,
                t.start,
                format!("Query compilation error: missing ')' for the '(' at position {open}"),
            )
            .expected("')'"))
        }
    }

    fn add_select(&mut self, name: &str) {
        self.selects.push(name.to_owned());
    }

    /// `subject op value`, or `collection -any|-all (body)`.
    fn comparison(&mut self, scope: Scope, t: &Token, word: &str) -> Result<Node, RuleError> {
        let (subject, kind, display) = self.subject(scope, t, word)?;
        let op_tok = self.next();
        let op = match &op_tok.tok {
            Tok::Word(w) => match op_of(w) {
                Some(op) => op,
                None if strip_hyphen(w).eq_ignore_ascii_case("not") => {
                    return Err(err(
                        K::UnsupportedOperator,
                        op_tok.start,
                        "Query compilation error: -not is a logical operator, not a comparison",
                    )
                    .expected(
                        "a comparison operator; compare with null using -eq null or -ne null",
                    ))
                }
                None => {
                    return Err(err(
                        K::Syntax,
                        op_tok.start,
                        format!("Query compilation error: unknown operator '{w}'"),
                    )
                    .expected(OPERATORS))
                }
            },
            Tok::Eof => {
                return Err(err(
                    K::Syntax,
                    op_tok.start,
                    format!("Query compilation error: unexpected end of rule after {display}"),
                )
                .expected(OPERATORS))
            }
            _ => {
                return Err(err(
                    K::Syntax,
                    op_tok.start,
                    format!("Query compilation error: expected an operator after {display}"),
                )
                .expected(OPERATORS))
            }
        };
        let op_name = match &op_tok.tok {
            Tok::Word(w) => w.as_str(),
            _ => "",
        };
        let unsupported = |expected: &str| {
            err(
                K::UnsupportedOperator,
                op_tok.start,
                format!(
                    "Operator '{op_name}' isn't supported on attribute {display} ({})",
                    kind.describe()
                ),
            )
            .expected(expected.to_owned())
        };

        let collection = match kind {
            Kind::Typed(PropertyType::StringCollection) => Some(Scope::Strings),
            Kind::Typed(PropertyType::AssignedPlanCollection) => Some(Scope::Plans),
            _ => None,
        };
        if let (Some(body_scope), Op::Any | Op::All, Subject::Path(path)) =
            (collection, op, &subject)
        {
            let open = self.next();
            if open.tok != Tok::LParen {
                return Err(err(
                    K::Syntax,
                    open.start,
                    format!("Query compilation error: expected '(' after {op_name}"),
                )
                .expected(if body_scope == Scope::Strings {
                    "a parenthesised expression over _, e.g. (_ -startsWith \"smtp:\")"
                } else {
                    "a parenthesised expression over assignedPlan, e.g. (assignedPlan.capabilityStatus -eq \"Enabled\")"
                }));
            }
            let body = self.or(body_scope)?;
            self.close_paren(open.start)?;
            let end = self.toks[self.i - 1].end;
            return Ok(Node::Quant(Box::new(Quant {
                path: *path,
                slot: None,
                all: op == Op::All,
                body,
                span: (t.start, end),
            })));
        }
        if matches!(op, Op::Any | Op::All) {
            return Err(unsupported(
                "-any and -all only on multi-valued properties (otherMails, proxyAddresses, businessPhones, assignedPlans)",
            ));
        }

        let (lit, vstart, vend) = self.literal()?;
        let negate = matches!(
            op,
            Op::Ne
                | Op::NotStartsWith
                | Op::NotEndsWith
                | Op::NotContains
                | Op::NotMatch
                | Op::NotIn
        );
        let bad_value = |msg: String, expected: &str| {
            err(K::InvalidValue, vstart, msg).expected(expected.to_owned())
        };

        // Null and lists are checked first: their errors don't depend on the property.
        if matches!(lit, Lit::Null) && !matches!(op, Op::Eq | Op::Ne) {
            return Err(bad_value(
                format!("Query compilation error: null can only be compared with -eq or -ne, not '{op_name}'"),
                "a quoted value, or -eq null / -ne null",
            ));
        }
        if matches!(lit, Lit::List(_)) && !matches!(op, Op::In | Op::NotIn) {
            return Err(bad_value(
                format!("Query compilation error: '{op_name}' can't take a list"),
                "a single value, or -in/-notIn for a list",
            ));
        }

        let test = match (kind, op) {
            (_, Op::Eq | Op::Ne) if matches!(lit, Lit::Null) => Test::IsNull,
            (Kind::Typed(PropertyType::StringCollection | PropertyType::AssignedPlanCollection), _) => {
                return Err(unsupported(
                    "-any or -all, e.g. user.proxyAddresses -any (_ -startsWith \"smtp:\"), or -eq null / -ne null",
                ))
            }
            (Kind::Typed(PropertyType::Boolean), Op::Eq | Op::Ne) => match &lit {
                Lit::Bool(b) => Test::Bool(*b),
                Lit::Str(s) if s.eq_ignore_ascii_case("true") => Test::Bool(true),
                Lit::Str(s) if s.eq_ignore_ascii_case("false") => Test::Bool(false),
                _ => {
                    return Err(bad_value(
                        format!("Query compilation error: {display} is Boolean"),
                        "true or false",
                    ))
                }
            },
            (Kind::Typed(PropertyType::Boolean), _) => return Err(unsupported("-eq or -ne")),
            (Kind::Typed(PropertyType::DateTime), Op::Eq | Op::Ne | Op::Le | Op::Ge) => {
                let cmp = match op {
                    Op::Le => DateCmp::Le,
                    Op::Ge => DateCmp::Ge,
                    _ => DateCmp::Eq,
                };
                let value = match lit {
                    Lit::Now { months, delta } => {
                        self.uses_now = true;
                        DateValue::Now { months, delta }
                    }
                    Lit::Str(s) => match parse_date(&s) {
                        Some(d) => DateValue::At(d),
                        None => {
                            return Err(bad_value(
                                format!("Query compilation error: \"{s}\" is not a date"),
                                "a date such as \"2024-01-31\" or \"2024-01-31T08:00:00Z\", or system.now -plus p1d",
                            ))
                        }
                    },
                    _ => {
                        return Err(bad_value(
                            format!("Query compilation error: {display} is a DateTime"),
                            "a quoted date, or system.now [-plus|-minus <duration>]",
                        ))
                    }
                };
                Test::Date(cmp, value)
            }
            (Kind::Typed(PropertyType::DateTime), _) => return Err(unsupported("-eq, -ne, -le or -ge")),
            (_, Op::Le | Op::Ge) => {
                return Err(unsupported(
                    "-le and -ge only on ordered properties (employeeHireDate)",
                ))
            }
            (k, op) => {
                debug_assert!(k.stringish());
                let text = match lit {
                    Lit::Str(s) | Lit::Num(s) => s,
                    Lit::Bool(b) => b.to_string(),
                    Lit::List(items) => {
                        return Ok(self.cmp_node(subject, Test::In(items.iter().map(|s| Folded::new(s)).collect()), negate, t.start, vend));
                    }
                    Lit::Now { .. } => {
                        return Err(bad_value(
                            "Query compilation error: system.now only compares with DateTime properties".into(),
                            "a quoted string",
                        ))
                    }
                    Lit::Null => unreachable!("null handled above"),
                };
                match op {
                    Op::Eq | Op::Ne => Test::Eq(Folded::new(&text)),
                    Op::StartsWith | Op::NotStartsWith => Test::StartsWith(Folded::new(&text)),
                    Op::EndsWith | Op::NotEndsWith => Test::EndsWith(Folded::new(&text)),
                    Op::Contains | Op::NotContains => Test::Contains(Folded::new(&text)),
                    Op::Match | Op::NotMatch => Test::Match(
                        RegexBuilder::new(&text)
                            .case_insensitive(true)
                            .build()
                            .map_err(|e| {
                                err(
                                    K::InvalidRegex,
                                    vstart,
                                    format!("Query compilation error: invalid regular expression \"{text}\": {}", regex_reason(&e)),
                                )
                                .expected("a valid regular expression, e.g. \"^Da.*\" or \".*@contoso\\.com$\"")
                            })?,
                    ),
                    Op::In | Op::NotIn => {
                        return Err(bad_value(
                            format!("Query compilation error: '{op_name}' takes a list"),
                            "a list such as [\"a\",\"b\"]",
                        ))
                    }
                    Op::Le | Op::Ge | Op::Any | Op::All => unreachable!("handled above"),
                }
            }
        };
        Ok(self.cmp_node(subject, test, negate, t.start, vend))
    }

    fn cmp_node(
        &self,
        subject: Subject,
        test: Test,
        negate: bool,
        start: usize,
        end: usize,
    ) -> Node {
        Node::Cmp(Box::new(Cmp {
            subject,
            slot: None,
            test,
            negate,
            span: (start, end),
        }))
    }

    /// Resolves the left-hand word to a subject, its type, and its display name for errors.
    fn subject(
        &mut self,
        scope: Scope,
        t: &Token,
        word: &str,
    ) -> Result<(Subject, Kind, String), RuleError> {
        let lower = word.to_ascii_lowercase();
        if word == "_" {
            return if scope == Scope::Strings {
                Ok((Subject::Item, Kind::Typed(PropertyType::String), "_".into()))
            } else {
                Err(err(
                    K::UnknownProperty,
                    t.start,
                    "Attribute not supported: _ is only valid inside -any or -all over a string collection",
                )
                .expected("a property such as user.department"))
            };
        }
        if let Some(field) = lower.strip_prefix("assignedplan.") {
            if scope != Scope::Plans {
                return Err(err(
                    K::UnknownProperty,
                    t.start,
                    format!("Attribute not supported: {word} is only valid inside user.assignedPlans -any/-all"),
                )
                .expected("a property such as user.department"));
            }
            return match ASSIGNED_PLAN_FIELDS
                .iter()
                .find(|f| f.eq_ignore_ascii_case(field))
            {
                Some(f) => Ok((
                    Subject::ItemKey(f),
                    Kind::Typed(PropertyType::String),
                    format!("assignedPlan.{f}"),
                )),
                None => Err(err(
                    K::UnknownProperty,
                    t.start,
                    format!("Attribute not supported: {word}"),
                )
                .expected("assignedPlan.servicePlanId, assignedPlan.capabilityStatus, assignedPlan.service or assignedPlan.assignedDateTime")),
            };
        }
        let Some(name) = lower.strip_prefix("user.").map(|_| &word[5..]) else {
            let msg = if lower.starts_with("device.") {
                format!("Attribute not supported: {word} (dirsync rules apply to users only)")
            } else if lower == "direct" {
                "Attribute not supported: Direct Reports rules aren't supported".to_owned()
            } else {
                format!("Query compilation error: expected a property, found '{word}'")
            };
            let kind = if lower.contains('.') || lower == "direct" {
                K::UnknownProperty
            } else {
                K::Syntax
            };
            return Err(err(kind, t.start, msg).expected("a property such as user.department"));
        };
        if scope == Scope::Plans {
            return Err(err(
                K::UnknownProperty,
                t.start,
                format!("Attribute not supported: {word} inside assignedPlans -any/-all"),
            )
            .expected("assignedPlan.<property>"));
        }
        if lower.starts_with("user.extension_") {
            // extension_<appId without dashes>_<name>: both parts non-empty.
            let rest = &name["extension_".len()..];
            let ok = rest
                .split_once('_')
                .is_some_and(|(app, attr)| !app.is_empty() && !attr.is_empty())
                && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(err(
                    K::UnknownProperty,
                    t.start,
                    format!("Attribute not supported: {word}"),
                )
                .expected("user.extension_<appId without dashes>_<name>"));
            }
            self.add_select(name);
            return Ok((
                Subject::Extension(name.into()),
                Kind::Extension,
                word.to_owned(),
            ));
        }
        match props::lookup(name) {
            Some(spec) => {
                self.add_select(spec.graph_select);
                Ok((
                    Subject::Path(spec.path),
                    Kind::Typed(spec.ty),
                    format!("user.{}", spec.name),
                ))
            }
            None if name.eq_ignore_ascii_case("memberOf") => Err(err(
                K::UnknownProperty,
                t.start,
                "Attribute not supported: user.memberOf (dirsync evaluates rules on user objects, which don't carry group membership)",
            )
            .expected("a user property such as user.department")),
            None => {
                let expected = match props::suggest(name) {
                    Some(s) => format!("a supported user property, e.g. user.{s}"),
                    None => "a supported user property such as user.department".to_owned(),
                };
                Err(err(
                    K::UnknownProperty,
                    t.start,
                    format!("Attribute not supported: {word}"),
                )
                .expected(expected))
            }
        }
    }

    /// A value: `"string"`, number, `true`/`false`, `null`, `[list]`, or `system.now [±duration]`.
    fn literal(&mut self) -> Result<(Lit, usize, usize), RuleError> {
        let t = self.next();
        let lit = match &t.tok {
            Tok::Str(s) => Lit::Str(s.clone()),
            Tok::LBracket => return self.list(t.start),
            Tok::Word(w) => {
                let lower = w.to_ascii_lowercase();
                match lower.as_str() {
                    "null" => Lit::Null,
                    "true" => Lit::Bool(true),
                    "false" => Lit::Bool(false),
                    "system.now" => return self.now(t),
                    _ if is_number(w) => Lit::Num(w.clone()),
                    _ => {
                        return Err(err(
                            K::InvalidValue,
                            t.start,
                            format!("Query compilation error: expected a value, found '{w}'"),
                        )
                        .expected(
                            "a value in double quotes, a number, true, false, null or a [list]",
                        ))
                    }
                }
            }
            Tok::Eof => {
                return Err(err(
                    K::InvalidValue,
                    t.start,
                    "Query compilation error: unexpected end of rule",
                )
                .expected("a value"))
            }
            _ => {
                return Err(err(
                    K::InvalidValue,
                    t.start,
                    "Query compilation error: expected a value",
                )
                .expected("a value in double quotes, a number, true, false, null or a [list]"))
            }
        };
        Ok((lit, t.start, t.end))
    }

    fn list(&mut self, open: usize) -> Result<(Lit, usize, usize), RuleError> {
        let mut items = Vec::new();
        if self.peek().tok == Tok::RBracket {
            let end = self.next().end;
            return Ok((Lit::List(items), open, end));
        }
        loop {
            let t = self.next();
            match &t.tok {
                Tok::Str(s) => items.push(s.clone()),
                Tok::Word(w) if is_number(w) => items.push(w.clone()),
                _ => {
                    return Err(err(
                        K::InvalidValue,
                        t.start,
                        "Query compilation error: expected a string or number in the list",
                    )
                    .expected("a value in double quotes"))
                }
            }
            let sep = self.next();
            match sep.tok {
                Tok::Comma => {}
                Tok::RBracket => return Ok((Lit::List(items), open, sep.end)),
                _ => {
                    return Err(err(
                        K::InvalidValue,
                        sep.start,
                        "Query compilation error: unterminated list",
                    )
                    .expected("',' or ']'"))
                }
            }
        }
    }

    /// `system.now`, optionally `-plus`/`-minus` an ISO 8601 duration such as `p1d` or `pt12h`.
    fn now(&mut self, t: &Token) -> Result<(Lit, usize, usize), RuleError> {
        let sign = match &self.peek().tok {
            Tok::Word(w) if strip_hyphen(w).eq_ignore_ascii_case("plus") => 1,
            Tok::Word(w) if strip_hyphen(w).eq_ignore_ascii_case("minus") => -1,
            _ => {
                return Ok((
                    Lit::Now {
                        months: 0,
                        delta: TimeDelta::zero(),
                    },
                    t.start,
                    t.end,
                ))
            }
        };
        self.next();
        let d = self.next();
        let parsed = match &d.tok {
            Tok::Word(w) => parse_duration(w),
            _ => None,
        };
        let Some((months, delta)) = parsed else {
            return Err(err(
                K::InvalidValue,
                d.start,
                "Query compilation error: expected an ISO 8601 duration",
            )
            .expected("a duration such as p1d, p30d, pt12h or p1y"));
        };
        Ok((
            Lit::Now {
                months: months * sign,
                delta: delta * sign,
            },
            t.start,
            d.end,
        ))
    }
}

fn is_number(w: &str) -> bool {
    let digits = w.strip_prefix('-').unwrap_or(w);
    digits.starts_with(|c: char| c.is_ascii_digit()) && w.parse::<f64>().is_ok()
}

/// `P[nY][nM][nW][nD][T[nH][nM][nS]]`, case-insensitive. Years and months stay calendar months.
fn parse_duration(w: &str) -> Option<(i32, TimeDelta)> {
    let upper = w.to_ascii_uppercase();
    let body = upper.strip_prefix('P')?;
    let (date, time) = body.split_once('T').unwrap_or((body, ""));
    if date.is_empty() && time.is_empty() {
        return None;
    }
    let mut months: i32 = 0;
    let mut delta = TimeDelta::zero();
    for (part, is_time) in [(date, false), (time, true)] {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let n: i64 = std::mem::take(&mut num).parse().ok()?;
            match (c, is_time) {
                ('Y', false) => {
                    months = months.checked_add(i32::try_from(n.checked_mul(12)?).ok()?)?
                }
                ('M', false) => months = months.checked_add(i32::try_from(n).ok()?)?,
                ('W', false) => delta += TimeDelta::try_weeks(n)?,
                ('D', false) => delta += TimeDelta::try_days(n)?,
                ('H', true) => delta += TimeDelta::try_hours(n)?,
                ('M', true) => delta += TimeDelta::try_minutes(n)?,
                ('S', true) => delta += TimeDelta::try_seconds(n)?,
                _ => return None,
            }
        }
        if !num.is_empty() {
            return None;
        }
    }
    Some((months, delta))
}

/// The regex crate's messages are multi-line with their own caret; keep the last line, which says why.
fn regex_reason(e: &regex::Error) -> String {
    let s = e.to_string();
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(&s)
        .trim()
        .trim_start_matches("error: ")
        .to_owned()
}

fn err(kind: K, position: usize, message: impl Into<String>) -> RuleError {
    RuleError::new(kind, position, message)
}

fn missing_logical(t: &Token) -> RuleError {
    err(
        K::MissingLogicalOperator,
        t.start,
        "Query compilation error: missing -and or -or between expressions",
    )
    .expected("-and or -or")
}
