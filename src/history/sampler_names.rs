//! Which stored sampler names a `sampler:` search means. The history stores Nurie's sampler id
//! (`euler_a`, `dpmpp_2m_karras`), or A1111's own name for a sampler Nurie does not have.

use crate::metadata::sampler_from_a1111;
use crate::vocabulary::{Choice, SamplerKind};

/// The lowercase sampler names that `text` matches: the text itself; the Nurie id it names; the ids
/// A1111's sampler name stands for (`DPM++ 2M` is both `dpmpp_2m` and `dpmpp_2m_karras`, the menu
/// entry being the same since A1111 1.9 moved the schedule to its own menu); and the id an old-style
/// A1111 name with its schedule (`DPM++ 2M Karras`) maps to exactly.
pub fn sampler_candidates(text: &str) -> Vec<String> {
    let text = text.trim();
    let mut names = vec![text.to_lowercase()];
    let family = SamplerKind::ALL.iter().filter(|kind| kind.a1111_infotext().0.eq_ignore_ascii_case(text));
    names.extend(family.map(|kind| kind.id().to_string()));
    if let Ok(exact) = sampler_from_a1111(text, None, None)
        && exact.warning.is_none()
    {
        names.push(exact.kind.id().to_string());
    }
    let mut unique = Vec::new();
    for name in names {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_a1111_names_map_to_the_stored_names() {
        assert_eq!(sampler_candidates("euler_a"), ["euler_a"]);
        assert_eq!(sampler_candidates("Euler a"), ["euler a", "euler_a"]);
        assert_eq!(sampler_candidates("Euler"), ["euler"]);
        assert_eq!(sampler_candidates("DPM++ 2M Karras"), ["dpm++ 2m karras", "dpmpp_2m_karras"]);
        assert_eq!(sampler_candidates("dpm++ 2m"), ["dpm++ 2m", "dpmpp_2m", "dpmpp_2m_karras"]);
        assert_eq!(sampler_candidates(" DPM adaptive "), ["dpm adaptive"]);
    }
}
