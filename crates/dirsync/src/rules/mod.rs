//! Entra ID dynamic-membership rules for users: `user.department -eq "Sales" -and -not (...)`.
//!
//! [`parse`] compiles a rule once (regexes built, constants case-folded); [`Rule::matches`] then
//! evaluates it against Graph user JSON without allocating. Syntax follows Microsoft's documentation:
//! hyphen-optional operators, `-and` binding tighter than `-or`, `null`, `-in` lists, `-any`/`-all`
//! over multi-valued properties, `` `" `` and `''` escapes, and a 3,072-character limit.
//!
//! Not supported, with a clear error: `user.memberOf` (needs group membership), `Direct Reports
//! for` rules, and `device.*` properties.

mod error;
mod eval;
mod lexer;
mod parser;
mod props;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

pub use error::{RuleError, RuleErrorKind};
pub use props::{supported_properties, GraphPath, PropertySpec, PropertyType};

use eval::{Ctx, Node};

/// Entra's limit on the rule body.
pub const MAX_RULE_CHARS: usize = 3072;

/// A compiled rule. Cheap to evaluate from many threads.
#[derive(Clone, Debug)]
pub struct Rule {
    text: String,
    /// Char offset → byte offset, so spans (chars, like error positions) can slice `text`.
    byte_at: Vec<usize>,
    root: Node,
    selects: Vec<String>,
    uses_now: bool,
}

/// The result of evaluating each comparison of a rule against one user ("View details" in Entra).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub matched: bool,
    pub terms: Vec<TermResult>,
}

/// One comparison (or one whole `-any`/`-all`), in source order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TermResult {
    /// The comparison as written in the rule.
    pub text: String,
    /// Char offsets into the rule text, end exclusive.
    pub span: (usize, usize),
    pub matched: bool,
    /// The user's value, `None` when absent or null; collections as JSON.
    pub actual: Option<String>,
}

/// Compiles a rule, or says where and why it is invalid.
pub fn parse(text: &str) -> Result<Rule, RuleError> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > MAX_RULE_CHARS {
        return Err(RuleError::new(
            RuleErrorKind::TooLong,
            MAX_RULE_CHARS,
            format!(
                "The rule is {} characters long; the limit is {MAX_RULE_CHARS}",
                chars.len()
            ),
        )
        .expected(format!("at most {MAX_RULE_CHARS} characters")));
    }
    if chars.iter().all(|c| c.is_whitespace()) {
        return Err(RuleError::new(RuleErrorKind::Empty, 0, "The rule is empty")
            .expected("an expression such as user.department -eq \"Sales\""));
    }
    let tokens = lexer::tokenize(&chars)?;
    let parsed = parser::Parser::run(&tokens)?;
    let mut byte_at: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    byte_at.push(text.len());
    Ok(Rule {
        text: text.to_owned(),
        byte_at,
        root: parsed.root,
        selects: parsed.selects,
        uses_now: parsed.uses_now,
    })
}

impl Rule {
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Does `user` (a Graph user object) satisfy the rule? `system.now` is the current time.
    pub fn matches(&self, user: &Value) -> bool {
        self.matches_at(user, self.now())
    }

    /// As [`Rule::matches`], with `system.now` fixed (tests, and one consistent instant per sync).
    pub fn matches_at(&self, user: &Value, now: DateTime<Utc>) -> bool {
        self.root.eval(&Ctx {
            user,
            item: None,
            now,
            slots: &[],
        })
    }

    /// Evaluates every comparison, not just the ones short-circuiting would reach.
    pub fn explain(&self, user: &Value) -> Explanation {
        self.explain_at(user, self.now())
    }

    pub fn explain_at(&self, user: &Value, now: DateTime<Utc>) -> Explanation {
        let ctx = Ctx {
            user,
            item: None,
            now,
            slots: &[],
        };
        let mut terms = Vec::new();
        self.collect_terms(&self.root, &ctx, &mut terms);
        Explanation {
            matched: self.root.eval(&ctx),
            terms,
        }
    }

    fn collect_terms(&self, node: &Node, ctx: &Ctx<'_>, out: &mut Vec<TermResult>) {
        let (span, matched, actual) = match node {
            Node::And(xs) | Node::Or(xs) => {
                for x in xs {
                    self.collect_terms(x, ctx, out);
                }
                return;
            }
            Node::Not(x) => return self.collect_terms(x, ctx, out),
            Node::Cmp(c) => (
                c.span,
                c.eval(ctx),
                c.subject.resolve(ctx, c.slot).display(),
            ),
            Node::Quant(q) => (q.span, q.eval(ctx), q.collection(ctx).display()),
        };
        out.push(TermResult {
            text: self.text[self.byte_at[span.0]..self.byte_at[span.1]].to_owned(),
            span,
            matched,
            actual,
        });
    }

    /// The Graph `$select` names this rule reads, sorted and deduplicated.
    pub fn graph_properties(&self) -> Vec<String> {
        self.selects.clone()
    }

    fn now(&self) -> DateTime<Utc> {
        // Reading the clock is skipped for rules without system.now: it is the common case.
        if self.uses_now {
            Utc::now()
        } else {
            DateTime::<Utc>::UNIX_EPOCH
        }
    }
}

/// The union of the `$select` names of several rules, sorted and deduplicated.
pub fn graph_properties_of<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> Vec<String> {
    let mut all: Vec<String> = rules.into_iter().flat_map(|r| r.selects.clone()).collect();
    all.sort();
    all.dedup();
    all
}

/// Evaluates every rule against every user and returns, per rule, the indices of matching users.
/// The entry point for full recomputes, for recomputing a batch of changed users, and for the
/// benchmark; see [`RuleSet`].
pub fn evaluate_all(rules: &[Rule], users: &[Value]) -> Vec<Vec<usize>> {
    RuleSet::new(rules).evaluate(users)
}

/// Where a slot's value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
enum SlotKey {
    Key(&'static str),
    Extension(Box<str>),
}

/// Many rules evaluated together. Each top-level Graph key the rules read is looked up once per
/// user and shared, so 50 rules over a user cost a handful of map lookups, not hundreds.
#[derive(Clone, Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    keys: Vec<SlotKey>,
}

impl RuleSet {
    pub fn new(rules: &[Rule]) -> Self {
        let mut keys = Vec::new();
        let mut rules = rules.to_vec();
        for rule in &mut rules {
            bind(&mut rule.root, &mut keys);
        }
        RuleSet { rules, keys }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Per rule, whether `user` matches, written into `out` (one entry per rule).
    pub fn matches_into(&self, user: &Value, now: DateTime<Utc>, out: &mut [bool]) {
        // On the stack for the usual handful of keys: no allocation per user.
        let mut stack: [Option<&Value>; 32] = [None; 32];
        let mut heap;
        let slots: &mut [Option<&Value>] = if self.keys.len() <= stack.len() {
            &mut stack[..self.keys.len()]
        } else {
            heap = vec![None; self.keys.len()];
            &mut heap
        };
        for (slot, key) in slots.iter_mut().zip(&self.keys) {
            *slot = match key {
                SlotKey::Key(k) => user.get(*k),
                SlotKey::Extension(name) => eval::extension_value(user, name),
            };
        }
        let ctx = Ctx {
            user,
            item: None,
            now,
            slots,
        };
        for (rule, hit) in self.rules.iter().zip(out.iter_mut()) {
            *hit = rule.root.eval(&ctx);
        }
    }

    /// Per rule, the indices of matching users. Splits the users across the machine's cores.
    pub fn evaluate(&self, users: &[Value]) -> Vec<Vec<usize>> {
        let now = Utc::now();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(users.len().div_ceil(4096).max(1));
        let chunk = users.len().div_ceil(threads).max(1);
        let eval_chunk = |offset: usize, part: &[Value]| {
            let mut hits = vec![Vec::new(); self.rules.len()];
            let mut row = vec![false; self.rules.len()];
            for (i, user) in part.iter().enumerate() {
                self.matches_into(user, now, &mut row);
                for (r, &hit) in row.iter().enumerate() {
                    if hit {
                        hits[r].push(offset + i);
                    }
                }
            }
            hits
        };
        if threads == 1 {
            return eval_chunk(0, users);
        }
        let parts: Vec<Vec<Vec<usize>>> = std::thread::scope(|s| {
            let handles: Vec<_> = users
                .chunks(chunk)
                .enumerate()
                .map(|(k, part)| s.spawn(move || eval_chunk(k * chunk, part)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("rule evaluation doesn't panic"))
                .collect()
        });
        let mut out = vec![Vec::new(); self.rules.len()];
        for part in parts {
            for (r, hits) in part.into_iter().enumerate() {
                out[r].extend(hits);
            }
        }
        out
    }
}

fn slot_of(keys: &mut Vec<SlotKey>, key: SlotKey) -> Option<u16> {
    let i = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
        keys.push(key);
        keys.len() - 1
    });
    // Past u16::MAX distinct keys (impossible within 3,072 chars per rule in practice) read directly.
    u16::try_from(i).ok()
}

/// Points every property read in `node` at a shared slot.
fn bind(node: &mut Node, keys: &mut Vec<SlotKey>) {
    match node {
        Node::And(xs) | Node::Or(xs) => xs.iter_mut().for_each(|x| bind(x, keys)),
        Node::Not(x) => bind(x, keys),
        Node::Cmp(c) => {
            c.slot = match &c.subject {
                eval::Subject::Path(p) => slot_of(keys, SlotKey::Key(eval::top_key(*p))),
                eval::Subject::Extension(name) => slot_of(keys, SlotKey::Extension(name.clone())),
                eval::Subject::Item | eval::Subject::ItemKey(_) => None,
            }
        }
        Node::Quant(q) => {
            q.slot = slot_of(keys, SlotKey::Key(eval::top_key(q.path)));
            bind(&mut q.body, keys);
        }
    }
}
