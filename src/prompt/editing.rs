//! A1111's prompt editing and alternation, reproduced from AUTOMATIC1111 stable-diffusion-webui's
//! `modules/prompt_parser.py` (`get_learned_conditioning_prompt_schedules` and its lark grammar).
//!
//! - `[from:to:when]` shows `from` up to step `when`, then `to`; `[to:when]` adds `to` after `when`;
//!   `[from::when]` removes `from` after `when`.
//! - `when` is a step count, or, when its text has a `.`, a fraction of the steps (`0.25`, `.5`, `1.5`).
//! - `[a|b|c]` alternates every step (`[fe|]male`: empty alternatives are allowed).
//! - Everything else, emphasis included, is copied verbatim: emphasis is parsed later, on each scheduled
//!   text. Escapes (`\[`, `\:`, `\|`, …) stay in the text, backslash and all.
//!
//! The result is a list of `(end_at_step, text)` pairs; see [`prompt_schedule`] for how a sampler loop
//! uses them.
//!
//! A1111's quirks kept on purpose:
//! - the step is `min(steps, int(v))` with `v` computed in `f64` exactly as Python does, then truncated:
//!   `[a:b:0.29]` at 100 steps switches after step 28 (`0.29·100 = 28.999999999999996`);
//! - with `.` in the number it is `(v − 1)·hires_steps` in the hires pass, else `v − base_steps`; a step
//!   below 1 adds no boundary, and that edit then shows `to` at every step;
//! - "Use old prompt editing timelines" (`use_old_scheduling`): `v < 1` is a fraction, anything else a step
//!   count, and the hires pass is scheduled like the first pass;
//! - any alternation anywhere, even inside a branch that never shows, makes every step a boundary;
//! - a prompt the grammar rejects is used whole, as one entry: a `|` outside a well-formed `[…|…]`
//!   (`a | b`, `[a|b:1]`), a backslash at the very end or before a line break;
//! - malformed brackets are text: `a [unbalanced`, `((a][:b:c [d:3]`, `[a:1.5.5]`, `[a:3b]`;
//! - the number is lark's `SIGNED_NUMBER` (ASCII digits, optional sign, `1.`, `.5`, exponent), with
//!   optional whitespace around it: `[b: 3 ]`.
//!
//! One place where A1111 has no single answer: when stray brackets sit next to a well-formed edit
//! (`:[a:5][`, `[a][b:1][`), lark's Earley parser finds both "the edit" and "all text" parses, and which
//! it keeps depends on Python's per-process string hash seed, so the same prompt gives different pictures
//! in different A1111 runs. Here a well-formed `[…]` is always an edit, which is also what every one of
//! A1111's own examples shows. A1111 raises (RecursionError) on edits nested ~300 deep; here editing
//! nested deeper than [`MAX_EDIT_DEPTH`] is an error too.

use std::collections::BTreeSet;
use std::ops::Range;

use thiserror::Error;

use super::emphasis::is_py_space;

/// Prompt edits and alternations nested deeper than this are refused (A1111 itself fails from ~250).
pub const MAX_EDIT_DEPTH: usize = 200;

/// The step counts a schedule is built for: A1111's `base_steps`, `hires_steps` and the "Use old prompt
/// editing timelines" setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleSteps {
    /// The sampler's step count. A1111 passes `total_steps`, which is twice the steps for its
    /// second-order samplers (DPM2, DPM2 a, Heun, DPM++ 2S a, DPM++ SDE…), as each step calls the model
    /// twice and the conditioning's step counter advances per model call.
    pub base_steps: u32,
    /// `Some(hires steps)` for the schedule of a hires-fix second pass.
    pub hires_steps: Option<u32>,
    pub use_old_scheduling: bool,
}

impl ScheduleSteps {
    /// A first-pass schedule with the current (non-legacy) timeline.
    pub fn new(base_steps: u32) -> Self {
        Self { base_steps, hires_steps: None, use_old_scheduling: false }
    }

    /// The steps the schedule spans and the offsets of integer and fractional `when`s.
    fn frame(self) -> Frame {
        match self.hires_steps {
            Some(hires) if !self.use_old_scheduling => {
                Frame { steps: hires, int_offset: f64::from(self.base_steps), float_offset: 1.0, old: false }
            }
            _ => Frame { steps: self.base_steps, int_offset: 0.0, float_offset: 0.0, old: self.use_old_scheduling },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    steps: u32,
    int_offset: f64,
    float_offset: f64,
    old: bool,
}

/// One entry of a schedule: `text` is the prompt up to and including sampler step `end_at_step`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledText {
    pub end_at_step: u32,
    pub text: String,
}

/// Where A1111 raises instead of scheduling.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleError {
    /// `int()` of an infinite step, e.g. `[a:b:1e999]`; the message is Python's.
    #[error("cannot convert float infinity to integer (the step '{number}' of a prompt edit)")]
    InfiniteStep { number: String },
    /// A1111 runs out of Python recursion on deeply nested edits; so does this parser, on purpose.
    #[error("prompt editing is nested more than {MAX_EDIT_DEPTH} deep")]
    TooDeep,
}

/// A1111's `get_learned_conditioning_prompt_schedules([prompt], …)[0]`: the texts of `prompt` over the
/// sampling steps, as `(end_at_step, text)` entries with increasing steps, the last one at the step count.
///
/// How a sampler loop uses it (A1111's `reconstruct_cond_batch`): the model call number `current_step`,
/// counted from 0 and advanced by every call of the model (twice a step for second-order samplers), uses
/// the first entry with `current_step <= end_at_step`. So `[a:b:3]` at 10 steps gives `[(3, a), (10, b)]`
/// and `a` conditions calls 0, 1, 2 *and* 3; `[a|b]` gives `[(1, a), (2, b), (3, a), …]` and calls 0
/// and 1 both use `a`. A1111 encodes every entry's text (in one batch). Extra-network tags are removed before this
/// (see `extra_networks`), A1111's `AND` splits before this (see `composable`), and emphasis is parsed on
/// each scheduled text after it. The negative prompt is scheduled the same way.
pub fn prompt_schedule(prompt: &str, steps: ScheduleSteps) -> Result<Vec<ScheduledText>, ScheduleError> {
    let frame = steps.frame();
    let Some(nodes) = parse(prompt)? else {
        return Ok(vec![ScheduledText { end_at_step: frame.steps, text: prompt.to_owned() }]);
    };
    let nodes = resolve_steps(prompt, nodes, frame)?;
    let mut boundaries = BTreeSet::from([frame.steps]);
    collect_boundaries(&nodes, frame.steps, &mut boundaries);
    Ok(boundaries.into_iter().map(|step| ScheduledText { end_at_step: step, text: render(prompt, &nodes, step) }).collect())
}

// ---------------------------------------------------------------------------------------------
// The parsed prompt: text spans, edits and alternations.
// ---------------------------------------------------------------------------------------------

/// A piece of the prompt. `W` is the edit's step: its number's text while parsing, then the step.
#[derive(Debug, Clone, PartialEq)]
enum Node<W> {
    Text(Range<usize>),
    Edit { before: Option<Vec<Node<W>>>, after: Vec<Node<W>>, when: W },
    Alternate(Vec<Vec<Node<W>>>),
}

/// `Ok(None)` where lark rejects the prompt (then A1111 uses it whole).
fn parse(prompt: &str) -> Result<Option<Vec<Node<Range<usize>>>>, ScheduleError> {
    let Some(tokens) = structural_tokens(prompt) else { return Ok(None) };
    let groups = Groups::match_brackets(prompt, &tokens);
    if groups.has_stray_bar(&tokens) {
        return Ok(None);
    }
    let top: Vec<usize> = (0..groups.list.len()).filter(|&g| groups.is_outermost_valid(g)).collect();
    groups.build(0..prompt.len(), &top, 0).map(Some)
}

/// The characters the grammar gives a meaning: `[ ] ( ) : |`, with their byte positions. Escaped
/// characters are plain text. `None` where lark fails to tokenize: a backslash at the end or before `\n`
/// (lark's `\\.` does not match a newline).
fn structural_tokens(prompt: &str) -> Option<Vec<(usize, char)>> {
    let mut tokens = Vec::new();
    let mut chars = prompt.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                None | Some((_, '\n')) => return None,
                Some(_) => {}
            },
            '[' | ']' | '(' | ')' | ':' | '|' => tokens.push((at, c)),
            _ => {}
        }
    }
    Some(tokens)
}

/// What a well-formed bracket group is in the grammar.
#[derive(Debug, Clone, PartialEq)]
enum GroupKind {
    /// `(…)`, `(…:…)` or `[…]`: copied verbatim.
    Verbatim,
    /// `[…:…]` or `[…:…:…]`; the range is the step number's text.
    Edit(Range<usize>),
    Alternate,
}

#[derive(Debug)]
struct Group {
    open: usize,
    square: bool,
    parent: Option<usize>,
    children: Vec<usize>,
    /// Byte positions of the `:` and `|` directly inside.
    separators: Vec<(usize, char)>,
    close: Option<usize>,
    kind: Option<GroupKind>,
}

/// Every bracket group of the prompt, matched as the grammar can match them: inside a group everything
/// must nest properly, and only the top level may hold stray brackets and colons.
struct Groups<'a> {
    prompt: &'a str,
    list: Vec<Group>,
}

impl<'a> Groups<'a> {
    fn match_brackets(prompt: &'a str, tokens: &[(usize, char)]) -> Self {
        let mut groups = Groups { prompt, list: Vec::new() };
        let mut open: Vec<usize> = Vec::new();
        for &(at, c) in tokens {
            match c {
                '[' | '(' => {
                    let index = groups.list.len();
                    let parent = open.last().copied();
                    groups.list.push(Group {
                        open: at,
                        square: c == '[',
                        parent,
                        children: Vec::new(),
                        separators: Vec::new(),
                        close: None,
                        kind: None,
                    });
                    if let Some(parent) = parent {
                        groups.list[parent].children.push(index);
                    }
                    open.push(index);
                }
                ']' | ')' => match open.last().copied() {
                    Some(top) if groups.list[top].square == (c == ']') => {
                        open.pop();
                        groups.close(top, at);
                    }
                    // A close of the wrong kind: every open group contains it and fails; the brackets
                    // become top-level text.
                    Some(_) => open.clear(),
                    None => {}
                },
                _ => {
                    if let Some(&top) = open.last() {
                        groups.list[top].separators.push((at, c));
                    }
                }
            }
        }
        groups
    }

    /// Records the close of `index` and decides what the grammar makes of the group.
    fn close(&mut self, index: usize, at: usize) {
        self.list[index].close = Some(at);
        let group = &self.list[index];
        let children_ok = group.children.iter().all(|&child| self.list[child].kind.is_some());
        let kind = if children_ok { self.kind_of(group, at) } else { None };
        self.list[index].kind = kind;
    }

    fn kind_of(&self, group: &Group, close: usize) -> Option<GroupKind> {
        let colons = group.separators.iter().filter(|(_, c)| *c == ':').count();
        let bars = group.separators.len() - colons;
        match (group.square, colons, bars) {
            (_, 0, 0) | (false, 1, 0) => Some(GroupKind::Verbatim),
            (true, 0, _) => Some(GroupKind::Alternate),
            (true, 1 | 2, 0) => {
                let last_colon = group.separators.last().map_or(group.open, |&(at, _)| at);
                let number_part = last_colon + 1..close;
                let holds_group = group.children.iter().any(|&child| self.list[child].open > last_colon);
                if holds_group { None } else { step_number(self.prompt, number_part).map(GroupKind::Edit) }
            }
            _ => None,
        }
    }

    /// A `|` that no well-formed alternation takes is a syntax error for lark.
    fn has_stray_bar(&self, tokens: &[(usize, char)]) -> bool {
        let bars = tokens.iter().filter(|(_, c)| *c == '|').count();
        let taken: usize =
            self.list.iter().filter(|group| group.kind == Some(GroupKind::Alternate)).map(|group| group.separators.len()).sum();
        bars != taken
    }

    /// A well-formed group not inside another well-formed one. (A group inside a malformed one is parsed
    /// at the top level, since the malformed one's brackets are text there.)
    fn is_outermost_valid(&self, index: usize) -> bool {
        let group = &self.list[index];
        group.kind.is_some() && group.parent.is_none_or(|parent| self.list[parent].kind.is_none())
    }

    /// The nodes of `span`, which directly holds the well-formed groups `inside` (in order). Verbatim
    /// groups are flattened into the text around them without recursion, so only edits and alternations
    /// nest (and count towards [`MAX_EDIT_DEPTH`]).
    fn build(&self, span: Range<usize>, inside: &[usize], depth: usize) -> Result<Vec<Node<Range<usize>>>, ScheduleError> {
        if depth > MAX_EDIT_DEPTH {
            return Err(ScheduleError::TooDeep);
        }
        let mut nodes = Vec::new();
        let mut cursor = span.start;
        for index in self.flatten_verbatim(inside) {
            let group = &self.list[index];
            let close = group.close.unwrap_or(group.open);
            push_text(&mut nodes, cursor..group.open);
            nodes.push(self.build_group(group, close, depth + 1)?);
            cursor = close + 1;
        }
        push_text(&mut nodes, cursor..span.end);
        Ok(nodes)
    }

    /// The edits and alternations reached from `inside` through verbatim groups, in text order.
    fn flatten_verbatim(&self, inside: &[usize]) -> Vec<usize> {
        let mut found = Vec::new();
        let mut pending: Vec<usize> = inside.iter().rev().copied().collect();
        while let Some(index) = pending.pop() {
            let group = &self.list[index];
            match group.kind {
                Some(GroupKind::Verbatim) => pending.extend(group.children.iter().rev()),
                _ => found.push(index),
            }
        }
        found
    }

    fn build_group(&self, group: &Group, close: usize, depth: usize) -> Result<Node<Range<usize>>, ScheduleError> {
        let mut segments = Vec::new();
        let mut start = group.open + 1;
        for &(at, _) in &group.separators {
            segments.push(start..at);
            start = at + 1;
        }
        segments.push(start..close);
        let mut parts = Vec::with_capacity(segments.len());
        for segment in &segments {
            let children: Vec<usize> =
                group.children.iter().copied().filter(|&child| segment.contains(&self.list[child].open)).collect();
            parts.push(self.build(segment.clone(), &children, depth)?);
        }
        Ok(match &group.kind {
            Some(GroupKind::Edit(number)) => {
                parts.pop();
                let after = parts.pop().unwrap_or_default();
                Node::Edit { before: parts.pop(), after, when: number.clone() }
            }
            _ => Node::Alternate(parts),
        })
    }
}

fn push_text<W>(nodes: &mut Vec<Node<W>>, range: Range<usize>) {
    if !range.is_empty() {
        nodes.push(Node::Text(range));
    }
}

/// The step of an edit, `[WHITESPACE] NUMBER [WHITESPACE]`: the byte range of the number inside
/// `part`, or `None` if `part` is anything else.
fn step_number(prompt: &str, part: Range<usize>) -> Option<Range<usize>> {
    let text = &prompt[part.clone()];
    let start = text.len() - text.trim_start_matches(is_py_space).len();
    let end = text.trim_end_matches(is_py_space).len();
    let number = text.get(start..end)?;
    (signed_number_len(number) == Some(number.len())).then(|| part.start + start..part.start + end)
}

/// Length of lark's `SIGNED_NUMBER` at the start of `s`: `[+-]?` then `INT _EXP`, `DECIMAL _EXP?` or `INT`
/// (ASCII digits; `DECIMAL` is `INT "." INT?` or `"." INT`), the longest that matches.
fn signed_number_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let sign = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits = |from: usize| bytes.get(from..).map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count());
    let int = digits(sign);
    let mut end = sign + int;
    if bytes.get(end) == Some(&b'.') {
        let fraction = digits(end + 1);
        if int == 0 && fraction == 0 {
            return None;
        }
        end += 1 + fraction;
    } else if int == 0 {
        return None;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let exp_sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        let exp = digits(end + 1 + exp_sign);
        if exp > 0 {
            end += 1 + exp_sign + exp;
        }
    }
    Some(end)
}

// ---------------------------------------------------------------------------------------------
// Steps: A1111's `CollectSteps` and `AtStep`.
// ---------------------------------------------------------------------------------------------

/// Replaces each edit's number (a range of `prompt`) by its step, `min(steps, int(v))`.
fn resolve_steps(prompt: &str, nodes: Vec<Node<Range<usize>>>, frame: Frame) -> Result<Vec<Node<i64>>, ScheduleError> {
    nodes.into_iter().map(|node| resolve_node(prompt, node, frame)).collect()
}

fn resolve_node(prompt: &str, node: Node<Range<usize>>, frame: Frame) -> Result<Node<i64>, ScheduleError> {
    Ok(match node {
        Node::Text(range) => Node::Text(range),
        Node::Edit { before, after, when } => Node::Edit {
            before: before.map(|nodes| resolve_steps(prompt, nodes, frame)).transpose()?,
            after: resolve_steps(prompt, after, frame)?,
            when: step_from_number(prompt.get(when).unwrap_or_default(), frame)?,
        },
        Node::Alternate(options) => {
            Node::Alternate(options.into_iter().map(|nodes| resolve_steps(prompt, nodes, frame)).collect::<Result<_, _>>()?)
        }
    })
}

/// A1111's step arithmetic for one number (see the module docs).
fn step_from_number(number: &str, frame: Frame) -> Result<i64, ScheduleError> {
    let value: f64 = number.parse().unwrap_or(0.0);
    let steps = f64::from(frame.steps);
    let value = if frame.old {
        if value < 1.0 { value * steps } else { value }
    } else if number.contains('.') {
        (value - frame.float_offset) * steps
    } else {
        value - frame.int_offset
    };
    if !value.is_finite() {
        return Err(ScheduleError::InfiniteStep { number: number.to_owned() });
    }
    let truncated = value.trunc();
    // `as` saturates, which only matters below i64::MIN, where the step is no boundary either way.
    Ok(if truncated >= steps { i64::from(frame.steps) } else { truncated as i64 })
}

fn collect_boundaries(nodes: &[Node<i64>], steps: u32, boundaries: &mut BTreeSet<u32>) {
    for node in nodes {
        match node {
            Node::Text(_) => {}
            Node::Edit { before, after, when } => {
                if let Ok(step) = u32::try_from(*when)
                    && step >= 1
                {
                    boundaries.insert(step);
                }
                collect_boundaries(before.as_deref().unwrap_or_default(), steps, boundaries);
                collect_boundaries(after, steps, boundaries);
            }
            Node::Alternate(options) => {
                // Every boundary lies in 1..=steps, so a full set has `steps` of them: add them once.
                if usize::try_from(steps).is_ok_and(|steps| boundaries.len() < steps) {
                    boundaries.extend(1..=steps);
                }
                for option in options {
                    collect_boundaries(option, steps, boundaries);
                }
            }
        }
    }
}

/// The prompt at `step`: `before` while `step <= when`, else `after`; option `(step − 1) mod n`.
fn render(prompt: &str, nodes: &[Node<i64>], step: u32) -> String {
    let mut text = String::new();
    render_into(prompt, nodes, step, &mut text);
    text
}

fn render_into(prompt: &str, nodes: &[Node<i64>], step: u32, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(range) => out.push_str(prompt.get(range.clone()).unwrap_or_default()),
            Node::Edit { before, after, when } => {
                let shown = if i64::from(step) <= *when { before.as_deref().unwrap_or_default() } else { after };
                render_into(prompt, shown, step, out);
            }
            Node::Alternate(options) => {
                let count = i64::try_from(options.len()).unwrap_or(i64::MAX).max(1);
                let pick = usize::try_from((i64::from(step) - 1).rem_euclid(count)).unwrap_or(0);
                if let Some(option) = options.get(pick) {
                    render_into(prompt, option, step, out);
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "editing_tests.rs"]
mod tests;
