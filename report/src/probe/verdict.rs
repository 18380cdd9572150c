//! The one-line verdict of a run or a route report, in the words the page
//! and `muster-check` both use: "Passes muster", "2 problems, 1 warning"….

use crate::model::{Check, Status};

/// How many checks ended in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Passed.
    pub pass: usize,
    /// Warned.
    pub warn: usize,
    /// Failed.
    pub fail: usize,
    /// Skipped.
    pub skip: usize,
}

impl Tally {
    /// Counts `checks`.
    pub fn of<'a>(checks: impl IntoIterator<Item = &'a Check>) -> Tally {
        let mut tally = Tally::default();
        for check in checks {
            *match check.status {
                Status::Pass => &mut tally.pass,
                Status::Warn => &mut tally.warn,
                Status::Fail => &mut tally.fail,
                Status::Skip => &mut tally.skip,
            } += 1;
        }
        tally
    }

    /// Every check counted.
    pub fn total(&self) -> usize {
        self.pass + self.warn + self.fail + self.skip
    }
}

/// The headline for a verdict of `status` over `tally`. With `partial`
/// (see [`crate::probe::run::Run::partial`]), a pass covers only the checks that
/// could run, and says so.
pub fn headline(status: Status, tally: Tally, partial: bool) -> String {
    match status {
        Status::Pass if partial => "No problems in the checks that could run".to_owned(),
        Status::Pass => "Passes muster".to_owned(),
        Status::Skip => "Nothing could be checked".to_owned(),
        Status::Warn | Status::Fail => match (tally.fail, tally.warn) {
            (0, warnings) => format!("Passes, with {}", counted(warnings, "warning")),
            (problems, 0) => counted(problems, "problem"),
            (problems, warnings) => format!(
                "{}, {}",
                counted(problems, "problem"),
                counted(warnings, "warning")
            ),
        },
    }
}

/// `count` and `word`, plural unless the count is one: "1 check", "2 checks".
pub fn counted(count: usize, word: &str) -> String {
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(pass: usize, warn: usize, fail: usize, skip: usize) -> Tally {
        Tally {
            pass,
            warn,
            fail,
            skip,
        }
    }

    #[test]
    fn failures_are_problems_and_warnings_are_counted_apart() {
        let both = tally(10, 2, 1, 1);
        assert_eq!(headline(Status::Fail, both, false), "1 problem, 2 warnings");
        assert_eq!(
            headline(Status::Fail, tally(1, 0, 3, 0), false),
            "3 problems"
        );
        assert_eq!(
            headline(Status::Warn, tally(5, 1, 0, 0), false),
            "Passes, with 1 warning"
        );
    }

    #[test]
    fn a_partial_pass_says_what_it_covers() {
        let passing = tally(6, 0, 0, 8);
        assert_eq!(headline(Status::Pass, passing, false), "Passes muster");
        assert_eq!(
            headline(Status::Pass, passing, true),
            "No problems in the checks that could run"
        );
        assert_eq!(
            headline(Status::Skip, tally(0, 0, 0, 3), false),
            "Nothing could be checked"
        );
        assert_eq!(passing.total(), 14);
    }
}
