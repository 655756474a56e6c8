use super::*;

fn tag_args(prompt: &str) -> Vec<(String, Vec<String>)> {
    parse_prompt(prompt).tags.into_iter().map(|tag| (tag.kind, tag.args)).collect()
}

fn lora(prompt: &str) -> Result<LoraWeights, NetworkArgsError> {
    match parse_prompt(prompt).tags.as_slice() {
        [tag] => tag.lora_weights(),
        tags => panic!("{prompt}: {} tags", tags.len()),
    }
}

fn weights(name: &str, te: f64, unet: f64) -> LoraWeights {
    LoraWeights { name: name.to_owned(), te, unet, dyn_dim: None }
}

#[test]
fn tags_are_removed_leaving_everything_around_them() {
    let parsed = parse_prompt("1girl, flat color, <lora:flat_anime:0.8>, smile");
    assert_eq!(parsed.text, "1girl, flat color, , smile");
    assert_eq!(parsed.tags.len(), 1);
    assert_eq!(parsed.tags[0].span, 19..40);
    assert_eq!(parse_prompt("<lora:a:1><lyco:b:0.5>x").text, "x");
}

/// A1111's docstring example for `ExtraNetwork.activate`.
#[test]
fn a1111_docstring_example() {
    let parsed = parse_prompt("1girl, <hypernet:agm:1.1> <extrasupernet:master:12:13:14> <hypernet:ray>");
    assert_eq!(parsed.text, "1girl,   ");
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        tag_args("1girl, <hypernet:agm:1.1> <extrasupernet:master:12:13:14> <hypernet:ray>"),
        vec![
            ("hypernet".to_owned(), strings(&["agm", "1.1"])),
            ("extrasupernet".to_owned(), strings(&["master", "12", "13", "14"])),
            ("hypernet".to_owned(), strings(&["ray"])),
        ]
    );
    let hypernets: Vec<_> = parsed.tags.iter().filter(|t| t.network_kind() == NetworkKind::Hypernet).collect();
    assert_eq!(hypernets[0].hypernet_weights(), Ok(HypernetWeights { name: "agm".into(), multiplier: 1.1 }));
    assert_eq!(hypernets[1].hypernet_weights(), Ok(HypernetWeights { name: "ray".into(), multiplier: 1.0 }));
    assert_eq!(parsed.tags[1].network_kind(), NetworkKind::Other);
}

#[test]
fn what_re_extra_net_does_not_match_stays_text() {
    for prompt in ["<lora:>", "<:x>", "<lo ra:x>", "a <lora:x", "<lora x:1>", "a > b <", "<>"] {
        let parsed = parse_prompt(prompt);
        assert_eq!((parsed.text.as_str(), parsed.tags.len()), (prompt, 0), "{prompt}");
    }
}

#[test]
fn args_run_to_the_first_close_and_may_hold_anything_else() {
    assert_eq!(parse_prompt("<lora:a<lora:b:1>c").text, "c");
    assert_eq!(tag_args("<lora:a<lora:b:1>")[0].1, ["a<lora", "b", "1"]);
    assert_eq!(parse_prompt("x<lora:a\nb:1>y").text, "xy");
    assert_eq!(parse_prompt("<<lora:a:1>").text, "<");
}

#[test]
fn any_kind_is_removed_even_unknown_ones() {
    assert_eq!(parse_prompt("cute <o:)> cat <LORA:x:1>").text, "cute  cat ");
    assert_eq!(parse_prompt("<猫:耳>").tags[0].kind, "猫");
}

#[test]
fn lora_multipliers_default_and_follow_a1111() {
    assert_eq!(lora("<lora:flat:0.8>"), Ok(weights("flat", 0.8, 0.8)));
    assert_eq!(lora("<lora:flat>"), Ok(weights("flat", 1.0, 1.0)));
    assert_eq!(lora("<lora:flat:0.5:0.25>"), Ok(weights("flat", 0.5, 0.25)));
    assert_eq!(lora("<lyco:flat:0.7>"), Ok(weights("flat", 0.7, 0.7)));
    // unet defaults to te *after* te= has overridden it.
    assert_eq!(lora("<lora:flat:0.5:te=0.2>"), Ok(weights("flat", 0.2, 0.2)));
    assert_eq!(lora("<lora:flat:unet=0.3:1>"), Ok(weights("flat", 1.0, 0.3)));
    assert_eq!(lora("<lora:flat:1:2:dyn=8>"), Ok(LoraWeights { dyn_dim: Some(8), ..weights("flat", 1.0, 2.0) }));
    assert_eq!(lora("<lora:flat: -1 >"), Ok(weights("flat", -1.0, -1.0)));
}

#[test]
fn named_arguments_are_those_with_exactly_one_equals_sign() {
    let parsed = parse_prompt("<lora:a=b=c:te=1:x=2:te=3:=>");
    let params = parsed.tags[0].params();
    assert_eq!(params.positional, ["a=b=c"]);
    assert_eq!(
        params.named,
        [("te".to_owned(), "3".to_owned()), ("x".to_owned(), "2".to_owned()), (String::new(), String::new())]
    );
    assert_eq!(lora("<lora:a=b=c:te=1:x=2:te=3:=>"), Ok(weights("a=b=c", 3.0, 3.0)));
}

#[test]
fn malformed_lora_arguments_are_python_errors() {
    assert_eq!(lora("<lora:te=1>"), Err(NetworkArgsError::MissingName { kind: "lora".into() }));
    assert_eq!(lora("<lora:x:abc>"), Err(NetworkArgsError::NotAFloat("abc".into())));
    // The positional te is converted before te= is looked at, so it fails even though te= would win.
    assert_eq!(lora("<lora:x:abc:te=1>"), Err(NetworkArgsError::NotAFloat("abc".into())));
    assert_eq!(lora("<lora:x:1:1:4.0>"), Err(NetworkArgsError::NotAnInt("4.0".into())));
    assert_eq!(lora("<lora::1>"), Ok(weights("", 1.0, 1.0)));
    assert_eq!(NetworkArgsError::NotAFloat("abc".into()).to_string(), "could not convert string to float: 'abc'");
}

#[test]
fn loras_activate_kind_by_kind_in_first_appearance_order() {
    let parsed = parse_prompt("<lyco:a:1><lora:b:1><hypernet:h><lyco:c:1><lora:d:1>");
    let names: Vec<&str> = lora_activation_order(&parsed.tags).iter().map(|tag| tag.args[0].as_str()).collect();
    assert_eq!(names, ["a", "c", "b", "d"]);
}
