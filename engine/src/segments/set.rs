//! A shop's segments in dependency order, evaluated together per visitor.

use std::collections::HashMap;

use super::ast::Rule;
use super::compile::{CompileError, Compiled, compile};
use super::visitor::Visitor;
use super::vocab::Vocabulary;

/// A segment's place in its [`SegmentSet`]: segments come after every segment they refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SegmentIndex(pub u32);

impl SegmentIndex {
    fn at(self) -> (usize, u64) {
        let i = self.0 as usize;
        (i / 64, 1u64 << (i % 64))
    }
}

/// Which segments of a set a visitor is in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    words: Vec<u64>,
}

impl Membership {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn contains(&self, index: SegmentIndex) -> bool {
        let (word, bit) = index.at();
        self.words.get(word).is_some_and(|w| w & bit != 0)
    }

    pub fn insert(&mut self, index: SegmentIndex) {
        let (word, bit) = index.at();
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        if let Some(w) = self.words.get_mut(word) {
            *w |= bit;
        }
    }

    pub fn clear(&mut self) {
        self.words.iter_mut().for_each(|w| *w = 0);
    }

    pub fn iter(&self) -> impl Iterator<Item = SegmentIndex> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &bits)| {
            (0..64u32)
                .filter(move |b| bits & (1u64 << b) != 0)
                .map(move |b| SegmentIndex(w as u32 * 64 + b))
        })
    }

    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }
}

/// Why a set could not be built, and which segment's rule is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetError {
    pub segment: String,
    pub error: CompileError,
}

impl std::fmt::Display for SetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "segment '{}': {}", self.segment, self.error)
    }
}

impl std::error::Error for SetError {}

/// One shop's compiled segments.
#[derive(Debug, Clone, Default)]
pub struct SegmentSet {
    ids: Vec<String>,
    rules: Vec<Compiled>,
    index: HashMap<String, SegmentIndex>,
}

impl SegmentSet {
    /// Orders segments so each comes after those it refers to (otherwise keeping the given
    /// order), rejecting unknown references, duplicate ids and cycles, and compiles them.
    pub fn build<'a>(
        segments: impl IntoIterator<Item = (&'a str, &'a Rule)>,
        vocab: &mut Vocabulary,
    ) -> Result<SegmentSet, SetError> {
        let defs: Vec<(&str, &Rule)> = segments.into_iter().collect();
        let mut position = HashMap::with_capacity(defs.len());
        for (i, (id, _)) in defs.iter().enumerate() {
            if position.insert(*id, i).is_some() {
                return Err(SetError {
                    segment: (*id).to_owned(),
                    error: CompileError::DuplicateSegment((*id).to_owned()),
                });
            }
        }
        let mut edges = Vec::with_capacity(defs.len());
        for (id, rule) in &defs {
            let mut refs = Vec::new();
            references(rule, &mut refs);
            let targets = refs
                .into_iter()
                .map(|r| {
                    position.get(r).copied().ok_or_else(|| SetError {
                        segment: (*id).to_owned(),
                        error: CompileError::UnknownSegment(r.to_owned()),
                    })
                })
                .collect::<Result<Vec<usize>, _>>()?;
            edges.push(targets);
        }
        let order = dependency_order(&edges).map_err(|cycle| {
            let path: Vec<String> = cycle.iter().map(|&i| defs[i].0.to_owned()).collect();
            SetError {
                segment: path.first().cloned().unwrap_or_default(),
                error: CompileError::Cycle(path),
            }
        })?;
        let mut set = SegmentSet::default();
        for i in order {
            let (id, rule) = defs[i];
            let compiled = compile(rule, vocab, |r| set.index_of(r)).map_err(|error| SetError {
                segment: id.to_owned(),
                error,
            })?;
            let index = SegmentIndex(u32::try_from(set.ids.len()).unwrap_or(u32::MAX));
            set.index.insert(id.to_owned(), index);
            set.ids.push(id.to_owned());
            set.rules.push(compiled);
        }
        Ok(set)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Segment ids in evaluation order: position `i` is `SegmentIndex(i)`.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    pub fn index_of(&self, id: &str) -> Option<SegmentIndex> {
        self.index.get(id).copied()
    }

    pub fn id(&self, index: SegmentIndex) -> Option<&str> {
        self.ids.get(index.0 as usize).map(String::as_str)
    }

    /// Every segment of the set, for one visitor at `now` (unix seconds).
    pub fn evaluate(&self, v: &Visitor, now: i64) -> Membership {
        let mut out = Membership::new();
        self.evaluate_into(v, now, &mut out);
        out
    }

    /// [`SegmentSet::evaluate`] into a reused bitset.
    pub fn evaluate_into(&self, v: &Visitor, now: i64, out: &mut Membership) {
        out.clear();
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.matches(v, now, out) {
                out.insert(SegmentIndex(i as u32));
            }
        }
    }

    /// How many visitors a rule compiled against this set (a draft being edited) matches,
    /// evaluating only the segments it depends on.
    pub fn count<'v>(
        &self,
        draft: &Compiled,
        visitors: impl IntoIterator<Item = &'v Visitor>,
        now: i64,
    ) -> u64 {
        let needed = self.closure(draft);
        let mut earlier = Membership::new();
        let mut count = 0;
        for v in visitors {
            earlier.clear();
            for &i in &needed {
                if let Some(rule) = self.rules.get(i.0 as usize)
                    && rule.matches(v, now, &earlier)
                {
                    earlier.insert(i);
                }
            }
            count += u64::from(draft.matches(v, now, &earlier));
        }
        count
    }

    /// The segments `draft` depends on, directly or not, in evaluation order.
    fn closure(&self, draft: &Compiled) -> Vec<SegmentIndex> {
        let mut needed = vec![false; self.rules.len()];
        let mut stack: Vec<SegmentIndex> = draft.members().to_vec();
        while let Some(i) = stack.pop() {
            if let Some(seen) = needed.get_mut(i.0 as usize)
                && !*seen
            {
                *seen = true;
                if let Some(rule) = self.rules.get(i.0 as usize) {
                    stack.extend_from_slice(rule.members());
                }
            }
        }
        (0..self.rules.len())
            .filter(|&i| needed[i])
            .map(|i| SegmentIndex(i as u32))
            .collect()
    }
}

/// Segment ids a rule refers to.
pub fn references<'r>(rule: &'r Rule, out: &mut Vec<&'r str>) {
    match rule {
        Rule::All(rules) | Rule::Any(rules) => rules.iter().for_each(|r| references(r, out)),
        Rule::Not(r) => references(r, out),
        Rule::Member(id) => out.push(id),
        Rule::Compare { .. } | Rule::Affinity { .. } | Rule::Behaviour(_) => {}
    }
}

/// Post-order depth-first search, iterative so a long chain of memberships cannot overflow
/// the stack. Returns the nodes along a cycle when there is one.
fn dependency_order(edges: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    let mut state = vec![State::New; edges.len()];
    let mut order = Vec::with_capacity(edges.len());
    for root in 0..edges.len() {
        if state[root] != State::New {
            continue;
        }
        state[root] = State::Open;
        let mut stack = vec![(root, 0usize)];
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            match edges[node].get(*next) {
                Some(&child) => {
                    *next += 1;
                    match state[child] {
                        State::New => {
                            state[child] = State::Open;
                            stack.push((child, 0));
                        }
                        State::Open => {
                            let from = stack.iter().position(|&(n, _)| n == child).unwrap_or(0);
                            let mut cycle: Vec<usize> =
                                stack[from..].iter().map(|&(n, _)| n).collect();
                            cycle.push(child);
                            return Err(cycle);
                        }
                        State::Done => {}
                    }
                }
                None => {
                    state[node] = State::Done;
                    order.push(node);
                    stack.pop();
                }
            }
        }
    }
    Ok(order)
}
