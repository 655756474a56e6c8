//! [`Choice`]: what every enum of the vocabulary can say about itself, and how text becomes one.

/// A closed set of named options. Text is read case-insensitively, with surrounding spaces ignored, as
/// an id, a label or an alias; the error names what would have been accepted.
pub trait Choice: Copy + PartialEq + Sized + 'static {
    /// What the option is called in messages ("sampler", "control mode").
    const WHAT: &'static str;
    /// Every option, in the order menus show them.
    const ALL: &'static [Self];

    /// The short lower-case id for the command line and settings files.
    fn id(self) -> &'static str;

    /// The label A1111 (or sd-webui-controlnet) shows and writes.
    fn label(self) -> &'static str;

    /// Other spellings that name this option (older labels, other tools' names).
    fn aliases(self) -> &'static [&'static str] {
        &[]
    }

    /// The option `text` names, if any.
    fn find(text: &str) -> Option<Self> {
        let wanted = text.trim();
        let names = |choice: Self| [choice.id(), choice.label()].into_iter().chain(choice.aliases().iter().copied());
        Self::ALL.iter().copied().find(|&choice| names(choice).any(|name| name.eq_ignore_ascii_case(wanted)))
    }

    /// The option `text` names, or an error that lists the accepted names.
    fn parse_choice(text: &str) -> Result<Self, UnknownChoice> {
        Self::find(text).ok_or_else(|| UnknownChoice::of::<Self>(text))
    }

    /// As [`Choice::find`], also accepting the option's position (`0`, `1`, …), which infotexts made
    /// through sd-webui-controlnet's API contain instead of labels.
    fn find_name_or_index(text: &str) -> Option<Self> {
        let by_index = text.trim().parse::<usize>().ok().and_then(|index| Self::ALL.get(index).copied());
        by_index.or_else(|| Self::find(text))
    }
}

/// Text that names none of a [`Choice`]'s options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}`; accepted: {accepted}")]
pub struct UnknownChoice {
    pub what: &'static str,
    pub name: String,
    /// The labels (quoted) and ids of every option.
    pub accepted: String,
}

impl UnknownChoice {
    pub fn of<C: Choice>(name: &str) -> Self {
        let labels = C::ALL.iter().map(|choice| format!("\"{}\"", choice.label()));
        let ids = C::ALL.iter().map(|choice| choice.id().to_string());
        let accepted = labels.chain(ids).collect::<Vec<_>>().join(", ");
        UnknownChoice { what: C::WHAT, name: name.to_string(), accepted }
    }
}

/// `FromStr` (through [`Choice::parse_choice`]) and `Display` (the label) for a vocabulary enum.
macro_rules! text_forms {
    ($choice:ty) => {
        impl std::str::FromStr for $choice {
            type Err = $crate::vocabulary::UnknownChoice;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$choice as $crate::vocabulary::Choice>::parse_choice(text)
            }
        }

        impl std::fmt::Display for $choice {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::vocabulary::Choice::label(*self))
            }
        }
    };
}
pub(crate) use text_forms;

/// Checks every vocabulary enum against the rules [`Choice`] relies on.
#[cfg(test)]
pub(crate) fn assert_well_formed<C: Choice + std::fmt::Debug>() {
    let mut names: Vec<String> = Vec::new();
    for &choice in C::ALL {
        assert_eq!(C::find(choice.id()), Some(choice), "{choice:?} by id");
        assert_eq!(C::find(&format!(" {} ", choice.label().to_uppercase())), Some(choice), "{choice:?} by label");
        for alias in choice.aliases() {
            assert_eq!(C::find(alias), Some(choice), "{choice:?} by alias {alias}");
        }
        // `+` for `adain+attn`, the command line's name for sd-webui-controlnet's `reference_adain+attn`.
        let id_character = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || ['_', '-', '+'].contains(&c);
        assert!(choice.id().chars().all(id_character), "{choice:?}: id {}", choice.id());
        let own: Vec<String> = [choice.id(), choice.label()].iter().map(|n| n.to_lowercase()).collect();
        names.extend(own.into_iter().collect::<std::collections::BTreeSet<_>>());
    }
    let unique: std::collections::BTreeSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "two options of {} share a name: {names:?}", C::WHAT);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::ControlMode;

    #[test]
    fn unknown_text_lists_every_label_and_id() {
        let error = ControlMode::parse_choice("strong").unwrap_err();
        assert_eq!(error.what, "control mode");
        let message = error.to_string();
        assert!(message.contains("`strong`"), "{message}");
        for &mode in ControlMode::ALL {
            assert!(message.contains(mode.label()) && message.contains(mode.id()), "{message}");
        }
        assert!(ControlMode::parse_choice("").is_err());
    }

    #[test]
    fn positions_are_read_where_asked_for() {
        assert_eq!(ControlMode::find_name_or_index("2"), Some(ControlMode::ControlNetMoreImportant));
        assert_eq!(ControlMode::find_name_or_index("3"), None);
        assert_eq!(ControlMode::find("2"), None);
    }
}
