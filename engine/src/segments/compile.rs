//! From a [`Rule`] to a tree over integers and floats that evaluates without allocating.

use std::fmt;

use super::ast::{AffinityKind, Behaviour, EventKind, Field, FieldType, Op, Rule, Value};
use super::set::{Membership, SegmentIndex};
use super::visitor::Visitor;
use super::vocab::{Vocabulary, fold};

/// Groups (`all`, `any`, `not`) may nest this deep.
pub const MAX_DEPTH: usize = 8;
/// Comparisons, affinities, behaviours and memberships in one rule.
pub const MAX_CONDITIONS: usize = 64;
/// Groups in one rule; bounds the work on rules made of empty groups.
pub const MAX_GROUPS: usize = 64;
pub const MAX_WITHIN_DAYS: u32 = 365;

const DAY_SECS: i64 = 86_400;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompileError {
    TooDeep,
    TooManyConditions,
    TooManyGroups,
    /// The operator does not apply to the field's type.
    Operator {
        field: Field,
        op: Op,
    },
    /// The value does not suit the operator and field (wrong type, NaN, empty list, low > high).
    Value {
        field: Field,
        op: Op,
    },
    WithinDays(u32),
    UnknownSegment(String),
    DuplicateSegment(String),
    /// Segment ids along a cycle of memberships, first repeated last.
    Cycle(Vec<String>),
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::TooDeep => write!(f, "groups nest deeper than {MAX_DEPTH} levels"),
            CompileError::TooManyConditions => {
                write!(f, "more than {MAX_CONDITIONS} conditions")
            }
            CompileError::TooManyGroups => write!(f, "more than {MAX_GROUPS} groups"),
            CompileError::Operator { field, op } => {
                write!(f, "'{}' does not apply to {}", op.name(), field.name())
            }
            CompileError::Value { field, op } => {
                write!(f, "bad value for {} {}", field.name(), op.name())
            }
            CompileError::WithinDays(d) => {
                write!(f, "within_days {d} is not from 1 to {MAX_WITHIN_DAYS}")
            }
            CompileError::UnknownSegment(id) => write!(f, "unknown segment '{id}'"),
            CompileError::DuplicateSegment(id) => write!(f, "segment '{id}' defined twice"),
            CompileError::Cycle(path) => {
                write!(f, "segments refer to each other: {}", path.join(" -> "))
            }
        }
    }
}

impl std::error::Error for CompileError {}

/// A compiled rule. Membership conditions read the results of segments evaluated before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    root: Node,
    conditions: usize,
    members: Vec<SegmentIndex>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    All(Box<[Node]>),
    Any(Box<[Node]>),
    Not(Box<Node>),
    Number { field: Field, test: NumberTest },
    TextEq { field: Field, id: u32, negate: bool },
    TextIn { field: Field, ids: Box<[u32]> },
    TextContains { field: Field, needle: Box<str> },
    Present { field: Field, want: bool },
    Affinity { kind: AffinityKind, id: u32 },
    Behaviour(Box<Counted>),
    Member(SegmentIndex),
}

#[derive(Debug, Clone, PartialEq)]
enum NumberTest {
    Eq(f64),
    Ne(f64),
    Gt(f64),
    Gte(f64),
    Lt(f64),
    Lte(f64),
    Between(f64, f64),
    In(Box<[f64]>),
}

#[derive(Debug, Clone, PartialEq)]
struct Counted {
    event: EventKind,
    product: Option<u32>,
    collection: Option<u32>,
    product_type: Option<u32>,
    vendor: Option<u32>,
    tag: Option<u32>,
    at_least: u32,
    window_secs: i64,
}

/// Compiles one rule, interning its strings into `vocab`. `resolve` maps a segment id to its
/// place in the shop's [`super::SegmentSet`]; cycles can only be seen over the whole set, which
/// is why saving a segment should go through [`super::SegmentSet::build`].
pub fn compile(
    rule: &Rule,
    vocab: &mut Vocabulary,
    resolve: impl Fn(&str) -> Option<SegmentIndex>,
) -> Result<Compiled, CompileError> {
    let mut c = Compiler {
        vocab,
        resolve: &resolve,
        conditions: 0,
        groups: 0,
        members: Vec::new(),
    };
    let root = c.node(rule, 0)?;
    Ok(Compiled {
        root,
        conditions: c.conditions,
        members: c.members,
    })
}

struct Compiler<'a> {
    vocab: &'a mut Vocabulary,
    resolve: &'a dyn Fn(&str) -> Option<SegmentIndex>,
    conditions: usize,
    groups: usize,
    members: Vec<SegmentIndex>,
}

impl Compiler<'_> {
    fn node(&mut self, rule: &Rule, depth: usize) -> Result<Node, CompileError> {
        match rule {
            Rule::All(rules) | Rule::Any(rules) => {
                self.group(depth)?;
                let nodes = rules
                    .iter()
                    .map(|r| self.node(r, depth + 1))
                    .collect::<Result<Box<[Node]>, _>>()?;
                Ok(if matches!(rule, Rule::All(_)) {
                    Node::All(nodes)
                } else {
                    Node::Any(nodes)
                })
            }
            Rule::Not(inner) => {
                self.group(depth)?;
                Ok(Node::Not(Box::new(self.node(inner, depth + 1)?)))
            }
            Rule::Compare { field, op, value } => {
                self.condition()?;
                compare(*field, *op, value, self.vocab)
            }
            Rule::Affinity { kind, value } => {
                self.condition()?;
                Ok(Node::Affinity {
                    kind: *kind,
                    id: self.vocab.intern(value),
                })
            }
            Rule::Behaviour(b) => {
                self.condition()?;
                self.behaviour(b)
            }
            Rule::Member(id) => {
                self.condition()?;
                let index =
                    (self.resolve)(id).ok_or_else(|| CompileError::UnknownSegment(id.clone()))?;
                self.members.push(index);
                Ok(Node::Member(index))
            }
        }
    }

    fn group(&mut self, depth: usize) -> Result<(), CompileError> {
        self.groups += 1;
        if depth >= MAX_DEPTH {
            Err(CompileError::TooDeep)
        } else if self.groups > MAX_GROUPS {
            Err(CompileError::TooManyGroups)
        } else {
            Ok(())
        }
    }

    fn condition(&mut self) -> Result<(), CompileError> {
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            Err(CompileError::TooManyConditions)
        } else {
            Ok(())
        }
    }

    fn behaviour(&mut self, b: &Behaviour) -> Result<Node, CompileError> {
        if !(1..=MAX_WITHIN_DAYS).contains(&b.within_days) {
            return Err(CompileError::WithinDays(b.within_days));
        }
        let mut intern = |s: &Option<String>| s.as_deref().map(|s| self.vocab.intern(s));
        Ok(Node::Behaviour(Box::new(Counted {
            event: b.event,
            product: intern(&b.product),
            collection: intern(&b.collection),
            product_type: intern(&b.product_type),
            vendor: intern(&b.vendor),
            tag: intern(&b.tag),
            at_least: b.at_least,
            window_secs: i64::from(b.within_days) * DAY_SECS,
        })))
    }
}

fn compare(
    field: Field,
    op: Op,
    value: &Value,
    vocab: &mut Vocabulary,
) -> Result<Node, CompileError> {
    let bad_value = Err(CompileError::Value { field, op });
    let bad_op = Err(CompileError::Operator { field, op });
    let number = |test| Ok(Node::Number { field, test });
    let finite = |x: &f64| x.is_finite();
    match (op, value) {
        (Op::Exists | Op::Missing, Value::None) => Ok(Node::Present {
            field,
            want: op == Op::Exists,
        }),
        (Op::Exists | Op::Missing, _) => bad_value,
        _ => match field.ty() {
            FieldType::Number => match (op, value) {
                (_, Value::Number(x)) if !x.is_finite() => bad_value,
                (Op::Eq, Value::Number(x)) => number(NumberTest::Eq(*x)),
                (Op::Ne, Value::Number(x)) => number(NumberTest::Ne(*x)),
                (Op::Gt, Value::Number(x)) => number(NumberTest::Gt(*x)),
                (Op::Gte, Value::Number(x)) => number(NumberTest::Gte(*x)),
                (Op::Lt, Value::Number(x)) => number(NumberTest::Lt(*x)),
                (Op::Lte, Value::Number(x)) => number(NumberTest::Lte(*x)),
                (Op::Between, Value::Range(lo, hi)) if finite(lo) && finite(hi) && lo <= hi => {
                    number(NumberTest::Between(*lo, *hi))
                }
                (Op::In, Value::Numbers(xs)) if !xs.is_empty() && xs.iter().all(finite) => {
                    number(NumberTest::In(xs.clone().into_boxed_slice()))
                }
                (Op::Contains, _) => bad_op,
                _ => bad_value,
            },
            FieldType::Bool => match (op, value) {
                (Op::Eq | Op::Ne, Value::Bool(b)) => {
                    let x = if *b { 1.0 } else { 0.0 };
                    number(if op == Op::Eq {
                        NumberTest::Eq(x)
                    } else {
                        NumberTest::Ne(x)
                    })
                }
                (Op::Eq | Op::Ne, _) => bad_value,
                _ => bad_op,
            },
            FieldType::Text => match (op, value) {
                (Op::Eq | Op::Ne, Value::Text(s)) => Ok(Node::TextEq {
                    field,
                    id: vocab.intern(s),
                    negate: op == Op::Ne,
                }),
                (Op::In, Value::Texts(xs)) if !xs.is_empty() => Ok(Node::TextIn {
                    field,
                    ids: xs.iter().map(|s| vocab.intern(s)).collect(),
                }),
                (Op::Contains, Value::Text(s)) if !fold(s).is_empty() => Ok(Node::TextContains {
                    field,
                    needle: fold(s).into(),
                }),
                (Op::Eq | Op::Ne | Op::In | Op::Contains, _) => bad_value,
                _ => bad_op,
            },
        },
    }
}

impl Compiled {
    /// Whether the visitor is in the segment at `now` (unix seconds). `earlier` holds the
    /// visitor's memberships of the segments this rule refers to.
    pub fn matches(&self, v: &Visitor, now: i64, earlier: &Membership) -> bool {
        self.root.eval(v, now, earlier)
    }

    pub fn conditions(&self) -> usize {
        self.conditions
    }

    /// The segments this rule refers to directly.
    pub fn members(&self) -> &[SegmentIndex] {
        &self.members
    }
}

impl Node {
    fn eval(&self, v: &Visitor, now: i64, earlier: &Membership) -> bool {
        match self {
            Node::All(nodes) => nodes.iter().all(|n| n.eval(v, now, earlier)),
            Node::Any(nodes) => nodes.iter().any(|n| n.eval(v, now, earlier)),
            Node::Not(n) => !n.eval(v, now, earlier),
            Node::Number { field, test } => v.number(*field).is_some_and(|x| test.holds(x)),
            Node::TextEq { field, id, negate } => v
                .text(*field)
                .is_some_and(|(have, _)| (have == Some(*id)) != *negate),
            Node::TextIn { field, ids } => v
                .text(*field)
                .is_some_and(|(have, _)| have.is_some_and(|h| ids.contains(&h))),
            Node::TextContains { field, needle } => v
                .text(*field)
                .is_some_and(|(_, text)| text.contains(needle.as_ref())),
            Node::Present { field, want } => {
                let present = match field.ty() {
                    FieldType::Text => v.text(*field).is_some(),
                    FieldType::Number | FieldType::Bool => v.number(*field).is_some(),
                };
                present == *want
            }
            Node::Affinity { kind, id } => v.has_affinity(*kind, *id),
            Node::Behaviour(c) => c.holds(v, now),
            Node::Member(index) => earlier.contains(*index),
        }
    }
}

impl NumberTest {
    fn holds(&self, x: f64) -> bool {
        match self {
            NumberTest::Eq(c) => x == *c,
            NumberTest::Ne(c) => x != *c,
            NumberTest::Gt(c) => x > *c,
            NumberTest::Gte(c) => x >= *c,
            NumberTest::Lt(c) => x < *c,
            NumberTest::Lte(c) => x <= *c,
            NumberTest::Between(lo, hi) => *lo <= x && x <= *hi,
            NumberTest::In(cs) => cs.contains(&x),
        }
    }
}

impl Counted {
    fn holds(&self, v: &Visitor, now: i64) -> bool {
        if self.at_least == 0 {
            return true;
        }
        let since = now.saturating_sub(self.window_secs);
        let mut seen = 0;
        for e in v.events() {
            if e.kind != self.event || e.at < since {
                continue;
            }
            let about = |want: Option<u32>, have: Option<u32>| want.is_none() || want == have;
            let listed = |want: Option<u32>, have: &[u32]| want.is_none_or(|w| have.contains(&w));
            if about(self.product, e.product)
                && about(self.product_type, e.product_type)
                && about(self.vendor, e.vendor)
                && listed(self.collection, v.collections(e))
                && listed(self.tag, v.tags(e))
            {
                seen += 1;
                if seen >= self.at_least {
                    return true;
                }
            }
        }
        false
    }
}
