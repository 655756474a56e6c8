//! The one rule for showing an error: its message and its causes on one line, each cause once.
//!
//! Many errors print their source inside their own message (`cannot read {path}: {source}`) and also
//! return it as their `source()`; walking the chain naively then repeats a cause two or three times.

use std::error::Error;

/// An error and its causes, each cause once: a cause whose text its parent already shows is skipped.
pub fn error_report(error: &(dyn Error + 'static)) -> String {
    let mut report = error.to_string();
    let mut cause = error.source();
    while let Some(current) = cause {
        let text = current.to_string();
        if !report.contains(&text) {
            report.push_str(": ");
            report.push_str(&text);
        }
        cause = current.source();
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read model.ckpt: {source}")]
    struct Repeats {
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn a_cause_already_in_its_parent_message_appears_once() {
        let inner = Repeats { source: std::io::Error::other("disk on fire") };
        let error = anyhow::Error::new(inner).context("loading the models");
        let report = error_report(error.as_ref());
        assert_eq!(report, "loading the models: cannot read model.ckpt: disk on fire");
    }
}
