use super::*;

/// The schedule as `(end_at_step, text)` pairs, for comparing with A1111's printed lists.
fn schedule(prompt: &str, steps: ScheduleSteps) -> Vec<(u32, String)> {
    match prompt_schedule(prompt, steps) {
        Ok(entries) => entries.into_iter().map(|entry| (entry.end_at_step, entry.text)).collect(),
        Err(error) => panic!("{prompt:?}: {error}"),
    }
}

/// A1111's doctest helper `g = lambda p: get_learned_conditioning_prompt_schedules([p], 10)[0]`.
fn g(prompt: &str) -> Vec<(u32, String)> {
    schedule(prompt, ScheduleSteps::new(10))
}

/// The hires doctests' `get_learned_conditioning_prompt_schedules([p], 10, 10)[0]`.
fn g_hires(prompt: &str) -> Vec<(u32, String)> {
    schedule(prompt, ScheduleSteps { base_steps: 10, hires_steps: Some(10), use_old_scheduling: false })
}

fn pairs(expected: &[(u32, &str)]) -> Vec<(u32, String)> {
    expected.iter().map(|&(step, text)| (step, text.to_owned())).collect()
}

// --- A1111's doctests of `get_learned_conditioning_prompt_schedules`, in their order. ---

#[test]
fn doctest_plain_prompt() {
    assert_eq!(g("test"), pairs(&[(10, "test")]));
}

#[test]
fn doctest_to_after_step() {
    assert_eq!(g("a [b:3]"), pairs(&[(3, "a "), (10, "a b")]));
}

#[test]
fn doctest_space_before_step() {
    assert_eq!(g("a [b: 3]"), pairs(&[(3, "a "), (10, "a b")]));
}

#[test]
fn doctest_nested_emphasis_inside_edit() {
    assert_eq!(g("a [[[b]]:2]"), pairs(&[(2, "a "), (10, "a [[b]]")]));
}

#[test]
fn doctest_weighted_emphasis_inside_edit() {
    assert_eq!(g("[(a:2):3]"), pairs(&[(3, ""), (10, "(a:2)")]));
}

#[test]
fn doctest_spaces_around_from_and_to() {
    assert_eq!(g("a [b : c : 1] d"), pairs(&[(1, "a b  d"), (10, "a  c  d")]));
}

#[test]
fn doctest_nested_edits() {
    assert_eq!(g("a[b:[c:d:2]:1]e"), pairs(&[(1, "abe"), (2, "ace"), (10, "ade")]));
}

#[test]
fn doctest_unbalanced_bracket_is_text() {
    assert_eq!(g("a [unbalanced"), pairs(&[(10, "a [unbalanced")]));
}

#[test]
fn doctest_fraction_of_steps() {
    assert_eq!(g("a [b:.5] c"), pairs(&[(5, "a  c"), (10, "a b c")]));
}

/// The doctest reads `[[5, 'a  c'], [10, 'a {b|d{ c']]` under the comment "not handling this right now",
/// but it is stale: since alternation took `|` out of plain text, lark rejects this prompt and A1111
/// (webui's pinned lark 1.1.2, checked) returns it whole. A1111's behaviour is reproduced, not the comment.
#[test]
fn doctest_bar_in_edit_rejects_the_prompt() {
    assert_eq!(g("a [{b|d{:.5] c"), pairs(&[(10, "a [{b|d{:.5] c")]));
}

#[test]
fn doctest_stray_brackets_before_an_edit() {
    assert_eq!(g("((a][:b:c [d:3]"), pairs(&[(3, "((a][:b:c "), (10, "((a][:b:c d")]));
}

#[test]
fn doctest_alternation_with_emphasis() {
    let expected = (1..=10).map(|step| (step, if step % 2 == 1 { "a" } else { "(b:1.1)" })).collect::<Vec<_>>();
    assert_eq!(g("[a|(b:1.1)]"), pairs(&expected));
}

#[test]
fn doctest_alternation_with_empty_option() {
    let expected = (1..=10).map(|step| (step, if step % 2 == 1 { "female" } else { "male" })).collect::<Vec<_>>();
    assert_eq!(g("[fe|]male"), pairs(&expected));
}

#[test]
fn doctest_alternation_with_several_empty_options() {
    let expected = (1..=10).map(|step| (step, if step % 4 == 1 { "female" } else { "male" })).collect::<Vec<_>>();
    assert_eq!(g("[fe|||]male"), pairs(&expected));
}

#[test]
fn doctest_hires_fraction_below_one_is_the_first_pass() {
    assert_eq!(g_hires("a [b:.5] c"), pairs(&[(10, "a b c")]));
}

#[test]
fn doctest_hires_fraction_above_one() {
    assert_eq!(g_hires("a [b:1.5] c"), pairs(&[(5, "a  c"), (10, "a b c")]));
}

/// The example in the comment at the top of `prompt_parser.py` (steps=100).
#[test]
fn module_comment_example() {
    let prompt = "fantasy landscape with a [mountain:lake:0.25] and [an oak:a christmas tree:0.75][ in foreground::0.6][ in background:0.25] [shoddy:masterful:0.5]";
    assert_eq!(
        schedule(prompt, ScheduleSteps::new(100)),
        pairs(&[
            (25, "fantasy landscape with a mountain and an oak in foreground shoddy"),
            (50, "fantasy landscape with a lake and an oak in foreground in background shoddy"),
            (60, "fantasy landscape with a lake and an oak in foreground in background masterful"),
            (75, "fantasy landscape with a lake and an oak in background masterful"),
            (100, "fantasy landscape with a lake and a christmas tree in background masterful"),
        ])
    );
}

/// The docstring of `get_learned_conditioning`: `a [blue:green:5] jeweled crown` at 20 steps ends at 5 and 20.
#[test]
fn get_learned_conditioning_docstring_example() {
    assert_eq!(
        schedule("a [blue:green:5] jeweled crown", ScheduleSteps::new(20)),
        pairs(&[(5, "a blue jeweled crown"), (20, "a green jeweled crown")])
    );
}

// --- Quirks, each checked against A1111's parser. ---

#[test]
fn fraction_is_truncated_after_f64_multiplication() {
    // 0.29 · 100 = 28.999999999999996 in f64, truncated to 28.
    assert_eq!(schedule("[a:b:0.29]", ScheduleSteps::new(100)), pairs(&[(28, "a"), (100, "b")]));
}

#[test]
fn fraction_above_one_clamps_to_the_steps() {
    assert_eq!(g("[a:b:1.5]"), pairs(&[(10, "a")]));
}

#[test]
fn step_below_one_shows_to_everywhere() {
    assert_eq!(g("x[a:b:0]"), pairs(&[(10, "xb")]));
    assert_eq!(g("x[a:b:-3]"), pairs(&[(10, "xb")]));
    assert_eq!(g("x[a:b:0.01]"), pairs(&[(10, "xb")]));
}

#[test]
fn number_forms_of_lark_signed_number() {
    assert_eq!(g("[a:b:1e0]"), pairs(&[(1, "a"), (10, "b")]));
    assert_eq!(g("[a:b:+2 ]"), pairs(&[(2, "a"), (10, "b")]));
    assert_eq!(g("[a:b:2.]"), pairs(&[(10, "a")]));
    // Not a number for lark: the brackets are text.
    for prompt in ["[a:b:3b]", "[a:b:1.5.5]", "[a:b:]", "[a:b:+]", "[a:b:１]"] {
        assert_eq!(g(prompt), pairs(&[(10, prompt)]), "{prompt}");
    }
}

#[test]
fn old_scheduling_fraction_below_one_only() {
    let old = ScheduleSteps { base_steps: 10, hires_steps: Some(30), use_old_scheduling: true };
    assert_eq!(schedule("[a:b:0.5]", old), pairs(&[(5, "a"), (10, "b")]));
    assert_eq!(schedule("[a:b:1.5]", old), pairs(&[(1, "a"), (10, "b")]));
}

#[test]
fn hires_integer_step_counts_from_the_first_pass() {
    let hires = ScheduleSteps { base_steps: 20, hires_steps: Some(10), use_old_scheduling: false };
    assert_eq!(schedule("[a:b:25]", hires), pairs(&[(5, "a"), (10, "b")]));
}

#[test]
fn a_bar_outside_an_alternation_rejects_the_whole_prompt() {
    for prompt in ["a | b [c:2]", "[a|b:1]", "[a|b", "(a|b) [c:2]"] {
        assert_eq!(g(prompt), pairs(&[(10, prompt)]), "{prompt}");
    }
}

#[test]
fn a_backslash_at_the_end_or_before_a_newline_rejects_the_prompt() {
    for prompt in ["[a:2] \\", "[a:2] \\\nb"] {
        assert_eq!(g(prompt), pairs(&[(10, prompt)]), "{prompt:?}");
    }
}

#[test]
fn escapes_stay_in_the_text() {
    assert_eq!(g("\\[a:2\\] [b\\:c:2]"), pairs(&[(2, "\\[a:2\\] "), (10, "\\[a:2\\] b\\:c")]));
}

#[test]
fn alternation_anywhere_makes_every_step_a_boundary() {
    let schedule = g("[[a|b]:c:0]");
    assert_eq!(schedule.len(), 10);
    assert!(schedule.iter().all(|(_, text)| text == "c"));
}

#[test]
fn malformed_group_leaves_inner_edits_at_the_top_level() {
    assert_eq!(g("[x [a:2] : y]"), pairs(&[(2, "[x  : y]"), (10, "[x a : y]")]));
}

#[test]
fn infinite_step_is_an_error_as_in_python() {
    assert_eq!(
        prompt_schedule("[a:b:1e999]", ScheduleSteps::new(10)),
        Err(ScheduleError::InfiniteStep { number: "1e999".into() })
    );
}

#[test]
fn deep_edits_are_refused_and_deep_emphasis_is_not() {
    let deep = format!("{}b{}", "[a:".repeat(MAX_EDIT_DEPTH + 1), ":1]".repeat(MAX_EDIT_DEPTH + 1));
    assert_eq!(prompt_schedule(&deep, ScheduleSteps::new(10)), Err(ScheduleError::TooDeep));
    let emphasis = format!("{}[a:b:2]{}", "(".repeat(5000), ")".repeat(5000));
    assert_eq!(prompt_schedule(&emphasis, ScheduleSteps::new(10)).map(|s| s.len()), Ok(2));
}
