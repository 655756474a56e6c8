//! Reading A1111's sampler names: which of Nurie's samplers an infotext's `Sampler` and `Schedule type`
//! mean. The names Nurie writes are in the vocabulary ([`SamplerKind::a1111_infotext`]).
//!
//! Before A1111 1.9 there was no `Schedule type` key and `DPM++ 2M` meant the uniform schedule.

use crate::vocabulary::SamplerKind;

/// A1111 1.10's schedule types: (label, internal name, aliases), in its menu order.
const A1111_SCHEDULES: [(&str, &str, &[&str]); 12] = [
    ("Automatic", "automatic", &[]),
    ("Uniform", "uniform", &[]),
    ("Karras", "karras", &[]),
    ("Exponential", "exponential", &[]),
    ("Polyexponential", "polyexponential", &[]),
    ("SGM Uniform", "sgm_uniform", &["SGMUniform"]),
    ("KL Optimal", "kl_optimal", &[]),
    ("Align Your Steps", "align_your_steps", &[]),
    ("Simple", "simple", &[]),
    ("Normal", "normal", &[]),
    ("DDIM", "ddim", &[]),
    ("Beta", "beta", &[]),
];

/// A sampler read from an A1111 infotext.
#[derive(Debug, Clone, PartialEq)]
pub struct A1111Sampler {
    pub kind: SamplerKind,
    /// Set when the schedule had to be approximated.
    pub warning: Option<String>,
}

/// Maps A1111's `Sampler` / `Schedule type` values to a Nurie sampler, as A1111 1.10's
/// `get_sampler_and_scheduler` reads them: a schedule name at the end of the sampler name
/// (`DPM++ 2M Karras`) wins over the `Schedule type` key. Without a `Schedule type` key the text is from
/// before 1.9 (unless `Version` says otherwise), when `DPM++ 2M` meant the uniform schedule.
/// `Err` says why the sampler is not one Nurie has.
pub fn sampler_from_a1111(sampler: &str, schedule_type: Option<&str>, version: Option<&str>) -> Result<A1111Sampler, String> {
    let (base, schedule_in_name) = split_schedule_suffix(sampler.trim());
    let schedule = schedule_in_name.or_else(|| schedule_type.map(canonical_schedule));
    let schedule = match schedule {
        Some(schedule) => schedule,
        None if is_at_least_1_9(version) => "Automatic".to_string(),
        None => "Uniform".to_string(), // pre-1.9: each sampler name carried its schedule
    };
    let base_lower = base.to_lowercase();
    let (kind, warning) = match base_lower.as_str() {
        "euler" => (SamplerKind::Euler, uniform_only("Euler", &schedule)),
        "euler a" => (SamplerKind::EulerA, uniform_only("Euler a", &schedule)),
        "dpm++ 2m" => dpmpp_2m_for(&schedule),
        "ddim" => (SamplerKind::Ddim, None),
        "unipc" => (SamplerKind::UniPc, None),
        "lcm" => (SamplerKind::Lcm, uniform_only("LCM", &schedule)),
        _ => return Err(format!("sampler `{sampler}` is not one Nurie has")),
    };
    Ok(A1111Sampler { kind, warning })
}

fn dpmpp_2m_for(schedule: &str) -> (SamplerKind, Option<String>) {
    match schedule {
        "Karras" | "Automatic" => (SamplerKind::Dpmpp2mKarras, None),
        "Uniform" => (SamplerKind::Dpmpp2m, None),
        other => (SamplerKind::Dpmpp2mKarras, Some(format!("schedule `{other}` is not available with DPM++ 2M; using Karras"))),
    }
}

fn uniform_only(name: &str, schedule: &str) -> Option<String> {
    match schedule {
        "Automatic" | "Uniform" => None,
        other => Some(format!("schedule `{other}` is not available with {name}; using its default")),
    }
}

/// `DPM++ 2M Karras` → (`DPM++ 2M`, `Karras`); names without a schedule suffix are returned whole.
fn split_schedule_suffix(sampler: &str) -> (&str, Option<String>) {
    for (label, name, aliases) in A1111_SCHEDULES {
        for option in std::iter::once(label).chain(std::iter::once(name)).chain(aliases.iter().copied()) {
            if let Some(base) = sampler.strip_suffix(option).and_then(|rest| rest.strip_suffix(' ')) {
                return (base, Some(label.to_string()));
            }
        }
    }
    (sampler, None)
}

/// A schedule type written as label, internal name or alias → its label; unknown text is kept.
fn canonical_schedule(value: &str) -> String {
    let value = value.trim();
    A1111_SCHEDULES
        .iter()
        .find(|(label, name, aliases)| {
            label.eq_ignore_ascii_case(value) || name.eq_ignore_ascii_case(value) || aliases.contains(&value)
        })
        .map(|(label, _, _)| label.to_string())
        .unwrap_or_else(|| value.to_string())
}

/// Whether an A1111 `Version` (`v1.10.1`, `1.9.0-RC`) is 1.9 or newer. Unknown formats (Forge's
/// `f0.0.17v1.8.0rc-…`, Nurie's own) count as older: they only matter when `Schedule type` is missing.
fn is_at_least_1_9(version: Option<&str>) -> bool {
    let Some(version) = version else { return false };
    let version = version.trim().strip_prefix('v').unwrap_or(version.trim());
    let mut parts = version.split(['.', '-']);
    let major: Option<u32> = parts.next().and_then(|p| p.parse().ok());
    let minor: Option<u32> = parts.next().and_then(|p| p.parse().ok());
    matches!((major, minor), (Some(major), Some(minor)) if (major, minor) >= (1, 9))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::Choice;

    fn read(sampler: &str, schedule: Option<&str>, version: Option<&str>) -> SamplerKind {
        sampler_from_a1111(sampler, schedule, version).unwrap().kind
    }

    #[test]
    fn every_id_round_trips_through_its_a1111_names() {
        for &kind in SamplerKind::ALL {
            let (sampler, schedule) = kind.a1111_infotext();
            let back = sampler_from_a1111(sampler, Some(schedule), Some("v1.10.1")).unwrap();
            assert_eq!(back, A1111Sampler { kind, warning: None });
        }
    }

    #[test]
    fn a1111_1_10_names_for_the_default_schedule() {
        assert_eq!(read("Euler", Some("Automatic"), Some("v1.10.1")), SamplerKind::Euler);
        assert_eq!(read("Euler a", Some("Automatic"), Some("v1.10.1")), SamplerKind::EulerA);
        assert_eq!(read("DDIM", Some("Automatic"), Some("v1.10.1")), SamplerKind::Ddim);
        assert_eq!(read("UniPC", Some("Automatic"), Some("v1.10.1")), SamplerKind::UniPc);
        assert_eq!(read("LCM", Some("Automatic"), Some("v1.10.1")), SamplerKind::Lcm);
        // Since 1.9 DPM++ 2M's own schedule is Karras: exact, no warning.
        let automatic = sampler_from_a1111("DPM++ 2M", Some("Automatic"), Some("v1.10.1")).unwrap();
        assert_eq!(automatic, A1111Sampler { kind: SamplerKind::Dpmpp2mKarras, warning: None });
        assert_eq!(read("DPM++ 2M", Some("Uniform"), Some("v1.10.1")), SamplerKind::Dpmpp2m);
    }

    #[test]
    fn old_single_names_without_schedule_type() {
        assert_eq!(read("DPM++ 2M Karras", None, Some("v1.8.0")), SamplerKind::Dpmpp2mKarras);
        assert_eq!(read("DPM++ 2M Karras", None, None), SamplerKind::Dpmpp2mKarras);
        assert_eq!(read("DPM++ 2M", None, Some("v1.6.0")), SamplerKind::Dpmpp2m);
        assert_eq!(read("DPM++ 2M", None, None), SamplerKind::Dpmpp2m);
        assert_eq!(read("DPM++ 2M", None, Some("v1.10.1")), SamplerKind::Dpmpp2mKarras);
        assert_eq!(read("Euler a", None, None), SamplerKind::EulerA);
    }

    #[test]
    fn schedule_in_the_name_wins_over_schedule_type() {
        assert_eq!(read("DPM++ 2M Karras", Some("Uniform"), Some("v1.10.1")), SamplerKind::Dpmpp2mKarras);
        assert_eq!(read("DPM++ 2M karras", None, None), SamplerKind::Dpmpp2mKarras);
    }

    #[test]
    fn timestep_samplers_ignore_the_schedule_like_a1111() {
        let unipc = sampler_from_a1111("UniPC", Some("Karras"), Some("v1.9.4")).unwrap();
        assert_eq!(unipc, A1111Sampler { kind: SamplerKind::UniPc, warning: None });
    }

    #[test]
    fn unsupported_schedules_are_approximated_with_a_warning() {
        let euler = sampler_from_a1111("Euler", Some("Karras"), Some("v1.10.1")).unwrap();
        assert_eq!(euler.kind, SamplerKind::Euler);
        assert!(euler.warning.unwrap().contains("Karras"));
        let dpm = sampler_from_a1111("DPM++ 2M", Some("Exponential"), Some("v1.10.1")).unwrap();
        assert_eq!(dpm.kind, SamplerKind::Dpmpp2mKarras);
        assert!(dpm.warning.is_some());
        let lcm = sampler_from_a1111("LCM", Some("Karras"), Some("v1.10.1")).unwrap();
        assert!(lcm.kind == SamplerKind::Lcm && lcm.warning.is_some());
    }

    #[test]
    fn other_samplers_are_refused() {
        assert!(sampler_from_a1111("DPM adaptive", Some("Automatic"), Some("v1.10.1")).is_err());
        assert!(sampler_from_a1111("DPM++ 2M SDE Karras", None, None).is_err());
        assert!(sampler_from_a1111("", None, None).is_err());
    }

    #[test]
    fn version_parsing() {
        assert!(is_at_least_1_9(Some("v1.10.1")));
        assert!(is_at_least_1_9(Some("1.9.0-RC")));
        assert!(!is_at_least_1_9(Some("v1.8.0")));
        assert!(!is_at_least_1_9(Some("f0.0.17v1.8.0rc-latest-276-g29be1da7")));
        assert!(!is_at_least_1_9(None));
    }
}
